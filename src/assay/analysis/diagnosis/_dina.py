"""DINA: the deterministic-input, noisy-and-gate cognitive diagnosis model, fitted by EM."""

from __future__ import annotations

import itertools
import warnings
from typing import Any, Self

import numpy as np
from numpy.typing import NDArray

from assay._version import __version__
from assay.analysis.diagnosis._mastery import SkillMastery
from assay.analysis.diagnosis._qmatrix import QMatrix
from assay.analysis.irt._matrix import ItemMatrix, as_array
from assay.analysis.stats._inputs import check_number
from assay.errors import ConvergenceWarning, InputError, NotFittedError

__all__ = ["DINA", "prepare"]

MAX_SKILLS = 15  # 2^K attribute patterns are enumerated
_EPS = 1e-4


def prepare(
    Y: Any, Q: Any, caller: str
) -> tuple[
    NDArray[np.float64],
    NDArray[np.float64],
    NDArray[np.int8],
    tuple[str, ...],
    tuple[str, ...],
    tuple[str, ...],
]:
    """Scores (0 where missing), mask, aligned Q, and the labels of models, items, skills."""
    arr, item_labels = as_array(Y, caller)
    M, N = arr.shape
    models = tuple(Y.models) if isinstance(Y, ItemMatrix) else tuple(map(str, range(M)))
    items = item_labels if item_labels is not None else tuple(map(str, range(N)))
    if isinstance(Q, QMatrix):
        q = Q.align(items) if Q.items != items else Q
        Qa, skills = q.Q, q.skills
    else:
        try:
            Qa = np.asarray(Q)
        except (TypeError, ValueError) as exc:
            raise InputError(
                f"the 'Q' parameter of {caller} must be an items x skills matrix of 0/1 "
                f"(rows of equal length); {exc}"
            ) from None
        if Qa.ndim != 2 or Qa.shape[0] != N:
            raise InputError(
                f"the 'Q' parameter of {caller} must be an items x skills matrix with {N} "
                f"rows; got shape {Qa.shape}"
            )
        if not np.isin(Qa, (0, 1)).all():
            raise InputError(f"the 'Q' parameter of {caller} must hold 0/1 values")
        Qa = Qa.astype(np.int8)
        skills = tuple(map(str, range(Qa.shape[1])))
    no_skill = ~Qa.any(axis=1)
    if no_skill.any():
        raise InputError(
            f"{int(no_skill.sum())} item(s) need no skill in the Q-matrix (e.g. "
            f"{items[int(np.flatnonzero(no_skill)[0])]!r}); every item needs at least one"
        )
    W = np.isfinite(arr)
    if not W.any(axis=1).all():
        raise InputError(f"{caller}: {int((~W.any(axis=1)).sum())} model(s) have no responses")
    return np.where(W, arr, 0.0), W.astype(np.float64), Qa, models, items, skills


class DINA:
    """DINA model fitted by expectation-maximisation over all skill patterns.

    A model with skill pattern ``alpha`` in {0, 1}^K answers item ``i`` correctly with
    probability ``1 - s_i`` when it has every skill the item needs
    (``eta_i(alpha) = prod_k alpha_k^q_ik = 1``) and ``g_i`` otherwise (slip ``s``,
    guess ``g``). EM enumerates the ``2^K`` patterns (``K <= 15``): the E-step gives each
    model's posterior over patterns, the M-step updates slip, guess (closed form) and the
    pattern prior. Fractional scores enter as Bernoulli weights.

    Parameters
    ----------
    max_iter, tol
        At least 20 and at most ``max_iter`` EM iterations; converged when no slip, guess
        or prior probability moves more than ``tol``.
    seed
        Unused (EM starts from ``s = g = 0.2`` and a uniform prior); recorded.

    Attributes
    ----------
    slip_, guess_ : ndarray of shape (n_items,)
    pattern_prior_ : ndarray of shape (2**K,)
    patterns_ : ndarray of shape (2**K, K)
    posterior_ : ndarray of shape (n_models, 2**K)
    mastery_ : SkillMastery
        Marginal posterior probability of each skill per model.
    map_pattern_ : ndarray of shape (n_models, K)
    q_ : ndarray of shape (n_items, K)
    log_likelihood_, n_iter_, converged_

    References
    ----------
    Junker, B. W. & Sijtsma, K. (2001). Cognitive assessment models with few
    assumptions, and connections with nonparametric item response theory. *Applied
    Psychological Measurement*, 25(3), 258-272.
    de la Torre, J. (2009). DINA model and parameter estimation: a didactic. *Journal
    of Educational and Behavioral Statistics*, 34(1), 115-130.
    bigdata-ustc/EduCDM, ``EduCDM/DINA/DINA.py`` (EM variant).
    """

    def __init__(self, *, max_iter: int = 500, tol: float = 1e-5, seed: int | None = 0) -> None:
        self.max_iter = max_iter
        self.tol = tol
        self.seed = seed

    def fit(self, Y: ItemMatrix | NDArray[np.float64] | Any, Q: QMatrix | Any) -> Self:
        """Fit on a models x items score matrix and the items x skills Q-matrix."""
        if not isinstance(self.max_iter, int) or self.max_iter < 1:
            raise InputError(
                f"the 'max_iter' parameter of DINA must be an int >= 1; got {self.max_iter!r}"
            )
        check_number(self.tol, "tol", "DINA", low=0.0)
        Yf, W, Qa, models, items, skills = prepare(Y, Q, "DINA.fit")
        K = Qa.shape[1]
        if K > MAX_SKILLS:
            raise InputError(
                f"DINA enumerates 2^K skill patterns and supports at most {MAX_SKILLS} "
                f"skills; got {K}; merge skills or use FinCDM"
            )
        patterns = np.array(list(itertools.product((0, 1), repeat=K)), dtype=np.int8)
        # eta[a, i] = 1 when pattern a has every skill item i needs
        eta = ((patterns @ Qa.T) == Qa.sum(axis=1)).astype(np.float64)
        n_items = Yf.shape[1]
        slip = np.full(n_items, 0.2)
        guess = np.full(n_items, 0.2)
        prior = np.full(len(patterns), 1.0 / len(patterns))
        Yw, Nw = Yf * W, (1.0 - Yf) * W
        converged, it = False, 0
        for it in range(1, self.max_iter + 1):
            post, ll = _e_step(Yw, Nw, eta, slip, guess, prior)
            A = post @ eta  # P(model has every skill of item i)
            right = (A * Yw).sum(axis=0), ((1 - A) * Yw).sum(axis=0)
            total = (A * W).sum(axis=0), ((1 - A) * W).sum(axis=0)
            with np.errstate(invalid="ignore", divide="ignore"):
                new_slip = np.where(total[0] > 0, 1 - right[0] / total[0], 0.2)
                new_guess = np.where(total[1] > 0, right[1] / total[1], 0.2)
            new_slip = np.clip(new_slip, _EPS, 1 - _EPS)
            new_guess = np.clip(new_guess, _EPS, 1 - _EPS)
            new_prior = np.maximum(post.mean(axis=0), 1e-12)
            new_prior /= new_prior.sum()
            change = max(
                float(np.abs(new_slip - slip).max()),
                float(np.abs(new_guess - guess).max()),
                float(np.abs(new_prior - prior).max()),
            )
            slip, guess, prior = new_slip, new_guess, new_prior
            if it >= 20 and change < self.tol:
                converged = True
                break
        if not converged:
            warnings.warn(
                f"DINA did not converge in {self.max_iter} EM iterations (tol={self.tol})",
                ConvergenceWarning,
                stacklevel=2,
            )
        post, ll = _e_step(Yw, Nw, eta, slip, guess, prior)
        p = np.clip(post @ patterns, 0.0, 1.0)
        self.slip_, self.guess_ = slip, guess
        self.pattern_prior_, self.patterns_, self.posterior_ = prior, patterns, post
        self.map_pattern_ = patterns[post.argmax(axis=1)]
        self.log_likelihood_, self.n_iter_, self.converged_ = ll, it, converged
        self.models_, self.items_, self.skills_ = models, items, skills
        self.q_ = Qa
        se = np.sqrt(p * (1 - p))
        self.mastery_ = SkillMastery(
            models=models,
            skills=skills,
            mastery=p,
            low=p.copy(),
            high=p.copy(),
            se=se,
            method="dina-em",
            signature={
                "method": "dina-em",
                "params": {"max_iter": self.max_iter, "tol": self.tol},
                "version": __version__,
                "n": int(W.sum()),
                "resamples": 0,
                "seed": self.seed,
            },
        )
        return self

    def predict_proba(self) -> NDArray[np.float64]:
        """Posterior predictive ``P(correct)`` for every fitted model and item."""
        if not hasattr(self, "posterior_"):
            raise NotFittedError("this DINA is not fitted yet; call fit first")
        eta = self._eta()
        p_pattern = eta * (1 - self.slip_) + (1 - eta) * self.guess_
        return np.asarray(self.posterior_ @ p_pattern)

    def _eta(self) -> NDArray[np.float64]:
        Q = self.q_
        return np.asarray((self.patterns_ @ Q.T) == Q.sum(axis=1), dtype=np.float64)

    def __repr__(self) -> str:
        return f"DINA(max_iter={self.max_iter!r}, tol={self.tol!r}, seed={self.seed!r})"


def _e_step(
    Yw: NDArray[np.float64],
    Nw: NDArray[np.float64],
    eta: NDArray[np.float64],
    slip: NDArray[np.float64],
    guess: NDArray[np.float64],
    prior: NDArray[np.float64],
) -> tuple[NDArray[np.float64], float]:
    p = eta * (1 - slip) + (1 - eta) * guess  # patterns x items
    loglik = Yw @ np.log(p).T + Nw @ np.log1p(-p).T + np.log(prior)
    top = loglik.max(axis=1, keepdims=True)
    w = np.exp(loglik - top)
    total = w.sum(axis=1, keepdims=True)
    return w / total, float((np.log(total) + top).sum())
