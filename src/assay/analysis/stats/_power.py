"""Power of paired comparisons: the smallest difference n items can detect, and the items
a given difference needs.

Two designs. *Continuous* scores: the paired t test on the per-item differences, whose
power comes from the noncentral t distribution (the standard deviation of the
differences sets the scale). *Binary* scores: McNemar's test, whose power depends on the
discordance rate ``psi`` (share of items where exactly one model is right) and the
difference of proportions ``delta``; assay uses Connor's (1987) normal approximation.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy import optimize, stats

from assay._display import TableView
from assay.analysis.stats._inputs import check_open_unit, float_vector, is_real
from assay.analysis.stats._interval import signature
from assay.errors import DegenerateDataWarning, InputError

__all__ = ["PowerAnalysis", "items_needed", "minimum_detectable_difference"]


@dataclass(frozen=True)
class PowerAnalysis(TableView):
    """A difference, a number of items, and the power of a two-sided paired test.

    Attributes
    ----------
    difference
        Mean difference between the two models (score units).
    n_items
        Items (an integer: the smallest sufficient count for :func:`items_needed`).
    n_items_exact
        The fractional solution before rounding up (``n_items`` for the other function).
    design
        ``"continuous"`` (paired t test) or ``"binary"`` (McNemar).
    sd
        Standard deviation of the per-item differences (continuous design).
    discordance
        Share of items where the two models disagree (binary design).
    """

    difference: float
    n_items: int
    n_items_exact: float
    alpha: float
    power: float
    design: str
    sd: float | None
    discordance: float | None
    method: str
    signature: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_rows(self) -> tuple[list[str], list[list[object]]]:
        scale = (
            f"sd {self.sd:.4g}" if self.sd is not None else f"discordance {self.discordance:.4g}"
        )
        cols = ["design", "difference", "items", "alpha", "power", "scale"]
        return cols, [[self.design, self.difference, self.n_items, self.alpha, self.power, scale]]

    @property
    def title(self) -> str:
        return self.method


def _t_power(effect: float, n: float, alpha: float) -> float:
    """Power of the two-sided one-sample t test for standardised effect ``effect``."""
    df = n - 1.0
    crit = stats.t.ppf(1.0 - alpha / 2.0, df)
    nc = effect * math.sqrt(n)
    power = float(stats.nct.sf(crit, df, nc) + stats.nct.cdf(-crit, df, nc))
    if math.isnan(power):  # far in the tail the noncentral t is numerically 0 or 1
        return 1.0 if abs(nc) > crit else 0.0
    return power


def _mcnemar_n(delta: float, psi: float, alpha: float, power: float) -> float:
    """Connor (1987): items for McNemar's test to detect ``delta`` at discordance ``psi``."""
    za = stats.norm.ppf(1.0 - alpha / 2.0)
    zb = stats.norm.ppf(power)
    return float((za * math.sqrt(psi) + zb * math.sqrt(psi - delta**2)) ** 2 / delta**2)


def _scale(
    sd: float | None,
    discordance: float | None,
    a: ArrayLike | None,
    b: ArrayLike | None,
    func: str,
) -> tuple[str, float]:
    given = [x is not None for x in (sd, discordance)] + [a is not None or b is not None]
    if sum(given) != 1:
        raise InputError(
            f"{func}: give exactly one of 'sd' (continuous scores), 'discordance' (0/1 "
            "scores) or observed scores 'a' and 'b'"
        )
    if sd is not None:
        if not (is_real(sd) and 0 < sd < math.inf):
            raise InputError(
                f"the 'sd' parameter of {func} must be a finite number > 0; got {sd!r}"
            )
        return "continuous", float(sd)
    if discordance is not None:
        if not (is_real(discordance) and 0 < discordance <= 1):
            raise InputError(
                f"the 'discordance' parameter of {func} must be in (0, 1]; got {discordance!r}"
            )
        return "binary", float(discordance)
    if a is None or b is None:
        raise InputError(f"{func}: give both 'a' and 'b' (observed scores of the two models)")
    x, y = float_vector(a, "a", func), float_vector(b, "b", func)
    if len(x) != len(y):
        raise InputError(f"{func}: 'a' has {len(x)} items and 'b' has {len(y)}")
    keep = ~(np.isnan(x) | np.isnan(y))
    x, y = x[keep], y[keep]
    if len(x) < 2:
        raise InputError(f"{func}: need at least two items with both scores")
    if np.isin(x, (0.0, 1.0)).all() and np.isin(y, (0.0, 1.0)).all():
        psi = float(np.mean(x != y))
        if psi == 0:
            raise InputError(f"{func}: the two models never disagree; discordance is 0")
        return "binary", psi
    s = float(np.std(x - y, ddof=1))
    if s == 0:
        raise InputError(f"{func}: the differences are constant; their sd is 0")
    return "continuous", s


#: the test whose power each design computes
_METHODS = {
    "continuous": "paired t test (noncentral t)",
    "binary": "McNemar test (Connor 1987 normal approximation)",
}


def _analysis(
    what: str,
    *,
    difference: float,
    n_items: int,
    n_items_exact: float,
    alpha: float,
    power: float,
    design: str,
    scale: float,
) -> PowerAnalysis:
    """The result of a power computation (``what`` it computed names it in the signature)."""
    method = _METHODS[design]
    return PowerAnalysis(
        difference=difference,
        n_items=n_items,
        n_items_exact=n_items_exact,
        alpha=alpha,
        power=power,
        design=design,
        sd=scale if design == "continuous" else None,
        discordance=scale if design == "binary" else None,
        method=method,
        signature=signature(
            f"{what}, {method}",
            n=n_items,
            resamples=None,
            seed=None,
            params={"alpha": alpha, "power": power, "scale": scale, "design": design},
        ),
    )


def _check_levels(alpha: float, power: float, func: str) -> None:
    check_open_unit(alpha, "alpha", func)
    if not (is_real(power) and alpha < power < 1):
        raise InputError(f"the 'power' parameter of {func} must be in (alpha, 1); got {power!r}")


def minimum_detectable_difference(
    n_items: int,
    *,
    sd: float | None = None,
    discordance: float | None = None,
    a: ArrayLike | None = None,
    b: ArrayLike | None = None,
    alpha: float = 0.05,
    power: float = 0.8,
) -> PowerAnalysis:
    """The smallest mean difference a two-sided paired test on ``n_items`` detects.

    Parameters
    ----------
    n_items
        Items both models are scored on.
    sd
        Standard deviation of the per-item differences (continuous scores).
    discordance
        Share of items where exactly one model is right (0/1 scores).
    a, b
        Observed scores of two models, from which ``sd`` or ``discordance`` is taken
        (0/1 scores give the binary design). Give exactly one of the three.
    alpha
        Two-sided significance level.
    power
        Wanted probability of detecting the difference.

    Returns
    -------
    PowerAnalysis
        ``difference`` is the answer. For 0/1 scores no difference can exceed the
        discordance; when even that is undetectable the difference is NaN (with a
        :class:`DegenerateDataWarning`).

    References
    ----------
    Cohen, J. (1988). *Statistical Power Analysis for the Behavioral Sciences*, 2nd ed.,
    ch. 2 (t tests; power from the noncentral t distribution).
    Connor, R. J. (1987). Sample size for testing differences in proportions for the
    paired-sample design. *Biometrics* 43(1), 207-211.
    """
    func = "minimum_detectable_difference"
    _check_levels(alpha, power, func)
    if not isinstance(n_items, int | np.integer) or isinstance(n_items, bool) or n_items < 2:
        raise InputError(
            f"the 'n_items' parameter of {func} must be an integer >= 2; got {n_items!r}"
        )
    design, scale = _scale(sd, discordance, a, b, func)
    if design == "continuous":
        hi = 1.0
        while _t_power(hi, n_items, alpha) < power:
            hi *= 2.0
        effect = optimize.brentq(lambda e: _t_power(e, n_items, alpha) - power, 1e-9, hi)
        delta = float(effect * scale)
    else:
        # n(delta) decreases in delta on (0, psi]; solve n(delta) = n_items
        if _mcnemar_n(scale, scale, alpha, power) > n_items:
            warnings.warn(
                f"{func}: with discordance {scale:g}, {n_items} items cannot reach power "
                f"{power:g} for any difference",
                DegenerateDataWarning,
                stacklevel=2,
            )
            delta = float("nan")
        else:
            delta = float(
                optimize.brentq(
                    lambda d: _mcnemar_n(d, scale, alpha, power) - n_items, 1e-12, scale
                )
            )
    return _analysis(
        "minimum detectable difference",
        difference=delta,
        n_items=int(n_items),
        n_items_exact=float(n_items),
        alpha=alpha,
        power=power,
        design=design,
        scale=scale,
    )


def items_needed(
    difference: float,
    *,
    sd: float | None = None,
    discordance: float | None = None,
    a: ArrayLike | None = None,
    b: ArrayLike | None = None,
    alpha: float = 0.05,
    power: float = 0.8,
) -> PowerAnalysis:
    """Items a two-sided paired test needs to detect a mean difference of ``difference``.

    Parameters are those of :func:`minimum_detectable_difference`, with the difference
    given instead of the number of items. ``n_items`` is the smallest integer count that
    reaches ``power``; ``n_items_exact`` the fractional solution.

    References
    ----------
    Cohen, J. (1988). *Statistical Power Analysis for the Behavioral Sciences*, 2nd ed.,
    ch. 2 (t tests; power from the noncentral t distribution).
    Connor, R. J. (1987). Sample size for testing differences in proportions for the
    paired-sample design. *Biometrics* 43(1), 207-211.
    """
    func = "items_needed"
    _check_levels(alpha, power, func)
    if not (is_real(difference) and 0 < difference < math.inf):
        raise InputError(f"the 'difference' parameter of {func} must be > 0; got {difference!r}")
    design, scale = _scale(sd, discordance, a, b, func)
    if design == "continuous":
        effect = difference / scale

        def gap(n: float) -> float:
            return _t_power(effect, n, alpha) - power

        hi = 4.0
        while gap(hi) < 0:
            hi *= 2.0
            if hi > 1e12:
                raise InputError(f"{func}: difference {difference!r} is too small to detect")
        exact = float(optimize.brentq(gap, 2.0, hi)) if gap(2.0) < 0 else 2.0
    else:
        if difference > scale:
            raise InputError(
                f"{func}: a difference of {difference!r} is impossible when the models "
                f"disagree on only a share {scale:g} of items (difference <= discordance)"
            )
        exact = _mcnemar_n(difference, scale, alpha, power)
    n = max(2, math.ceil(exact - 1e-9))
    return _analysis(
        "items needed",
        difference=float(difference),
        n_items=n,
        n_items_exact=exact,
        alpha=alpha,
        power=power,
        design=design,
        scale=scale,
    )
