"""Fit diagnostics of a fitted IRT model: item fit, local dependence, suspicious items."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.stats import norm

from assay._display import html_table, rich_table
from assay._version import __version__
from assay.analysis.irt._matrix import ItemMatrix, as_array
from assay.analysis.irt._model import IRT
from assay.analysis.stats._inputs import check_number
from assay.errors import InputError

__all__ = ["IRTDiagnostics", "ItemDiagnostic", "LocalDependence", "irt_diagnostics"]

_BLOCK = 2048  # items per block of the Q3 matrix (bounds memory at items x _BLOCK)


@dataclass(frozen=True, slots=True)
class ItemDiagnostic:
    """Fit statistics of one item (see :func:`irt_diagnostics`)."""

    item: str
    n: int
    mean: float
    difficulty: float
    discrimination: float
    infit: float
    outfit: float
    item_rest: float
    flags: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class LocalDependence:
    """A pair of items whose residuals correlate more than the model allows (Yen's Q3)."""

    item_a: str
    item_b: str
    q3: float
    excess: float
    n: int


@dataclass(frozen=True, slots=True)
class IRTDiagnostics:
    """Item fit, local dependence and flagged items of a fitted :class:`IRT`.

    Attributes
    ----------
    items
        One :class:`ItemDiagnostic` per fitted item.
    local_dependence
        Flagged item pairs, largest Q3 first (at most ``max_pairs``).
    q3_mean
        The mean Q3 over all item pairs (the baseline the excess is measured from).
    n_pairs_flagged
        Pairs flagged before the ``max_pairs`` cut.
    signature
        Method, parameters, version, ``n`` (observed cells).
    """

    items: tuple[ItemDiagnostic, ...]
    local_dependence: tuple[LocalDependence, ...]
    q3_mean: float
    n_pairs_flagged: int
    signature: dict[str, Any] = field(default_factory=dict)

    def flagged(self, flag: str | None = None) -> tuple[ItemDiagnostic, ...]:
        """Items with any flag, or with the given flag (``"misfit"``, ``"overfit"``,
        ``"negative_discrimination"``, ``"constant"``)."""
        return tuple(d for d in self.items if (d.flags if flag is None else flag in d.flags))

    def counts(self) -> dict[str, int]:
        """Number of items per flag, plus flagged item pairs."""
        out: dict[str, int] = {}
        for d in self.items:
            for f in d.flags:
                out[f] = out.get(f, 0) + 1
        out["local_dependence_pairs"] = self.n_pairs_flagged
        return out

    def to_rows(self, *, flagged_only: bool = False) -> tuple[list[str], list[list[Any]]]:
        cols = [
            "item",
            "n",
            "mean",
            "difficulty",
            "discrimination",
            "infit",
            "outfit",
            "item_rest",
            "flags",
        ]
        src = self.flagged() if flagged_only else self.items
        rows = [
            [
                d.item,
                d.n,
                d.mean,
                d.difficulty,
                d.discrimination,
                d.infit,
                d.outfit,
                d.item_rest,
                ",".join(d.flags),
            ]
            for d in src
        ]
        return cols, rows

    def to_dict(self) -> dict[str, Any]:
        return {
            "items": [
                {
                    "item": d.item,
                    "n": d.n,
                    "mean": d.mean,
                    "difficulty": d.difficulty,
                    "discrimination": d.discrimination,
                    "infit": d.infit,
                    "outfit": d.outfit,
                    "item_rest": d.item_rest,
                    "flags": list(d.flags),
                }
                for d in self.items
            ],
            "local_dependence": [
                {"item_a": p.item_a, "item_b": p.item_b, "q3": p.q3, "excess": p.excess, "n": p.n}
                for p in self.local_dependence
            ],
            "q3_mean": self.q3_mean,
            "counts": self.counts(),
            "signature": self.signature,
        }

    def __rich__(self) -> object:
        cols, rows = self.to_rows(flagged_only=True)
        return rich_table(cols, rows, title=f"IRT flagged items {self.counts()}")

    def _repr_html_(self) -> str:
        cols, rows = self.to_rows(flagged_only=True)
        return html_table(cols, rows, title=f"IRT flagged items {self.counts()}")


def irt_diagnostics(
    irt: Any,
    Y: ItemMatrix | NDArray[np.float64] | Any,
    *,
    fit_range: tuple[float, float] = (0.7, 1.3),
    q3_threshold: float = 0.2,
    alpha: float = 0.05,
    max_pairs: int = 1000,
) -> IRTDiagnostics:
    """Item fit, local dependence and negatively discriminating items.

    Parameters
    ----------
    irt
        A fitted :class:`~assay.analysis.irt.IRT`.
    Y
        The matrix it was fitted on (same models and items).
    fit_range
        Infit or outfit mean square below the range flags ``"overfit"`` (too predictable,
        e.g. a near-duplicate of other items), above it ``"misfit"`` (noisier than the
        model: ambiguous or mis-keyed). 0.7-1.3 is a common rule for 0/1 items (Bond &
        Fox). With fractional scores the mean squares sit below 1 (the Bernoulli
        variance overstates a fraction's), so read them relative to each other.
    q3_threshold
        A pair is flagged when its Q3 exceeds the mean Q3 by more than this (Christensen
        et al., 2017) *and* (assay's choice, since with few models chance correlations
        are large) the correlation is significant at ``alpha`` after a Bonferroni
        correction over all pairs (Fisher z test).
    max_pairs
        At most this many flagged pairs are kept (largest Q3 first).

    Returns
    -------
    IRTDiagnostics
        Per-item infit / outfit mean squares (Wright & Masters), item-rest correlation,
        and flags: ``"misfit"``, ``"overfit"``, ``"negative_discrimination"`` (the
        item-rest correlation is negative, or for 2PL the slope ``a < 0``: models that
        do better overall do worse on the item -- often a wrong answer key; with few
        models, chance alone makes some weak items negative, so read these as
        candidates), ``"constant"`` (every model scored the same); flagged Q3 pairs.

    References
    ----------
    Wright, B. D. & Masters, G. N. (1982). *Rating Scale Analysis*. MESA Press.
    Yen, W. M. (1984). Effects of local item dependence on the fit and equating
    performance of the three-parameter logistic model. *Applied Psychological
    Measurement*, 8(2), 125-145.
    Christensen, K. B., Makransky, G. & Horton, M. (2017). Critical values for Yen's Q3:
    identification of local dependence in the Rasch model using residual correlations.
    *Applied Psychological Measurement*, 41(3), 178-194.
    """
    if not isinstance(irt, IRT):
        raise InputError(
            f"the 'irt' parameter of irt_diagnostics must be a fitted IRT; got {type(irt).__name__}"
        )
    irt._check_fitted("irt_diagnostics")
    arr, _ = as_array(Y, "irt_diagnostics")
    if arr.shape != (irt.ability_.shape[0], irt.difficulty_.shape[0]):
        raise InputError(
            f"irt_diagnostics needs the matrix the IRT was fitted on "
            f"({irt.ability_.shape[0]} x {irt.difficulty_.shape[0]}); got {arr.shape}"
        )
    lo, hi = _fit_range(fit_range)
    check_number(q3_threshold, "q3_threshold", "irt_diagnostics", low=-math.inf)
    check_number(alpha, "alpha", "irt_diagnostics", low=0.0)
    if alpha >= 1:
        raise InputError(
            f"the 'alpha' parameter of irt_diagnostics must be in (0, 1); got {alpha!r}"
        )
    check_number(max_pairs, "max_pairs", "irt_diagnostics", low=0, strict=False, integer=True)
    ok_m = np.isfinite(irt.ability_).all(axis=1)
    ok_i = np.isfinite(irt.difficulty_)
    W = np.isfinite(arr) & ok_m[:, None] & ok_i[None, :]
    theta = np.where(ok_m[:, None], irt.ability_, 0.0)
    P = np.asarray(irt.predict_proba(theta))
    P = np.where(W, P, 0.5)
    Yf = np.where(W, arr, 0.0)
    Wf = W.astype(np.float64)
    E = (Yf - P) * Wf
    V = P * (1 - P) * Wf
    n = Wf.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        outfit = (E**2 / np.where(W, P * (1 - P), 1.0)).sum(axis=0) / n
        infit = (E**2).sum(axis=0) / V.sum(axis=0)
        mean = Yf.sum(axis=0) / n
    item_rest = _item_rest(Yf, Wf)
    constant = set(getattr(irt, "constant_items_", ()))
    d = irt.discrimination_.shape[1]
    use_a = irt.model == "2pl"
    items = []
    for k, label in enumerate(irt.items_):
        flags: list[str] = []
        if not ok_i[k]:
            continue
        if label in constant:
            flags.append("constant")
        else:
            if infit[k] > hi or outfit[k] > hi:
                flags.append("misfit")
            elif infit[k] < lo or outfit[k] < lo:
                flags.append("overfit")
            negative = item_rest[k] < 0 or (use_a and irt.discrimination_[k, 0] < 0)
            if negative:
                flags.append("negative_discrimination")
        disc = (
            float(irt.discrimination_[k, 0])
            if d == 1
            else float(np.linalg.norm(irt.discrimination_[k]))
        )
        items.append(
            ItemDiagnostic(
                item=label,
                n=int(n[k]),
                mean=float(mean[k]),
                difficulty=float(irt.difficulty_[k]),
                discrimination=disc,
                infit=float(infit[k]),
                outfit=float(outfit[k]),
                item_rest=float(item_rest[k]),
                flags=tuple(flags),
            )
        )
    keep = ok_i & ~np.isin(np.asarray(irt.items_, dtype=object), list(constant))
    pairs, q3_mean, n_flagged = _q3(E[:, keep], Wf[:, keep], q3_threshold, alpha, max_pairs)
    labels = np.asarray(irt.items_, dtype=object)[keep]
    dep = tuple(
        LocalDependence(str(labels[i]), str(labels[j]), q, q - q3_mean, c) for i, j, q, c in pairs
    )
    return IRTDiagnostics(
        items=tuple(items),
        local_dependence=dep,
        q3_mean=q3_mean,
        n_pairs_flagged=n_flagged,
        signature={
            "method": "irt-diagnostics",
            "params": {
                "fit_range": [lo, hi],
                "q3_threshold": q3_threshold,
                "alpha": alpha,
                "max_pairs": max_pairs,
                "irt": getattr(irt, "signature_", {}).get("method"),
            },
            "version": __version__,
            "n": int(W.sum()),
            "resamples": 0,
            "seed": None,
        },
    )


def _fit_range(fit_range: Any) -> tuple[float, float]:
    """``(low, high)`` with ``0 < low < 1 < high``."""
    ok = (
        isinstance(fit_range, Sequence | np.ndarray)
        and len(fit_range) == 2
        and all(
            isinstance(v, int | float | np.integer | np.floating) and not isinstance(v, bool)
            for v in fit_range
        )
    )
    if not ok or not 0 < fit_range[0] < 1 < fit_range[1]:
        raise InputError(
            f"the 'fit_range' parameter of irt_diagnostics must be (low, high) with "
            f"0 < low < 1 < high; got {fit_range!r}"
        )
    return float(fit_range[0]), float(fit_range[1])


def _item_rest(Y: NDArray[np.float64], W: NDArray[np.float64]) -> NDArray[np.float64]:
    """Correlation over models of each item's score with the model's mean on the others."""
    total, count = Y.sum(axis=1), W.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        rest = (total[:, None] - Y) / (count[:, None] - W)
    rest = np.where((W > 0) & np.isfinite(rest), rest, 0.0)
    n = W.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        my, mr = Y.sum(axis=0) / n, rest.sum(axis=0) / n
        cy, cr = (Y - my) * W, (rest - mr) * W
        r = (cy * cr).sum(axis=0) / np.sqrt((cy**2).sum(axis=0) * (cr**2).sum(axis=0))
    return np.asarray(r)


def _q3(
    E: NDArray[np.float64],
    W: NDArray[np.float64],
    threshold: float,
    alpha: float,
    max_pairs: int,
) -> tuple[list[tuple[int, int, float, int]], float, int]:
    """Flagged (i, j, q3, n) pairs of Yen's Q3 (pairwise-complete residual correlations)."""
    n_items = E.shape[1]
    if n_items < 2:
        return [], float("nan"), 0
    n_pairs = n_items * (n_items - 1) / 2
    z_crit = float(norm.isf(alpha / max(n_pairs, 1.0)))
    n_col = W.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        Ec = (E - E.sum(axis=0) / n_col) * W  # centred residuals (0 where missing)
    E2 = Ec**2
    q_sum, q_cnt = 0.0, 0
    cand_i: list[NDArray[np.int64]] = []
    cand_j: list[NDArray[np.int64]] = []
    cand_q: list[NDArray[np.float64]] = []
    cand_n: list[NDArray[np.float64]] = []
    for start in range(0, n_items, _BLOCK):
        stop = min(start + _BLOCK, n_items)
        cross = Ec.T @ Ec[:, start:stop]
        si = E2.T @ W[:, start:stop]  # sum of e_i^2 over the models that also saw j
        sj = W.T @ E2[:, start:stop]
        cnt = W.T @ W[:, start:stop]
        with np.errstate(invalid="ignore", divide="ignore"):
            q = cross / np.sqrt(si * sj)
            zstat = np.arctanh(np.clip(q, -0.999999, 0.999999)) * np.sqrt(np.maximum(cnt - 3, 0))
        rows = np.arange(n_items)[:, None]
        cols = np.arange(start, stop)[None, :]
        upper = (rows < cols) & (cnt >= 4) & np.isfinite(q)
        q_sum += float(q[upper].sum())
        q_cnt += int(upper.sum())
        # candidates: significantly positive residual correlations (kept block by block so
        # memory stays at items x block, never items x items)
        ii, jj = np.nonzero(upper & (zstat > z_crit) & (q > threshold - 1.0))
        cand_i.append(ii)
        cand_j.append(jj + start)
        cand_q.append(q[ii, jj])
        cand_n.append(cnt[ii, jj])
    q3_mean = q_sum / q_cnt if q_cnt else float("nan")
    qs = np.concatenate(cand_q)
    hit = qs - q3_mean > threshold
    order = np.argsort(-qs[hit], kind="stable")
    ci, cj = np.concatenate(cand_i)[hit][order], np.concatenate(cand_j)[hit][order]
    cq, cn = qs[hit][order], np.concatenate(cand_n)[hit][order]
    found = [
        (int(i), int(j), float(q), int(c))
        for i, j, q, c in zip(
            ci[:max_pairs], cj[:max_pairs], cq[:max_pairs], cn[:max_pairs], strict=True
        )
    ]
    return found, q3_mean, int(hit.sum())
