"""Bradley-Terry likelihoods with ties and covariates, maximised by batched Newton steps.

Every model here is a function of one linear predictor per battle,
``d = s[a] - s[b] + beta . x`` (``s`` the natural-log strengths, ``x`` the normalised style
differences), and at most one tie parameter ``tau``:

``"half"`` (Chatbot Arena)
    ``P(a) = sigmoid(d)``; a tie counts as half a win for each side, i.e. the likelihood
    is ``sigmoid(d) ** (n_a + n_t / 2) * sigmoid(-d) ** (n_b + n_t / 2)``. No tie parameter.
``"rao-kupper"`` (Rao & Kupper, 1967)
    ``P(a) = sigmoid(d - eta)``, ``P(b) = sigmoid(-d - eta)``, ``P(tie) = 1 - P(a) - P(b)``
    with ``eta = log(theta) >= 0``: a tie is a verdict "within ``eta`` of each other".
``"davidson"`` (Davidson, 1970)
    ``P(a) : P(b) : P(tie) = exp(d/2) : exp(-d/2) : nu`` with ``tau = log(nu)``: the tie
    probability is proportional to the geometric mean of the two strengths.

All three log-likelihoods are concave in ``(s, beta, tau)`` (``"half"`` and Davidson are
logistic / multinomial-logit models linear in the parameters; Rao-Kupper's tie
probability is the mass of a logistic density on an interval whose ends are linear in
the parameters, which is log-concave by Prekopa's theorem). Newton's method with
backtracking therefore converges from any start; it is run on many count tables at once
(the bootstrap resamples) with dense per-table Hessians.

Strengths are identified only up to a constant per connected component of the
comparison graph. A small ridge ``alpha / 2 * sum(s**2)`` (a Gaussian prior of variance
``1 / alpha``, as in choix) keeps the estimate finite when a model won or lost every
battle; because the likelihood's gradient in ``s`` sums to zero over each component, the
Newton iterates keep each component's strengths summing to zero, and a rank-one term per
component makes the Newton system non-singular without changing that.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, Literal, NamedTuple

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import csr_matrix
from scipy.special import expit, log_expit

from assay.analysis.ranking._battles import Cells

__all__ = [
    "TIE_MODELS",
    "Design",
    "NewtonResult",
    "TieModel",
    "initial_tau",
    "make_design",
    "newton",
    "outcome_probabilities",
    "refit",
    "starting_point",
    "tie_value",
]

TieModel = Literal["half", "rao-kupper", "davidson"]
TIE_MODELS: Final[tuple[TieModel, ...]] = ("half", "rao-kupper", "davidson")

#: bounds of the tie parameter on its working scale: Rao-Kupper eta, Davidson log(nu)
_TAU_BOUNDS: Final = {"rao-kupper": (1e-9, 30.0), "davidson": (-30.0, 30.0)}
#: elements of one (resamples x cells) array in a Newton batch (bounds memory)
BATCH_ELEMENTS: Final = 1 << 21
#: elements of the dense Hessians of one batch
_HESSIAN_ELEMENTS: Final = 1 << 23


@dataclass(frozen=True)
class Design:
    """The fixed structure of a fit: which models each cell compares, and its covariates."""

    n_models: int
    ties: TieModel
    ia: NDArray[np.intp]
    ib: NDArray[np.intp]
    x: NDArray[np.float64]
    groups: tuple[NDArray[np.intp], ...]
    #: (models x cells): +1 for side a, -1 for side b (the transposed design matrix)
    dt: csr_matrix
    #: (models*models x cells): each cell's contribution to the strength Hessian
    hess: csr_matrix
    #: (models x cells): 1 where the model plays in the cell
    incidence: csr_matrix

    @property
    def n_style(self) -> int:
        return int(self.x.shape[1])

    @property
    def n_tie(self) -> int:
        return 0 if self.ties == "half" else 1

    @property
    def n_params(self) -> int:
        return self.n_models + self.n_style + self.n_tie

    @property
    def batch(self) -> int:
        """How many count tables one Newton batch holds."""
        by_cells = BATCH_ELEMENTS // max(1, len(self.ia) * 3)
        by_hessian = _HESSIAN_ELEMENTS // (self.n_params**2)
        return max(1, min(by_cells, by_hessian))


def make_design(cells: Cells, n_models: int, ties: TieModel, labels: NDArray[np.intp]) -> Design:
    """The design of ``cells`` among ``n_models`` models whose connected components of the
    comparison graph are numbered by ``labels``."""
    groups = tuple(np.flatnonzero(labels == c) for c in range(int(labels.max()) + 1))
    p = len(cells)
    m = n_models
    cols = np.arange(p)
    dt = csr_matrix(
        (
            np.concatenate([np.ones(p), -np.ones(p)]),
            (np.concatenate([cells.ia, cells.ib]), np.concatenate([cols, cols])),
        ),
        shape=(m, p),
    )
    rows = np.concatenate(
        [cells.ia * m + cells.ia, cells.ib * m + cells.ib, cells.ia * m + cells.ib]
    )
    rows = np.concatenate([rows, cells.ib * m + cells.ia])
    vals = np.concatenate([np.ones(2 * p), -np.ones(2 * p)])
    hess = csr_matrix((vals, (rows, np.tile(cols, 4))), shape=(m * m, p))
    incidence = abs(dt).tocsr()
    return Design(m, ties, cells.ia, cells.ib, cells.x, groups, dt, hess, incidence)


def initial_tau(ties: TieModel, counts: NDArray[np.int64]) -> float:
    """A start for the tie parameter from the overall tie share ``f`` (its value when all
    strengths are equal: Rao-Kupper ``f = (theta-1)/(theta+1)``, Davidson
    ``f = nu/(2+nu)``)."""
    f = float(np.clip(counts[:, 2].sum() / max(1, counts.sum()), 1e-3, 0.99))
    if ties == "rao-kupper":
        return float(np.log((1 + f) / (1 - f)))
    return float(np.log(2 * f / (1 - f)))


def starting_point(design: Design, counts: NDArray[np.int64]) -> NDArray[np.float64]:
    """The start of a fit, shape ``(params,)``: equal strengths, no style effect, and the
    tie parameter from the tie share of ``counts`` (:func:`initial_tau`)."""
    theta0 = np.zeros(design.n_params)
    if design.n_tie:
        theta0[-1] = initial_tau(design.ties, counts)
    return theta0


def tie_value(ties: TieModel, tau: NDArray[np.float64]) -> NDArray[np.float64]:
    """The reported tie parameter: Rao-Kupper ``theta = exp(eta)``, Davidson ``nu``."""
    return np.exp(tau)


def outcome_probabilities(
    ties: TieModel, d: NDArray[np.float64], tie: float | None
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """``P(a wins)``, ``P(b wins)``, ``P(tie)`` for natural-log strength gaps ``d``.

    ``tie`` is the reported tie parameter (theta or nu); ``"half"`` predicts no ties.
    """
    if ties == "half" or tie is None:
        p = expit(d)
        return p, 1.0 - p, np.zeros_like(p)
    if ties == "rao-kupper":
        eta = np.log(tie)
        pa = expit(d - eta)
        pb = expit(-d - eta)
        return pa, pb, np.clip(1.0 - pa - pb, 0.0, 1.0)
    tau = np.log(tie)
    z = np.logaddexp(np.logaddexp(d / 2, -d / 2), tau)
    return np.exp(d / 2 - z), np.exp(-d / 2 - z), np.exp(tau - z)


class _Terms(NamedTuple):
    """Per-cell derivatives of the log-likelihood in ``d`` and ``tau``."""

    l_d: NDArray[np.float64]
    curv: NDArray[np.float64]  # -d2l/dd2 >= 0
    l_t: NDArray[np.float64] | None
    l_dt: NDArray[np.float64] | None
    l_tt: NDArray[np.float64] | None


def _loglik(
    ties: TieModel,
    d: NDArray[np.float64],
    tau: NDArray[np.float64] | None,
    n: NDArray[np.float64],
) -> NDArray[np.float64]:
    n1, n2, n0 = n[..., 0], n[..., 1], n[..., 2]
    if ties == "half":
        # (n1 + n0/2) log sigmoid(d) + (n2 + n0/2) log sigmoid(-d), with
        # log sigmoid(-d) = log sigmoid(d) - d
        return np.asarray(((n1 + n2 + n0) * log_expit(d) - (n2 + n0 / 2) * d).sum(1))
    assert tau is not None
    t = tau[:, None]
    if ties == "rao-kupper":
        l0 = (
            np.log(np.expm1(2 * t))
            - np.logaddexp(d / 2, t - d / 2)
            - np.logaddexp(t + d / 2, -d / 2)
        )
        return np.asarray((n1 * log_expit(d - t) + n2 * log_expit(-d - t) + n0 * l0).sum(1))
    z = np.logaddexp(np.logaddexp(d / 2, -d / 2), t)
    return np.asarray(((n1 - n2) * d / 2 + n0 * t - (n1 + n2 + n0) * z).sum(1))


def _terms(
    ties: TieModel,
    d: NDArray[np.float64],
    tau: NDArray[np.float64] | None,
    n: NDArray[np.float64],
) -> _Terms:
    n1, n2, n0 = n[..., 0], n[..., 1], n[..., 2]
    if ties == "half":
        p = expit(d)
        total = n1 + n2 + n0
        return _Terms(n1 + n0 / 2 - total * p, total * p * (1 - p), None, None, None)
    assert tau is not None
    t = tau[:, None]
    if ties == "rao-kupper":
        p1, r1 = expit(d - t), expit(t - d)  # P(a), 1 - P(a)
        p2, r2 = expit(-d - t), expit(t + d)  # P(b), 1 - P(b)
        q1, q2 = p1 * r1, p2 * r2
        em = -np.expm1(-2 * t)
        e1 = 2 / em  # d/d eta of log(exp(2 eta) - 1)
        e2 = -4 * np.exp(-2 * t) / em**2
        w1, w2 = n1 + n0, n2 + n0
        l_d = n1 * r1 - n2 * r2 + n0 * (p2 - p1)
        l_t = -n1 * r1 - n2 * r2 + n0 * (e1 - r1 - r2)
        curv = w1 * q1 + w2 * q2
        l_dt = w1 * q1 - w2 * q2
        l_tt = -w1 * q1 - w2 * q2 + n0 * e2
        return _Terms(l_d, curv, l_t, l_dt, l_tt)
    total = n1 + n2 + n0
    z = np.logaddexp(np.logaddexp(d / 2, -d / 2), t)
    p1, p2, p0 = np.exp(d / 2 - z), np.exp(-d / 2 - z), np.exp(t - z)
    half_gap = (p1 - p2) / 2
    l_d = (n1 - n2) / 2 - total * half_gap
    curv = total * ((p1 + p2) / 4 - half_gap**2)
    l_t = n0 - total * p0
    l_dt = total * p0 * half_gap
    l_tt = -total * p0 * (1 - p0)
    return _Terms(l_d, curv, l_t, l_dt, l_tt)


def _predictor(
    design: Design, theta: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64] | None]:
    m, k = design.n_models, design.n_style
    s = theta[:, :m]
    d = s[:, design.ia] - s[:, design.ib]
    if k:
        d = d + theta[:, m : m + k] @ design.x.T
    tau = theta[:, m + k] if design.n_tie else None
    return d, tau


def _objective(
    design: Design, theta: NDArray[np.float64], n: NDArray[np.float64], alpha: float
) -> NDArray[np.float64]:
    d, tau = _predictor(design, theta)
    s = theta[:, : design.n_models]
    return np.asarray(_loglik(design.ties, d, tau, n) - alpha / 2 * (s * s).sum(1))


def _newton_system(
    design: Design, theta: NDArray[np.float64], n: NDArray[np.float64], alpha: float
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Gradient and negative Hessian (made non-singular) of each table's objective."""
    m, k, q = design.n_models, design.n_style, design.n_params
    b = theta.shape[0]
    d, tau = _predictor(design, theta)
    t = _terms(design.ties, d, tau, n)
    s = theta[:, :m]
    g = np.empty((b, q))
    g[:, :m] = (design.dt @ t.l_d.T).T - alpha * s
    a = np.zeros((b, q, q))
    a_ss = (design.hess @ t.curv.T).T.reshape(b, m, m)
    a[:, :m, :m] = a_ss
    diag = np.arange(m)
    level = np.maximum(a_ss[:, diag, diag].mean(1), 1.0)
    # alpha, plus a jitter that only matters for a model absent from a resample
    a[:, diag, diag] += alpha + 1e-12 * level[:, None]
    for grp in design.groups:
        a[:, grp[:, None], grp[None, :]] += (level / len(grp))[:, None, None]
    if k:
        x = design.x
        g[:, m : m + k] = t.l_d @ x
        for j in range(k):
            col = (design.dt @ (t.curv * x[:, j]).T).T
            a[:, :m, m + j] = col
            a[:, m + j, :m] = col
        a[:, m : m + k, m : m + k] = np.einsum("bp,pk,pl->bkl", t.curv, x, x)
    if design.n_tie:
        assert t.l_t is not None
        assert t.l_dt is not None
        assert t.l_tt is not None
        j = m + k
        g[:, j] = t.l_t.sum(1)
        col = -(design.dt @ t.l_dt.T).T
        a[:, :m, j] = col
        a[:, j, :m] = col
        if k:
            cross = -(t.l_dt @ design.x)
            a[:, m : m + k, j] = cross
            a[:, j, m : m + k] = cross
        a[:, j, j] = -t.l_tt.sum(1)
    return g, a


class NewtonResult(NamedTuple):
    theta: NDArray[np.float64]
    n_iter: NDArray[np.int64]
    converged: NDArray[np.bool_]


def _project(design: Design, theta: NDArray[np.float64]) -> None:
    if design.n_tie:
        lo, hi = _TAU_BOUNDS[design.ties]
        j = design.n_models + design.n_style
        np.clip(theta[:, j], lo, hi, out=theta[:, j])


def newton(
    design: Design,
    counts: NDArray[np.float64],
    theta0: NDArray[np.float64],
    *,
    alpha: float,
    max_iter: int,
    tol: float,
) -> NewtonResult:
    """Maximise the penalised log-likelihood of each count table.

    Parameters
    ----------
    design
        The cells' structure.
    counts
        Outcome counts, shape ``(tables, cells, 3)`` (a wins, b wins, ties); one table
        may be shared by every start (shape ``(1, cells, 3)``).
    theta0
        Starts, shape ``(tables, params)``: strengths, style coefficients, tie parameter.
    alpha
        Ridge on the strengths.
    max_iter, tol
        At most ``max_iter`` Newton steps; a table has converged when its step changed
        no parameter by more than ``tol``.
    """
    theta = np.array(theta0, dtype=np.float64)
    _project(design, theta)
    b = theta.shape[0]
    shared = counts.shape[0] == 1
    n_iter = np.zeros(b, dtype=np.int64)
    converged = np.zeros(b, dtype=np.bool_)
    active = np.arange(b)
    f_cur = _objective(design, theta, counts, alpha)
    for _ in range(max_iter):
        if not len(active):
            break
        th = theta[active]
        n = counts if shared else counts[active]
        f0 = f_cur[active]
        g, a = _newton_system(design, th, n, alpha)
        try:
            step = np.linalg.solve(a, g[..., None])[..., 0]
        except np.linalg.LinAlgError:
            step = np.stack(
                [np.linalg.lstsq(ai, gi, rcond=None)[0] for ai, gi in zip(a, g, strict=True)]
            )
        new = th + step
        _project(design, new)
        # backtracking: halve the step of each table whose objective went down
        scale = np.ones(len(active))
        pending = np.arange(len(active))
        slack = 1e-12 * (1.0 + np.abs(f0))
        f_new = np.empty(len(active))
        for _halving in range(50):
            n_p = n if shared else n[pending]
            f1 = _objective(design, new[pending], n_p, alpha)
            f_new[pending] = f1
            moved = np.abs(new[pending] - th[pending]).max(1)
            ok = (f1 >= f0[pending] - slack[pending]) | (moved < tol)
            pending = pending[~ok]
            if not len(pending):
                break
            scale[pending] /= 2
            cand = th[pending] + scale[pending, None] * step[pending]
            _project(design, cand)
            new[pending] = cand
        change = np.abs(new - th).max(1)
        theta[active] = new
        f_cur[active] = f_new
        n_iter[active] += 1
        done = change < tol
        converged[active[done]] = True
        active = active[~done]
    return NewtonResult(theta, n_iter, converged)


def refit(
    design: Design,
    draw: Callable[[int], NDArray[np.float64]],
    start: NDArray[np.float64],
    rounds: int,
    *,
    alpha: float,
    max_iter: int,
    tol: float,
) -> tuple[NDArray[np.float64], NDArray[np.bool_], int]:
    """Fit ``rounds`` resampled count tables in Newton batches of ``design.batch``.

    Parameters
    ----------
    design
        The cells' structure.
    draw
        ``draw(b)`` returns the next ``b`` resampled count tables, shape ``(b, cells, 3)``.
    start
        Start of every refit, shape ``(params,)``.
    rounds
        Number of tables.
    alpha, max_iter, tol
        As :func:`newton`.

    Returns
    -------
    thetas, present, failed
        The fitted parameters ``(rounds, params)``; whether each model played in each
        table ``(rounds, models)``; how many refits did not converge.
    """
    thetas = np.empty((rounds, design.n_params))
    present = np.empty((rounds, design.n_models), dtype=np.bool_)
    failed = 0
    step = design.batch
    for first in range(0, rounds, step):
        b = min(step, rounds - first)
        counts = draw(b)
        res = newton(
            design,
            counts,
            np.repeat(start[None], b, axis=0),
            alpha=alpha,
            max_iter=max_iter,
            tol=tol,
        )
        thetas[first : first + b] = res.theta
        failed += int((~res.converged).sum())
        present[first : first + b] = (design.incidence @ counts.sum(2).T).T > 0
    return thetas, present, failed
