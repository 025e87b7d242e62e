"""Grading multiple choice from per-choice log-likelihoods."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["choice_accuracy"]


def choice_accuracy(
    logprobs: Sequence[float], choices: Sequence[str], gold: int
) -> dict[str, float]:
    """``acc`` and ``acc_norm`` of one multiple-choice item.

    ``acc`` is 1 when the gold choice has the highest log-likelihood; ``acc_norm`` when it
    has the highest log-likelihood per byte of the choice text (UTF-8), which removes the
    bias towards short choices. Ties go to the first choice (as ``numpy.argmax``), the
    convention of lm-evaluation-harness.

    References
    ----------
    Gao, L. et al. (2021). *A framework for few-shot language model evaluation*
    (lm-evaluation-harness), ``acc`` and ``acc_norm``.
    """
    lp = np.asarray(logprobs, dtype=np.float64)
    lengths = np.array([max(1, len(c.encode())) for c in choices], dtype=np.float64)
    return {
        "acc": float(int(np.argmax(lp)) == gold),
        "acc_norm": float(int(np.argmax(lp / lengths)) == gold),
    }
