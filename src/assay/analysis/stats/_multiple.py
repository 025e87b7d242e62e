"""Corrections for many comparisons: Holm (family-wise error) and Benjamini-Hochberg (FDR)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from assay._display import TableView
from assay.analysis.stats._inputs import check_choice, check_open_unit, float_array
from assay.analysis.stats._interval import signature
from assay.errors import InputError

__all__ = ["AdjustedPValues", "adjust_pvalues"]

Correction = Literal["holm", "bh"]


@dataclass(frozen=True)
class AdjustedPValues(TableView):
    """Raw and adjusted p-values with the decision at ``alpha``.

    ``reject[i]`` is ``adjusted[i] <= alpha``: for Holm the family-wise error rate, for
    Benjamini-Hochberg the false discovery rate is controlled at ``alpha``.
    """

    pvalues: tuple[float, ...]
    adjusted: tuple[float, ...]
    reject: tuple[bool, ...]
    method: str
    alpha: float
    signature: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.pvalues)

    def to_dict(self) -> dict[str, Any]:
        return {
            "pvalues": list(self.pvalues),
            "adjusted": list(self.adjusted),
            "reject": list(self.reject),
            "method": self.method,
            "alpha": self.alpha,
            "signature": self.signature,
        }

    def to_rows(self) -> tuple[list[str], list[list[object]]]:
        cols = ["p-value", f"{self.method} adjusted", f"reject at {self.alpha:g}"]
        rows: list[list[object]] = [
            [p, q, "yes" if r else "no"]
            for p, q, r in zip(self.pvalues, self.adjusted, self.reject, strict=True)
        ]
        return cols, rows

    @property
    def title(self) -> str:
        return f"{self.method} correction"


def _adjust(p: NDArray[np.float64], method: Correction) -> NDArray[np.float64]:
    m = len(p)
    order = np.argsort(p, kind="stable")
    ranked = p[order]
    if method == "holm":
        adj = np.maximum.accumulate((m - np.arange(m)) * ranked)
    else:
        adj = np.minimum.accumulate((m / np.arange(m, 0, -1)) * ranked[::-1])[::-1]
    out = np.empty(m)
    out[order] = np.minimum(adj, 1.0)
    return out


def adjust_pvalues(
    pvalues: ArrayLike, *, method: Correction = "holm", alpha: float = 0.05
) -> AdjustedPValues:
    """Adjust p-values of a family of tests for multiplicity.

    Parameters
    ----------
    pvalues
        One p-value per test, each in [0, 1].
    method
        ``"holm"``: step-down Holm-Bonferroni, controls the family-wise error rate under
        any dependence. ``"bh"``: Benjamini-Hochberg step-up, controls the false
        discovery rate for independent or positively dependent tests.
    alpha
        Level at which ``reject`` is decided.

    Returns
    -------
    AdjustedPValues
        Adjusted p-values in the input order (``min(1, .)``, monotone in the raw ones).

    References
    ----------
    Holm, S. (1979). A simple sequentially rejective multiple test procedure.
    *Scandinavian Journal of Statistics* 6(2), 65-70.
    Benjamini, Y. & Hochberg, Y. (1995). Controlling the false discovery rate. *Journal of
    the Royal Statistical Society B* 57(1), 289-300.
    """
    func = "adjust_pvalues"
    check_choice(method, Correction, "method", func)
    check_open_unit(alpha, "alpha", func)
    p = float_array(pvalues, "pvalues", func).ravel()
    if np.isnan(p).any():
        raise InputError(f"{func}: p-value {int(np.flatnonzero(np.isnan(p))[0])} is NaN")
    if ((p < 0) | (p > 1)).any():
        bad = p[(p < 0) | (p > 1)][0]
        raise InputError(f"{func}: p-values must lie in [0, 1]; got {float(bad):g}")
    adj = _adjust(p, method) if len(p) else p
    return AdjustedPValues(
        pvalues=tuple(float(x) for x in p),
        adjusted=tuple(float(x) for x in adj),
        reject=tuple(bool(x <= alpha) for x in adj),
        method="Holm" if method == "holm" else "Benjamini-Hochberg",
        alpha=alpha,
        signature=signature(
            f"{method} adjustment", n=len(p), resamples=None, seed=None, params={"alpha": alpha}
        ),
    )
