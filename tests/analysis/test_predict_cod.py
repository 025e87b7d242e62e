"""COD on a simulated ladder with known truth: scalable, emergent, flat, all-zero and
non-monotone item clusters (the synthetic test of the methods notes, section 1)."""

from __future__ import annotations

import numpy as np
import pytest

from assay.analysis.predict import COD, cod_curve, mean_shift
from assay.errors import InputError, NotFittedError

C1 = 1e20
LADDER = C1 * 2.0 ** np.arange(8)
SCALABLE = [  # (a, b, c, g): two ordinary clusters and an emergent one (zero on small models)
    (3.0, 0.6, 0.0, 0.0),
    (8.0, 0.5, 0.2, 0.25),
    (30.0, 0.8, 0.0, 0.0),
]


def _ladder(seed: int = 0, n: int = 150) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pass rates (items x models) from 100 samples per item, the true item rates as a
    function of compute, and the latent cluster of each item."""
    rng = np.random.default_rng(seed)
    rates = []
    latent = []

    def truth_at(c: np.ndarray) -> np.ndarray:
        cu = c / C1
        rows = []
        for a, b, cc, g in SCALABLE:
            jitter = np.exp(rng_j.normal(0, 0.05, n))
            rows.append(cod_curve(cu[None, :], (a * jitter)[:, None], b, cc, g))
        rows.append(np.full((n, len(cu)), 0.75) + flat_noise[:, None])  # flat
        rows.append(np.zeros((n, len(cu))))  # never solved
        # non-monotone: better at mid-size models than at small and large ones
        rows.append(0.15 + 0.5 * np.exp(-((np.log2(cu) - 3.5) ** 2) / 2.0)[None, :].repeat(n, 0))
        return np.vstack(rows)

    flat_noise = rng.normal(0, 0.02, n)
    rng_j = np.random.default_rng(seed + 100)
    true_ladder = truth_at(LADDER)
    observed = rng.binomial(100, np.clip(true_ladder, 0, 1)) / 100
    rates.append(observed)
    latent = np.repeat(np.arange(6), n)

    def truth(c: float) -> float:
        nonlocal rng_j
        rng_j = np.random.default_rng(seed + 100)  # the same item jitter
        return float(truth_at(np.array([c])).mean())

    return observed, latent, np.array([truth(c) for c in C1 * 2.0 ** np.array([8, 9, 10, 11])])


def _ari(a: np.ndarray, b: np.ndarray) -> float:
    sklearn_metrics = pytest.importorskip("sklearn.metrics")
    return float(sklearn_metrics.adjusted_rand_score(a, b))


def test_cluster_curve_fit_recovers_noiseless_parameters() -> None:
    cod = COD(min_cluster_size=5)
    cu = LADDER / C1
    row = cod._fit_cluster(0, cod_curve(cu, 5.0, 0.4, 0.2, 0.25), cu, 10)
    assert row["a"] == pytest.approx(5.0, rel=1e-3)
    assert row["b"] == pytest.approx(0.4, rel=1e-3)
    assert row["c"] == pytest.approx(0.2, abs=1e-3)
    assert row["g"] == pytest.approx(0.25, abs=1e-3)
    assert row["kept"]


def test_mean_shift_matches_sklearn() -> None:
    cluster = pytest.importorskip("sklearn.cluster")
    rng = np.random.default_rng(1)
    x = np.vstack([rng.normal(m, 0.05, (40, 2)) for m in ((0, 0), (1, 1), (0, 1))])
    ours = mean_shift(x, 0.4)
    ref = cluster.MeanShift(bandwidth=0.4).fit(x).labels_
    assert _ari(ours, ref) == pytest.approx(1.0)


def test_cod_recovers_truth_and_excludes_unpredictable_clusters() -> None:
    observed, latent, truth = _ladder()
    # anchors: three larger reference models whose full pass rates are known
    anchors_truth = []
    rng = np.random.default_rng(7)
    obs_big, _, _ = _ladder(seed=0)
    del obs_big
    cod = COD(min_cluster_size=10)
    # the anchor models: true rates at 2^8..2^10 x C1 (noisy, 100 samples)
    big = _truth_rates(np.array([2.0**8, 2.0**9, 2.0**10]) * C1)
    anchors_truth = rng.binomial(100, np.clip(big, 0, 1)) / 100
    cod.fit(observed, LADDER, anchors=anchors_truth)
    assert _ari(cod.labels_[cod.labels_ >= 0], latent[cod.labels_ >= 0]) >= 0.9
    kept_latent = set(latent[cod.subset_])
    assert kept_latent == {0, 1, 2}, cod.clusters_
    excluded = cod.clusters_[~cod.clusters_["kept"]]
    assert (excluded["reason"] != "").all()
    pred = cod.predict(C1 * 2.0**8)
    assert abs(pred.prediction - truth[0]) < 0.02, (pred.prediction, truth[0])
    assert pred.subset_fraction == pytest.approx(0.5, abs=0.05)
    assert "COD" in pred.title
    assert pred.to_dict()["clusters"]


def _truth_rates(c: np.ndarray, n: int = 150) -> np.ndarray:
    rng_j = np.random.default_rng(100)
    flat_noise = np.random.default_rng(0).normal(0, 0.02, n)
    cu = c / C1
    rows = []
    for a, b, cc, g in SCALABLE:
        jitter = np.exp(rng_j.normal(0, 0.05, n))
        rows.append(cod_curve(cu[None, :], (a * jitter)[:, None], b, cc, g))
    rows.append(np.full((n, len(cu)), 0.75) + flat_noise[:, None])
    rows.append(np.zeros((n, len(cu))))
    rows.append(0.15 + 0.5 * np.exp(-((np.log2(cu) - 3.5) ** 2) / 2.0)[None, :].repeat(n, 0))
    return np.vstack(rows)


def test_cod_bad_input() -> None:
    with pytest.raises(NotFittedError):
        COD().predict(1e21)
    with pytest.raises(InputError, match="at least 3"):
        COD().fit(np.zeros((20, 2)), LADDER[:2])
    with pytest.raises(InputError, match="distinct"):
        COD().fit(np.zeros((20, 3)), np.array([1.0, 1.0, 2.0]))
    with pytest.raises(InputError, match="mapping"):
        COD(mapping="cubic").fit(np.zeros((20, 3)), LADDER[:3])  # type: ignore[arg-type]
    with pytest.raises(InputError, match="no cluster is predictable"):
        COD(min_cluster_size=5).fit(np.full((30, 4), 0.3), LADDER[:4])
