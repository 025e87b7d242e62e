"""Item response models (Rasch, 2PL, multidimensional 2PL) fitted on model x item scores."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, Literal, Self, get_args

import numpy as np
from numpy.typing import NDArray
from scipy.special import expit

from assay._display import html_table, rich_table
from assay._version import __version__
from assay.analysis.irt._matrix import ItemMatrix, as_array
from assay.analysis.irt._solver import (
    Priors,
    ability_covariance,
    ability_newton,
    fit_joint,
    item_covariance,
    item_newton,
    max_change,
)
from assay.analysis.stats._inputs import check_confidence
from assay.errors import ConvergenceWarning, DegenerateDataWarning, InputError, NotFittedError

__all__ = ["IRT", "AbilityEstimate", "IRTModel", "ScoreKind"]

IRTModel = Literal["rasch", "2pl", "m2pl"]
ScoreKind = Literal["auto", "binary", "fractional"]
AbilityMethod = Literal["map", "eap"]

_CLIP = 30.0


@dataclass(frozen=True, slots=True)
class AbilityEstimate:
    """The ability of one model estimated from its scores on some items, items fixed.

    Attributes
    ----------
    ability
        Shape ``(dims,)``.
    se
        Posterior standard deviation of each dimension, shape ``(dims,)``.
    cov
        Posterior covariance, shape ``(dims, dims)``.
    n_items
        Items the estimate used (missing scores are skipped).
    method
        ``"map"`` (posterior mode, Laplace covariance) or ``"eap"`` (posterior mean and
        standard deviation by quadrature; one dimension only).
    """

    ability: NDArray[np.float64]
    se: NDArray[np.float64]
    cov: NDArray[np.float64]
    n_items: int
    method: str

    def confidence_interval(
        self, confidence: float = 0.95
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Normal-approximation interval of each ability dimension."""
        from scipy.stats import norm

        check_confidence(confidence, "AbilityEstimate.confidence_interval")
        z = float(norm.ppf(0.5 + confidence / 2))
        return self.ability - z * self.se, self.ability + z * self.se

    def to_dict(self) -> dict[str, Any]:
        return {
            "ability": self.ability.tolist(),
            "se": self.se.tolist(),
            "n_items": self.n_items,
            "method": self.method,
        }


class IRT:
    """Rasch, 2PL or multidimensional 2PL item response model, fitted by joint MAP.

    The probability that model ``m`` gets item ``i`` right is

    ``P(y_mi = 1) = sigmoid(a_i . theta_m - b_i)``

    with ability ``theta_m`` (``dims`` values), discrimination ``a_i`` (``dims`` values;
    1 for Rasch) and difficulty ``b_i`` in this *slope-intercept* form (tinyBenchmarks'
    parameterisation; for Rasch and 1-d 2PL the item's difficulty on the ability scale is
    ``b_i / a_i``). Scores in [0, 1] that are not 0/1 (pass rates, rescaled grades) enter
    the Bernoulli likelihood as fractional targets.

    Estimation (assay's choice): joint maximum a posteriori of all abilities and item
    parameters, by alternating Newton steps that are vectorised over all items and all
    models (see :mod:`assay.analysis.irt._solver`), with Gaussian priors:
    ``theta ~ N(0, I)`` (``N(0, 9)`` for Rasch), ``b ~ N(0, 5^2)``, and for the
    discriminations an empirical-Bayes prior found in two stages: first ``N(1, 0.5^2)``,
    then ``N(mean, sd^2)`` with the mean and spread of the slopes estimated from the
    first stage (``signature_["params"]["priors"]`` records it). With tens of models, as
    on most leaderboards, unregularised joint estimation overfits the slopes and distorts
    the abilities; the priors keep every estimate finite and the fit stable. Joint
    estimation scales to leaderboard matrices (thousands of models, tens of thousands of
    items) where marginal maximum likelihood by EM with quadrature does not for
    ``dims > 1``; with many items per model and many models per item, as on benchmarks,
    its incidental-parameter bias is small.

    Identification: after every sweep abilities are shifted to mean 0 and, except for
    Rasch, linearly transformed to standard deviation 1 (identity covariance for m2PL),
    with item parameters transformed so that every probability is unchanged. Each
    dimension's sign is chosen so that ability increases with the mean score. For m2PL
    a rotation of the ability space remains unidentified: abilities and discriminations
    are determined up to a common rotation, probabilities are not affected. Rasch fixes
    only the mean; the spread of abilities is estimated.

    Standard errors are the square roots of the diagonal of the inverse of each
    parameter block's negative Hessian of the log-posterior (every item's parameters
    with abilities fixed; every model's ability with items fixed).

    Parameters
    ----------
    model
        ``"rasch"``, ``"2pl"`` or ``"m2pl"`` (multidimensional 2PL; ``dims >= 2``).
    dims
        Ability dimensions: 1 for Rasch and 2PL.
    scores
        ``"auto"``: 0/1 scores are binary, anything else in [0, 1] fractional.
        ``"binary"``: scores must be 0/1 (an error otherwise). ``"fractional"``: accept
        any score in [0, 1].
    max_iter, tol
        At most ``max_iter`` sweeps; converged when no parameter moved more than ``tol``
        in a sweep.
    seed
        Unused by the deterministic fit (initial values come from the data); kept for
        the common signature of fitted objects and recorded in it.

    Attributes
    ----------
    ability_, ability_se_ : ndarray of shape (n_models, dims)
    difficulty_, difficulty_se_ : ndarray of shape (n_items,)
    discrimination_, discrimination_se_ : ndarray of shape (n_items, dims)
        Ones (and zero SE) for Rasch.
    models_, items_ : tuple of str
    dropped_models_, dropped_items_ : tuple of str
        Models without responses (ability NaN); items without responses (parameters
        NaN) or with the same score from every model (see ``constant_items_``).
    constant_items_ : tuple of str
        All-correct / all-wrong items: left out of the calibration, then given MAP
        parameters with abilities fixed (finite thanks to the priors) so predictions on
        them stay defined.
    log_likelihood_, n_iter_, converged_, binary_, signature_

    References
    ----------
    Rasch, G. (1960). *Probabilistic Models for Some Intelligence and Attainment Tests*.
    Birnbaum, A. (1968). Some latent trait models. In Lord & Novick, *Statistical
    Theories of Mental Test Scores*.
    Reckase, M. D. (2009). *Multidimensional Item Response Theory*. Springer.
    Polo, F. M. et al. (2024). tinyBenchmarks: evaluating LLMs with fewer examples.
    ICML 2024, arXiv:2402.14992.
    """

    def __init__(
        self,
        model: IRTModel = "2pl",
        dims: int = 1,
        *,
        scores: ScoreKind = "auto",
        max_iter: int = 200,
        tol: float = 1e-4,
        seed: int | np.random.Generator | None = 0,
    ) -> None:
        self.model = model
        self.dims = dims
        self.scores = scores
        self.max_iter = max_iter
        self.tol = tol
        self.seed = seed

    # ------------------------------------------------------------------ validation
    def _check_params(self) -> None:
        if self.model not in get_args(IRTModel):
            raise InputError(
                f"the 'model' parameter of IRT must be one of {list(get_args(IRTModel))}; "
                f"got {self.model!r}"
            )
        if self.scores not in get_args(ScoreKind):
            raise InputError(
                f"the 'scores' parameter of IRT must be one of {list(get_args(ScoreKind))}; "
                f"got {self.scores!r}"
            )
        if not isinstance(self.dims, int | np.integer) or self.dims < 1:
            raise InputError(f"the 'dims' parameter of IRT must be an int >= 1; got {self.dims!r}")
        if self.model in ("rasch", "2pl") and self.dims != 1:
            raise InputError(
                f"the 'dims' parameter of IRT must be 1 for model={self.model!r}; got "
                f"{self.dims}; use model='m2pl' for several dimensions"
            )
        if not isinstance(self.max_iter, int | np.integer) or self.max_iter < 1:
            raise InputError(
                f"the 'max_iter' parameter of IRT must be an int >= 1; got {self.max_iter!r}"
            )
        if not (isinstance(self.tol, float | int) and self.tol > 0):
            raise InputError(f"the 'tol' parameter of IRT must be a number > 0; got {self.tol!r}")

    # ------------------------------------------------------------------ fitting
    def fit(self, Y: ItemMatrix | NDArray[np.float64] | Any) -> Self:
        """Fit on a models x items matrix (``ItemMatrix`` or array; NaN = missing).

        Models without any response and items without any response are dropped with a
        :class:`DegenerateDataWarning` that counts them (their parameters are NaN); items
        answered the same way by every model are left out of the calibration with a
        warning and given prior-regularised parameters afterwards.
        """
        self._check_params()
        arr, item_labels = as_array(Y, "IRT.fit")
        M, N = arr.shape
        models = tuple(Y.models) if isinstance(Y, ItemMatrix) else tuple(map(str, range(M)))
        items = item_labels if item_labels is not None else tuple(map(str, range(N)))
        observed = np.isfinite(arr)
        values = arr[observed]
        binary = bool(np.all((values == 0) | (values == 1)))
        if self.scores == "binary" and not binary:
            bad = values[(values != 0) & (values != 1)]
            raise InputError(
                f"IRT(scores='binary') needs 0/1 scores; got {bad.size} non-binary values "
                f"(e.g. {bad[0]:.4g}); use scores='fractional' for scores in [0, 1] or "
                "threshold them first"
            )
        model_ok: NDArray[np.bool_] = np.asarray(observed.any(axis=1))
        item_ok: NDArray[np.bool_] = np.asarray(observed.any(axis=0))
        with np.errstate(invalid="ignore"):
            lo = np.where(observed, arr, np.inf).min(axis=0)
            hi = np.where(observed, arr, -np.inf).max(axis=0)
        constant: NDArray[np.bool_] = np.asarray(item_ok & (lo == hi) & ((lo == 0) | (lo == 1)))
        calib = item_ok & ~constant
        n_drop_m, n_drop_i, n_const = (
            int((~model_ok).sum()),
            int((~item_ok).sum()),
            int(constant.sum()),
        )
        if model_ok.sum() < 2 or calib.sum() < 2:
            raise InputError(
                f"IRT.fit needs at least 2 models and 2 informative items; got "
                f"{int(model_ok.sum())} model(s) with responses and {int(calib.sum())} "
                "item(s) that not every model got right (or wrong)"
            )
        if n_drop_m or n_drop_i:
            warnings.warn(
                f"IRT.fit dropped {n_drop_m} model(s) and {n_drop_i} item(s) without any "
                "response; their parameters are NaN",
                DegenerateDataWarning,
                stacklevel=2,
            )
        if n_const:
            n_right = int((constant & (lo == 1)).sum())
            warnings.warn(
                f"IRT.fit left {n_const} item(s) out of the calibration because every model "
                f"scored the same on them ({n_right} all-correct, {n_const - n_right} "
                "all-wrong); they carry no information about abilities and get "
                "prior-regularised parameters (see constant_items_)",
                DegenerateDataWarning,
                stacklevel=2,
            )
        sub = arr[np.ix_(model_ok, calib)]
        W = np.isfinite(sub)
        Ysub = np.where(W, sub, 0.0)
        mask = None if W.all() else W.astype(np.float64)
        priors = Priors()
        rasch = self.model == "rasch"
        dims = int(self.dims)
        res = fit_joint(
            Ysub,
            mask,
            dims=dims,
            rasch=rasch,
            priors=priors,
            max_iter=int(self.max_iter),
            tol=float(self.tol),
        )
        if not res.converged:
            warnings.warn(
                f"IRT.fit did not converge in {self.max_iter} sweeps (tol={self.tol}); "
                "raise max_iter",
                ConvergenceWarning,
                stacklevel=2,
            )
        theta = np.full((M, dims), np.nan)
        theta_se = np.full((M, dims), np.nan)
        theta[model_ok] = res.theta
        theta_se[model_ok] = np.sqrt(np.diagonal(res.theta_cov, axis1=1, axis2=2))
        a = np.full((N, dims), np.nan)
        b = np.full(N, np.nan)
        a_se = np.full((N, dims), np.nan)
        b_se = np.full(N, np.nan)
        a[calib], b[calib] = res.a, res.b
        item_se = np.sqrt(np.diagonal(res.item_cov, axis1=1, axis2=2))
        if rasch:
            a_se[calib] = 0.0
            b_se[calib] = item_se[:, 0]
        else:
            a_se[calib] = item_se[:, :dims]
            b_se[calib] = item_se[:, dims]
        if n_const:
            ca, cb, cse = _constant_items(
                arr[np.ix_(model_ok, constant)], res.theta, rasch=rasch, priors=res.priors
            )
            a[constant], b[constant] = ca, cb
            a_se[constant] = 0.0 if rasch else cse[:, :dims]
            b_se[constant] = cse[:, -1]
        self.ability_ = theta
        self.ability_se_ = theta_se
        self.difficulty_ = b
        self.difficulty_se_ = b_se
        self.discrimination_ = a
        self.discrimination_se_ = a_se
        self.models_ = models
        self.items_ = items
        self.dropped_models_ = tuple(
            m for m, ok in zip(models, list(model_ok), strict=True) if not ok
        )
        self.dropped_items_ = tuple(
            i for i, ok, c in zip(items, list(item_ok), list(constant), strict=True) if not ok or c
        )
        self.constant_items_ = tuple(i for i, c in zip(items, list(constant), strict=True) if c)
        self.binary_ = binary
        self.log_likelihood_ = res.log_likelihood
        self.n_iter_ = res.n_iter
        self.converged_ = res.converged
        self.ability_cov_ = np.atleast_2d(np.cov(res.theta, rowvar=False))
        self.signature_ = {
            "method": f"irt-{self.model}-joint-map",
            "params": {
                "model": self.model,
                "dims": dims,
                "scores": self.scores,
                "max_iter": int(self.max_iter),
                "tol": float(self.tol),
                "priors": {
                    "ability_sd": priors.ability * (3.0 if rasch else 1.0),
                    "discrimination_mean": np.atleast_1d(res.priors.discrimination_mean).tolist(),
                    "discrimination_sd": np.atleast_1d(res.priors.discrimination).tolist(),
                    "difficulty_sd": priors.difficulty,
                },
            },
            "version": __version__,
            "n": int(observed.sum()),
            "n_models": M,
            "n_items": N,
            "resamples": 0,
            "seed": self.seed if isinstance(self.seed, int | None) else "generator",
        }
        return self

    # ------------------------------------------------------------------ using the fit
    def _check_fitted(self, what: str) -> None:
        if not hasattr(self, "difficulty_"):
            raise NotFittedError(f"this IRT is not fitted yet; call fit before {what}")

    def _items(self, items: Any, caller: str) -> NDArray[np.int64]:
        n = self.difficulty_.shape[0]
        if items is None:
            return np.arange(n)
        idx = np.asarray(items)
        if idx.dtype == bool:
            if idx.shape != (n,):
                raise InputError(f"a boolean 'items' mask for {caller} must have length {n}")
            return np.flatnonzero(idx)
        if idx.dtype.kind in "US" or idx.dtype == object:
            pos = {label: k for k, label in enumerate(self.items_)}
            missing = [str(i) for i in idx.ravel() if str(i) not in pos]
            if missing:
                raise InputError(f"unknown item(s) for {caller}: {missing[:5]}")
            return np.array([pos[str(i)] for i in idx.ravel()], dtype=np.int64)
        if idx.dtype.kind not in "iuf" or (
            idx.dtype.kind == "f" and not np.all(np.isfinite(idx) & (idx == np.round(idx)))
        ):
            raise InputError(
                f"the 'items' parameter of {caller} must hold item indices (integers), item "
                f"labels or a boolean mask; got {np.asarray(items).ravel()[:5].tolist()}"
            )
        idx = idx.astype(np.int64).ravel()
        if idx.size and (idx.min() < -n or idx.max() >= n):
            raise InputError(f"item indices for {caller} must lie in [0, {n}); got {idx.max()}")
        return idx

    def _ability(self, ability: Any, caller: str) -> NDArray[np.float64]:
        if ability is None:
            return self.ability_
        theta = _floats(ability, "ability", caller)
        if not np.all(np.isfinite(theta)):
            raise InputError(f"the 'ability' parameter of {caller} must be finite; got {ability!r}")
        d = self.discrimination_.shape[1]
        if theta.ndim == 0 or (theta.ndim == 1 and d > 1):
            theta = theta.reshape(1, -1)
        elif theta.ndim == 1:
            theta = theta.reshape(-1, 1)
        if theta.ndim != 2 or theta.shape[1] != d:
            raise InputError(
                f"the 'ability' parameter of {caller} must have {d} column(s); got shape "
                f"{np.shape(ability)}"
            )
        return theta

    def predict_proba(self, ability: Any = None, items: Any = None) -> NDArray[np.float64]:
        """``P(correct)`` for each ability (row) and item (column).

        Parameters
        ----------
        ability
            ``(n, dims)`` abilities (a 1-d array is ``n`` abilities when ``dims == 1``);
            the fitted abilities by default.
        items
            Item indices, labels or a boolean mask; all items by default.
        """
        self._check_fitted("predict_proba")
        theta = self._ability(ability, "IRT.predict_proba")
        idx = self._items(items, "IRT.predict_proba")
        z = theta @ self.discrimination_[idx].T - self.difficulty_[idx]
        return np.asarray(expit(np.clip(z, -_CLIP, _CLIP)))

    def item_information(self, theta: Any, items: Any = None) -> NDArray[np.float64]:
        """Fisher information of each item at each ability.

        Returns ``p (1 - p) a_i a_i^T``: shape ``(n, n_items)`` when ``dims == 1`` and
        ``(n, n_items, dims, dims)`` otherwise.
        """
        self._check_fitted("item_information")
        th = self._ability(theta, "IRT.item_information")
        idx = self._items(items, "IRT.item_information")
        p = self.predict_proba(th, idx)
        w = p * (1.0 - p)
        a = self.discrimination_[idx]
        if a.shape[1] == 1:
            return np.asarray(w * a[:, 0] ** 2)
        return np.asarray(w[:, :, None, None] * (a[:, :, None] * a[:, None, :])[None])

    def test_information(self, theta: Any, items: Any = None) -> NDArray[np.float64]:
        """Sum of :meth:`item_information` over the items: ``(n,)`` or ``(n, dims, dims)``."""
        return np.asarray(np.nansum(self.item_information(theta, items), axis=1))

    def estimate_ability(
        self,
        responses: Any,
        items: Any = None,
        *,
        method: AbilityMethod = "map",
    ) -> AbilityEstimate:
        """The ability of a new model from its scores on some items, items held fixed.

        Parameters
        ----------
        responses
            Scores in [0, 1] (NaN = skipped), one per item in ``items``.
        items
            Item indices, labels or a mask; all items when omitted.
        method
            ``"map"``: posterior mode by Newton's method with the fitted ability
            distribution ``N(0, cov(ability_))`` as prior (keeps all-correct or all-wrong
            subsets finite; assay's choice; tinyBenchmarks uses the unpenalised MLE) and the
            Laplace covariance. ``"eap"``: posterior mean and standard deviation by
            61-point adaptive Gauss-Hermite quadrature (``dims == 1`` only).
        """
        self._check_fitted("estimate_ability")
        if method not in get_args(AbilityMethod):
            raise InputError(
                f"the 'method' parameter of IRT.estimate_ability must be one of "
                f"{list(get_args(AbilityMethod))}; got {method!r}"
            )
        d = self.discrimination_.shape[1]
        if method == "eap" and d != 1:
            raise InputError("IRT.estimate_ability(method='eap') needs dims == 1; use 'map'")
        idx = self._items(items, "IRT.estimate_ability")
        y = _floats(responses, "responses", "IRT.estimate_ability").ravel()
        if y.shape != idx.shape:
            raise InputError(f"IRT.estimate_ability got {y.size} responses for {idx.size} items")
        if np.isinf(y).any():
            raise InputError(
                "the 'responses' of IRT.estimate_ability must lie in [0, 1] (NaN = skipped); "
                "got infinite values"
            )
        ok = np.isfinite(y) & np.isfinite(self.difficulty_[idx])
        if ok.any() and (y[ok].min() < 0 or y[ok].max() > 1):
            raise InputError("the 'responses' of IRT.estimate_ability must lie in [0, 1]")
        if not ok.any():
            warnings.warn(
                "IRT.estimate_ability got no scored item (every response NaN, or only items "
                "without parameters); the estimate is the prior: ability 0 with the prior's spread",
                DegenerateDataWarning,
                stacklevel=2,
            )
        y, idx = y[ok], idx[ok]
        a, b = self.discrimination_[idx], self.difficulty_[idx]
        prior_cov = self.ability_cov_ + 1e-9 * np.eye(d)
        if not y.size:
            return AbilityEstimate(
                ability=np.zeros(d),
                se=np.sqrt(np.diag(prior_cov)),
                cov=prior_cov,
                n_items=0,
                method=method,
            )
        prec = np.asarray(np.linalg.inv(prior_cov), dtype=np.float64)
        theta = np.zeros((1, d))
        Y = y[None, :]
        for _ in range(100):
            new, _ = ability_newton(Y, None, theta, a, b, prior_precision=prec)
            done = max_change((new, theta)) < 1e-8
            theta = new
            if done:
                break
        c = ability_covariance(Y, None, theta, a, b, prior_precision=prec)[0]
        if method == "eap":
            spread = float(np.sqrt(c[0, 0]))
            return _eap(y, a[:, 0], b, float(np.sqrt(prior_cov[0, 0])), float(theta[0, 0]), spread)
        return AbilityEstimate(
            ability=theta[0], se=np.sqrt(np.diag(c)), cov=c, n_items=int(y.size), method="map"
        )

    # ------------------------------------------------------------------ display
    def to_rows(self) -> tuple[list[str], list[list[Any]]]:
        """Item parameters as a table (one row per item)."""
        self._check_fitted("to_rows")
        d = self.discrimination_.shape[1]
        cols = ["item", "difficulty", "difficulty_se"]
        cols += ["discrimination"] if d == 1 else [f"a{k + 1}" for k in range(d)]
        rows = []
        for k, item in enumerate(self.items_):
            row: list[Any] = [item, float(self.difficulty_[k]), float(self.difficulty_se_[k])]
            row += [float(x) for x in self.discrimination_[k]]
            rows.append(row)
        return cols, rows

    def __rich__(self) -> object:
        if not hasattr(self, "difficulty_"):
            return repr(self)
        cols, rows = self.to_rows()
        return rich_table(cols, rows, title=f"IRT ({self.model}) item parameters")

    def _repr_html_(self) -> str:
        if not hasattr(self, "difficulty_"):
            return f"<pre>{self!r}</pre>"
        cols, rows = self.to_rows()
        return html_table(cols, rows, title=f"IRT ({self.model}) item parameters")

    def __repr__(self) -> str:
        return (
            f"IRT(model={self.model!r}, dims={self.dims!r}, scores={self.scores!r}, "
            f"max_iter={self.max_iter!r}, tol={self.tol!r}, seed={self.seed!r})"
        )


def _floats(value: Any, name: str, caller: str) -> NDArray[np.float64]:
    """``value`` as a float array; an InputError names the parameter when it is not numbers."""
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InputError(
            f"the {name!r} parameter of {caller} must be an array of numbers (rows of equal "
            f"length); {exc}"
        ) from None


def _constant_items(
    Y: NDArray[np.float64], theta: NDArray[np.float64], *, rasch: bool, priors: Priors
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """MAP parameters of all-correct / all-wrong items with abilities fixed."""
    W = np.isfinite(Y)
    Yf = np.where(W, Y, 0.0)
    mask = None if W.all() else W.astype(np.float64)
    n, d = Y.shape[1], theta.shape[1]
    a = np.ones((n, d)) if rasch or d == 1 else np.zeros((n, d))
    b = np.zeros(n)
    for _ in range(60):
        a_new, b_new, _ = item_newton(Yf, mask, theta, a, b, rasch=rasch, priors=priors)
        done = max_change((a_new, a), (b_new, b)) < 1e-6
        a, b = a_new, b_new
        if done:
            break
    cov = item_covariance(Yf, mask, theta, a, b, rasch=rasch, priors=priors)
    se = np.sqrt(np.diagonal(cov, axis1=1, axis2=2))
    return a, b, se


def _eap(
    y: NDArray[np.float64],
    a: NDArray[np.float64],
    b: NDArray[np.float64],
    sd: float,
    mode: float,
    spread: float,
) -> AbilityEstimate:
    """Posterior mean and sd by adaptive Gauss-Hermite quadrature (61 nodes) centred on the
    posterior mode with the Laplace spread, so narrow posteriors are integrated accurately."""
    nodes, weights = np.polynomial.hermite_e.hermegauss(61)
    theta = mode + spread * nodes
    z = np.clip(np.outer(theta, a) - b, -_CLIP, _CLIP)
    log_post = (y * z - np.logaddexp(0.0, z)).sum(axis=1) - 0.5 * (theta / sd) ** 2
    log_w = log_post + 0.5 * nodes**2 + np.log(weights)
    w = np.exp(log_w - log_w.max())
    w /= w.sum()
    mean = float(w @ theta)
    var = float(w @ (theta - mean) ** 2)
    return AbilityEstimate(
        ability=np.array([mean]),
        se=np.array([np.sqrt(var)]),
        cov=np.array([[var]]),
        n_items=int(y.size),
        method="eap",
    )
