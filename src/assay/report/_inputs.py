"""Checking the arguments only the report takes (card fields, name-to-text maps), with
assay's messages ("the 'x' parameter of f must be ...; got ..."); the checks the analysis
functions share (stores, confidence, seeds, names) are in :mod:`assay.analysis.stats._inputs`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from assay.errors import InputError

__all__ = ["check_fields", "check_text_map"]


def check_text_map(value: object, name: str, func: str) -> dict[str, str]:
    """``value`` (``None`` allowed) as a ``{str: str}`` dict."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InputError(
            f"the {name!r} parameter of {func} must map names to text; got {type(value).__name__}"
        )
    for k, v in value.items():
        if not isinstance(k, str) or not isinstance(v, str):
            raise InputError(
                f"the {name!r} parameter of {func} must map names to text; got {k!r}: {v!r}"
            )
    return dict(value)


def check_fields(
    fields: object, allowed: Sequence[str], func: str, name: str = "fields"
) -> dict[str, str]:
    """Human-written card ``fields`` (``None`` allowed): text for the ``allowed`` keys."""
    out = check_text_map(fields, name, func)
    unknown = sorted(set(out) - set(allowed))
    if unknown:
        raise InputError(
            f"the {name!r} parameter of {func} has unknown field(s) {unknown}; "
            f"allowed: {list(allowed)}"
        )
    return out
