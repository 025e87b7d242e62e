"""PATE, PATE-F1, point-adjusted F1 and range-based precision/recall against the PyPI
packages ``PATE`` and ``prts`` and the worked examples of the methods note (§1)."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assay.errors import DegenerateDataWarning, InputError
from assay.metrics._core import get_metric
from assay.metrics._timeseries import (
    pate,
    pate_f1,
    point_adjusted_f1,
    range_precision,
    range_recall,
)


def _readme_example() -> tuple[np.ndarray, np.ndarray]:
    y = np.zeros(500)
    y[40:60] = 1
    p = np.zeros(500)
    p[30:50] = 1
    return y, p


def _reference_pate():  # type: ignore[no-untyped-def]
    pytest.importorskip("pate", reason="needs the PyPI package PATE (pip install PATE --no-deps)")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pate.PATE_metric import PATE
    return PATE


def _random_case(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    n = int(rng.integers(60, 300))
    width = int(rng.integers(1, 8))
    y = (np.convolve(rng.random(n) < 0.04, np.ones(width), mode="same") > 0).astype(int)
    if y.sum() == 0:
        y[n // 2] = 1
    s = np.round(rng.random(n) + 0.6 * y * rng.random(n), 2)
    return y, s


def test_worked_example_of_the_readme() -> None:
    y, p = _readme_example()
    assert pate_f1(y, p, early=20, delay=20, include_zero=False) == pytest.approx(0.7513, abs=5e-5)
    assert pate(y, p, early=20, delay=20, include_zero=False, n_thresholds=None) == pytest.approx(
        0.7593, abs=5e-5
    )
    assert pate_f1(y, p, early=20, delay=20) == pytest.approx(0.6631, abs=5e-5)
    assert point_adjusted_f1(y, p) == pytest.approx(0.8)
    for alpha, expected in ((0.0, 0.5), (0.2, 0.6), (1.0, 1.0)):
        assert range_precision(y, p, alpha=alpha) == pytest.approx(expected)
        assert range_recall(y, p, alpha=alpha) == pytest.approx(expected)


def test_pate_equals_the_reference_package_on_random_series() -> None:
    reference = _reference_pate()
    rng = np.random.default_rng(11)
    for trial in range(12):
        y, s = _random_case(rng)
        b = (s > 0.8).astype(int)
        early, delay = int(rng.integers(0, 15)), int(rng.integers(0, 15))
        splits, zero = int(rng.integers(1, 3)), bool(trial % 2)
        n_thr = None if trial % 3 else 20
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ref = reference(
                y,
                s,
                early,
                delay,
                num_splits_MaxBuffer=splits,
                include_zero=zero,
                Big_Data=n_thr is not None,
                num_desired_thresholds=n_thr or 250,
            )
            ref_f1 = reference(
                y,
                b,
                early,
                delay,
                num_splits_MaxBuffer=splits,
                include_zero=zero,
                binary_scores=True,
            )
        ours = pate(
            y, s, early=early, delay=delay, n_splits=splits, include_zero=zero, n_thresholds=n_thr
        )
        assert ours == pytest.approx(ref, abs=1e-9)
        assert pate_f1(
            y, b, early=early, delay=delay, n_splits=splits, include_zero=zero
        ) == pytest.approx(ref_f1, abs=1e-9)


def test_range_metrics_equal_prts_for_every_option() -> None:
    prts = pytest.importorskip("prts")
    rng = np.random.default_rng(2)
    for _ in range(8):
        y, s = _random_case(rng)
        b = (s > 0.7).astype(int)
        if b.sum() == 0:
            b[0] = 1
        for bias in ("flat", "front", "middle", "back"):
            for card in ("one", "reciprocal"):
                for alpha in (0.0, 0.3):
                    opts = {"alpha": alpha, "cardinality": card, "bias": bias}
                    assert range_precision(y, b, **opts) == pytest.approx(
                        prts.ts_precision(y, b, **opts), abs=1e-12
                    )
                    assert range_recall(y, b, **opts) == pytest.approx(
                        prts.ts_recall(y, b, **opts), abs=1e-12
                    )


def test_point_adjusted_f1_against_sklearn_on_adjusted_labels() -> None:
    from sklearn.metrics import f1_score

    rng = np.random.default_rng(4)
    for _ in range(10):
        y, s = _random_case(rng)
        b = (s > 0.9).astype(int)
        adjusted = b.copy()
        idx = np.flatnonzero(y)
        runs = np.split(idx, np.flatnonzero(np.diff(idx) > 1) + 1)
        for r in runs:
            if b[r].any():
                adjusted[r] = 1
        assert point_adjusted_f1(y, b) == pytest.approx(f1_score(y, adjusted, zero_division=0.0))


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 100_000))
def test_values_are_bounded_and_a_perfect_detector_scores_one(seed: int) -> None:
    y, s = _random_case(np.random.default_rng(seed))
    b = (s > 0.8).astype(int)
    for v in (
        pate(y, s, early=5, delay=5),
        pate_f1(y, b, early=5, delay=5),
        point_adjusted_f1(y, b),
    ):
        assert 0.0 <= v <= 1.0 + 1e-12
    assert pate_f1(y, y, early=5, delay=5) == pytest.approx(1.0)
    assert pate(y, y.astype(float), early=5, delay=5) == pytest.approx(1.0)


def test_registered_metrics_average_over_series() -> None:
    y, p = _readme_example()
    metric = get_metric("pate_f1", early=20, delay=20, include_zero=False)
    result = metric.compute([p, p], [y, y])
    assert result.value == pytest.approx(0.7513, abs=5e-5)
    assert result.signature["options"]["early"] == 20
    assert get_metric("range_recall", alpha=0.2).compute([p], [y]).value == pytest.approx(0.6)


def test_bad_input() -> None:
    y, p = _readme_example()
    with pytest.raises(InputError, match="same length"):
        pate(y, p[:-1])
    with pytest.raises(InputError, match="only 0 and 1"):
        pate(np.r_[y[:-1], 2], p)
    with pytest.raises(InputError, match="NaN"):
        pate(y, np.r_[p[:-1], np.nan])
    with pytest.raises(InputError, match="'early' parameter"):
        pate(y, p, early=-1)
    with pytest.raises(InputError, match="'bias' parameter"):
        range_precision(y, p, bias="sideways")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="empty"):
        pate_f1([], [])
    with pytest.warns(DegenerateDataWarning):
        assert math.isnan(pate(np.zeros(10), np.arange(10.0)))
    with pytest.warns(DegenerateDataWarning):
        assert math.isnan(range_recall(np.zeros(10), np.ones(10)))
