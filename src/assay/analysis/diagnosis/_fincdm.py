"""FinCDM-style cognitive diagnosis: non-negative co-factorisation of scores and Q-matrix."""

from __future__ import annotations

import warnings
from typing import Any, Self

import numpy as np
from numpy.typing import NDArray

from assay._version import __version__
from assay.analysis.diagnosis._dina import prepare
from assay.analysis.diagnosis._mastery import SkillMastery
from assay.analysis.diagnosis._qmatrix import QMatrix
from assay.analysis.irt._matrix import ItemMatrix
from assay.analysis.stats._bootstrap import resolve_rng
from assay.analysis.stats._inputs import check_confidence, check_number
from assay.errors import ConvergenceWarning, InputError, NotFittedError

__all__ = ["FinCDM"]

_TINY = 1e-12


class FinCDM:
    """Skill mastery by non-negative matrix co-factorisation, after FinCDM.

    With scores ``X`` (models x items, mask ``W`` of observed cells) and the Q-matrix
    ``Q`` (items x skills), find non-negative model factors ``U`` (models x D), item
    factors ``E`` (items x D) and skill factors ``V`` (skills x D) minimising

    ``||W o (X - U E^T)||^2 + beta ||Q - E V^T||^2 + lam (||U||^2 + ||E||^2 + ||V||^2)``

    so that the item factors must explain both how models score and which skills items
    need. Mastery of skill ``k`` by model ``m`` is ``(U V^T)[m, k]``, min-max normalised
    over the matrix to [0, 1]. Uncertainty: percentile intervals over ``resamples``
    refits on items resampled with replacement.

    The paper gives the objective but not the solver, rank, weights or normalisation:
    the multiplicative-update solver (Lee & Seung with a mask), ``rank=8``, ``beta=1``,
    ``lam=0.01`` and the min-max normalisation are assay's choices.

    Parameters
    ----------
    rank, beta, lam
        Factor dimension, weight of the Q-matrix term, ridge weight.
    max_iter, tol
        Multiplicative-update iterations; stops when the objective improves by less than
        ``tol`` (relative).
    resamples, confidence
        Bootstrap refits over items (0 = no intervals) and the interval's level.
    seed
        Seeds the initial factors and the bootstrap.

    Attributes
    ----------
    model_factors_, item_factors_, skill_factors_ : ndarray
    mastery_ : SkillMastery
    objective_, n_iter_

    References
    ----------
    FinCDM: "From Scores to Skills: a cognitive diagnosis framework for evaluating
    financial large language models", arXiv:2508.13491 (2025).
    Lee, D. D. & Seung, H. S. (2001). Algorithms for non-negative matrix factorization.
    *NeurIPS 13*.
    """

    def __init__(
        self,
        *,
        rank: int = 8,
        beta: float = 1.0,
        lam: float = 0.01,
        max_iter: int = 2000,
        tol: float = 1e-5,
        resamples: int = 50,
        confidence: float = 0.95,
        seed: int | np.random.Generator | None = 0,
    ) -> None:
        self.rank = rank
        self.beta = beta
        self.lam = lam
        self.max_iter = max_iter
        self.tol = tol
        self.resamples = resamples
        self.confidence = confidence
        self.seed = seed

    def _check(self) -> None:
        for name in ("rank", "max_iter"):
            v = getattr(self, name)
            if not isinstance(v, int) or v < 1:
                raise InputError(f"the '{name}' parameter of FinCDM must be an int >= 1; got {v!r}")
        if not isinstance(self.resamples, int) or self.resamples < 0:
            raise InputError(
                f"the 'resamples' parameter of FinCDM must be an int >= 0; got {self.resamples!r}"
            )
        for name in ("beta", "lam"):
            check_number(getattr(self, name), name, "FinCDM", low=0.0, strict=False)
        check_number(self.tol, "tol", "FinCDM", low=0.0)
        check_confidence(self.confidence, "FinCDM")

    def fit(self, Y: ItemMatrix | NDArray[np.float64] | Any, Q: QMatrix | Any) -> Self:
        """Fit on a models x items score matrix and the items x skills Q-matrix."""
        self._check()
        X, W, Qa, models, items, skills = prepare(Y, Q, "FinCDM.fit")
        rng = resolve_rng(self.seed)
        Qf = Qa.astype(np.float64)
        U, E, V, obj, it, ok = _factorise(X, W, Qf, self, rng)
        if not ok:
            warnings.warn(
                f"FinCDM did not converge in {self.max_iter} iterations (tol={self.tol})",
                ConvergenceWarning,
                stacklevel=2,
            )
        F = _normalise(U @ V.T)
        boot = []
        n_items = X.shape[1]
        for _ in range(self.resamples):
            idx = rng.integers(0, n_items, n_items)
            Qb = Qf[idx]
            if not Qb.any(axis=0).all():
                continue  # a skill lost all its items in this resample
            Ub, _, Vb, *_ = _factorise(X[:, idx], W[:, idx], Qb, self, rng)
            boot.append(_normalise(Ub @ Vb.T))
        if boot:
            stack = np.stack(boot)
            tail = (1 - self.confidence) / 2 * 100
            low, high = np.percentile(stack, [tail, 100 - tail], axis=0)
            se = stack.std(axis=0, ddof=1) if len(boot) > 1 else np.full_like(F, np.nan)
        else:
            low = high = se = np.full_like(F, np.nan)
        self.model_factors_, self.item_factors_, self.skill_factors_ = U, E, V
        self.objective_, self.n_iter_, self.converged_ = obj, it, ok
        self.models_, self.items_, self.skills_ = models, items, skills
        self.mastery_ = SkillMastery(
            models=models,
            skills=skills,
            mastery=F,
            low=np.minimum(low, F),
            high=np.maximum(high, F),
            se=se,
            method="fincdm-nmf",
            signature={
                "method": "fincdm-nmf",
                "params": {
                    "rank": self.rank,
                    "beta": self.beta,
                    "lam": self.lam,
                    "max_iter": self.max_iter,
                    "tol": self.tol,
                    "confidence": self.confidence,
                },
                "version": __version__,
                "n": int(W.sum()),
                "resamples": len(boot),
                "seed": self.seed if isinstance(self.seed, int | None) else "generator",
            },
        )
        return self

    def predict(self) -> NDArray[np.float64]:
        """Reconstructed scores ``U E^T`` (models x items)."""
        if not hasattr(self, "model_factors_"):
            raise NotFittedError("this FinCDM is not fitted yet; call fit first")
        return np.asarray(self.model_factors_ @ self.item_factors_.T)

    def __repr__(self) -> str:
        return (
            f"FinCDM(rank={self.rank!r}, beta={self.beta!r}, lam={self.lam!r}, "
            f"resamples={self.resamples!r}, seed={self.seed!r})"
        )


def _normalise(F: NDArray[np.float64]) -> NDArray[np.float64]:
    lo, hi = float(F.min()), float(F.max())
    return (F - lo) / (hi - lo) if hi > lo else np.zeros_like(F)


def _factorise(
    X: NDArray[np.float64],
    W: NDArray[np.float64],
    Q: NDArray[np.float64],
    cfg: FinCDM,
    rng: np.random.Generator,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], float, int, bool]:
    M, N = X.shape
    K, D = Q.shape[1], cfg.rank
    scale = np.sqrt(max(float((X * W).sum() / max(W.sum(), 1)), 0.1) / D)
    U = rng.uniform(0.5, 1.5, (M, D)) * scale
    E = rng.uniform(0.5, 1.5, (N, D)) * scale
    V = rng.uniform(0.5, 1.5, (K, D)) * scale
    beta, lam = cfg.beta, cfg.lam
    WX = W * X
    last = np.inf
    obj = np.inf
    for it in range(1, cfg.max_iter + 1):
        R = W * (U @ E.T)
        U *= (WX @ E) / (R @ E + lam * U + _TINY)
        R = W * (U @ E.T)
        E *= (WX.T @ U + beta * Q @ V) / (R.T @ U + beta * E @ (V.T @ V) + lam * E + _TINY)
        V *= (Q.T @ E) / (V @ (E.T @ E) + lam * V + _TINY)
        if it % 10 == 0 or it == cfg.max_iter:
            obj = float(
                (W * (X - U @ E.T) ** 2).sum()
                + beta * ((Q - E @ V.T) ** 2).sum()
                + lam * ((U**2).sum() + (E**2).sum() + (V**2).sum())
            )
            if abs(last - obj) <= cfg.tol * max(abs(obj), 1.0):
                return U, E, V, obj, it, True
            last = obj
    return U, E, V, obj, cfg.max_iter, False
