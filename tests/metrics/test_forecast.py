"""CRPS and RCRPS against properscoring / scoringrules, a brute-force pair sum, a closed
form and the constructed case of the methods note (§8.5)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from assay.errors import InputError
from assay.metrics._core import get_metric
from assay.metrics._forecast import Constraint, crps, rcrps


def test_constructed_case_of_the_note() -> None:
    value = rcrps(
        [0, 1, 2, 3],
        [[0, 1, 2, 4], [0, 1, 2, 4]],
        scaling=1 / 3,
        region_of_interest=[2, 3],
        constraints=[Constraint("max", 3.5)],
    )
    assert value == pytest.approx(0.5, abs=1e-12)
    assert crps([0.0], [-1.0, 1.0])[0] == 0.0  # unbiased estimator


def test_fair_crps_equals_the_brute_force_pair_sum_and_scoringrules() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(7, 5))
    y = rng.normal(size=5)
    n = x.shape[0]
    brute = np.abs(x - y).mean(axis=0) - np.abs(x[:, None, :] - x[None, :, :]).sum(axis=(0, 1)) / (
        2 * n * (n - 1)
    )
    np.testing.assert_allclose(crps(y, x), brute, atol=1e-12)
    sr = pytest.importorskip("scoringrules")
    np.testing.assert_allclose(crps(y, x), sr.crps_ensemble(y, x.T, estimator="fair"), atol=1e-12)


def test_empirical_crps_equals_properscoring() -> None:
    ps = pytest.importorskip("properscoring")
    rng = np.random.default_rng(1)
    x = rng.gamma(2.0, size=(9, 6))
    y = rng.gamma(2.0, size=6)
    np.testing.assert_allclose(
        crps(y, x, estimator="empirical"), ps.crps_ensemble(y, x.T), atol=1e-12
    )


def test_crps_of_many_normal_samples_approaches_the_closed_form() -> None:
    from scipy.stats import norm

    rng = np.random.default_rng(2)
    y, sigma = 0.7, 1.3
    z = y / sigma
    exact = sigma * (z * (2 * norm.cdf(z) - 1) + 2 * norm.pdf(z) - 1 / math.sqrt(math.pi))
    assert crps([y], rng.normal(0, sigma, size=200_000))[0] == pytest.approx(exact, abs=5e-3)


def test_rcrps_penalty_and_options() -> None:
    y = np.array([0.0, 1.0, 2.0])
    ok = np.tile(y, (3, 1))
    assert rcrps(y, ok, scaling=1.0, constraints=[Constraint("min", -1.0)]) == 0.0
    low = ok.copy()
    low[0] -= 3  # one sample violates x >= -1 by 2, 1, 0 -> mean 1
    v = np.array([10.0, 0.0, 0.0])
    expected = crps(y, low).mean() + crps([0.0], v)[0]
    assert rcrps(y, low, scaling=1.0, constraints=[Constraint("min", -1.0)]) == pytest.approx(
        expected
    )
    expo = crps(y, low).mean() + crps([0.0], np.expm1(v))[0]
    assert rcrps(
        y, low, scaling=1.0, constraints=[Constraint("min", -1.0)], violation="exponential"
    ) == pytest.approx(expo)
    assert rcrps(y, low, scaling=1.0, log_transform=True) == pytest.approx(
        math.log1p(crps(y, low).mean())
    )


@settings(max_examples=40, deadline=None)
@given(
    arrays(np.float64, (6, 3), elements=st.floats(-50, 50)),
    arrays(np.float64, 3, elements=st.floats(-50, 50)),
)
def test_crps_is_nonnegative_and_invariant_to_sample_order(x: np.ndarray, y: np.ndarray) -> None:
    a = crps(y, x)
    assert (a >= -1e-9).all()
    np.testing.assert_allclose(crps(y, x[::-1]), a, atol=1e-9)


def test_registered_metrics() -> None:
    res = get_metric("crps").compute([[-1.0, 1.0], [0.0, 2.0]], [0.0, 1.0])
    assert res.value == pytest.approx((0.0 + 0.0) / 2)
    ref = {
        "target": [0, 1, 2, 3],
        "scaling": 1 / 3,
        "region_of_interest": [2, 3],
        "constraints": [{"kind": "max", "bound": 3.5}],
    }
    assert get_metric("rcrps").compute(
        [[[0, 1, 2, 4], [0, 1, 2, 4]]], [ref]
    ).value == pytest.approx(0.5)
    assert get_metric("rcrps", cap=0.2).compute(
        [[[0, 1, 2, 4], [0, 1, 2, 4]]], [ref]
    ).value == pytest.approx(0.2)


def test_bad_input() -> None:
    with pytest.raises(InputError, match="steps"):
        crps([0.0, 1.0], [[0.0], [1.0]])
    with pytest.raises(InputError, match="finite"):
        crps([np.nan], [0.0, 1.0])
    with pytest.raises(InputError, match="two samples"):
        crps([0.0], [[1.0]])
    with pytest.raises(InputError, match="'scaling' parameter"):
        rcrps([0.0], [0.0, 1.0], scaling=0.0)
    with pytest.raises(InputError, match="mask"):
        rcrps(
            [0.0, 1.0], [[0.0, 1.0], [1.0, 1.0]], scaling=1.0, region_of_interest=np.array([True])
        )
    with pytest.raises(InputError, match="'kind' parameter"):
        Constraint("above", 1.0)  # type: ignore[arg-type]
