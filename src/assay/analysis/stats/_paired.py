"""Paired comparisons of two models on the same items.

Four tests share one result type, :class:`PairedTest`: the paired bootstrap of the mean
difference, the paired (sign-flip) permutation test, the exact McNemar test for 0/1
scores and the exact sign test for any scores. Item values come in as two aligned
vectors (item ``i`` of ``a`` is item ``i`` of ``b``); :func:`assay.analysis.stats.compare`
aligns them from the store.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from assay._display import TableView
from assay.analysis.stats._bootstrap import resolve_rng
from assay.analysis.stats._inputs import (
    Alternative,
    ConfidenceInterval,
    IntervalMethod,
    NanPolicy,
    check_choice,
    check_confidence,
    check_resamples,
    complete_cases,
    float_array,
    float_vector,
)
from assay.analysis.stats._interval import bootstrap_units, signature
from assay.analysis.stats._resample import Units, units_of
from assay.errors import DegenerateDataWarning, InputError

__all__ = [
    "PairedTest",
    "mcnemar_test",
    "paired_bootstrap",
    "paired_bootstrap_many",
    "paired_permutation_test",
    "sign_test",
]

#: largest number of units for which the permutation test enumerates every sign pattern
_MAX_EXACT_UNITS = 20
_BLOCK_CELLS = 4_000_000


@dataclass(frozen=True)
class PairedTest(TableView):
    """The comparison of model A with model B on the same items.

    Attributes
    ----------
    difference
        Mean over items of ``a - b``.
    statistic
        The test statistic: the mean difference (bootstrap, permutation) or the number of
        items where A beats B among the items where they differ (McNemar, sign test).
    pvalue
        The p-value of the test for ``alternative``.
    low, high
        Interval of the mean difference at ``confidence`` (see ``ci_method``).
    effect_size, effect_kind
        ``"cohen_dz"`` (mean difference over the standard deviation of the differences)
        for the bootstrap and permutation tests; ``"odds_ratio"`` (items A wins over items
        B wins, the conditional maximum-likelihood estimate) for McNemar and the sign test,
        with its exact interval in ``effect_low``/``effect_high``.
    n, n_clusters, n_missing
        Items used, resampling units, items left out for a missing value.
    a_better, b_better
        Items where ``a > b`` and where ``b > a``.
    """

    method: str
    difference: float
    statistic: float
    pvalue: float
    low: float
    high: float
    ci_method: str
    effect_size: float
    effect_kind: str
    effect_low: float
    effect_high: float
    n: int
    n_clusters: int
    n_missing: int
    a_better: int
    b_better: int
    alternative: str
    confidence: float
    resamples: int | None
    signature: dict[str, Any] = field(default_factory=dict)

    def confidence_interval(self) -> ConfidenceInterval:
        """Interval of the mean difference ``a - b``."""
        return ConfidenceInterval(self.low, self.high)

    def to_dict(self) -> dict[str, Any]:
        """Every field as plain Python values."""
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    def to_rows(self) -> tuple[list[str], list[list[object]]]:
        cols = ["difference", f"{self.confidence:.0%} CI", "p-value", self.effect_kind]
        cols += ["items", "A better", "B better", "missing"]
        row: list[object] = [
            self.difference,
            f"[{self.low:.4f}, {self.high:.4f}]",
            self.pvalue,
            self.effect_size,
            self.n,
            self.a_better,
            self.b_better,
            self.n_missing,
        ]
        return cols, [row]

    @property
    def title(self) -> str:
        return self.method


@dataclass(frozen=True, slots=True)
class _Pairs:
    d: NDArray[np.float64]
    a: NDArray[np.float64]
    b: NDArray[np.float64]
    codes: NDArray[np.int64] | None
    n_missing: int


def _pairs(
    a: ArrayLike,
    b: ArrayLike,
    clusters: ArrayLike | Sequence[object] | None,
    nan_policy: NanPolicy,
    func: str,
) -> _Pairs:
    check_choice(nan_policy, NanPolicy, "nan_policy", func)
    x = float_vector(a, "a", func)
    y = float_vector(b, "b", func)
    if len(x) != len(y):
        raise InputError(
            f"{func}: 'a' has {len(x)} items and 'b' has {len(y)}; a paired comparison "
            "needs the two models' values on the same items, in the same order"
        )
    keep, codes, n_missing = complete_cases(np.isnan(x) | np.isnan(y), clusters, nan_policy, func)
    x, y = x[keep], y[keep]
    if len(x) == 0:
        raise InputError(f"{func}: no item has a value for both models (empty input)")
    return _Pairs(x - y, x, y, codes, n_missing)


def _cohen_dz(d: NDArray[np.float64]) -> float:
    if len(d) < 2:
        return float("nan")
    sd = float(np.std(d, ddof=1))
    if sd == 0:
        return 0.0 if float(np.mean(d)) == 0 else float(np.sign(np.mean(d)) * np.inf)
    return float(np.mean(d) / sd)


def _t_interval(units: Units, confidence: float) -> tuple[float, float]:
    """Mean difference +- t quantile x cluster-robust SE (``G - 1`` degrees of freedom)."""
    mean = float(units.means()[0])
    if units.n_units < 2:
        return mean, mean
    se = float(units.standard_errors()[0])
    t = float(stats.t.ppf(0.5 + confidence / 2.0, units.n_units - 1))
    return mean - t * se, mean + t * se


def _result(
    method: str,
    p: _Pairs,
    units: Units,
    *,
    statistic: float,
    pvalue: float,
    ci: tuple[float, float],
    ci_method: str,
    effect: tuple[str, float, float, float],
    alternative: str,
    confidence: float,
    resamples: int | None,
    seed: int | np.random.Generator | None,
    params: dict[str, Any],
) -> PairedTest:
    kind, size, e_low, e_high = effect
    return PairedTest(
        method=method,
        difference=float(np.mean(p.d)),
        statistic=float(statistic),
        pvalue=float(min(1.0, pvalue)),
        low=float(ci[0]),
        high=float(ci[1]),
        ci_method=ci_method,
        effect_size=float(size),
        effect_kind=kind,
        effect_low=float(e_low),
        effect_high=float(e_high),
        n=len(p.d),
        n_clusters=units.n_units,
        n_missing=p.n_missing,
        a_better=int((p.d > 0).sum()),
        b_better=int((p.d < 0).sum()),
        alternative=alternative,
        confidence=confidence,
        resamples=resamples,
        signature=signature(
            method,
            n=len(p.d),
            resamples=resamples,
            seed=seed,
            params={
                **params,
                "alternative": alternative,
                "confidence": confidence,
                "clustered": p.codes is not None,
            },
        ),
    )


def _warn_constant(d: NDArray[np.float64], func: str) -> None:
    if np.ptp(d) == 0:
        warnings.warn(
            f"{func}: every item has the same difference ({d[0]:g}); the interval has zero "
            "width and the test has no power",
            DegenerateDataWarning,
            stacklevel=3,
        )


def bootstrap_pvalue(draws: NDArray[np.float64], alternative: Alternative) -> NDArray[np.float64]:
    """p-value of ``mean difference = 0`` from bootstrap draws of the difference.

    assay's choice: the p-value that inverts the percentile interval, ``(#{d* <= 0} + 1) /
    (B + 1)`` for ``"greater"`` (and the mirror image for ``"less"``), doubled for a
    two-sided test, so that the test rejects at level alpha about when the
    ``1 - alpha`` percentile interval excludes 0.
    """
    b = draws.shape[0]
    below = ((draws <= 0).sum(axis=0) + 1.0) / (b + 1.0)
    above = ((draws >= 0).sum(axis=0) + 1.0) / (b + 1.0)
    if alternative == "greater":
        return np.asarray(below, dtype=np.float64)
    if alternative == "less":
        return np.asarray(above, dtype=np.float64)
    return np.asarray(np.minimum(1.0, 2.0 * np.minimum(below, above)), dtype=np.float64)


def _bootstrap_tests(
    pairs: Sequence[_Pairs],
    units: Units,
    bounds: tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]],
    *,
    method: IntervalMethod,
    alternative: Alternative,
    confidence: float,
    resamples: int,
    seed: int | np.random.Generator | None,
    params: dict[str, Any],
) -> tuple[PairedTest, ...]:
    """One :class:`PairedTest` per comparison from the ``(draws, low, high)`` of
    :func:`~assay.analysis.stats._interval.bootstrap_units` (column ``j`` is ``pairs[j]``)."""
    draws, low, high = bounds
    pvals = bootstrap_pvalue(draws, alternative)
    return tuple(
        _result(
            f"paired bootstrap ({method})",
            p,
            units,
            statistic=float(np.mean(p.d)),
            pvalue=float(pvals[j]),
            ci=(float(low[j]), float(high[j])),
            ci_method=f"{method} bootstrap",
            effect=("cohen_dz", _cohen_dz(p.d), float("nan"), float("nan")),
            alternative=alternative,
            confidence=confidence,
            resamples=resamples,
            seed=seed,
            params={"interval": method, **params},
        )
        for j, p in enumerate(pairs)
    )


def paired_bootstrap(
    a: ArrayLike,
    b: ArrayLike,
    *,
    clusters: ArrayLike | Sequence[object] | None = None,
    method: IntervalMethod = "percentile",
    alternative: Alternative = "two-sided",
    confidence: float = 0.95,
    resamples: int = 10_000,
    seed: int | np.random.Generator | None = 0,
    nan_policy: NanPolicy = "omit",
) -> PairedTest:
    """Paired bootstrap of the mean difference ``a - b`` over the same items.

    Items (or whole clusters) are drawn with replacement and both models' values come
    along, so the correlation between the two models on an item is kept.

    Parameters
    ----------
    a, b
        The two models' values on the same items, in the same order.
    clusters
        One label per item: resample whole clusters (passages, prompts, seeds).
    method
        Interval: ``"percentile"`` or ``"bca"``.
    alternative
        ``"two-sided"``, ``"greater"`` (A better) or ``"less"``.
    confidence
        Two-sided level of the interval.
    resamples
        Bootstrap resamples.
    seed
        Seed or generator.
    nan_policy
        ``"omit"``: leave out items where either value is NaN (counted in
        ``n_missing``); ``"raise"``: reject them.

    Returns
    -------
    PairedTest
        With the percentile-inversion p-value (see :func:`bootstrap_pvalue`, assay's
        choice) and Cohen's ``d_z`` as effect size.

    References
    ----------
    Efron, B. & Tibshirani, R. (1993). *An Introduction to the Bootstrap*, ch. 13-16.
    Koehn, P. (2004). Statistical significance tests for machine translation
    evaluation. *EMNLP*, 388-395.
    Cohen, J. (1988). *Statistical Power Analysis for the Behavioral Sciences*, 2nd ed.
    """
    func = "paired_bootstrap"
    check_choice(method, IntervalMethod, "method", func)
    check_choice(alternative, Alternative, "alternative", func)
    check_confidence(confidence, func)
    check_resamples(resamples, func)
    rng = resolve_rng(seed, func)
    p = _pairs(a, b, clusters, nan_policy, func)
    _warn_constant(p.d, func)
    units = units_of(p.d[:, None], p.codes)
    bounds = bootstrap_units(
        units, method=method, confidence=confidence, resamples=resamples, seed=rng
    )
    (test,) = _bootstrap_tests(
        [p],
        units,
        bounds,
        method=method,
        alternative=alternative,
        confidence=confidence,
        resamples=resamples,
        seed=seed,
        params={},
    )
    return test


def _pvalue_from_null(
    null: NDArray[np.float64], observed: float, alternative: Alternative, exact: bool
) -> float:
    """p-value as scipy.stats.permutation_test defines it (+1 for random resamples)."""
    adjust = 0 if exact else 1
    gamma = abs(np.finfo(np.float64).eps * 100 * observed)
    less = ((null <= observed + gamma).sum() + adjust) / (len(null) + adjust)
    greater = ((null >= observed - gamma).sum() + adjust) / (len(null) + adjust)
    if alternative == "less":
        return float(less)
    if alternative == "greater":
        return float(greater)
    return float(min(1.0, 2.0 * min(less, greater)))


def paired_permutation_test(
    a: ArrayLike,
    b: ArrayLike,
    *,
    clusters: ArrayLike | Sequence[object] | None = None,
    alternative: Alternative = "two-sided",
    confidence: float = 0.95,
    resamples: int = 10_000,
    seed: int | np.random.Generator | None = 0,
    nan_policy: NanPolicy = "omit",
) -> PairedTest:
    """Paired permutation test of the mean difference: random sign flips.

    Under the null hypothesis the labels A and B of each item (each cluster, when
    ``clusters`` is given) are exchangeable, so each item's difference is as likely to
    have either sign. The null distribution of the mean difference is enumerated
    exactly when ``2 ** units <= resamples`` (and ``units <= 20``), otherwise drawn
    ``resamples`` times; p-values follow scipy.stats.permutation_test (observed
    statistic counted once for random draws).

    Parameters
    ----------
    a, b
        The two models' values on the same items, in the same order.
    clusters
        One label per item; a cluster's items flip together.
    alternative
        ``"two-sided"``, ``"greater"`` (A better) or ``"less"``.
    confidence
        Level of the interval of the mean difference (t interval with the
        cluster-robust standard error, ``G - 1`` degrees of freedom).
    resamples
        Random sign patterns when the test is not exact.
    seed
        Seed or generator.
    nan_policy
        ``"omit"`` or ``"raise"`` for items with a missing value.

    References
    ----------
    Fisher, R. A. (1935). *The Design of Experiments*, sec. 21.
    Phipson, B. & Smyth, G. K. (2010). Permutation p-values should never be zero.
    *Statistical Applications in Genetics and Molecular Biology* 9(1).
    Dror, R. et al. (2018). The hitchhiker's guide to testing statistical significance
    in natural language processing. *ACL*, 1383-1392.
    """
    func = "paired_permutation_test"
    check_choice(alternative, Alternative, "alternative", func)
    check_confidence(confidence, func)
    check_resamples(resamples, func)
    rng = resolve_rng(seed, func)
    p = _pairs(a, b, clusters, nan_policy, func)
    _warn_constant(p.d, func)
    units = units_of(p.d[:, None], p.codes)
    totals = units.totals[:, 0]
    g, n = units.n_units, units.n_items
    observed = float(totals.sum() / n)
    exact = g <= _MAX_EXACT_UNITS and 2**g <= resamples
    if exact:
        bits = (np.arange(2**g)[:, None] >> np.arange(g)[None, :]) & 1
        null = ((1.0 - 2.0 * bits) @ totals) / n
    else:
        null = np.empty(resamples)
        rows = max(1, _BLOCK_CELLS // g)
        for start in range(0, resamples, rows):
            k = min(rows, resamples - start)
            signs = 1.0 - 2.0 * rng.integers(0, 2, size=(k, g), dtype=np.int8)
            null[start : start + k] = (signs @ totals) / n
    return _result(
        "paired permutation test (sign flips)",
        p,
        units,
        statistic=observed,
        pvalue=_pvalue_from_null(null, observed, alternative, exact),
        ci=_t_interval(units, confidence),
        ci_method="t interval, cluster-robust SE",
        effect=("cohen_dz", _cohen_dz(p.d), float("nan"), float("nan")),
        alternative=alternative,
        confidence=confidence,
        resamples=None if exact else resamples,
        seed=None if exact else seed,
        params={"exact": exact},
    )


def _discordant(
    p: _Pairs,
    units: Units,
    method: str,
    alternative: Alternative,
    confidence: float,
    func: str,
) -> PairedTest:
    wins, losses = int((p.d > 0).sum()), int((p.d < 0).sum())
    m = wins + losses
    if m == 0:
        warnings.warn(
            f"{func}: the two models never differ on an item; p-value 1 and an undefined "
            "odds ratio",
            DegenerateDataWarning,
            stacklevel=3,
        )
        pvalue, odds, o_low, o_high = 1.0, float("nan"), float("nan"), float("nan")
    else:
        res = stats.binomtest(wins, m, 0.5, alternative=alternative)
        pvalue = float(res.pvalue)
        ci = stats.binomtest(wins, m, 0.5).proportion_ci(confidence, method="exact")
        with np.errstate(divide="ignore"):
            odds = wins / losses if losses else float("inf")
            o_low = ci.low / (1.0 - ci.low) if ci.low < 1 else float("inf")
            o_high = ci.high / (1.0 - ci.high) if ci.high < 1 else float("inf")
    return _result(
        method,
        p,
        units,
        statistic=wins,
        pvalue=pvalue,
        ci=_t_interval(units, confidence),
        ci_method="t interval, cluster-robust SE",
        effect=("odds_ratio", odds, o_low, o_high),
        alternative=alternative,
        confidence=confidence,
        resamples=None,
        seed=None,
        params={},
    )


def mcnemar_test(
    a: ArrayLike,
    b: ArrayLike,
    *,
    alternative: Alternative = "two-sided",
    confidence: float = 0.95,
    nan_policy: NanPolicy = "omit",
) -> PairedTest:
    """Exact McNemar test for paired 0/1 scores.

    Only the discordant items count: among the ``m`` items where exactly one model is
    right, the number ``w`` where A is right is Binomial(m, 1/2) under the null.

    Parameters
    ----------
    a, b
        0/1 values of the two models on the same items, in the same order.
    alternative
        ``"two-sided"``, ``"greater"`` (A better) or ``"less"``.
    confidence
        Level of the interval of the difference of proportions (t interval) and of the
        exact (Clopper-Pearson) interval of the odds ratio ``w / (m - w)``.
    nan_policy
        ``"omit"`` or ``"raise"``.

    References
    ----------
    McNemar, Q. (1947). Note on the sampling error of the difference between correlated
    proportions or percentages. *Psychometrika* 12(2), 153-157.
    Agresti, A. (2013). *Categorical Data Analysis*, 3rd ed., sec. 11.1.
    """
    func = "mcnemar_test"
    check_choice(alternative, Alternative, "alternative", func)
    check_confidence(confidence, func)
    p = _pairs(a, b, None, nan_policy, func)
    both = np.concatenate([p.a, p.b])
    bad = both[~np.isin(both, (0.0, 1.0))]
    if len(bad):
        raise InputError(
            f"{func}: scores must be 0 or 1; found {float(bad[0]):g}. Use sign_test, "
            "paired_permutation_test or paired_bootstrap for other scores"
        )
    units = units_of(p.d[:, None], None)
    return _discordant(p, units, "exact McNemar test", alternative, confidence, func)


def sign_test(
    a: ArrayLike,
    b: ArrayLike,
    *,
    alternative: Alternative = "two-sided",
    confidence: float = 0.95,
    nan_policy: NanPolicy = "omit",
) -> PairedTest:
    """Exact sign test: among items where the models differ, how often A is higher.

    Ties (equal values) are left out of the test, as in the classical sign test; on 0/1
    scores it is the exact McNemar test.

    Parameters
    ----------
    a, b
        The two models' values on the same items, in the same order.
    alternative
        ``"two-sided"``, ``"greater"`` (A better) or ``"less"``.
    confidence
        Level of the intervals (see :func:`mcnemar_test`).
    nan_policy
        ``"omit"`` or ``"raise"``.

    References
    ----------
    Conover, W. J. (1999). *Practical Nonparametric Statistics*, 3rd ed., sec. 3.4.
    """
    func = "sign_test"
    check_choice(alternative, Alternative, "alternative", func)
    check_confidence(confidence, func)
    p = _pairs(a, b, None, nan_policy, func)
    units = units_of(p.d[:, None], None)
    return _discordant(p, units, "exact sign test", alternative, confidence, func)


def paired_bootstrap_many(
    scores: ArrayLike,
    reference: ArrayLike,
    *,
    clusters: ArrayLike | Sequence[object] | None = None,
    method: IntervalMethod = "percentile",
    alternative: Alternative = "two-sided",
    confidence: float = 0.95,
    resamples: int = 10_000,
    seed: int | np.random.Generator | None = 0,
    nan_policy: NanPolicy = "omit",
) -> tuple[PairedTest, ...]:
    """:func:`paired_bootstrap` of many models against one reference, on shared draws.

    Column ``j`` of ``scores`` (items x models) is compared with ``reference`` (one value
    per item); every comparison uses the same resampled items, so the whole family costs
    one counts-matrix product instead of one bootstrap per model.

    Parameters
    ----------
    scores
        Items x models matrix.
    reference
        The reference model's values on the same items.
    clusters, method, alternative, confidence, resamples, seed
        As for :func:`paired_bootstrap`.
    nan_policy
        ``"omit"``: items where the reference or any model lacks a value are left out of
        every comparison (counted in ``n_missing``); ``"raise"``: reject them.

    Returns
    -------
    tuple of PairedTest
        One per column of ``scores``, in order.

    References
    ----------
    Efron, B. & Tibshirani, R. (1993). *An Introduction to the Bootstrap*, ch. 13-16.
    """
    func = "paired_bootstrap_many"
    check_choice(method, IntervalMethod, "method", func)
    check_choice(alternative, Alternative, "alternative", func)
    check_choice(nan_policy, NanPolicy, "nan_policy", func)
    check_confidence(confidence, func)
    check_resamples(resamples, func)
    rng = resolve_rng(seed, func)
    x = float_array(scores, "scores", func)
    ref = float_vector(reference, "reference", func)
    if x.ndim != 2 or x.shape[0] != len(ref) or x.shape[1] == 0:
        raise InputError(
            f"{func}: 'scores' must be an items x models matrix with one row per reference "
            f"item ({len(ref)}) and at least one column; got shape {x.shape}"
        )
    missing = np.asarray(np.isnan(x).any(axis=1) | np.isnan(ref), dtype=np.bool_)
    keep, codes, n_missing = complete_cases(missing, clusters, nan_policy, func)
    x, ref = x[keep], ref[keep]
    if len(ref) == 0:
        raise InputError(f"{func}: no item has a value for every model (empty input)")
    d = x - ref[:, None]
    units = units_of(d, codes)
    bounds = bootstrap_units(
        units, method=method, confidence=confidence, resamples=resamples, seed=rng
    )
    return _bootstrap_tests(
        [_Pairs(d[:, j], x[:, j], ref, codes, n_missing) for j in range(d.shape[1])],
        units,
        bounds,
        method=method,
        alternative=alternative,
        confidence=confidence,
        resamples=resamples,
        seed=seed,
        params={"shared_draws": d.shape[1]},
    )
