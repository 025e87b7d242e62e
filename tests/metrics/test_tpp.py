"""Temporal point-process metrics against closed forms (scipy) and scikit-learn."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, stats
from scipy.special import gammaln

from assay.errors import DegenerateDataWarning, InputError
from assay.metrics._core import get_metric
from assay.metrics._tpp import (
    compensator_monte_carlo,
    next_time_rmse,
    tpp_log_likelihood,
    type_accuracy,
)


def test_homogeneous_poisson_worked_example_and_scipy() -> None:
    # lambda = 2 on [0, 3] with 2 events: LL = 2 ln 2 - 6 (note §8.6)
    ll = tpp_log_likelihood([[math.log(2), math.log(2)]], [6.0], per_event=False)
    assert ll == pytest.approx(-4.614, abs=5e-4)
    # the same value from the Poisson count and the uniform order statistics
    n, lam, t = 2, 2.0, 3.0
    assert ll == pytest.approx(stats.poisson.logpmf(n, lam * t) + gammaln(n + 1) - n * math.log(t))
    assert tpp_log_likelihood([[math.log(2), math.log(2)]], [6.0]) == pytest.approx(ll / 2)


def test_inhomogeneous_process_with_monte_carlo_compensator() -> None:
    rate = lambda t: 1.0 + np.sin(t) ** 2  # noqa: E731
    times = np.array([0.4, 1.1, 2.5, 2.9])
    edges = np.r_[0.0, times, 3.5]
    dt = np.diff(edges)
    u = (np.arange(2000) + 0.5) / 2000  # evenly spread points in each interval
    samples = rate(edges[:-1, None] + dt[:, None] * u[None, :])
    comp = compensator_monte_carlo(samples[None], dt[None])
    exact, _ = integrate.quad(rate, 0.0, 3.5)
    assert comp[0] == pytest.approx(exact, rel=1e-6)
    ll = tpp_log_likelihood(np.log(rate(times))[None], comp, per_event=False)
    assert ll == pytest.approx(np.log(rate(times)).sum() - exact, rel=1e-6)


def test_padding_is_masked() -> None:
    log_lam = np.array([[0.1, 0.2, 99.0], [0.3, 99.0, 99.0]])
    mask = np.array([[True, True, False], [True, False, False]])
    assert tpp_log_likelihood(log_lam, [1.0, 2.0], mask) == pytest.approx((0.3 - 1 + 0.3 - 2) / 3)


def test_rmse_and_accuracy_against_sklearn() -> None:
    from sklearn.metrics import accuracy_score, mean_squared_error

    rng = np.random.default_rng(0)
    p, a = rng.random((4, 6)), rng.random((4, 6))
    mask = rng.random((4, 6)) < 0.7
    assert next_time_rmse(p, a, mask) == pytest.approx(
        math.sqrt(mean_squared_error(a[mask], p[mask]))
    )
    tp, ta = rng.integers(0, 3, (4, 6)), rng.integers(0, 3, (4, 6))
    assert type_accuracy(tp, ta, mask) == pytest.approx(accuracy_score(ta[mask], tp[mask]))
    seqs_p = [p[i][mask[i]] for i in range(4)]
    seqs_a = [a[i][mask[i]] for i in range(4)]
    res = get_metric("next_time_rmse").compute(seqs_p, seqs_a)
    assert res.value == pytest.approx(math.sqrt(mean_squared_error(a[mask], p[mask])))
    res = get_metric("type_accuracy").compute(
        [tp[i][mask[i]] for i in range(4)], [ta[i][mask[i]] for i in range(4)]
    )
    assert res.value == pytest.approx(accuracy_score(ta[mask], tp[mask]))
    # pooled statistics: sequence order does not matter
    res2 = get_metric("next_time_rmse").compute(seqs_p[::-1], seqs_a[::-1])
    assert res2.value == pytest.approx(math.sqrt(mean_squared_error(a[mask], p[mask])))


def test_bad_input() -> None:
    with pytest.raises(InputError, match="same shape"):
        next_time_rmse([1.0, 2.0], [1.0])
    with pytest.raises(InputError, match="one value per sequence"):
        tpp_log_likelihood([[0.0, 0.0]], [1.0, 2.0])
    with pytest.raises(InputError, match="boolean"):
        type_accuracy([1], [1], mask=[1])
    with pytest.raises(InputError, match=">= 0"):
        compensator_monte_carlo([[[-1.0]]], [[1.0]])
    with pytest.warns(DegenerateDataWarning):
        assert math.isnan(next_time_rmse([1.0], [1.0], mask=np.array([False])))
