"""Inter-rater coefficients against scikit-learn, statsmodels and the krippendorff package
(and Krippendorff's published worked example); judge agreement and position bias on
constructed verdicts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from assay.errors import DegenerateDataWarning, InputError
from assay.judge import (
    cohen_kappa,
    fleiss_kappa,
    judge_agreement,
    krippendorff_alpha,
    position_bias,
)

NAN = np.nan
#: Krippendorff (2011), "Computing Krippendorff's alpha-reliability", reliability data
#: with missing values: 4 coders (rows here are coders) x 12 units
KRIPPENDORFF_2011 = np.array(
    [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, NAN, NAN, NAN],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, NAN, 3],
        [NAN, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, NAN],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, NAN],
    ]
)


def _two_raters(seed: int = 1, n: int = 300) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 4, n)
    b = np.where(rng.random(n) < 0.6, a, rng.integers(0, 4, n))
    return a, b


@pytest.mark.parametrize("weights", [None, "linear", "quadratic"])
def test_cohen_kappa_matches_sklearn(weights: str | None) -> None:
    from sklearn.metrics import cohen_kappa_score

    a, b = _two_raters()
    got = cohen_kappa(a, b, weights=weights, resamples=500)  # type: ignore[arg-type]
    assert got.statistic == pytest.approx(cohen_kappa_score(a, b, weights=weights), abs=1e-12)
    lo, hi = got.confidence_interval()
    assert lo < got.statistic < hi
    assert got.n == 300


def test_cohen_kappa_labels_and_missing() -> None:
    from sklearn.metrics import cohen_kappa_score

    r1 = ["low", "mid", "high", "mid", None, "low", "high", "high"]
    r2 = ["low", "high", "high", "mid", "mid", "mid", "high", "mid"]
    with pytest.raises(InputError, match="missing label"):
        cohen_kappa(r1, r2)
    order = ["low", "mid", "high"]
    got = cohen_kappa(r1, r2, weights="linear", labels=order, nan_policy="omit", resamples=0)
    keep = [i for i, v in enumerate(r1) if v is not None]
    ref = cohen_kappa_score(
        [r1[i] for i in keep], [r2[i] for i in keep], weights="linear", labels=order
    )
    assert got.statistic == pytest.approx(ref)
    assert got.n_omitted == 1
    assert got.ci_low is None
    with pytest.raises(InputError, match="no interval"):
        got.confidence_interval()
    with pytest.raises(InputError, match="not in 'labels'"):
        cohen_kappa(["a", "b"], ["a", "c"], labels=["a", "b"])


def test_cohen_bootstrap_is_seeded_and_covers() -> None:
    a, b = _two_raters(seed=4, n=200)
    x = cohen_kappa(a, b, seed=3)
    y = cohen_kappa(a, b, seed=3)
    assert x.to_dict() == y.to_dict()
    # the percentile interval is close to the large-sample standard error band
    assert 0.05 < x.ci_high - x.ci_low < 0.3  # type: ignore[operator]


def test_fleiss_kappa_matches_statsmodels() -> None:
    from statsmodels.stats.inter_rater import aggregate_raters
    from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss

    rng = np.random.default_rng(0)
    truth = rng.integers(0, 3, (60, 1))
    ratings = np.where(rng.random((60, 5)) < 0.55, truth, rng.integers(0, 3, (60, 5)))
    got = fleiss_kappa(ratings, resamples=300)
    counts = aggregate_raters(ratings)[0]
    assert got.statistic == pytest.approx(sm_fleiss(counts, method="fleiss"), abs=1e-12)
    same = fleiss_kappa(counts, layout="counts", resamples=0)
    assert same.statistic == pytest.approx(got.statistic)
    assert got.ci_low < got.statistic < got.ci_high  # type: ignore[operator]
    with pytest.raises(InputError, match="same number of raters"):
        fleiss_kappa([[2, 1], [1, 1]], layout="counts")
    with pytest.raises(InputError, match="missing label"):
        fleiss_kappa([[1, None], [1, 2]])


def test_fleiss_published_example() -> None:
    # Fleiss (1971) table as reproduced on Wikipedia's "Fleiss' kappa" page:
    # 10 subjects, 14 raters, 5 categories -> kappa 0.210
    table = [
        [0, 0, 0, 0, 14],
        [0, 2, 6, 4, 2],
        [0, 0, 3, 5, 6],
        [0, 3, 9, 2, 0],
        [2, 2, 8, 1, 1],
        [7, 7, 0, 0, 0],
        [3, 2, 6, 3, 0],
        [2, 5, 3, 2, 2],
        [6, 5, 2, 1, 0],
        [0, 2, 2, 3, 7],
    ]
    assert fleiss_kappa(table, layout="counts", resamples=0).statistic == pytest.approx(
        0.210, abs=5e-4
    )


@pytest.mark.parametrize(
    ("level", "published"), [("nominal", 0.743), ("interval", 0.849), ("ordinal", None)]
)
def test_krippendorff_worked_example(level: str, published: float | None) -> None:
    krippendorff = pytest.importorskip("krippendorff", reason="pip install krippendorff")
    got = krippendorff_alpha(KRIPPENDORFF_2011.T, level=level, resamples=300)  # type: ignore[arg-type]
    ref = krippendorff.alpha(reliability_data=KRIPPENDORFF_2011, level_of_measurement=level)
    assert got.statistic == pytest.approx(ref, abs=1e-12)
    if published is not None:
        assert round(got.statistic, 3) == published
    assert got.n == 11  # unit 12 has one value: not pairable
    assert got.n_omitted == 1
    assert got.ci_low <= got.statistic <= got.ci_high  # type: ignore[operator]


@pytest.mark.parametrize("level", ["nominal", "ordinal", "interval", "ratio"])
def test_krippendorff_random_data_matches_package(level: str) -> None:
    krippendorff = pytest.importorskip("krippendorff", reason="pip install krippendorff")
    rng = np.random.default_rng(11)
    truth = rng.integers(1, 6, (1, 40))
    data = np.where(rng.random((6, 40)) < 0.5, truth, rng.integers(1, 6, (6, 40))).astype(float)
    data[rng.random(data.shape) < 0.25] = NAN
    got = krippendorff_alpha(data.T, level=level, resamples=0)  # type: ignore[arg-type]
    ref = krippendorff.alpha(reliability_data=data, level_of_measurement=level)
    assert got.statistic == pytest.approx(ref, abs=1e-10)


def test_krippendorff_bad_input() -> None:
    with pytest.raises(InputError, match="'level' parameter"):
        krippendorff_alpha([[1, 2]], level="ratioish")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="numeric labels"):
        krippendorff_alpha([["a", "b"], ["a", "a"]], level="interval")
    with pytest.raises(InputError, match="no unit has two"):
        krippendorff_alpha([[1, None], [None, 2]])
    with pytest.warns(DegenerateDataWarning, match="same value"):
        krippendorff_alpha([[1, 1], [1, 1]], resamples=0)


# ---------------------------------------------------------------- judges vs humans


def _verdicts() -> pd.DataFrame:
    """Humans vote 3 times per (item, pair); judge "copy" repeats the human majority in
    both orders, judge "first" always prefers the answer shown first."""
    rng = np.random.default_rng(0)
    rows = []
    pairs = [("x", "y"), ("x", "z"), ("y", "z")]
    for item in range(40):
        for a, b in pairs:
            majority = rng.choice(["a", "b", "tie"], p=[0.5, 0.35, 0.15])
            votes = [majority, majority, rng.choice(["a", "b", "tie"])]
            for r, v in enumerate(votes):
                rows.append((f"q{item}", a, b, "human", "human", v, "ab", r))
            for first, second in ((a, b), (b, a)):
                copy = majority if first == a else {"a": "b", "b": "a", "tie": "tie"}[majority]
                rows.append((f"q{item}", first, second, "copy", "model", copy, "ab", 0))
                rows.append((f"q{item}", first, second, "first", "model", "a", "ab", 0))
    cols = ["item_id", "model_a", "model_b", "judge", "judge_kind", "winner", "position"]
    return pd.DataFrame(rows, columns=[*cols, "replicate"])


def test_judge_agreement_on_constructed_judges() -> None:
    result = judge_agreement(_verdicts(), resamples=200, seed=0)
    copy = result.row("copy")
    assert copy.kappa == pytest.approx(1.0)
    assert copy.n_units == 120
    assert copy.n_items == 40
    # the copying judge agrees with the two majority votes and sometimes the third
    assert 2 / 3 <= copy.agreement < 1.0
    first = result.row("first")
    assert first.kappa is not None
    assert first.kappa < copy.kappa
    assert result.rows[0].judge == "human"
    assert result.reference_alpha is not None
    assert copy.agreement_ci[0] <= copy.agreement <= copy.agreement_ci[1]  # type: ignore[index]
    assert set(result.to_pandas()["judge"]) == {"human", "copy", "first"}
    with pytest.raises(InputError, match="unknown judges"):
        judge_agreement(_verdicts(), judges=["gpt-9"])
    with pytest.raises(InputError, match="no verdicts with judge_kind"):
        judge_agreement(_verdicts(), reference="expert")


def test_position_bias_on_constructed_judges() -> None:
    result = position_bias(_verdicts())
    first = result.row("first")
    assert first.n_units == 120
    assert first.first_bias == 1.0
    assert first.first_share == 1.0
    assert first.consistency == 0.0
    assert first.pvalue < 1e-30
    copy = result.row("copy")
    assert copy.consistency == 1.0
    assert copy.first_bias == 0.0
    assert copy.second_bias == 0.0
    assert copy.pvalue == 1.0
    lo, hi = first.consistency_ci
    assert lo == 0.0
    assert hi < 0.05
    assert [r.judge for r in result.rows] == ["copy", "first"]


def test_position_column_is_honoured() -> None:
    v = _verdicts()
    first = v[v["judge"] == "first"].copy()
    # store the same verdicts with model_b shown first: "first" now always picked b
    swapped = first.assign(position="ba", winner="b")
    assert position_bias(swapped).row("first").first_bias == 1.0
    with pytest.raises(InputError, match="no position"):
        position_bias(first.assign(position=""), unknown_position="raise")


def test_bad_verdicts() -> None:
    v = _verdicts()
    with pytest.raises(InputError, match="winner 'model_a'"):
        judge_agreement(v.assign(winner="model_a"))
    with pytest.raises(InputError, match="with itself"):
        position_bias(v.assign(model_b=v["model_a"]))
    one_order = v[(v["judge"] == "first") & (v["model_a"] < v["model_b"])]
    with pytest.raises(InputError, match="both orders"):
        position_bias(one_order)
