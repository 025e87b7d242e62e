"""Classification, calibration and risk metrics against scikit-learn, scipy and the note."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assay.errors import DegenerateDataWarning, InputError
from assay.metrics import get_metric, reliability_diagram

skm = pytest.importorskip("sklearn.metrics")
calibration = pytest.importorskip("sklearn.calibration")
from scipy.stats import mannwhitneyu  # noqa: E402


@pytest.fixture(scope="module")
def data() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(42)
    y = rng.integers(0, 2, size=400)
    score = rng.normal(size=400) + 0.8 * y
    return {
        "y": y,
        "score": score,
        "tied": np.round(score, 0),
        "prob": 1 / (1 + np.exp(-score)),
        "true3": rng.integers(0, 3, size=400),
        "pred3": rng.integers(0, 3, size=400),
    }


# --------------------------------------------------------------------------- labels


def test_accuracy_and_f1_equal_sklearn(data: dict[str, np.ndarray]) -> None:
    t, p = data["true3"], data["pred3"]
    assert get_metric("accuracy").compute(p, t).value == pytest.approx(skm.accuracy_score(t, p))
    for average in ("macro", "micro"):
        ours = get_metric("f1", average=average).compute(p, t).value
        assert ours == pytest.approx(skm.f1_score(t, p, average=average), abs=1e-12)
    yhat = (data["score"] > 0.4).astype(int)
    ours = get_metric("f1").compute(yhat, data["y"]).value
    assert ours == pytest.approx(skm.f1_score(data["y"], yhat), abs=1e-12)
    text_t = np.where(data["y"] == 1, "spam", "ham")
    text_p = np.where(yhat == 1, "spam", "ham")
    ours = get_metric("f1", pos_label="spam").compute(list(text_p), list(text_t)).value
    assert ours == pytest.approx(skm.f1_score(text_t, text_p, pos_label="spam"), abs=1e-12)


def test_macro_f1_over_declared_labels_matches_sklearn_nan_zero_division() -> None:
    t, p = [0, 0, 1, 1, 1], [0, 1, 1, 1, 0]
    with pytest.warns(DegenerateDataWarning, match="never occur"):
        ours = get_metric("f1", average="macro", labels=(0, 1, 2)).compute(p, t).value
    theirs = skm.f1_score(t, p, average="macro", labels=[0, 1, 2], zero_division=np.nan)
    assert ours == pytest.approx(theirs, abs=1e-12)


def test_f1_degenerate_and_bad_labels() -> None:
    with pytest.warns(DegenerateDataWarning, match="0/0"):
        assert np.isnan(get_metric("f1").compute([0, 0], [0, 0]).value)
    with pytest.raises(InputError, match="not one of the declared labels"):
        get_metric("accuracy", labels=("a", "b")).compute(["a", "c"], ["a", "b"])
    with pytest.raises(InputError, match="not one of the declared labels"):
        get_metric("f1", average="macro", labels=(0, 1)).compute([0, 1], [0, 5])
    with pytest.raises(InputError, match="two labels"):
        get_metric("f1").compute([0, 1, 2], [0, 1, 2])
    with pytest.raises(InputError, match="'average' parameter"):
        get_metric("f1", average="weighted")
    with pytest.raises(InputError, match="single label"):
        get_metric("accuracy").compute([[1, 2]], [1])


# --------------------------------------------------------------------------- scores


def test_auroc_equals_sklearn_and_mann_whitney(data: dict[str, np.ndarray]) -> None:
    for key in ("score", "tied"):
        ours = get_metric("auroc").compute(data[key], data["y"]).value
        assert ours == pytest.approx(skm.roc_auc_score(data["y"], data[key]), abs=1e-12)
        pos, neg = data[key][data["y"] == 1], data[key][data["y"] == 0]
        u = mannwhitneyu(pos, neg).statistic
        assert ours == pytest.approx(u / (pos.size * neg.size), abs=1e-12)


def test_auroc_fingerprint_example_and_one_class() -> None:
    distances, labels = np.array([0.1, 0.2, 0.5, 0.6]), [1, 1, 0, 0]
    assert get_metric("auroc").compute(-distances, labels).value == 1.0
    assert get_metric("auroc").compute(distances, labels).value == 0.0
    with pytest.warns(DegenerateDataWarning, match="one class"):
        assert np.isnan(get_metric("auroc").compute([0.1, 0.2], [1, 1]).value)


def test_auprc_equals_sklearn_average_precision(data: dict[str, np.ndarray]) -> None:
    for key in ("score", "tied"):
        ours = get_metric("auprc").compute(data[key], data["y"]).value
        theirs = skm.average_precision_score(data["y"], data[key])
        assert ours == pytest.approx(theirs, abs=1e-12)
    note = get_metric("auprc").compute([0.9, 0.8, 0.7, 0.3, 0.2, 0.1], [1, 0, 1, 0, 0, 1])
    assert note.value == pytest.approx(0.722, abs=5e-4)
    with pytest.warns(DegenerateDataWarning, match="no positive"):
        assert np.isnan(get_metric("auprc").compute([0.3, 0.2], [0, 0]).value)


def test_high_risk_auprc_thresholds_the_target(data: dict[str, np.ndarray]) -> None:
    risk = data["prob"] + np.random.default_rng(1).normal(0, 0.2, size=data["prob"].size)
    metric = get_metric("high_risk_auprc", threshold=0.7)
    ours = metric.compute(data["score"], risk).value
    theirs = skm.average_precision_score(risk >= 0.7, data["score"])
    assert ours == pytest.approx(theirs, abs=1e-12)
    assert metric.compute(data["score"], risk).signature["options"]["threshold"] == 0.7
    with pytest.raises(InputError, match="high-risk cut"):
        get_metric("high_risk_auprc")


# --------------------------------------------------------------------------- calibration


def test_ece_worked_example() -> None:
    result = get_metric("ece").compute([0.9, 0.9, 0.6, 0.6], [1, 0, 1, 1])
    assert result.value == pytest.approx(0.4)
    assert result.signature["options"] == {"n_bins": 10, "binning": "equal_width"}


@pytest.mark.parametrize(
    ("binning", "strategy"), [("equal_width", "uniform"), ("equal_mass", "quantile")]
)
def test_reliability_diagram_equals_sklearn_calibration_curve(
    data: dict[str, np.ndarray], binning: str, strategy: str
) -> None:
    diagram = reliability_diagram(data["prob"], data["y"], n_bins=8, binning=binning)  # type: ignore[arg-type]
    frac_pos, mean_pred = calibration.calibration_curve(
        data["y"], data["prob"], n_bins=8, strategy=strategy
    )
    used = diagram.count > 0
    np.testing.assert_allclose(diagram.accuracy[used], frac_pos, atol=1e-12)
    np.testing.assert_allclose(diagram.confidence[used], mean_pred, atol=1e-12)
    assert diagram.count.sum() == data["y"].size
    # ECE from sklearn's bins and counts
    counts = diagram.count[used]
    expected = np.sum(counts / counts.sum() * np.abs(frac_pos - mean_pred))
    ece = get_metric("ece", n_bins=8, binning=binning).compute(data["prob"], data["y"]).value
    assert ece == pytest.approx(expected, abs=1e-12)
    assert diagram.ece == pytest.approx(ece)
    assert "<table>" in diagram._repr_html_()
    assert diagram.to_dict()["count"] == diagram.count.tolist()


def test_ece_bins_are_right_closed() -> None:
    # 0.5 sits on the edge between bins 1 and 2 of 2: right-closed puts it in the first
    diagram = reliability_diagram([0.5, 0.75], [1, 1], n_bins=2)
    assert diagram.count.tolist() == [1, 1]
    assert reliability_diagram([0.0], [0], n_bins=4).count.tolist() == [1, 0, 0, 0]


def test_brier_equals_sklearn(data: dict[str, np.ndarray]) -> None:
    ours = get_metric("brier").compute(data["prob"], data["y"]).value
    assert ours == pytest.approx(skm.brier_score_loss(data["y"], data["prob"]), abs=1e-12)
    probs = [[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]]
    multi = get_metric("brier").compute(probs, [0, 2]).value
    assert multi == pytest.approx(((0.09 + 0.04 + 0.01) + (0.01 + 0.01 + 0.04)) / 2)
    # two choices: Brier = 2 (1 - p)^2 (the note's identity)
    assert get_metric("brier").compute([[0.3, 0.7]], [1]).value == pytest.approx(2 * 0.3**2)


def test_calibration_bad_input() -> None:
    with pytest.raises(InputError, match=r"probability in \[0, 1\]"):
        get_metric("ece").compute([1.2], [1])
    with pytest.raises(InputError, match="0/1 or a boolean"):
        get_metric("ece").compute([0.2], [2])
    with pytest.raises(InputError, match="'binning' parameter"):
        get_metric("ece", binning="adaptive")
    with pytest.raises(InputError, match="'n_bins' parameter"):
        get_metric("ece", n_bins=0)
    with pytest.raises(InputError, match="sum to 1"):
        get_metric("brier").compute([[0.5, 0.6]], [0])
    with pytest.raises(InputError, match="class index"):
        get_metric("brier").compute([[0.5, 0.5]], [2])
    with pytest.raises(InputError, match="same length"):
        get_metric("auroc").compute([0.1, 0.2], [1])
    with pytest.raises(InputError, match="finite"):
        get_metric("auroc").compute([np.inf, 0.2], [1, 0])
    nan = get_metric("auroc").compute([np.nan, 0.2, 0.5], [1, 0, 1], nan_policy="omit")
    assert nan.n_omitted == 1
    assert nan.value == 1.0


# --------------------------------------------------------------------------- properties


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.tuples(st.floats(0, 1), st.booleans()), min_size=2, max_size=40),
    st.randoms(),
)
def test_unchanged_under_item_order_and_bounded(pairs, random) -> None:  # type: ignore[no-untyped-def]
    probs = [p for p, _ in pairs]
    labels = [int(y) for _, y in pairs]
    order = list(range(len(pairs)))
    random.shuffle(order)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateDataWarning)
        for name in ("auroc", "auprc", "ece", "brier", "f1", "accuracy"):
            metric = get_metric(name)
            preds = probs if name not in ("f1", "accuracy") else [int(p > 0.5) for p in probs]
            a = metric.compute(preds, labels).value
            b = metric.compute([preds[i] for i in order], [labels[i] for i in order]).value
            if np.isnan(a):
                assert np.isnan(b), name
                continue
            assert a == pytest.approx(b, abs=1e-12), name
            assert 0.0 <= a <= 1.0, name
