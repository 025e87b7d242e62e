"""Scaling curves and a batched, bounded least-squares solver for many small fits at once.

A scaling fit has a handful of points (one per model size) and three or four parameters,
and a bootstrap needs a thousand of them per curve. Fitting them one by one with
``scipy.optimize.least_squares`` costs a Python call each; here every fit of a batch is a
row of an array and one Levenberg-Marquardt loop updates all rows together. Bounds are
kept by a smooth reparametrisation ``theta = lo + (hi - lo) * sigmoid(u)``; padding points
(curves with fewer models than others) carry weight 0.

Curves take ``x = log10(compute)``:

``sigmoid``
    ``y = floor + (ceiling - floor) * sigmoid(k * (x - x0))``: a chance floor (fixed) and a
    fitted ceiling, midpoint ``x0`` and slope ``k`` (per decade of compute).
``power_law``
    ``y = asymptote + a * 10 ** (-alpha * (x - x_ref))``: a power law in compute with an
    irreducible term (the asymptote); ``a < 0`` for a score that rises towards its
    asymptote, ``a > 0`` for a loss that falls towards it. ``x_ref`` is the smallest
    observed compute of the curve.
``linear``
    ``y = b0 + b1 * x`` (least squares in closed form): the naive baseline.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

__all__ = ["CURVES", "Curve", "CurveForm", "evaluate", "fit_batch", "fit_linear"]

CurveForm = Literal["sigmoid", "power_law", "linear"]
CURVES: tuple[CurveForm, ...] = ("sigmoid", "power_law", "linear")

Array = NDArray[np.float64]

#: the steepest sigmoid allowed, per decade of compute (assay's choice: from 12% to 88% of
#: the way between floor and ceiling takes at least 4/3 of a decade, so a curve cannot
#: jump between two neighbouring models of a ladder; emergent jumps stay representable)
K_MAX = 3.0


@dataclass(frozen=True)
class Curve:
    """A nonlinear curve form: parameter names and the function of ``x``."""

    form: CurveForm
    names: tuple[str, ...]


_SIGMOID = Curve("sigmoid", ("ceiling", "x0", "k"))
_POWER = Curve("power_law", ("asymptote", "a", "alpha"))
_LINEAR = Curve("linear", ("b0", "b1"))
_FORMS = {"sigmoid": _SIGMOID, "power_law": _POWER, "linear": _LINEAR}


def _expit(u: Array) -> Array:
    out: Array = 0.5 * (1.0 + np.tanh(0.5 * u))
    return out


def evaluate(
    form: CurveForm, theta: Array, x: Array, *, floor: Array | float, x_ref: Array | float
) -> Array:
    """The curve at ``x`` for parameters ``theta`` (last axis; leading axes broadcast)."""
    if form == "sigmoid":
        ceiling, x0, k = theta[..., 0:1], theta[..., 1:2], theta[..., 2:3]
        fl = np.asarray(floor, dtype=float)[..., None] if np.ndim(floor) else floor
        return fl + (ceiling - fl) * _expit(k * (x - x0))  # type: ignore[no-any-return]
    if form == "power_law":
        c, a, alpha = theta[..., 0:1], theta[..., 1:2], theta[..., 2:3]
        xr = np.asarray(x_ref, dtype=float)[..., None] if np.ndim(x_ref) else x_ref
        return c + a * np.power(10.0, -alpha * (x - xr))  # type: ignore[no-any-return]
    b0, b1 = theta[..., 0:1], theta[..., 1:2]
    return b0 + b1 * x  # type: ignore[no-any-return]


def bounds_for(
    form: CurveForm, x: Array, w: Array, *, floor: Array, value_range: tuple[float, float]
) -> tuple[Array, Array]:
    """Lower and upper parameter bounds per curve (rows of ``x``), assay's choices.

    sigmoid: ceiling in [floor, top], midpoint within 2 decades of the observed compute,
    slope in [-K_MAX, K_MAX] per decade. power_law: asymptote in the value range, ``|a|`` at most
    the range's width, exponent in [0, 3] per decade.
    """
    lo_v, hi_v = value_range
    observed = w > 0
    xmin = np.where(observed, x, np.inf).min(axis=1)
    xmax = np.where(observed, x, -np.inf).max(axis=1)
    b = len(x)
    if form == "sigmoid":
        lo = np.stack([floor + 1e-6, xmin - 2.0, np.full(b, -K_MAX)], axis=1)
        hi = np.stack([np.full(b, hi_v), xmax + 2.0, np.full(b, K_MAX)], axis=1)
        return lo, hi
    width = hi_v - lo_v
    lo = np.stack([np.full(b, lo_v), np.full(b, -width), np.zeros(b)], axis=1)
    hi = np.stack([np.full(b, hi_v), np.full(b, width), np.full(b, 3.0)], axis=1)
    return lo, hi


def fit_linear(x: Array, y: Array, w: Array) -> Array:
    """Weighted least squares of ``y`` on ``x`` per row: ``(b0, b1)`` of each row."""
    sw = w.sum(axis=1)
    safe = np.where(sw > 0, sw, 1.0)
    mx = (w * x).sum(axis=1) / safe
    my = (w * y).sum(axis=1) / safe
    sxx = (w * (x - mx[:, None]) ** 2).sum(axis=1)
    sxy = (w * (x - mx[:, None]) * (y - my[:, None])).sum(axis=1)
    b1 = np.where(sxx > 1e-12, sxy / np.where(sxx > 1e-12, sxx, 1.0), 0.0)
    return np.stack([my - b1 * mx, b1], axis=1)


def fit_batch(
    form: Literal["sigmoid", "power_law"],
    x: Array,
    y: Array,
    w: Array,
    *,
    floor: Array,
    x_ref: Array,
    lo: Array,
    hi: Array,
    start: Array,
    iterations: int = 60,
) -> tuple[Array, Array]:
    """Bounded weighted least squares for every row at once (Levenberg-Marquardt).

    Parameters
    ----------
    form
        The curve.
    x, y, w
        ``(B, n)`` arrays: log-compute, values and weights (bootstrap counts; 0 = absent).
    floor, x_ref
        ``(B,)`` chance floor (sigmoid) and reference log-compute (power law).
    lo, hi, start
        ``(B, P)`` bounds and starting parameters (clipped strictly inside the bounds).
    iterations
        Fixed number of damped Gauss-Newton steps (assay's choice: 60 is past the
        convergence of every fit in the tests; the SSE is non-increasing by design).

    Returns
    -------
    theta, sse
        ``(B, P)`` fitted parameters and ``(B,)`` weighted sums of squared residuals.

    References
    ----------
    Marquardt, D. W. (1963). An algorithm for least-squares estimation of nonlinear
    parameters. *Journal of the Society for Industrial and Applied Mathematics* 11(2).
    """
    span = hi - lo
    frac = np.clip((start - lo) / span, 1e-4, 1 - 1e-4)
    u = np.log(frac / (1 - frac))
    sqw = np.sqrt(w)

    def residuals(uu: Array) -> tuple[Array, Array]:
        sig = _expit(uu)
        theta = lo + span * sig
        value, grad = _value_and_gradient(form, theta, x, floor, x_ref)
        jac = sqw[..., None] * grad * (span * sig * (1 - sig))[:, None, :]
        return sqw * (value - y), jac

    r, jac = residuals(u)
    sse = (r * r).sum(axis=1)
    lam = np.full(len(x), 1e-2)
    p = u.shape[1]
    eye = np.eye(p)
    for _ in range(iterations):
        jtj = np.einsum("bni,bnj->bij", jac, jac)
        jtr = np.einsum("bni,bn->bi", jac, r)
        diag = np.einsum("bii->bi", jtj)
        damp = lam[:, None, None] * (eye * (diag[:, None, :] + 1e-9))
        step = np.linalg.solve(jtj + damp, -jtr[..., None])[..., 0]
        u_new = np.clip(u + step, -30, 30)
        r_new, jac_new = residuals(u_new)
        sse_new = (r_new * r_new).sum(axis=1)
        better = sse_new < sse
        u = np.where(better[:, None], u_new, u)
        r = np.where(better[:, None], r_new, r)
        jac = np.where(better[:, None, None], jac_new, jac)
        sse = np.where(better, sse_new, sse)
        lam = np.clip(np.where(better, lam / 3.0, lam * 4.0), 1e-9, 1e9)
    return lo + span * _expit(u), sse


def _value_and_gradient(
    form: Literal["sigmoid", "power_law"], theta: Array, x: Array, floor: Array, x_ref: Array
) -> tuple[Array, Array]:
    """The curve at ``x`` (B, n) and its derivatives in each parameter (B, n, P)."""
    if form == "sigmoid":
        ceiling, x0, k = theta[:, 0:1], theta[:, 1:2], theta[:, 2:3]
        s = _expit(k * (x - x0))
        height = ceiling - floor[:, None]
        ds = height * s * (1 - s)
        grad = np.stack([s, -k * ds, (x - x0) * ds], axis=-1)
        return floor[:, None] + height * s, grad
    c, a, alpha = theta[:, 0:1], theta[:, 1:2], theta[:, 2:3]
    dx = x - x_ref[:, None]
    e = np.power(10.0, -alpha * dx)
    grad = np.stack([np.ones_like(e), e, -a * e * dx * np.log(10.0)], axis=-1)
    return c + a * e, grad


def curve(form: CurveForm) -> Curve:
    """The :class:`Curve` of ``form``."""
    return _FORMS[form]
