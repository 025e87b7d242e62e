"""Inter-rater agreement: Cohen's kappa, Fleiss' kappa and Krippendorff's alpha.

All three take labels per unit (an item rated by several raters) and return an
:class:`Agreement` with a percentile bootstrap interval over units. The bootstraps are
exact and cheap: each statistic depends on the units only through per-unit sufficient
statistics (a cell of the confusion table, a row of category counts, a unit's
coincidences), so a resample is a vector of unit weights times those statistics.
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple, get_args

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from assay._display import format_cell, html_table, rich_table
from assay._version import __version__
from assay.analysis.stats._bootstrap import resolve_rng
from assay.errors import DegenerateDataWarning, InputError

__all__ = [
    "Agreement",
    "AgreementInterval",
    "check_resampling",
    "cohen_kappa",
    "fleiss_kappa",
    "krippendorff_alpha",
]

Weights = Literal["linear", "quadratic"]
Level = Literal["nominal", "ordinal", "interval", "ratio"]
Layout = Literal["ratings", "counts"]
NanPolicy = Literal["raise", "omit"]


class AgreementInterval(NamedTuple):
    """A two-sided interval."""

    low: float
    high: float


@dataclass(frozen=True)
class Agreement:
    """An agreement coefficient with a bootstrap interval over units.

    Attributes
    ----------
    statistic
        The coefficient (1 perfect agreement, 0 chance agreement, < 0 worse than chance).
    ci_low, ci_high
        Percentile bootstrap interval over units (``None`` when ``resamples=0``).
    n
        Units used (pairable units for Krippendorff's alpha).
    method
        ``"cohen-kappa"``, ``"fleiss-kappa"`` or ``"krippendorff-alpha"``.
    observed, expected
        Observed and chance-expected agreement (kappas) or disagreement (alpha).
    confidence
        Level of the interval.
    n_omitted
        Units left out for missing labels (Cohen) or for having fewer than two values
        (Krippendorff).
    signature
        Method, options, resamples, seed and assay version.
    """

    statistic: float
    ci_low: float | None
    ci_high: float | None
    n: int
    method: str
    observed: float
    expected: float
    confidence: float
    n_omitted: int = 0
    signature: dict[str, Any] = field(default_factory=dict)

    def confidence_interval(self) -> AgreementInterval:
        """The bootstrap interval."""
        if self.ci_low is None or self.ci_high is None:
            raise InputError("no interval: the coefficient was computed with resamples=0")
        return AgreementInterval(self.ci_low, self.ci_high)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-serialisable values."""
        return {
            "statistic": self.statistic,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "n": self.n,
            "method": self.method,
            "observed": self.observed,
            "expected": self.expected,
            "confidence": self.confidence,
            "n_omitted": self.n_omitted,
            "signature": self.signature,
        }

    def to_json(self) -> str:
        """:meth:`to_dict` as JSON text."""
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    def to_rows(self) -> tuple[list[str], list[list[object]]]:
        """Column names and one row for display."""
        ci = (
            f"[{self.ci_low:.3f}, {self.ci_high:.3f}]"
            if self.ci_low is not None and self.ci_high is not None
            else None
        )
        cols = ["method", "statistic", f"{self.confidence:.0%} CI", "units", "omitted"]
        return cols, [[self.method, self.statistic, ci, self.n, self.n_omitted]]

    def __rich__(self) -> object:
        cols, rows = self.to_rows()
        return rich_table(cols, rows, title=f"{self.method} ({format_cell(self.statistic)})")

    def _repr_html_(self) -> str:
        cols, rows = self.to_rows()
        return html_table(cols, rows, title=self.method)


# ----------------------------------------------------------------------------- checks


def check_resampling(resamples: Any, confidence: Any, where: str) -> None:
    """Validate the 'resamples' and 'confidence' parameters."""
    if not isinstance(resamples, int | np.integer) or isinstance(resamples, bool) or resamples < 0:
        raise InputError(
            f"the 'resamples' parameter of {where} must be an integer >= 0; got {resamples!r}"
        )
    if (
        not isinstance(confidence, int | float)
        or isinstance(confidence, bool)
        or not 0.0 < confidence < 1.0
    ):
        raise InputError(
            f"the 'confidence' parameter of {where} must be in (0, 1); got {confidence!r}"
        )


def _check_literal(value: Any, options: Any, name: str, where: str) -> None:
    allowed = get_args(options)
    if value not in allowed:
        raise InputError(
            f"the {name!r} parameter of {where} must be one of "
            f"{', '.join(repr(a) for a in allowed)}; got {value!r}"
        )


def _rater(labels: Any, name: str, where: str) -> list[Any]:
    """One rater's labels as a list (a string is one label, not a list of them)."""
    if isinstance(labels, str | bytes) or not isinstance(labels, Iterable):
        raise InputError(
            f"the {name!r} parameter of {where} must be a sequence of labels, one per unit; "
            f"got {type(labels).__name__}"
        )
    return list(labels)


def _check_hashable(values: Iterable[Any], where: str) -> None:
    """Labels are compared as dictionary keys: each must be hashable (a number or a string)."""
    for v in values:
        try:
            hash(v)
        except TypeError:
            raise InputError(
                f"{where}: a label must be a single value such as a number or a string; got {v!r}"
            ) from None


def _sorted_labels(values: Iterable[Any]) -> list[Any]:
    """Distinct labels in order; labels of different types are ordered by type, then value."""
    distinct = set(values)
    try:
        return sorted(distinct)
    except TypeError:
        return sorted(distinct, key=lambda v: (str(type(v)), v))


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float | np.floating) and math.isnan(value))


def _percentile(
    draws: NDArray[np.float64], confidence: float, where: str
) -> tuple[float | None, float | None]:
    if not len(draws):
        return None, None
    finite = draws[np.isfinite(draws)]
    if len(finite) < len(draws):
        warnings.warn(
            f"{where}: {len(draws) - len(finite)} of {len(draws)} bootstrap resamples had no "
            "defined coefficient (every unit in one category) and were left out of the "
            "interval",
            DegenerateDataWarning,
            stacklevel=3,
        )
    if not len(finite):
        return None, None
    lo, hi = np.quantile(finite, [(1 - confidence) / 2, (1 + confidence) / 2])
    return float(lo), float(hi)


def _warn_undefined(statistic: float, where: str, why: str) -> None:
    """Warn (at the caller of the public function) when the coefficient is NaN."""
    if not math.isfinite(statistic):
        warnings.warn(f"{where}: {why}", DegenerateDataWarning, stacklevel=3)


def _unit_weights(rng: np.random.Generator, units: int, resamples: int) -> NDArray[np.float64]:
    """Bootstrap weights ``(resamples, units)``: how often each unit is drawn when the units
    are resampled with replacement."""
    return rng.multinomial(units, np.full(units, 1.0 / units), size=resamples).astype(float)


def _signature(
    method: str, resamples: int, confidence: float, seed: Any, **params: Any
) -> dict[str, Any]:
    return {
        "method": method,
        **params,
        "interval": "percentile bootstrap over units" if resamples else None,
        "resamples": int(resamples),
        "confidence": float(confidence),
        "seed": int(seed) if isinstance(seed, int | np.integer) else None,
        "assay_version": __version__,
    }


# ----------------------------------------------------------------------------- Cohen


def _kappa_from_table(table: NDArray[np.float64], w: NDArray[np.float64]) -> NDArray[np.float64]:
    """Kappa of confusion tables ``(..., k, k)`` with disagreement weights ``w``."""
    n = table.sum(axis=(-2, -1))
    with np.errstate(invalid="ignore", divide="ignore"):
        p = table / n[..., None, None]
        expected = p.sum(-1)[..., :, None] * p.sum(-2)[..., None, :]
        d_obs = (w * p).sum(axis=(-2, -1))
        d_exp = (w * expected).sum(axis=(-2, -1))
        return np.where(d_exp > 0, 1.0 - d_obs / d_exp, np.nan)


def cohen_kappa(
    rater1: Sequence[Any] | NDArray[Any] | pd.Series,
    rater2: Sequence[Any] | NDArray[Any] | pd.Series,
    *,
    weights: Weights | None = None,
    labels: Sequence[Any] | None = None,
    nan_policy: NanPolicy = "raise",
    resamples: int = 1000,
    confidence: float = 0.95,
    seed: int | np.random.Generator | None = 0,
) -> Agreement:
    """Cohen's kappa between two raters, optionally weighted.

    ``kappa = 1 - sum(w * p_obs) / sum(w * p_exp)`` where ``p_obs`` is the observed
    confusion table (proportions), ``p_exp`` the product of its margins and ``w`` the
    disagreement weights: 0 on the diagonal and 1 elsewhere (unweighted),
    ``|i - j|`` (linear) or ``(i - j)**2`` (quadratic) for categories in ``labels`` order.

    Parameters
    ----------
    rater1, rater2
        One label per unit from each rater (same length). Labels may be any hashable
        values; ``None``/NaN is missing.
    weights
        ``None``, ``"linear"`` or ``"quadratic"`` (ordered categories).
    labels
        The categories in order (needed for meaningful weights; default: sorted labels
        seen). A label outside ``labels`` is an error.
    nan_policy
        ``"raise"`` on a missing label, or ``"omit"`` the unit (counted in ``n_omitted``).
    resamples, confidence, seed
        Percentile bootstrap over units: each resample draws the confusion table from a
        multinomial over its cells, which is exactly resampling units with replacement.

    Returns
    -------
    Agreement

    References
    ----------
    Cohen, J. (1960). A coefficient of agreement for nominal scales. *Educational and
    Psychological Measurement* 20, 37-46.
    Cohen, J. (1968). Weighted kappa. *Psychological Bulletin* 70, 213-220.
    """
    where = "cohen_kappa"
    if weights is not None:
        _check_literal(weights, Weights, "weights", where)
    _check_literal(nan_policy, NanPolicy, "nan_policy", where)
    check_resampling(resamples, confidence, where)
    r1, r2 = _rater(rater1, "rater1", where), _rater(rater2, "rater2", where)
    _check_hashable((*r1, *r2), where)
    if labels is not None:
        order = _rater(labels, "labels", where)
        _check_hashable(order, where)
        if len(set(order)) != len(order):
            raise InputError(
                f"the 'labels' parameter of {where} must list distinct categories; got {order}"
            )
    if len(r1) != len(r2):
        raise InputError(
            f"{where}: the raters labelled different numbers of units ({len(r1)} and {len(r2)})"
        )
    keep = [not (_missing(a) or _missing(b)) for a, b in zip(r1, r2, strict=True)]
    n_omitted = keep.count(False)
    if n_omitted and nan_policy == "raise":
        i = keep.index(False)
        raise InputError(
            f"{where}: unit {i} (0-based) has a missing label ({n_omitted} units do); pass "
            "nan_policy='omit' to leave such units out"
        )
    r1 = [a for a, k in zip(r1, keep, strict=True) if k]
    r2 = [b for b, k in zip(r2, keep, strict=True) if k]
    if not r1:
        raise InputError(f"{where}: no unit has labels from both raters")
    cats = list(labels) if labels is not None else _sorted_labels((*r1, *r2))
    index = {c: i for i, c in enumerate(cats)}
    unknown = sorted({str(v) for v in (*r1, *r2) if v not in index})
    if unknown:
        raise InputError(f"{where}: labels {unknown[:8]} are not in 'labels' {cats[:20]}")
    k = len(cats)
    codes1 = np.array([index[v] for v in r1])
    codes2 = np.array([index[v] for v in r2])
    table = np.bincount(codes1 * k + codes2, minlength=k * k).reshape(k, k).astype(float)
    grid = np.subtract.outer(np.arange(k), np.arange(k)).astype(float)
    w = {None: (grid != 0).astype(float), "linear": np.abs(grid), "quadratic": grid**2}[weights]
    stat = float(_kappa_from_table(table, w))
    n = len(r1)
    _warn_undefined(
        stat,
        where,
        "both raters put every unit in the same single category; kappa is undefined (NaN)",
    )
    p = table / n
    observed = float((p * (w == 0)).sum()) if weights is None else float((w * p).sum())
    expected_tab = p.sum(1)[:, None] * p.sum(0)[None, :]
    expected = (
        float((expected_tab * (w == 0)).sum())
        if weights is None
        else float((w * expected_tab).sum())
    )
    rng = resolve_rng(seed)
    draws = np.empty(0)
    if resamples:
        boot = rng.multinomial(n, p.ravel(), size=resamples).reshape(resamples, k, k)
        draws = _kappa_from_table(boot.astype(float), w)
    lo, hi = _percentile(draws, confidence, where)
    return Agreement(
        statistic=stat,
        ci_low=lo,
        ci_high=hi,
        n=n,
        method="cohen-kappa",
        observed=observed,
        expected=expected,
        confidence=float(confidence),
        n_omitted=n_omitted,
        signature=_signature(
            "cohen-kappa",
            resamples,
            confidence,
            seed,
            weights=weights,
            labels=[str(c) for c in cats],
            agreement="proportions" if weights is None else "weighted disagreement",
        ),
    )


# ----------------------------------------------------------------------------- Fleiss


def _as_matrix(data: Any, where: str) -> NDArray[Any]:
    if isinstance(data, pd.DataFrame):
        arr = data.to_numpy(dtype=object)
    else:
        arr = np.asarray(data, dtype=object)
    if arr.ndim != 2 or arr.shape[0] == 0 or arr.shape[1] == 0:
        raise InputError(
            f"{where}: expected a 2-D table of units (rows) x raters (columns); got shape "
            f"{arr.shape}"
        )
    return arr


def fleiss_kappa(
    data: Any,
    *,
    layout: Layout = "ratings",
    resamples: int = 1000,
    confidence: float = 0.95,
    seed: int | np.random.Generator | None = 0,
) -> Agreement:
    """Fleiss' kappa for a fixed number of raters per unit.

    With ``n`` raters per unit and ``n_ij`` raters putting unit ``i`` in category ``j``:
    ``P_i = (sum_j n_ij**2 - n) / (n (n - 1))``, ``p_j`` the share of all ratings in
    category ``j``, and ``kappa = (mean(P_i) - sum_j p_j**2) / (1 - sum_j p_j**2)``.

    Parameters
    ----------
    data
        ``layout="ratings"``: units (rows) x raters (columns) of labels, no missing
        label. ``layout="counts"``: units x categories of rater counts, equal row sums
        (the layout of ``statsmodels.stats.inter_rater.fleiss_kappa``).
    layout
        ``"ratings"`` or ``"counts"``.
    resamples, confidence, seed
        Percentile bootstrap over units.

    Returns
    -------
    Agreement

    References
    ----------
    Fleiss, J. L. (1971). Measuring nominal scale agreement among many raters.
    *Psychological Bulletin* 76, 378-382.
    """
    where = "fleiss_kappa"
    _check_literal(layout, Layout, "layout", where)
    check_resampling(resamples, confidence, where)
    arr = _as_matrix(data, where)
    if layout == "ratings":
        missing = [i for i in range(arr.shape[0]) if any(_missing(v) for v in arr[i])]
        if missing:
            raise InputError(
                f"{where}: unit {missing[0]} (0-based) has a missing label; Fleiss' kappa "
                "needs every rater on every unit (use krippendorff_alpha for missing data)"
            )
        _check_hashable(arr.ravel(), where)
        cats = sorted({v for v in arr.ravel()}, key=lambda v: (str(type(v)), v))
        index = {c: j for j, c in enumerate(cats)}
        codes = np.vectorize(index.__getitem__, otypes=[np.intp])(arr)
        counts = np.stack([(codes == j).sum(1) for j in range(len(cats))], axis=1).astype(float)
    else:
        try:
            counts = arr.astype(float)
        except (TypeError, ValueError):
            raise InputError(f"{where}: layout='counts' needs numbers (rater counts)") from None
        if not np.isfinite(counts).all() or (counts < 0).any():
            raise InputError(f"{where}: rater counts must be finite and >= 0")
    sums = counts.sum(1)
    if not np.allclose(sums, sums[0]):
        bad = int(np.flatnonzero(~np.isclose(sums, sums[0]))[0])
        raise InputError(
            f"{where}: unit {bad} (0-based) has {sums[bad]:g} ratings but unit 0 has "
            f"{sums[0]:g}; Fleiss' kappa needs the same number of raters on every unit"
        )
    n_raters = float(sums[0])
    if n_raters < 2:
        raise InputError(f"{where}: needs at least two raters per unit; got {n_raters:g}")
    units = counts.shape[0]
    # per-unit sufficient statistics: agreement P_i and category counts
    p_unit = ((counts**2).sum(1) - n_raters) / (n_raters * (n_raters - 1))

    def kappa(weights: NDArray[np.float64]) -> tuple[NDArray[np.float64], ...]:
        total = weights.sum(-1)
        p_bar = (weights @ p_unit) / total
        p_cat = (weights @ counts) / (total * n_raters)[..., None]
        p_exp = (p_cat**2).sum(-1)
        with np.errstate(invalid="ignore", divide="ignore"):
            k = np.where(p_exp < 1, (p_bar - p_exp) / (1 - p_exp), np.nan)
        return k, p_bar, p_exp

    k0, p_bar0, p_exp0 = kappa(np.ones(units))
    stat = float(k0)
    _warn_undefined(stat, where, "every rating is in one category; kappa is undefined (NaN)")
    rng = resolve_rng(seed)
    draws = np.empty(0)
    if resamples:
        draws = kappa(_unit_weights(rng, units, resamples))[0]
    lo, hi = _percentile(draws, confidence, where)
    return Agreement(
        statistic=stat,
        ci_low=lo,
        ci_high=hi,
        n=units,
        method="fleiss-kappa",
        observed=float(p_bar0),
        expected=float(p_exp0),
        confidence=float(confidence),
        signature=_signature(
            "fleiss-kappa", resamples, confidence, seed, layout=layout, raters=n_raters
        ),
    )


# ----------------------------------------------------------------------------- Krippendorff


def _delta(
    level: Level, values: NDArray[np.float64], marg: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Squared distances between the distinct values (``marg``: value totals, for ordinal)."""
    if level == "nominal":
        return 1.0 - np.eye(len(values))
    if level == "interval":
        return np.subtract.outer(values, values) ** 2
    if level == "ratio":
        s = np.add.outer(values, values)
        with np.errstate(invalid="ignore", divide="ignore"):
            d = np.where(s != 0, np.subtract.outer(values, values) / s, 0.0)
        return d**2
    cum = np.concatenate([[0.0], np.cumsum(marg)])
    i, j = np.meshgrid(np.arange(len(values)), np.arange(len(values)), indexing="ij")
    lo, hi = np.minimum(i, j), np.maximum(i, j)
    between: NDArray[np.float64] = cum[hi + 1] - cum[lo] - (marg[i] + marg[j]) / 2
    return between**2


def krippendorff_alpha(
    data: Any,
    *,
    level: Level = "nominal",
    resamples: int = 1000,
    confidence: float = 0.95,
    seed: int | np.random.Generator | None = 0,
) -> Agreement:
    """Krippendorff's alpha for any number of raters, with missing labels allowed.

    ``alpha = 1 - D_o / D_e`` from the coincidence matrix ``o_ck = sum_u (n_uc n_uk -
    [c = k] n_uc) / (m_u - 1)`` of the pairable units (``m_u >= 2`` values):
    ``D_o = sum o_ck delta_ck / n`` and ``D_e = sum n_c n_k delta_ck / (n (n - 1))`` with
    the squared distance ``delta`` of the level of measurement.

    Parameters
    ----------
    data
        Units (rows) x raters (columns); ``None``/NaN is a missing label. Note that
        the ``krippendorff`` package takes the transpose (raters x units). Labels are any
        hashable values for ``"nominal"`` and numbers otherwise.
    level
        ``"nominal"``, ``"ordinal"`` (ranks of the distinct values), ``"interval"`` or
        ``"ratio"``.
    resamples, confidence, seed
        Percentile bootstrap over units (assay's choice; Krippendorff (2004) proposes a
        different bootstrap of the coincidences). Ordinal distances are recomputed
        from each resample's value totals.

    Returns
    -------
    Agreement
        ``observed``/``expected`` are the disagreements ``D_o`` and ``D_e``; ``n`` the
        pairable units, ``n_omitted`` the units with fewer than two labels.

    References
    ----------
    Krippendorff, K. (2011). Computing Krippendorff's alpha-reliability. Annenberg
    School for Communication, University of Pennsylvania (the worked example with
    missing data: nominal alpha 0.743, interval 0.849).
    Hayes, A. F. & Krippendorff, K. (2007). Answering the call for a standard reliability
    measure for coding data. *Communication Methods and Measures* 1, 77-89.
    """
    where = "krippendorff_alpha"
    _check_literal(level, Level, "level", where)
    check_resampling(resamples, confidence, where)
    arr = _as_matrix(data, where)
    present = np.vectorize(lambda v: not _missing(v), otypes=[bool])(arr)
    seen = [v for v in arr[present]]
    _check_hashable(seen, where)
    if level != "nominal":
        bad = [v for v in seen if not isinstance(v, int | float | np.integer | np.floating)]
        if bad or any(isinstance(v, bool) for v in seen):
            raise InputError(
                f"{where}: level={level!r} needs numeric labels; got {bad[0]!r}"
                if bad
                else f"{where}: level={level!r} needs numeric labels, not booleans"
            )
        if not all(math.isfinite(v) for v in seen):
            raise InputError(f"{where}: level={level!r} needs finite numeric labels; got inf")
        if level == "ratio" and any(v < 0 for v in seen):
            raise InputError(
                f"{where}: level='ratio' needs labels >= 0 (a ratio scale has a true zero); "
                f"got {min(seen)!r}"
            )
    cats = (
        sorted(set(seen), key=lambda v: (str(type(v)), v))
        if level == "nominal"
        else sorted({float(v) for v in seen})
    )
    index = {c: j for j, c in enumerate(cats)}
    v = len(cats)
    counts = np.zeros((arr.shape[0], v))
    for i in range(arr.shape[0]):
        for value in arr[i][present[i]]:
            counts[i, index[value if level == "nominal" else float(value)]] += 1
    m = counts.sum(1)
    pairable = m >= 2
    n_omitted = int((~pairable).sum())
    counts, m = counts[pairable], m[pairable]
    if not len(counts):
        raise InputError(f"{where}: no unit has two or more labels; alpha is undefined")
    # per-unit coincidences, flattened: (units, v*v)
    coinc = (counts[:, :, None] * counts[:, None, :] - counts[:, :, None] * np.eye(v)) / (m - 1)[
        :, None, None
    ]
    flat = coinc.reshape(len(counts), v * v)
    values = np.array([float(i) for i in range(v)]) if level == "nominal" else np.array(cats)

    def alpha(o: NDArray[np.float64]) -> tuple[float, float, float]:
        o = o.reshape(v, v)
        marg = o.sum(1)
        n = marg.sum()
        delta = _delta(level, values, marg)
        d_o = float((o * delta).sum() / n)
        d_e = float((np.outer(marg, marg) * delta).sum() / (n * (n - 1)))
        return (1.0 - d_o / d_e if d_e > 0 else math.nan), d_o, d_e

    stat, d_o, d_e = alpha(flat.sum(0))
    _warn_undefined(stat, where, "every label has the same value; alpha is undefined (NaN)")
    rng = resolve_rng(seed)
    draws = np.empty(0)
    if resamples:
        boot = _unit_weights(rng, len(counts), resamples) @ flat
        draws = np.array([alpha(row)[0] for row in boot])
    lo, hi = _percentile(draws, confidence, where)
    return Agreement(
        statistic=stat,
        ci_low=lo,
        ci_high=hi,
        n=len(counts),
        method="krippendorff-alpha",
        observed=d_o,
        expected=d_e,
        confidence=float(confidence),
        n_omitted=n_omitted,
        signature=_signature("krippendorff-alpha", resamples, confidence, seed, level=level),
    )
