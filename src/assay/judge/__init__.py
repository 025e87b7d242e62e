"""Judges: agreement between raters, model judges against humans, position bias.

::

    from assay.judge import judge_agreement, position_bias

    verdicts = store.read("comparisons")
    judge_agreement(verdicts)        # each model judge vs human votes, with intervals
    position_bias(verdicts)          # consistency when the answer order is swapped

Inter-rater coefficients take units (rows) x raters (columns) of labels:
:func:`cohen_kappa` (two raters, optionally weighted), :func:`fleiss_kappa` (a fixed
number of raters) and :func:`krippendorff_alpha` (any raters, missing labels, nominal to
ratio levels), each with a bootstrap interval over units.
"""

from assay.judge._agreement import (
    Agreement,
    AgreementInterval,
    cohen_kappa,
    fleiss_kappa,
    krippendorff_alpha,
)
from assay.judge._verdicts import (
    JudgeAgreement,
    JudgeAgreementRow,
    PositionBias,
    PositionBiasRow,
    judge_agreement,
    position_bias,
)

__all__ = [
    "Agreement",
    "AgreementInterval",
    "JudgeAgreement",
    "JudgeAgreementRow",
    "PositionBias",
    "PositionBiasRow",
    "cohen_kappa",
    "fleiss_kappa",
    "judge_agreement",
    "krippendorff_alpha",
    "position_bias",
]
