"""Grading generated text: answer extraction and exact match."""

from __future__ import annotations

import re

__all__ = ["exact_match", "extract_answer", "normalize_answer"]

_SPACE = re.compile(r"\s+")


def normalize_answer(text: str, *, ignore_case: bool = False) -> str:
    """The comparison form of an answer: surrounding whitespace stripped, inner runs of
    whitespace collapsed to one space, a trailing full stop removed, and the case folded
    only when ``ignore_case`` (case is kept by default: "RABBIT" is not "rabbit")."""
    text = _SPACE.sub(" ", text.strip()).removesuffix(".").strip()
    return text.casefold() if ignore_case else text


def extract_answer(output: str, pattern: str = "") -> str:
    """The answer in ``output``: the first group of ``pattern`` (or the whole match when
    the pattern has no group) at its first match; the stripped output when ``pattern``
    is empty; the empty string when the pattern does not match."""
    if not pattern:
        return output.strip()
    match = re.search(pattern, output)
    if match is None:
        return ""
    return match.group(1) if match.groups() else match.group(0)


def exact_match(prediction: str, target: str, *, ignore_case: bool = False) -> float:
    """1.0 when the normalised prediction equals the normalised target, else 0.0
    (see :func:`normalize_answer`)."""
    return float(
        normalize_answer(prediction, ignore_case=ignore_case)
        == normalize_answer(target, ignore_case=ignore_case)
    )
