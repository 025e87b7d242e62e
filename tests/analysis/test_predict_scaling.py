"""Scaling fits (against scipy's bounded least squares and simulated truth), the stacked
ensemble (weights against scipy's constrained minimiser), bad input, extrapolation
warnings, and the backtests on the Pythia and ObsScaling data."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import least_squares, minimize

from assay.analysis.predict import (
    ObservationalScaling,
    ScalingLaw,
    StackedEnsemble,
    backtest,
    check_ladders,
    doubtful_ladders,
    scaling_frame,
)
from assay.analysis.predict._ensemble import stack_weights
from assay.errors import DegenerateDataWarning, InputError, NotFittedError
from assay.schema import Aggregate, Model, Run
from assay.store import Store

PYTHIA_TOKENS = 143_000 * 2_097_152  # steps x tokens per batch (Pythia paper)
#: training tokens of OPT (180B, OPT paper) and BLOOM (341B for the small models, ObsScaling)
TOKENS = {"pythia": PYTHIA_TOKENS, "pythia-deduped": PYTHIA_TOKENS, "opt": 180e9, "bloom": 341e9}
CHANCE = {
    "arc_challenge": 0.25,
    "arc_easy": 0.25,
    "sciq": 0.25,
    "logiqa": 0.25,
    "mmlu": 0.25,
    "piqa": 0.5,
    "winogrande": 0.5,
    "wsc": 0.5,
    "lambada_openai": 0.0,
    "MMLU": 0.25,
    "ARC-C": 0.25,
    "HellaSwag": 0.25,
    "Winograd": 0.5,
    "XWinograd": 0.5,
    "TruthfulQA": 0.0,
    "GSM8K": 0.0,
    "HumanEval": 0.0,
}


def _ladder(truth: dict[str, float], noise: float, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    params = np.array([7e7, 1.6e8, 4.1e8, 1e9, 1.4e9, 2.8e9, 6.9e9])
    x = np.log10(6 * params * 3e11)
    c, a, alpha = truth["asymptote"], truth["a"], truth["alpha"]
    y = c + a * 10 ** (-alpha * (x - x[0])) + rng.normal(0, noise, len(x))
    return pd.DataFrame(
        {
            "model_id": [f"m{i}" for i in range(len(x))],
            "family": "f",
            "parameters": params,
            "training_tokens": 3e11,
            "task": "t",
            "score": y,
        }
    )


def test_power_law_matches_scipy_least_squares() -> None:
    frame = _ladder({"asymptote": 0.8, "a": -0.5, "alpha": 0.4}, 0.01, 0)
    law = ScalingLaw("power_law", resamples=0).fit(frame)
    x = np.log10(6 * frame["parameters"] * 3e11).to_numpy()
    y = frame["score"].to_numpy()
    ref = least_squares(
        lambda t: t[0] + t[1] * 10 ** (-t[2] * (x - x[0])) - y,
        [0.7, -0.3, 0.5],
        bounds=([0, -1, 0], [1, 1, 3]),
    )
    got = law.curves_.iloc[0]
    assert got["sse"] == pytest.approx(2 * ref.cost, rel=1e-4)
    np.testing.assert_allclose([got["asymptote"], got["a"], got["alpha"]], ref.x, rtol=2e-3)


def test_sigmoid_recovers_noiseless_truth_and_interval_covers() -> None:
    params = np.geomspace(1e8, 1e11, 8)
    x = np.log10(6 * params * 3e11)
    truth = 0.25 + (0.9 - 0.25) / (1 + np.exp(-1.2 * (x - 21.5)))
    frame = pd.DataFrame(
        {
            "model_id": [f"m{i}" for i in range(8)],
            "family": "f",
            "parameters": params,
            "training_tokens": 3e11,
            "task": "t",
            "score": truth,
        }
    )
    law = ScalingLaw("sigmoid", chance=0.25, resamples=0).fit(frame)
    row = law.curves_.iloc[0]
    assert row["ceiling"] == pytest.approx(0.9, abs=1e-4)
    assert row["x0"] == pytest.approx(21.5, abs=1e-3)
    assert row["k"] == pytest.approx(1.2, abs=1e-3)
    # noisy ladders: the 95% interval of the next model's score covers it ~95% of the time
    hits = 0
    target_x = np.log10(6 * 2e11 * 3e11)
    for seed in range(40):
        rng = np.random.default_rng(seed)
        noisy = frame.assign(score=truth + rng.normal(0, 0.01, 8))
        law = ScalingLaw("sigmoid", chance=0.25, resamples=300, seed=seed).fit(noisy)
        pred = law.predict(
            pd.DataFrame({"family": ["f"], "parameters": [2e11], "training_tokens": [3e11]})
        )
        true_next = 0.25 + 0.65 / (1 + np.exp(-1.2 * (target_x - 21.5))) + rng.normal(0, 0.01)
        lo, hi = pred.confidence_interval()
        hits += bool(lo[0] <= true_next <= hi[0])
    assert hits >= 32  # >= 80% of 40 with a 95% nominal level (few points: a bit liberal)


def test_bad_input_is_refused_or_warned() -> None:
    frame = _ladder({"asymptote": 0.8, "a": -0.5, "alpha": 0.4}, 0.0, 0)
    with pytest.raises(InputError, match="at least 3"):
        ScalingLaw(resamples=0).fit(frame.head(2))
    no_size = frame.assign(parameters=[np.nan] + [1e9] * 6)
    with pytest.raises(InputError, match="lacks training_flops or parameters"):
        ScalingLaw(resamples=0).fit(no_size)
    swapped = frame.copy()
    swapped.loc[0, "training_tokens"] = 1e14  # the smallest model got the most compute
    with pytest.raises(InputError, match="not monotone"):
        ScalingLaw(resamples=0).fit(swapped)
    mixed = pd.concat([frame, frame.head(2).assign(family="g", model_id=["g0", "g1"])])
    with pytest.warns(DegenerateDataWarning, match="family 'g' has 2 distinct"):
        law = ScalingLaw(resamples=0, on_invalid="skip").fit(mixed)
    assert [s.family for s in law.skipped_] == ["g"]
    with pytest.raises(NotFittedError):
        ScalingLaw().predict(frame)
    with pytest.raises(InputError, match="'form' parameter"):
        ScalingLaw("cubic").fit(frame)  # type: ignore[arg-type]
    # a target far beyond the data: a warning and a note on the row, never silence
    law = ScalingLaw("power_law", resamples=50).fit(frame)
    with pytest.warns(DegenerateDataWarning, match="extrapolating"):
        pred = law.predict(
            pd.DataFrame(
                {
                    "family": ["f"],
                    "parameters": [7e11],
                    "training_tokens": [3e11],
                    "model_id": ["huge"],
                }
            )
        )
    assert "extrapolates 101x" in pred.rows[0].note


def test_a_family_whose_mean_score_falls_with_compute_is_doubted_not_silent() -> None:
    # one family on three tasks: a clean power law; another that mixes two generations
    # (its second model is larger and worse on every task)
    clean = pd.concat(
        [
            _ladder({"asymptote": c, "a": -0.4, "alpha": 0.5}, 0.003, s).assign(task=f"t{s}")
            for s, c in enumerate((0.7, 0.8, 0.9))
        ]
    )
    mixed = clean.assign(family="mixed", model_id="x" + clean["model_id"])
    second = mixed["model_id"] == "xm1"
    mixed.loc[second, "score"] -= 0.25
    frame = pd.concat([clean, mixed], ignore_index=True)
    valid, _ = check_ladders(frame)
    doubts = doubtful_ladders(valid)
    assert list(doubts) == ["mixed"]
    assert "falls from" in doubts["mixed"]
    assert "(xm0)" in doubts["mixed"]
    assert "(xm1," in doubts["mixed"]
    assert "over 3 tasks" in doubts["mixed"]
    # on fewer shared tasks a fall may be inverse scaling or noise: not judged
    assert doubtful_ladders(valid[valid["task"] != "t2"]) == {}
    target = pd.DataFrame(
        {"family": ["f", "mixed"], "parameters": [1.4e10] * 2, "training_tokens": [3e11] * 2}
    )
    for method in (ScalingLaw("power_law", resamples=20), StackedEnsemble(resamples=20)):
        with pytest.warns(DegenerateDataWarning, match="'mixed' may not be one scaling ladder"):
            method.fit(frame)
        rows = method.predict(target).to_pandas()
        doubted = rows["note"].str.contains("may not be one ladder")
        assert doubted.eq(rows["family"] == "mixed").all()
    obs = ObservationalScaling(1, resamples=0)
    with pytest.warns(DegenerateDataWarning, match="'mixed' may not be one scaling ladder"):
        obs.fit(frame)
    assert set(obs.doubts_) == {"mixed"}
    # the backtest keeps the family, says so and notes its predictions
    with pytest.warns(DegenerateDataWarning, match="kept in the backtest, but doubtful"):
        result = backtest(frame, methods=("power_law",), resamples=20)
    assert len(result.doubtful) == 1
    assert "'mixed'" in result.doubtful[0]
    assert result.to_dict()["doubtful"] == list(result.doubtful)
    p = result.predictions
    curve_rows = p[p["method"] == "power_law"]
    assert (
        curve_rows["note"]
        .str.contains("may not be one ladder")
        .eq(curve_rows["family"] == "mixed")
        .all()
    )


def test_scaling_frame_from_store_uses_aggregates(tmp_path: Path) -> None:
    with Store(tmp_path / "s.duckdb") as st:
        st.write(
            {
                "runs": [Run(run_id="r", source="lm-eval", granularity="aggregate")],
                "models": [
                    Model(model_id=f"m{i}", family="f", parameters=p, training_tokens=3e11)
                    for i, p in enumerate([1e8, 1e9, 1e10])
                ],
                "aggregates": [
                    Aggregate(run_id="r", model_id=f"m{i}", task="t", metric="acc", value=v)
                    for i, v in enumerate([0.3, 0.4, 0.5])
                ],
            }
        )
        frame = scaling_frame(st)
    assert list(frame["score"]) == [0.3, 0.4, 0.5]
    checked, skipped = check_ladders(frame)
    assert not skipped
    assert checked["x"].is_monotonic_increasing


def test_stack_weights_match_scipy_constrained_minimiser() -> None:
    rng = np.random.default_rng(3)
    for _ in range(5):
        a = rng.uniform(0.2, 0.9, size=(30, 4))
        y = a @ rng.dirichlet(np.ones(4)) + rng.normal(0, 0.05, 30)
        got = stack_weights(a, y)
        ref = minimize(
            lambda w, a=a, y=y: float(((a @ w - y) ** 2).sum()),
            np.full(4, 0.25),
            method="SLSQP",
            bounds=[(0, 1)] * 4,
            constraints=[{"type": "eq", "fun": lambda w: w.sum() - 1}],
            options={"ftol": 1e-14, "maxiter": 500},
        )
        assert got.sum() == pytest.approx(1.0)
        assert (got >= 0).all()
        np.testing.assert_allclose(got, ref.x, atol=2e-4)
    # an exact mixture of two members is recovered; a useless member gets no weight
    a = rng.uniform(0.2, 0.9, size=(40, 3))
    np.testing.assert_allclose(
        stack_weights(a, 0.3 * a[:, 0] + 0.7 * a[:, 1]), [0.3, 0.7, 0.0], atol=1e-6
    )


#: the reference compute of the simulated ladders (their smallest model)
X0 = float(np.log10(6 * 7e7 * 3e11))


def _families(
    n_fam: int, noise: float, seed: int
) -> tuple[pd.DataFrame, list[tuple[float, float, float]]]:
    """Power-law ladders (six sizes) with family-specific levels: the truth is a power law.
    Returns the frame and each family's (asymptote, amplitude, exponent)."""
    rng = np.random.default_rng(seed)
    params = np.array([7e7, 1.6e8, 4.1e8, 1e9, 2.8e9, 6.9e9])
    rows = []
    truth = []
    for f in range(n_fam):
        c, a, alpha = rng.uniform(0.6, 0.9), -rng.uniform(0.3, 0.5), rng.uniform(0.3, 0.8)
        truth.append((c, a, alpha))
        x = np.log10(6 * params * 3e11)
        y = c + a * 10 ** (-alpha * (x - X0)) + rng.normal(0, noise, len(x))
        rows.append(
            pd.DataFrame(
                {
                    "model_id": [f"f{f}-{i}" for i in range(len(x))],
                    "family": f"f{f}",
                    "parameters": params,
                    "training_tokens": 3e11,
                    "task": "t",
                    "score": y,
                }
            )
        )
    return pd.concat(rows, ignore_index=True), truth


def test_ensemble_weights_the_true_curve_and_its_interval_covers() -> None:
    # noiseless power-law ladders: one size down only the power law is exact, so it takes
    # all the weight
    exact, _ = _families(6, 0.0, 0)
    ens = StackedEnsemble(resamples=0).fit(exact)
    assert ens.weights_["power_law"] > 0.99
    assert ens.weights_.sum() == pytest.approx(1.0)
    assert len(ens.validation_) == 6
    np.testing.assert_allclose(
        ens.errors_, ens.validation_["ensemble"] - ens.validation_["observed"]
    )
    assert np.abs(ens.errors_).max() < 1e-3
    # noisy ladders: the next size of each family is predicted close to the truth and the
    # interval covers it (with few points the weights may mix members that fit the noise)
    frame, truth = _families(6, 0.002, 0)
    ens = StackedEnsemble(resamples=200, seed=0).fit(frame)
    target = pd.DataFrame(
        {"model_id": [f"f{f}-big" for f in range(6)], "family": [f"f{f}" for f in range(6)]}
    ).assign(parameters=2e10, training_tokens=3e11)
    pred = ens.predict(target).to_pandas()
    xt = np.log10(6 * 2e10 * 3e11)
    covered = 0
    for f, (c, a, alpha) in enumerate(truth):
        expected = c + a * 10 ** (-alpha * (xt - X0))
        row = pred[pred["family"] == f"f{f}"].iloc[0]
        assert row["prediction"] == pytest.approx(expected, abs=0.02)
        covered += bool(row["ci_low"] <= expected <= row["ci_high"])
    assert covered >= 5
    assert pred["method"].eq("ensemble").all()
    assert ens.signature()["params"]["weights"]["power_law"] == pytest.approx(
        ens.weights_["power_law"]
    )


def test_ensemble_bad_input() -> None:
    with pytest.raises(NotFittedError):
        StackedEnsemble().predict(pd.DataFrame({"family": ["f"], "parameters": [1e9]}))
    frame, _ = _families(2, 0.01, 1)
    with pytest.raises(InputError, match="'members' parameter"):
        StackedEnsemble(["cubic"]).fit(frame)  # type: ignore[list-item]
    # three sizes per family: nothing to learn weights from one size down; said, not silent
    small = frame[frame["parameters"] <= 4.1e8]
    with pytest.warns(DegenerateDataWarning, match="weighted equally"):
        ens = StackedEnsemble(resamples=20).fit(small)
    np.testing.assert_allclose(ens.weights_, 0.25)
    with pytest.raises(InputError, match="no curve was fitted for family 'zz'"):
        ens.predict(
            pd.DataFrame({"family": ["zz"], "parameters": [1e9], "training_tokens": [3e11]})
        )


# ---------------------------------------------------------------- backtests on real data


def _pythia(shared: Path) -> pd.DataFrame:
    d = pd.read_csv(shared / "pythia_scaling" / "pythia_opt_bloom_lm_eval_tidy.csv.gz")
    final = d[
        (d["step"].isna() | (d["step"] == 143000)) & (d["shots"] == 0) & (d["metric"] == "acc")
    ]
    final = final.assign(
        task=np.where(final["task"].str.startswith("hendrycksTest-"), "mmlu", final["task"])
    )
    # MMLU: the mean over its 57 subjects, as it is usually reported
    f = final.groupby(["model_family", "model_name", "params_nominal", "task"], as_index=False)[
        "value"
    ].mean()
    return pd.DataFrame(
        {
            "model_id": f["model_name"],
            "family": f["model_family"],
            "parameters": f["params_nominal"].astype(float),
            "training_tokens": f["model_family"].map(TOKENS),
            "task": f["task"],
            "score": f["value"],
        }
    )


def _obsscaling(shared: Path) -> pd.DataFrame:
    d = pd.read_csv(shared / "obsscaling" / "base_llm_benchmark_eval.csv")
    tasks = [
        "MMLU",
        "ARC-C",
        "HellaSwag",
        "Winograd",
        "TruthfulQA",
        "GSM8K",
        "XWinograd",
        "HumanEval",
    ]
    long = d.melt(
        id_vars=[
            "Model",
            "Model Family",
            "Model Size (B)",
            "Pretraining Data Size (T)",
            "FLOPs (1E21)",
        ],
        value_vars=tasks,
        var_name="task",
        value_name="score",
    )
    return pd.DataFrame(
        {
            "model_id": long["Model"],
            "family": long["Model Family"],
            "parameters": long["Model Size (B)"] * 1e9,
            "training_tokens": long["Pretraining Data Size (T)"] * 1e12,
            "training_flops": long["FLOPs (1E21)"] * 1e21,
            "task": long["task"],
            "score": long["score"],
        }
    ).dropna(subset=["score"])


@pytest.mark.shared_data
def test_backtest_pythia_opt_bloom(shared_data: Path) -> None:
    frame = _pythia(shared_data)
    result = backtest(frame, chance=CHANCE, resamples=200)
    s = result.summary.set_index("method")
    print("\n" + s.round(4).to_string())
    assert set(result.signature["held_out"]) == {
        "pythia-12b",
        "pythia-12b-deduped",
        "opt-66b",
        "bloom-7b1",
    }
    assert s.loc["last", "n"] == 36
    # the target: the best method within 0.75x of the better naive baseline
    # (measured: ensemble 0.0165, power law 0.0166 against 0.0251 for the last model)
    assert result.best in ("power_law", "ensemble")
    assert s.loc["power_law", "ratio_to_baseline"] <= 0.75
    assert s.loc["ensemble", "ratio_to_baseline"] <= 0.75
    assert 0.8 <= s.loc["power_law", "coverage"] <= 1.0
    assert 0.85 <= s.loc["ensemble", "coverage"] <= 1.0
    weights = result.signature["params"]["ensemble_weights"]
    assert sum(weights.values()) == pytest.approx(1.0)


@pytest.mark.shared_data
def test_backtest_obsscaling(shared_data: Path) -> None:
    frame = _obsscaling(shared_data)
    with (
        pytest.warns(DegenerateDataWarning, match="not monotone in model size"),
        pytest.warns(DegenerateDataWarning, match="kept in the backtest, but doubtful"),
    ):
        result = backtest(frame, chance=CHANCE, resamples=100)
    s = result.summary.set_index("method")
    print("\n" + s.round(4).to_string())
    assert len(result.signature["held_out"]) == 11
    # bad input in real data is named: missing compute, too few sizes, non-monotone compute
    reasons = " ".join(result.skipped)
    assert "'GPT-2': cannot place" in reasons
    assert "'H2O-Danube': compute is not monotone" in reasons
    # measured: power law 0.036 vs linear 0.045 (ratio 0.81): better than both baselines,
    # short of the 0.75x target on this heterogeneous data (see the README table)
    assert result.best == "power_law"
    assert s.loc["power_law", "ratio_to_baseline"] < 0.9
    # the stacked ensemble (weights learnt one size down, where the sigmoid and the line
    # did best) is 0.041 (0.91x): better than the baselines, worse than the power law; its
    # intervals, widened by the one-size-down errors, cover 0.91 against the power law's 0.68
    assert s.loc["ensemble", "ratio_to_baseline"] < 0.95
    assert s.loc["ensemble", "coverage"] >= 0.85
    # StableLM's models (three generations) do not form a ladder: kept, and said so
    assert len(result.doubtful) == 1
    assert "'StableLM' may not be one scaling ladder" in result.doubtful[0]
    stable = result.predictions[result.predictions["family"] == "StableLM"]
    assert stable.loc[stable["method"] == "power_law", "note"].str.contains("one ladder").all()
    # what the 0.75x target would take here: choosing for each family whichever of the
    # power law, the line and the largest model's score predicted its held-out model best
    # (knowing the answers) gives 0.78x; only adding the sigmoid to that oracle choice
    # (0.74x) reaches it
    errors = result.predictions.pivot_table(
        index=["family", "model_id", "task"], columns="method", values="error"
    )
    per_family = errors.groupby("family").mean()
    weight = errors.groupby("family").size() / len(errors)
    better = s.loc[["linear", "last"], "mae"].min()

    def oracle(methods: list[str]) -> float:
        return float((per_family[methods].min(axis=1) * weight).sum() / better)

    assert oracle(["power_law", "linear", "last"]) == pytest.approx(0.777, abs=0.005)
    assert oracle(["power_law", "sigmoid", "linear", "last"]) == pytest.approx(0.736, abs=0.005)


@pytest.mark.shared_data
def test_observational_capabilities_and_efficiency(shared_data: Path) -> None:
    frame = _obsscaling(shared_data)
    with (
        pytest.warns(DegenerateDataWarning, match="no capability line"),
        pytest.warns(DegenerateDataWarning, match="'OLMo' may not be one scaling ladder"),
    ):
        obs = ObservationalScaling(2, chance=CHANCE, resamples=0).fit(frame)
    assert set(obs.doubts_) == {"OLMo", "StableLM"}
    # the first capability loads positively on every benchmark (a general factor)
    assert (obs.components_[0] > 0).all()
    eff = obs.efficiency_.set_index("family")
    # more capability per FLOP for Llama-2 than for OPT (better data), with a shared slope
    assert eff.loc["Llama-2", "offset"] > eff.loc["OPT", "offset"]
    assert eff["slope"].nunique() == 1
    assert eff["slope"].iloc[0] > 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateDataWarning)
        with pytest.raises(InputError, match="no capability line"):
            obs.predict(pd.DataFrame({"family": ["GPT-2"], "parameters": [3e9]}))
