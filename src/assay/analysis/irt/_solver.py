"""Joint maximum a posteriori fitting of Rasch / 2PL / multidimensional 2PL models.

The log-posterior is the Bernoulli log-likelihood of every observed cell (fractional
targets allowed) plus weak Gaussian priors. It is maximised by alternating damped Newton
steps: with abilities fixed, every item's parameters are an independent small logistic
regression; with item parameters fixed, every model's ability is one too. Each half-step
costs a few passes over the matrix (one matrix product for the logits, elementwise
sigmoid, and matrix products for all gradients and Hessians at once), so a sweep is
vectorised over all items and all models. After each sweep the abilities are re-centred
(and, except for Rasch, whitened) and the item parameters transformed so the likelihood
is unchanged: this fixes the scale (identification) and keeps the prior on abilities
meaningful.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.special import expit

__all__ = [
    "Fit",
    "Priors",
    "ability_covariance",
    "ability_newton",
    "fit_joint",
    "item_covariance",
    "item_newton",
    "max_change",
]

_CLIP = 30.0  # logits are clipped to +-30, as tinyBenchmarks does
_MAX_STEP = 1.0  # largest change of one parameter in one Newton step (damping)
_LL_RTOL = 1e-7  # also converged when a sweep improves the log-likelihood less than this


@dataclass(frozen=True, slots=True)
class Priors:
    """Gaussian priors (assay's choice). The discrimination prior is a starting value:
    :func:`fit_joint` re-estimates its mean and standard deviation from the items."""

    ability: float = 1.0
    discrimination_mean: float | NDArray[np.float64] = 1.0
    discrimination: float | NDArray[np.float64] = 2.0
    difficulty: float = 5.0


_STAGE1_A_SD = 0.5  # discrimination prior sd of the first stage (see fit_joint)


@dataclass(slots=True)
class Fit:
    """Raw output of :func:`fit_joint` (arrays over the kept models and items)."""

    priors: Priors  # with the estimated discrimination prior
    theta: NDArray[np.float64]  # (M, d)
    a: NDArray[np.float64]  # (I, d)
    b: NDArray[np.float64]  # (I,)
    theta_cov: NDArray[np.float64]  # (M, d, d)
    item_cov: NDArray[np.float64]  # (I, k, k) with k = d + 1 (2PL) or 1 (Rasch)
    n_iter: int
    converged: bool
    log_likelihood: float


def _logits(
    theta: NDArray[np.float64], a: NDArray[np.float64], b: NDArray[np.float64]
) -> NDArray[np.float64]:
    z = theta @ a.T
    z -= b
    np.clip(z, -_CLIP, _CLIP, out=z)
    return z


def _residuals(
    Y: NDArray[np.float64], W: NDArray[np.float64] | None, z: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """``R = W (y - p)`` and ``V = W p (1 - p)``, computed in place of ``z``."""
    p = expit(z, out=z)
    V = p * (1.0 - p)
    R = np.subtract(Y, p, out=p)
    if W is not None:
        R *= W
        V *= W
    return R, V


def _outer(x: NDArray[np.float64]) -> NDArray[np.float64]:
    """Row-wise outer products, flattened: ``(n, k) -> (n, k * k)``."""
    return (x[:, :, None] * x[:, None, :]).reshape(x.shape[0], -1)


def max_change(*pairs: tuple[NDArray[np.float64], NDArray[np.float64]]) -> float:
    """The largest absolute change of any parameter over ``(new, old)`` pairs (convergence)."""
    return max(float(np.max(np.abs(new - old))) for new, old in pairs)


def _newton_step(
    params: NDArray[np.float64],
    grad: NDArray[np.float64],
    neg_hess: NDArray[np.float64],
    *,
    want_cov: bool,
) -> tuple[NDArray[np.float64], NDArray[np.float64] | None]:
    """A damped Newton step on independent parameter blocks, one per row of ``params``.

    ``grad`` is ``(n, k)`` and ``neg_hess`` the flattened ``(n, k * k)`` negative Hessians;
    each step is clipped to ``+-_MAX_STEP``. With ``want_cov`` also the inverse negative
    Hessians ``(n, k, k)`` (the Laplace covariances at ``params``).
    """
    k = grad.shape[1]
    H = neg_hess.reshape(-1, k, k)
    step = np.linalg.solve(H, grad[:, :, None])[:, :, 0]
    new = params + np.clip(step, -_MAX_STEP, _MAX_STEP)
    cov = np.asarray(np.linalg.inv(H), dtype=np.float64) if want_cov else None
    return new, cov


def item_newton(
    Y: NDArray[np.float64],
    W: NDArray[np.float64] | None,
    theta: NDArray[np.float64],
    a: NDArray[np.float64],
    b: NDArray[np.float64],
    *,
    rasch: bool,
    priors: Priors,
    want_cov: bool = False,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64] | None]:
    """One Newton step on every item's parameters with abilities fixed."""
    R, V = _residuals(Y, W, _logits(theta, a, b))
    if rasch:  # one parameter per item: the Newton step is a division
        g = -R.sum(axis=0) - b / priors.difficulty**2
        h = V.sum(axis=0) + 1.0 / priors.difficulty**2
        new_b = b + np.clip(g / h, -_MAX_STEP, _MAX_STEP)
        return a, new_b, (1.0 / h)[:, None, None] if want_cov else None
    M, d = theta.shape
    X = np.empty((M, d + 1))
    X[:, :d] = theta
    X[:, d] = -1.0
    psi = np.column_stack([a, b])
    a_sd = np.broadcast_to(np.asarray(priors.discrimination, dtype=np.float64), (d,))
    a_mean = np.broadcast_to(np.asarray(priors.discrimination_mean, dtype=np.float64), (d,))
    prec = np.r_[1.0 / a_sd**2, 1.0 / priors.difficulty**2]
    mean = np.r_[a_mean, 0.0]
    grad = R.T @ X - (psi - mean) * prec
    del R
    neg_hess = V.T @ _outer(X)
    del V
    k = d + 1
    neg_hess[:, :: k + 1] += prec
    psi, cov = _newton_step(psi, grad, neg_hess, want_cov=want_cov)
    return psi[:, :d], psi[:, d], cov


def ability_newton(
    Y: NDArray[np.float64],
    W: NDArray[np.float64] | None,
    theta: NDArray[np.float64],
    a: NDArray[np.float64],
    b: NDArray[np.float64],
    *,
    prior_precision: NDArray[np.float64],
    want_cov: bool = False,
) -> tuple[NDArray[np.float64], NDArray[np.float64] | None]:
    """One Newton step on every model's ability with item parameters fixed.

    The prior on each ability is ``N(0, inv(prior_precision))``.
    """
    R, V = _residuals(Y, W, _logits(theta, a, b))
    grad = R @ a - theta @ prior_precision
    del R
    neg_hess = V @ _outer(a)
    del V
    neg_hess += prior_precision.reshape(1, -1)
    return _newton_step(theta, grad, neg_hess, want_cov=want_cov)


def item_covariance(
    Y: NDArray[np.float64],
    W: NDArray[np.float64] | None,
    theta: NDArray[np.float64],
    a: NDArray[np.float64],
    b: NDArray[np.float64],
    *,
    rasch: bool,
    priors: Priors,
) -> NDArray[np.float64]:
    """Inverse negative Hessian of each item's parameter block, abilities fixed."""
    _, _, cov = item_newton(Y, W, theta, a, b, rasch=rasch, priors=priors, want_cov=True)
    if cov is None:  # pragma: no cover - want_cov=True always returns it
        raise RuntimeError("item covariance missing")
    return cov


def ability_covariance(
    Y: NDArray[np.float64],
    W: NDArray[np.float64] | None,
    theta: NDArray[np.float64],
    a: NDArray[np.float64],
    b: NDArray[np.float64],
    *,
    prior_precision: NDArray[np.float64],
) -> NDArray[np.float64]:
    """Inverse negative Hessian of each model's ability, items fixed."""
    _, cov = ability_newton(Y, W, theta, a, b, prior_precision=prior_precision, want_cov=True)
    if cov is None:  # pragma: no cover - want_cov=True always returns it
        raise RuntimeError("ability covariance missing")
    return cov


def _standardise(
    theta: NDArray[np.float64],
    a: NDArray[np.float64],
    b: NDArray[np.float64],
    *,
    rasch: bool,
    orient: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Abilities to mean 0 (and identity covariance unless Rasch), likelihood unchanged."""
    mu = theta.mean(axis=0)
    b = b - a @ mu
    theta = theta - mu
    if rasch:
        return theta, a, b
    d = theta.shape[1]
    cov = np.atleast_2d(np.cov(theta, rowvar=False)) + 1e-12 * np.eye(d)
    L = np.linalg.cholesky(cov)
    theta = np.linalg.solve(L, theta.T).T
    a = a @ L
    if d > 1:
        # a rotation of whitened abilities leaves the likelihood and the priors unchanged:
        # fix it by principal axes of the discriminations (orthogonal columns of a,
        # ordered by decreasing sum of squares)
        _, vecs = np.linalg.eigh(a.T @ a)
        rot = vecs[:, ::-1]
        theta = theta @ rot
        a = a @ rot
    # the sign of each dimension is not identified: point it towards the mean score
    signs = np.sign(orient @ theta)
    signs[signs == 0] = 1.0
    return theta * signs, a * signs, b


def _initial(
    Y: NDArray[np.float64], W: NDArray[np.float64] | None, dims: int
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    n_obs = W.sum(axis=1) if W is not None else np.full(Y.shape[0], Y.shape[1], float)
    n_item = W.sum(axis=0) if W is not None else np.full(Y.shape[1], Y.shape[0], float)
    row = (Y.sum(axis=1) + 0.5) / (n_obs + 1.0)
    col = (Y.sum(axis=0) + 0.5) / (n_item + 1.0)
    t = np.log(row / (1 - row))
    t = (t - t.mean()) / (t.std() + 1e-12)
    M, d = Y.shape[0], dims
    theta = np.empty((M, d))
    theta[:, 0] = t
    if d > 1:
        filled = Y - (col if W is None else col * W)  # centred columns, missing = 0
        gram = filled @ filled.T
        _, vecs = np.linalg.eigh(gram)
        extra = vecs[:, ::-1][:, 1:d]
        theta[:, 1:] = (extra - extra.mean(axis=0)) / (extra.std(axis=0) + 1e-12)
    a = np.zeros((Y.shape[1], d))
    a[:, 0] = 1.0
    b = -np.log(col / (1 - col))
    return theta, a, b, t


def log_likelihood(
    Y: NDArray[np.float64],
    W: NDArray[np.float64] | None,
    theta: NDArray[np.float64],
    a: NDArray[np.float64],
    b: NDArray[np.float64],
) -> float:
    z = _logits(theta, a, b)
    ll = Y * z - np.logaddexp(0.0, z)
    if W is not None:
        ll *= W
    return float(ll.sum())


def fit_joint(
    Y: NDArray[np.float64],
    W: NDArray[np.float64] | None,
    *,
    dims: int,
    rasch: bool,
    priors: Priors,
    max_iter: int,
    tol: float,
) -> Fit:
    """Fit by alternating Newton sweeps; ``Y`` has 0 in missing cells, ``W`` is the mask.

    2PL / m2PL are fitted in two stages (assay's choice). Stage 1 uses a tight
    discrimination prior ``N(1, 0.5^2)``: with few models (tens, as on most real
    leaderboards) every slope rests on few responses, joint estimation overfits them and
    the abilities drift away from anything the data support. From the stage-1 items the
    spread of the true slopes is estimated by moments (variance of the estimates minus
    their mean sampling variance, clipped to [0.25, 2]). The fit then continues from there with the prior ``N(mean of the
    slopes, that spread^2)`` (an empirical-Bayes prior, estimated once rather than
    iterated: iterating lets overfitted slopes widen their own prior without end).
    """
    theta, a, b, orient = _initial(Y, W, dims)
    n_iter = 0
    if not rasch:
        stage1 = Priors(priors.ability, 1.0 if dims == 1 else 0.0, _STAGE1_A_SD, priors.difficulty)
        first = _sweeps(
            Y, W, theta, a, b, orient, rasch=rasch, priors=stage1, max_iter=max_iter, tol=tol
        )
        theta, a, b, n_iter = first.theta, first.a, first.b, first.n_iter
        sd = _slope_spread(first.a, first.item_cov)
        priors = Priors(priors.ability, a.mean(axis=0), sd, priors.difficulty)
    fit = _sweeps(
        Y,
        W,
        theta,
        a,
        b,
        orient,
        rasch=rasch,
        priors=priors,
        max_iter=max(max_iter - n_iter, 1),
        tol=tol,
    )
    fit.n_iter += n_iter
    return fit


def _slope_spread(a: NDArray[np.float64], cov: NDArray[np.float64]) -> NDArray[np.float64]:
    """Spread of the true slopes, deconvolved from the stage-1 (prior sd ``s``) estimates.

    Under the normal approximation the posterior variance ``p`` gives the sampling
    variance ``v = p s^2 / (s^2 - p)`` and the shrinkage ``k = s^2 / (s^2 + v)``; the
    true spread is ``mean(((a - mean) / k)^2) - mean(v)`` over the items measured well
    enough (``v < s^2``, i.e. shrunk by less than half).
    """
    d = a.shape[1]
    s2 = _STAGE1_A_SD**2
    p = np.minimum(np.diagonal(cov, axis1=1, axis2=2)[:, :d], 0.999 * s2)
    v = p * s2 / (s2 - p)
    k = s2 / (s2 + v)
    good = v < s2
    out = np.empty(d)
    for j in range(d):
        g = good[:, j]
        if g.sum() < 20:
            out[j] = 0.0
            continue
        u = (a[g, j] - a[g, j].mean()) / k[g, j]
        out[j] = np.sqrt(max(float(np.mean(u**2) - np.mean(v[g, j])), 0.0))
    return np.asarray(np.clip(out, 0.25, 2.0))


def _sweeps(
    Y: NDArray[np.float64],
    W: NDArray[np.float64] | None,
    theta: NDArray[np.float64],
    a: NDArray[np.float64],
    b: NDArray[np.float64],
    orient: NDArray[np.float64],
    *,
    rasch: bool,
    priors: Priors,
    max_iter: int,
    tol: float,
) -> Fit:
    dims = theta.shape[1]
    prior_prec = np.eye(dims) / (priors.ability**2 if not rasch else (3.0 * priors.ability) ** 2)
    converged = False
    n_iter = 0
    last_ll = -np.inf
    for sweep in range(1, max_iter + 1):
        n_iter = sweep
        a_new, b_new, _ = item_newton(Y, W, theta, a, b, rasch=rasch, priors=priors)
        theta_new, _ = ability_newton(Y, W, theta, a_new, b_new, prior_precision=prior_prec)
        theta_new, a_new, b_new = _standardise(theta_new, a_new, b_new, rasch=rasch, orient=orient)
        change = max_change((theta_new, theta), (a_new, a), (b_new, b))
        theta, a, b = theta_new, a_new, b_new
        if change < tol:
            converged = True
            break
        # a flat ridge (a dimension fitting noise in m2PL) can creep for hundreds of
        # sweeps without changing the fit: stop when the likelihood has stopped moving
        ll = log_likelihood(Y, W, theta, a, b)
        if abs(ll - last_ll) <= _LL_RTOL * abs(ll):
            converged = True
            break
        last_ll = ll
    item_cov = item_covariance(Y, W, theta, a, b, rasch=rasch, priors=priors)
    theta_cov = ability_covariance(Y, W, theta, a, b, prior_precision=prior_prec)
    return Fit(
        priors=priors,
        theta=theta,
        a=a,
        b=b,
        theta_cov=theta_cov,
        item_cov=item_cov,
        n_iter=n_iter,
        converged=converged,
        log_likelihood=log_likelihood(Y, W, theta, a, b),
    )
