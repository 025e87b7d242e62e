"""Estimating a model's full-benchmark score from its results on a selected subset.

Three estimators, as tinyBenchmarks defines them, each with an interval:

``mean``
    The weighted subset mean ``sum_k w_k y_k``. Its variance is the stratified-sampling
    variance ``sum_s W_s^2 (1 - n_s/N_s) S_s^2 / n_s`` (``W_s`` the weight of stratum
    ``s``, ``n_s`` of its ``N_s`` items observed); ``S_s^2`` is the model's own
    within-stratum variance where it has two or more items there, else the training
    models' mean within-stratum variance, else the pooled variance of its subset scores.
``pirt``
    ``lambda * mean_S(y) + (1 - lambda) * mean_{i not in S} P_i(theta)`` with ``lambda =
    n/N`` and ``theta`` the model's ability estimated from the subset with the item
    parameters fixed. Variance: ``(1 - lambda)^2 [g' Sigma_theta g + sum P_i (1 - P_i) /
    (N - n)^2]``, the delta method through the ability's posterior variance plus the
    Bernoulli noise of the unseen items (assay's choice).
``gpirt``
    ``lambda' * mean + (1 - lambda') * pirt`` with ``lambda' = b^2 / (b^2 + v)``: ``b``
    the mean absolute error of p-IRT on the training models (each model's ability
    re-estimated from the subset alone), ``v`` the mean variance of the ``mean``
    estimator over the training models. Variance: ``lambda'^2 V_mean + (1 - lambda')^2
    V_pirt`` (the two treated as independent; assay's choice).

Intervals are normal, ``estimate +- z * se``, clipped to [0, 1].
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any, Literal, cast, get_args

import numpy as np
from numpy.typing import NDArray
from scipy.stats import norm

from assay._display import TableView
from assay._version import __version__
from assay.analysis.stats._inputs import check_confidence, check_number, float_array
from assay.analysis.subset._selection import Selection, as_matrix, check_irt
from assay.errors import DegenerateDataWarning, InputError, NotFittedError

__all__ = ["EstimatorMethod", "ScoreEstimate", "ScoreEstimator"]

EstimatorMethod = Literal["mean", "pirt", "gpirt"]

_INTERVALS = {
    "mean": "normal; stratified-sampling variance with finite-population correction",
    "pirt": "normal; delta method through the ability posterior + Bernoulli noise of unseen items",
    "gpirt": "normal; weighted combination of the mean and p-IRT variances (independence)",
    "adaptive": "normal; delta method through the ability posterior + Bernoulli noise of unseen items",
}


@dataclass(frozen=True)
class ScoreEstimate(TableView):
    """An estimate of a model's mean score over a whole benchmark, with its interval.

    Attributes
    ----------
    estimate
        The estimated full-benchmark mean score.
    low, high
        The interval at ``confidence`` (clipped to [0, 1]).
    se
        Standard error behind the interval.
    method
        ``"mean"``, ``"pirt"``, ``"gpirt"`` or ``"adaptive"``.
    n, n_items
        Items observed, items of the full benchmark.
    details
        Method-specific quantities (``lambda``, ``ability``, ...).
    """

    estimate: float
    low: float
    high: float
    se: float
    method: str
    n: int
    n_items: int
    confidence: float
    details: dict[str, Any] = field(default_factory=dict)
    signature: dict[str, Any] = field(default_factory=dict)

    @property
    def statistic(self) -> float:
        """The estimate (the name statistics results share)."""
        return self.estimate

    def confidence_interval(self) -> tuple[float, float]:
        """The interval ``(low, high)``."""
        return (self.low, self.high)

    def to_dict(self) -> dict[str, Any]:
        """Plain Python values (JSON-serialisable)."""
        return {
            "estimate": self.estimate,
            "low": self.low,
            "high": self.high,
            "se": self.se,
            "method": self.method,
            "n": self.n,
            "n_items": self.n_items,
            "confidence": self.confidence,
            "details": self.details,
            "signature": self.signature,
        }

    def to_rows(self) -> tuple[list[str], list[list[object]]]:
        """Column names and the one row, for display."""
        cols = ["method", "estimate", f"{self.confidence:.0%} CI", "se", "items seen", "items"]
        return cols, [
            [
                self.method,
                self.estimate,
                f"[{self.low:.4f}, {self.high:.4f}]",
                self.se,
                self.n,
                self.n_items,
            ]
        ]

    @property
    def title(self) -> str:
        return "estimated full-benchmark score"


def _ability(
    irt: Any, responses: NDArray[np.float64], items: NDArray[np.int64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Ability and its posterior covariance for one model, item parameters fixed."""
    out = irt.estimate_ability(responses, items)
    if isinstance(out, tuple):
        theta, se = out[0], out[1]
    else:
        theta = getattr(out, "ability", out)
        se = getattr(out, "se", None)
    theta = np.atleast_1d(np.asarray(theta, dtype=np.float64)).ravel()
    if se is None:
        cov = np.full((theta.size, theta.size), np.nan)
    else:
        se_arr = np.asarray(se, dtype=np.float64)
        cov = se_arr if se_arr.ndim == 2 else np.diag(np.atleast_1d(se_arr).ravel() ** 2)
    return theta, cov


def _proba(irt: Any, theta: NDArray[np.float64], items: NDArray[np.int64]) -> NDArray[np.float64]:
    p = irt.predict_proba(ability=theta.reshape(1, -1), items=items)
    return np.asarray(p, dtype=np.float64).reshape(-1)


class ScoreEstimator:
    """Estimate a held-out model's full-benchmark score from its subset results.

    Parameters
    ----------
    method
        ``"mean"`` (weighted subset mean), ``"pirt"`` or ``"gpirt"`` (see the module
        docstring for the formulas and intervals).
    irt
        A fitted :class:`~assay.analysis.irt.IRT` on the benchmark's items (for
        ``"pirt"``/``"gpirt"``); when ``None``, :meth:`fit` fits ``IRT(model="2pl",
        dims=irt_dims)`` on the training matrix.
    irt_dims
        Dimensions of the IRT fitted when ``irt`` is ``None``.
    confidence
        Two-sided level of the intervals.
    seed
        Seed of the IRT fit.

    Attributes
    ----------
    selection_ : Selection
    irt_ : the IRT model used (``None`` for ``"mean"``)
    bias_ : float
        ``b``, p-IRT's mean absolute error on the training models (``"gpirt"``).
    mean_variance_ : float
        ``v``, the ``mean`` estimator's average variance over the training models.
    lambda_ : float
        ``lambda'`` of gp-IRT (weight of the subset mean).

    References
    ----------
    Polo, F. M. et al. (2024). tinyBenchmarks: evaluating LLMs with fewer examples.
    *ICML*. arXiv:2402.14992 (p-IRT and gp-IRT; code felipemaiapolo/tinyBenchmarks).
    Cochran, W. G. (1977). *Sampling Techniques*, 3rd ed., ch. 5 (stratified variance).
    """

    def __init__(
        self,
        method: EstimatorMethod = "gpirt",
        *,
        irt: Any = None,
        irt_dims: int = 1,
        confidence: float = 0.95,
        seed: int = 0,
    ) -> None:
        self.method = method
        self.irt = irt
        self.irt_dims = irt_dims
        self.confidence = confidence
        self.seed = seed

    def get_params(self) -> dict[str, Any]:
        """The constructor parameters."""
        return {k: v for k, v in vars(self).items() if not k.endswith("_")}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"ScoreEstimator({args})"

    # ------------------------------------------------------------------ fitting
    def fit(self, Y: Any, selection: Selection) -> ScoreEstimator:
        """Learn what the estimator needs from the training models' matrix ``Y``.

        ``Y`` (models x items, ``ItemMatrix`` or array) must have the selection's items
        as columns, in the same order. For ``"mean"`` it may have no rows.
        """
        if self.method not in get_args(EstimatorMethod):
            raise InputError(
                f"the 'method' parameter of ScoreEstimator must be one of "
                f"{list(get_args(EstimatorMethod))}; got {self.method!r}"
            )
        check_confidence(self.confidence, "ScoreEstimator")
        if not isinstance(selection, Selection):
            raise InputError(
                f"the 'selection' parameter of ScoreEstimator.fit must be a Selection; "
                f"got {type(selection).__name__}"
            )
        if self.method != "mean":
            if self.irt is None:
                check_number(
                    self.irt_dims, "irt_dims", "ScoreEstimator", low=1, strict=False, integer=True
                )
            else:
                check_irt(self.irt, "ScoreEstimator", selection.n_items)
        arr, _ = as_matrix(Y, selection.item_ids, caller="ScoreEstimator.fit")
        self.selection_ = selection
        self.irt_ = None
        self.bias_ = float("nan")
        self.lambda_ = float("nan")
        rows_ok = np.isfinite(arr[:, selection.indices]).all(axis=1)
        self.mean_variance_ = (
            float(np.mean(self._mean_arrays(arr[rows_ok][:, selection.indices])[1]))
            if rows_ok.any()
            else float("nan")
        )
        if self.method == "mean":
            return self
        if arr.shape[0] < 2 and self.irt is None:
            raise InputError(
                f"ScoreEstimator(method={self.method!r}) fits an IRT model on the training "
                f"models and needs at least two; got {arr.shape[0]}"
            )
        if self.irt is None:
            from assay.analysis.irt import IRT

            self.irt_ = IRT(model="2pl", dims=self.irt_dims, seed=self.seed).fit(arr)
        else:
            self.irt_ = self.irt
        if self.method == "gpirt":
            # p-IRT's error on the training models, each from the selected items it has
            # scores on (a model missing some is estimated from the rest)
            sub = arr[:, selection.indices]
            usable = np.isfinite(sub).any(axis=1)
            if not usable.any():
                raise InputError(
                    "gp-IRT needs training models with scores on the selected items to "
                    "estimate the IRT bias; none has any"
                )
            errors = []
            for row, full in zip(sub[usable], arr[usable], strict=True):
                seen = np.isfinite(row)
                est = self._pirt(row[seen], selection.indices[seen])[0]
                errors.append(abs(est - float(np.nanmean(full))))
            self.bias_ = float(np.mean(errors))
            v = self.mean_variance_
            denom = self.bias_**2 + v
            self.lambda_ = float(self.bias_**2 / denom) if denom > 0 else 0.5
        return self

    def _fitted(self) -> Selection:
        sel = getattr(self, "selection_", None)
        if sel is None:
            raise NotFittedError("this ScoreEstimator is not fitted yet; call fit(Y, selection)")
        return cast(Selection, sel)

    # ------------------------------------------------------------------ estimators
    def _mean_arrays(
        self, R: NDArray[np.float64]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Weighted means and their variances for complete rows ``R`` (models x selected)."""
        sel = self.selection_
        w = sel.weights
        est = R @ w
        strata_sel = sel.strata[sel.indices]
        sizes = np.bincount(sel.strata, minlength=int(sel.strata.max()) + 1)
        var = np.zeros(R.shape[0])
        pooled = np.var(R, axis=1, ddof=1) if R.shape[1] >= 2 else np.full(R.shape[0], 0.25)
        for s in np.unique(strata_sel):
            cols = np.flatnonzero(strata_sel == s)
            n_s, N_s = cols.size, int(sizes[s])
            if n_s >= N_s:
                continue  # the whole stratum is observed
            if n_s >= 2:
                s2 = np.var(R[:, cols], axis=1, ddof=1)
            elif s < sel.stratum_variance.size and np.isfinite(sel.stratum_variance[s]):
                s2 = np.full(R.shape[0], sel.stratum_variance[s])
            else:
                s2 = pooled
            W = w[cols].sum()
            var += W**2 * (1.0 - n_s / N_s) * s2 / n_s
        return est, var

    def _pirt(
        self, y: NDArray[np.float64], seen: NDArray[np.int64] | None = None
    ) -> tuple[float, float, dict[str, Any]]:
        """p-IRT from scores ``y`` on the items ``seen`` (default: the selection)."""
        sel = self.selection_
        irt = self.irt_
        seen = sel.indices if seen is None else seen
        N = sel.n_items
        lam = seen.size / N
        theta, cov = _ability(irt, y, seen)
        unseen = np.setdiff1d(np.arange(N), seen)
        if unseen.size == 0:
            return float(y.mean()), 0.0, {"ability": theta.tolist(), "lambda": 1.0}
        p = _proba(irt, theta, unseen)
        est = lam * float(y.mean()) + (1 - lam) * float(p.mean())
        # delta method: numerical gradient of the unseen items' mean in the ability
        h = 1e-4
        grad = np.empty(theta.size)
        for d in range(theta.size):
            step = np.zeros(theta.size)
            step[d] = h
            grad[d] = (
                _proba(irt, theta + step, unseen).mean() - _proba(irt, theta - step, unseen).mean()
            ) / (2 * h)
        ability_var = float(grad @ cov @ grad) if np.all(np.isfinite(cov)) else 0.0
        noise = float((p * (1 - p)).sum()) / unseen.size**2
        var = (1 - lam) ** 2 * (ability_var + noise)
        return est, var, {"ability": theta.tolist(), "lambda": lam}

    def estimate(self, responses: Any) -> ScoreEstimate:
        """The estimate for one model from its scores on the selected items.

        ``responses`` is aligned with ``selection_.items`` (a sequence, an array, or a
        ``{item_id: score}`` mapping); missing items (NaN or absent) are left out with a
        :class:`~assay.errors.DegenerateDataWarning` and the weights renormalised.
        """
        sel = self._fitted()
        y = self._responses(responses, sel)
        observed = np.isfinite(y)
        est_obj: ScoreEstimator = self
        if not observed.all():
            if not observed.any():
                raise InputError(
                    "ScoreEstimator.estimate: no scores on any selected item; nothing to "
                    "estimate from"
                )
            warnings.warn(
                f"{int((~observed).sum())} of {sel.budget} selected items have no score; "
                "estimating from the others",
                DegenerateDataWarning,
                stacklevel=2,
            )
            est_obj = self._restricted(observed)
            y = y[observed]
        return est_obj._one(y)

    def _restricted(self, observed: NDArray[np.bool_]) -> ScoreEstimator:
        sel = self.selection_
        sub = Selection(
            method=sel.method,
            item_ids=sel.item_ids,
            indices=sel.indices[observed],
            weights=sel.weights[observed] / sel.weights[observed].sum(),
            strata=sel.strata,
            stratum_variance=sel.stratum_variance,
            params=sel.params,
        )
        clone = ScoreEstimator(**self.get_params())
        clone.__dict__.update({k: v for k, v in vars(self).items() if k.endswith("_")})
        clone.selection_ = sub
        return clone

    def _one(self, y: NDArray[np.float64]) -> ScoreEstimate:
        sel = self.selection_
        mean_est, mean_var = self._mean_arrays(y[None, :])
        details: dict[str, Any] = {}
        if self.method == "mean":
            est, var = float(mean_est[0]), float(mean_var[0])
        else:
            p_est, p_var, details = self._pirt(y)
            if self.method == "pirt":
                est, var = p_est, p_var
            else:
                lam = self.lambda_
                est = lam * float(mean_est[0]) + (1 - lam) * p_est
                var = lam**2 * float(mean_var[0]) + (1 - lam) ** 2 * p_var
                details = {
                    **details,
                    "lambda_pirt": details.get("lambda"),
                    "lambda": lam,
                    "bias": self.bias_,
                    "mean_variance": self.mean_variance_,
                    "mean_estimate": float(mean_est[0]),
                    "pirt_estimate": p_est,
                }
        return _make_estimate(est, var, self.method, sel, self.confidence, details, irt=self.irt_)

    @staticmethod
    def _responses(responses: Any, sel: Selection) -> NDArray[np.float64]:
        where = "the 'responses' parameter of ScoreEstimator.estimate"
        try:
            if isinstance(responses, dict):
                y = np.array([float(responses.get(i, np.nan)) for i in sel.items], dtype=np.float64)
            else:
                y = np.asarray(responses, dtype=np.float64).ravel()
        except (TypeError, ValueError) as exc:
            raise InputError(f"{where} must hold scores (numbers in [0, 1]); {exc}") from None
        if y.size != sel.budget:
            raise InputError(
                f"{where}: expected one score per selected item ({sel.budget}); got {y.size}"
            )
        if np.isinf(y).any():
            raise InputError(f"{where}: scores must lie in [0, 1] (NaN = missing); got inf")
        fin = y[np.isfinite(y)]
        if fin.size and (fin.min() < 0 or fin.max() > 1):
            raise InputError(
                f"{where}: scores must lie in [0, 1]; got values in "
                f"[{fin.min():.4g}, {fin.max():.4g}]"
            )
        return y

    def estimate_many(self, R: Any) -> list[ScoreEstimate]:
        """:meth:`estimate` for each row of ``R`` (models x selected items)."""
        arr = float_array(R, "R", "ScoreEstimator.estimate_many", ndim=2)
        return [self.estimate(row) for row in arr]


def _make_estimate(
    est: float,
    var: float,
    method: str,
    sel: Selection,
    confidence: float,
    details: dict[str, Any],
    *,
    irt: Any,
) -> ScoreEstimate:
    se = float(np.sqrt(max(var, 0.0)))
    z = float(norm.ppf(0.5 + confidence / 2))
    return ScoreEstimate(
        estimate=float(est),
        low=float(max(0.0, est - z * se)),
        high=float(min(1.0, est + z * se)),
        se=se,
        method=method,
        n=sel.budget,
        n_items=sel.n_items,
        confidence=confidence,
        details=details,
        signature={
            "method": method,
            "interval": _INTERVALS[method],
            "selection": sel.signature,
            "irt": None if irt is None else repr(irt),
            "n": sel.budget,
            "resamples": 0,
            "seed": sel.params.get("seed"),
            "assay_version": __version__,
        },
    )
