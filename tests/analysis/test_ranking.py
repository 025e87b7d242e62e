"""Ratings from pairwise verdicts: Bradley-Terry against choix, simulated truth recovered
(interval coverage, tie parameters, style coefficients), online Elo by hand, bad input,
and the Vicuna-80 human votes."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from assay.analysis.ranking import BradleyTerry, EloRating, Ratings
from assay.errors import DegenerateDataWarning, InputError, NotFittedError
from assay.io.tabular import PairwiseCsvImporter
from assay.schema import Comparison
from assay.store import Store

LN10 = math.log(10)


def _battles(
    strengths: np.ndarray, n: int, rng: np.random.Generator, tie_rate: float = 0.0
) -> dict[str, np.ndarray]:
    """Random pairs; a wins with probability sigmoid(s_a - s_b); random ties at tie_rate."""
    m = len(strengths)
    a = rng.integers(0, m, n)
    b = (a + rng.integers(1, m, n)) % m
    win = rng.random(n) < 1 / (1 + np.exp(-(strengths[a] - strengths[b])))
    winner = np.where(win, "a", "b")
    if tie_rate:
        winner = np.where(rng.random(n) < tie_rate, "tie", winner)
    names = np.array([f"m{i}" for i in range(m)])
    return {"model_a": names[a], "model_b": names[b], "winner": winner}


def _strength_of(bt: BradleyTerry) -> np.ndarray:
    """Fitted natural-log strengths in the order m0, m1, ... (centred)."""
    s = np.array([bt.strengths_[bt.models_.index(f"m{i}")] for i in range(len(bt.models_))])
    return s - s.mean()


# ---------------------------------------------------------------- independent reference


def test_strengths_equal_choix() -> None:
    choix = pytest.importorskip("choix", reason="choix is the reference (pip install choix)")
    rng = np.random.default_rng(3)
    truth = rng.normal(0, 1, 8)
    data = _battles(truth, 3000, rng)
    bt = BradleyTerry(alpha=1e-6).fit(data, bootstrap=0)
    codes = {f"m{i}": i for i in range(8)}
    pairs = [
        (codes[a], codes[b]) if w == "a" else (codes[b], codes[a])
        for a, b, w in zip(data["model_a"], data["model_b"], data["winner"], strict=True)
    ]
    for ref in (
        choix.opt_pairwise(8, pairs, alpha=1e-6, tol=1e-10),
        choix.ilsr_pairwise(8, pairs, alpha=1e-6, tol=1e-12),
    ):
        np.testing.assert_allclose(_strength_of(bt), ref - ref.mean(), atol=1e-3)
    # the rating scale is Elo's: base + 400 * s / ln 10
    r = bt.ratings_
    assert np.mean([e.rating for e in r.entries]) == pytest.approx(1000.0)
    top = r.entries[0]
    s_top = bt.strengths_[bt.models_.index(top.model)]
    assert top.rating == pytest.approx(1000 + 400 * s_top / LN10)


def test_half_ties_equal_choix_with_a_win_each_way() -> None:
    """A tie counted as half a win each is the duplicated-battle trick of Chatbot Arena."""
    choix = pytest.importorskip("choix", reason="choix is the reference (pip install choix)")
    rng = np.random.default_rng(4)
    data = _battles(rng.normal(0, 0.7, 6), 2000, rng, tie_rate=0.2)
    bt = BradleyTerry().fit(data, bootstrap=0)
    codes = {f"m{i}": i for i in range(6)}
    pairs = []
    for a, b, w in zip(data["model_a"], data["model_b"], data["winner"], strict=True):
        ia, ib = codes[a], codes[b]
        if w == "a":
            pairs += [(ia, ib), (ia, ib)]
        elif w == "b":
            pairs += [(ib, ia), (ib, ia)]
        else:
            pairs += [(ia, ib), (ib, ia)]
    ref = choix.opt_pairwise(6, pairs, alpha=2e-6, tol=1e-10)
    np.testing.assert_allclose(_strength_of(bt), ref - ref.mean(), atol=1e-3)


# ---------------------------------------------------------------- simulated truth


def test_bootstrap_intervals_cover_the_truth_at_the_nominal_rate() -> None:
    """300 simulated leaderboards: 95% intervals cover the true rating 95% +- 2 points."""
    rng = np.random.default_rng(2024)
    sims, m, n = 300, 5, 600
    truth_s = np.array([-0.6, -0.3, 0.0, 0.3, 0.6])
    truth = 1000 + 400 / LN10 * (truth_s - truth_s.mean())
    a = rng.integers(0, m, (sims, n))
    b = (a + rng.integers(1, m, (sims, n))) % m
    win = rng.random((sims, n)) < 1 / (1 + np.exp(-(truth_s[a] - truth_s[b])))
    names = np.array([f"m{i}" for i in range(m)])
    covered = []
    for s in range(sims):
        data = {
            "model_a": names[a[s]],
            "model_b": names[b[s]],
            "winner": np.where(win[s], "a", "b"),
        }
        ratings = BradleyTerry().fit(data, bootstrap=1000, seed=s).ratings_
        for e in ratings.entries:
            assert e.ci_low is not None
            assert e.ci_high is not None
            covered.append(e.ci_low <= truth[int(e.model[1:])] <= e.ci_high)
    assert 0.93 <= np.mean(covered) <= 0.97


def test_cell_bootstrap_matches_resampling_rows() -> None:
    """Multinomial counts over cells give the spread that re-drawing battle rows gives."""
    rng = np.random.default_rng(8)
    data = _battles(np.array([-0.5, 0.0, 0.2, 0.6]), 1000, rng, tie_rate=0.1)
    fast = BradleyTerry().fit(data, bootstrap=600, seed=1).ratings_
    assert fast.draws is not None
    frame = pd.DataFrame(data)
    slow = []
    for _ in range(600):
        rows = frame.iloc[rng.integers(0, len(frame), len(frame))]
        slow.append(BradleyTerry().fit(rows, bootstrap=0).ratings_.to_pandas().set_index("model"))
    slow_sd = pd.concat([s["rating"] for s in slow], axis=1).std(axis=1)
    fast_sd = pd.Series(fast.draws.std(axis=0, ddof=1), index=list(fast.models))
    ratio = (fast_sd / slow_sd.loc[fast_sd.index]).to_numpy()
    assert np.all(np.abs(ratio - 1) < 0.15)


def _tie_battles(
    kind: str, s: np.ndarray, tie: float, n: int, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    m = len(s)
    a = rng.integers(0, m, n)
    b = (a + rng.integers(1, m, n)) % m
    pa_, pb_ = np.exp(s[a]), np.exp(s[b])
    if kind == "davidson":  # pi_a : pi_b : nu sqrt(pi_a pi_b)
        denom = pa_ + pb_ + tie * np.sqrt(pa_ * pb_)
        p_a, p_b = pa_ / denom, pb_ / denom
    else:  # Rao-Kupper: pi_a / (pi_a + theta pi_b)
        p_a = pa_ / (pa_ + tie * pb_)
        p_b = pb_ / (pb_ + tie * pa_)
    u = rng.random(n)
    winner = np.where(u < p_a, "a", np.where(u < p_a + p_b, "b", "tie"))
    names = np.array([f"m{i}" for i in range(m)])
    return {"model_a": names[a], "model_b": names[b], "winner": winner}


@pytest.mark.parametrize(("kind", "tie"), [("davidson", 0.6), ("rao-kupper", 1.6)])
def test_tie_parameter_recovered(kind: str, tie: float) -> None:
    rng = np.random.default_rng(11)
    s = np.linspace(-0.8, 0.8, 6)
    bt = BradleyTerry(ties=kind).fit(_tie_battles(kind, s, tie, 20_000, rng), bootstrap=300)
    r = bt.ratings_
    assert r.tie_parameter == pytest.approx(tie, abs=0.05)
    assert r.tie_interval is not None
    assert r.tie_interval.low <= tie <= r.tie_interval.high
    assert bt.tie_parameter_ == r.tie_parameter
    np.testing.assert_allclose(_strength_of(bt), s - s.mean(), atol=0.08)
    # the half-win model ignores the tie mechanism; its tie probabilities are zero
    probs = bt.predict_proba({"model_a": ["m0", "m5"], "model_b": ["m5", "m0"]})
    np.testing.assert_allclose(probs.sum(1), 1.0)
    assert np.all(probs[:, 2] > 0)


def test_style_control_recovers_a_length_coefficient() -> None:
    rng = np.random.default_rng(5)
    m, n, beta = 6, 30_000, 0.5
    s = np.linspace(-0.5, 0.5, m)
    verbosity = np.array([1.0, 3.0, 1.0, 3.0, 1.0, 3.0])  # mean length multiplier
    a = rng.integers(0, m, n)
    b = (a + rng.integers(1, m, n)) % m
    len_a = np.round(200 * verbosity[a] * rng.lognormal(0, 0.5, n))
    len_b = np.round(200 * verbosity[b] * rng.lognormal(0, 0.5, n))
    d = (len_a - len_b) / (len_a + len_b + 1)
    z = (d - d.mean()) / d.std()
    win = rng.random(n) < 1 / (1 + np.exp(-(s[a] - s[b] + beta * z)))
    names = np.array([f"m{i}" for i in range(m)])
    data = {
        "model_a": names[a],
        "model_b": names[b],
        "winner": np.where(win, "a", "b"),
        "length_a": len_a,
        "length_b": len_b,
    }
    controlled = BradleyTerry(style=["length"]).fit(data, bootstrap=200, seed=0)
    (coef,) = controlled.ratings_.style
    assert coef.feature == "length"
    assert coef.coefficient == pytest.approx(beta, abs=0.05)
    assert coef.ci_low is not None
    assert coef.ci_high is not None
    assert coef.ci_low <= beta <= coef.ci_high
    assert controlled.style_coef_ == {"length": coef.coefficient}
    plain = BradleyTerry().fit(data, bootstrap=0)
    err_controlled = np.abs(_strength_of(controlled) - (s - s.mean())).max()
    err_plain = np.abs(_strength_of(plain) - (s - s.mean())).max()
    assert err_controlled < 0.06 < err_plain  # verbose models are inflated without control
    # lengths may also come from the metadata column (the store's comparisons rows)
    meta = [json.dumps({"length_a": x, "length_b": y}) for x, y in zip(len_a, len_b, strict=True)]
    frame = {k: v for k, v in data.items() if not k.startswith("length")} | {"metadata": meta}
    from_meta = BradleyTerry(style=["length"]).fit(frame, bootstrap=0)
    assert from_meta.style_coef_["length"] == pytest.approx(coef.coefficient)


# ---------------------------------------------------------------- Elo


def test_elo_two_battles_by_hand() -> None:
    # battle 1: A beats B from 1000/1000: e_A = 0.5, A = 1000 + 4 * 0.5 = 1002, B = 998
    # battle 2: A ties B: e_A = 1 / (1 + 10 ** (-4 / 400)) = 1 / 1.97723722 = 0.50575621
    #           A = 1002 + 4 * (0.5 - 0.50575621) = 1001.97697517, B = 998.02302483
    elo = EloRating().fit(
        {"model_a": ["A", "A"], "model_b": ["B", "B"], "winner": ["a", "tie"]}, bootstrap=0
    )
    r = elo.ratings_
    assert r.entry("A").rating == pytest.approx(1001.97697517, abs=1e-6)
    assert r.entry("B").rating == pytest.approx(998.02302483, abs=1e-6)
    assert r.entry("A").rank == 1
    assert r.signature["k"] == 4.0
    # both_bad scores as a tie; the order matters
    swapped = EloRating().fit(
        {"model_a": ["B", "A"], "model_b": ["A", "B"], "winner": ["both_bad", "a"]}, bootstrap=0
    )
    assert swapped.ratings_.entry("A").rating == pytest.approx(1000 + 4 * (1 - 1 / (1 + 10**0)))


def test_elo_bootstrap_and_shuffle() -> None:
    rng = np.random.default_rng(2)
    data = _battles(np.array([-0.7, 0.0, 0.7]), 3000, rng, tie_rate=0.1)
    a = EloRating(order="shuffled").fit(data, bootstrap=200, seed=3).ratings_
    b = EloRating(order="shuffled").fit(data, bootstrap=200, seed=3).ratings_
    assert a == b  # seeded
    assert [e.model for e in a.entries] == ["m2", "m1", "m0"]
    assert all(e.ci_low is not None and e.ci_low < e.ci_high for e in a.entries)  # type: ignore[operator]
    assert np.mean([e.rating for e in a.entries]) == pytest.approx(1000.0)  # zero-sum updates
    p = EloRating().fit(data, bootstrap=0).predict_proba({"model_a": ["m2"], "model_b": ["m0"]})
    assert p[0, 0] > 0.5
    assert p[0, 2] == 0.0


# ---------------------------------------------------------------- properties of the fit


def test_rating_does_not_depend_on_row_order_or_orientation() -> None:
    rng = np.random.default_rng(9)
    data = pd.DataFrame(_battles(np.array([-0.4, 0.1, 0.3, 0.5]), 800, rng, tie_rate=0.15))
    flipped = data.rename(columns={"model_a": "model_b", "model_b": "model_a"})
    flipped["winner"] = flipped["winner"].map({"a": "b", "b": "a", "tie": "tie"})
    shuffled = data.sample(frac=1.0, random_state=1)
    for ties in ("half", "rao-kupper", "davidson"):
        base = BradleyTerry(ties=ties).fit(data, bootstrap=0).ratings_
        for other in (flipped, shuffled):
            again = BradleyTerry(ties=ties).fit(other, bootstrap=0).ratings_
            assert [e.model for e in again.entries] == [e.model for e in base.entries]
            np.testing.assert_allclose(
                [e.rating for e in again.entries], [e.rating for e in base.entries], atol=1e-6
            )


def test_result_object_intervals_ranks_and_rendering() -> None:
    rng = np.random.default_rng(1)
    data = _battles(np.array([-1.0, -0.2, 0.0, 0.9]), 1500, rng, tie_rate=0.1)
    bt = BradleyTerry().fit(data, bootstrap=300, seed=7)
    r = bt.ratings_
    assert isinstance(r, Ratings)
    assert [e.rank for e in r.entries] == [1, 2, 3, 4]
    for e in r.entries:
        assert e.ci_low is not None
        assert e.ci_high is not None
        assert e.ci_low <= e.rating <= e.ci_high
        assert e.rank_low is not None
        assert e.rank_high is not None
        assert e.rank_low <= e.rank <= e.rank_high
        assert r.confidence_interval(e.model) == (e.ci_low, e.ci_high)
    assert sum(e.n_battles for e in r.entries) == 2 * 1500
    assert r.draws is not None
    assert r.draws.shape == (300, 4)
    # same seed, same numbers; the signature records what produced them
    assert BradleyTerry().fit(data, bootstrap=300, seed=7).ratings_ == r
    sig = r.signature
    assert sig["method"] == "bradley-terry"
    assert (sig["ties"], sig["scale"], sig["base"], sig["bootstrap"], sig["seed"]) == (
        "half",
        400.0,
        1000.0,
        300,
        7,
    )
    assert sig["n_battles"] == 1500
    assert "assay_version" in sig
    assert len(sig["data_hash"]) == 16
    d = json.loads(json.dumps(r.to_dict()))
    assert d["ratings"][0]["model"] == "m3"
    frame = r.to_pandas()
    assert list(frame["model"]) == ["m3", "m2", "m1", "m0"]
    assert {"rating", "ci_low", "ci_high", "rank_low", "rank_high", "n_battles"} <= set(frame)
    wp = r.win_probability_matrix()
    off = ~np.eye(4, dtype=bool)
    np.testing.assert_allclose((wp.to_numpy() + wp.to_numpy().T)[off], 1.0)
    assert wp.loc["m3", "m0"] > 0.75
    probs = bt.predict_proba({"model_a": ["m3"], "model_b": ["m0"]})
    assert probs[0, 0] == pytest.approx(wp.loc["m3", "m0"])
    assert "m3" in r._repr_html_()
    from rich.console import Console

    console = Console(record=True, width=120)
    console.print(r)
    assert "Bradley-Terry" in console.export_text()


def test_html_escapes_model_names() -> None:
    data = {"model_a": ["<b>x</b>", "y", "y"], "model_b": ["y", "<b>x</b>", "<b>x</b>"]}
    r = BradleyTerry().fit(data | {"winner": ["a", "a", "tie"]}, bootstrap=0).ratings_
    assert "<b>x</b>" not in r._repr_html_()
    assert "&lt;b&gt;x&lt;/b&gt;" in r._repr_html_()


def test_anchor_gets_base_and_keeps_gaps() -> None:
    rng = np.random.default_rng(6)
    data = _battles(np.array([-0.5, 0.0, 0.4]), 900, rng)
    plain = BradleyTerry().fit(data, bootstrap=100, seed=0).ratings_
    anchored = BradleyTerry(anchor="m1", base=1114.0).fit(data, bootstrap=100, seed=0).ratings_
    assert anchored.entry("m1").rating == pytest.approx(1114.0)
    assert anchored.confidence_interval("m1") == pytest.approx((1114.0, 1114.0))
    gap = plain.entry("m2").rating - plain.entry("m0").rating
    assert anchored.entry("m2").rating - anchored.entry("m0").rating == pytest.approx(gap)
    assert anchored.signature["anchor"] == "m1"


def test_input_forms_agree(tmp_path: Path) -> None:
    rng = np.random.default_rng(12)
    data = _battles(np.array([-0.3, 0.0, 0.3]), 300, rng, tie_rate=0.1)
    frame = pd.DataFrame(data)
    records = [
        Comparison("run", "t", str(i), a, b, "judge", w, replicate=0)  # type: ignore[arg-type]
        for i, (a, b, w) in enumerate(
            zip(data["model_a"], data["model_b"], data["winner"], strict=True)
        )
    ]
    with Store(tmp_path / "s.duckdb") as store:
        store.write({"comparisons": records})
        stored = store.read("comparisons")
    inputs = [frame, pl.from_pandas(frame), pa.Table.from_pandas(frame), records, stored]
    fits = [BradleyTerry().fit(x, bootstrap=0).ratings_ for x in inputs]
    for f in fits[1:]:
        np.testing.assert_allclose(
            [e.rating for e in f.entries], [e.rating for e in fits[0].entries], atol=1e-8
        )


def test_estimator_contract() -> None:
    bt = BradleyTerry(ties="davidson")
    assert bt.get_params()["ties"] == "davidson"
    assert repr(bt) == "BradleyTerry(ties='davidson')"
    assert bt.set_params(scale=173.7) is bt
    assert bt.scale == 173.7
    with pytest.raises(NotFittedError, match="not fitted"):
        bt.predict_proba({"model_a": ["a"], "model_b": ["b"]})
    with pytest.raises(NotFittedError):
        EloRating().predict_proba({"model_a": ["a"], "model_b": ["b"]})
    fitted = bt.fit({"model_a": ["a", "b"], "model_b": ["b", "a"], "winner": ["a", "tie"]})
    assert fitted is bt
    assert hasattr(bt, "ratings_")
    assert bt.n_battles_ == 2
    with pytest.raises(InputError, match="no parameter 'scal'"):
        bt.set_params(scal=1)


# ---------------------------------------------------------------- bad input


def _frame(a: list[str], b: list[str], w: list[str]) -> dict[str, list[str]]:
    return {"model_a": a, "model_b": b, "winner": w}


def test_unknown_winner_names_the_row() -> None:
    data = _frame(["x", "x", "y"], ["y", "z", "z"], ["a", "model_a", "draw"])
    with pytest.raises(InputError, match=r"row 1 \(and 1 more rows\).*'model_a'.*'both_bad'"):
        BradleyTerry().fit(data)
    with pytest.raises(InputError, match="row 1"):
        EloRating().fit(data)


def test_self_pair_names_the_row() -> None:
    with pytest.raises(InputError, match=r"row 2 .*'y' with itself"):
        BradleyTerry().fit(_frame(["x", "x", "y"], ["y", "z", "y"], ["a", "b", "tie"]))


def test_empty_missing_and_null_input() -> None:
    with pytest.raises(InputError, match="no battles"):
        BradleyTerry().fit(_frame([], [], []))
    with pytest.raises(InputError, match="no column 'winner'"):
        BradleyTerry().fit({"model_a": ["x"], "model_b": ["y"]})
    with pytest.raises(InputError, match=r"row 1 .* no model_b"):
        BradleyTerry().fit({"model_a": ["x", "y"], "model_b": ["y", None], "winner": ["a", "b"]})
    with pytest.raises(InputError, match="must be a pandas, polars or Arrow frame"):
        BradleyTerry().fit(42)


def test_bad_parameters_have_clear_messages() -> None:
    data = _frame(["x", "y"], ["y", "x"], ["a", "a"])
    with pytest.raises(
        InputError,
        match="the 'ties' parameter of BradleyTerry must be one of 'half', 'rao-kupper', "
        "'davidson'; got 'draws'",
    ):
        BradleyTerry(ties="draws").fit(data)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="the 'order' parameter of EloRating must be"):
        EloRating(order="random").fit(data)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="the 'scale' parameter of BradleyTerry must be"):
        BradleyTerry(scale=0).fit(data)
    with pytest.raises(InputError, match=r"the 'bootstrap' parameter of BradleyTerry\.fit"):
        BradleyTerry().fit(data, bootstrap=-1)
    with pytest.raises(InputError, match="the 'style' parameter of BradleyTerry must be None"):
        BradleyTerry(style="length").fit(data)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="needs columns 'length_a' and 'length_b'"):
        BradleyTerry(style=["length"]).fit(data)
    with pytest.raises(InputError, match="unknown model 'zz'"):
        BradleyTerry(anchor="zz").fit(data)
    fitted = BradleyTerry().fit(data, bootstrap=0)
    with pytest.raises(InputError, match="bootstrap=0"):
        fitted.ratings_.confidence_interval("x")
    with pytest.raises(InputError, match="unknown models"):
        fitted.predict_proba({"model_a": ["x"], "model_b": ["w"]})


def test_disconnected_graph_warns_naming_the_components() -> None:
    data = _frame(
        ["a", "b", "a", "c", "d", "c"], ["b", "a", "b", "d", "c", "d"], ["a", "b", "tie"] * 2
    )
    with pytest.warns(DegenerateDataWarning, match=r"2 components.*\{'a', 'b'\} and \{'c', 'd'\}"):
        bt = BradleyTerry().fit(data, bootstrap=50)
    r = bt.ratings_
    assert {e.component for e in r.entries} == {0, 1}
    for comp in (0, 1):
        ratings = [e.rating for e in r.entries if e.component == comp]
        assert np.mean(ratings) == pytest.approx(1000.0)
        assert sorted(e.rank for e in r.entries if e.component == comp) == [1, 2]
    wp = r.win_probability_matrix()
    assert np.isnan(wp.loc["a", "c"])
    assert not np.isnan(wp.loc["a", "b"])
    assert np.isnan(bt.predict_proba({"model_a": ["a"], "model_b": ["d"]})).all()
    with pytest.warns(DegenerateDataWarning, match="components"):
        EloRating().fit(data, bootstrap=0)


def test_a_model_that_never_lost_warns_and_stays_finite() -> None:
    data = _frame(["a", "a", "b", "c", "b"], ["b", "c", "c", "b", "a"], ["a", "a", "a", "a", "b"])
    with pytest.warns(DegenerateDataWarning, match=r"no finite maximum-likelihood.*\{'a'\}"):
        r = BradleyTerry().fit(data, bootstrap=0).ratings_
    assert r.entries[0].model == "a"
    assert all(math.isfinite(e.rating) for e in r.entries)


def test_tie_model_without_ties_warns() -> None:
    data = _frame(["a", "b", "c", "a"], ["b", "c", "a", "c"], ["a", "a", "a", "b"])
    with pytest.warns(DegenerateDataWarning, match="no tie"):
        r = BradleyTerry(ties="davidson").fit(data, bootstrap=0).ratings_
    assert r.tie_parameter is not None
    assert r.tie_parameter < 1e-6


# ---------------------------------------------------------------- public data


@pytest.mark.shared_data
def test_vicuna80_human_ratings(shared_data: Path) -> None:
    path = shared_data / "pairwise_vicuna80_prd" / "vicuna80_pairwise_judgments.csv"
    comparisons = PairwiseCsvImporter().read((path,)).tables["comparisons"]
    human = comparisons.filter(pc.equal(comparisons["judge_kind"], "human"))
    assert human.num_rows == 7040
    r = BradleyTerry().fit(human, bootstrap=1000, seed=0).ratings_
    assert len(r) == 9
    assert sorted(e.rank for e in r.entries) == list(range(1, 10))
    for e in r.entries:
        assert e.ci_low is not None
        assert e.ci_high is not None
        assert e.ci_low <= e.rating <= e.ci_high
        assert e.rank_low is not None
        assert e.rank_high is not None
        assert e.rank_low <= e.rank <= e.rank_high
    assert sum(e.n_battles for e in r.entries) == 2 * 7040
    # humans preferred GPT-4 and Claude over every other answer generator
    assert {e.model for e in r.entries[:2]} == {"gpt4", "claude"}
    assert r.entries[1].ci_low > r.entries[2].ci_high  # type: ignore[operator]
    wp = r.win_probability_matrix()
    assert wp.shape == (9, 9)
    for ties in ("rao-kupper", "davidson"):
        tied = BradleyTerry(ties=ties).fit(human, bootstrap=100, seed=0).ratings_
        assert tied.tie_parameter is not None
        assert tied.tie_interval is not None
        assert tied.tie_interval.low <= tied.tie_parameter <= tied.tie_interval.high


def test_public_api() -> None:
    import assay.analysis.ranking as ranking

    assert ranking.__all__ == sorted(ranking.__all__)
    assert set(ranking.__all__) == {
        "AggregateEntry",
        "BenchmarkAggregate",
        "BradleyTerry",
        "EloRating",
        "FailureSensitivity",
        "Judge",
        "ModelRating",
        "PairProposal",
        "ProposedPair",
        "RatingInterval",
        "Ratings",
        "StoredVerdicts",
        "StyleCoefficient",
        "SwissEntry",
        "SwissResult",
        "TournamentResult",
        "WhatIf",
        "WhatIfRow",
        "aggregate_scores",
        "failure_sensitivity",
        "propose_pairs",
        "swiss_tournament",
        "varco_arena",
        "what_if",
    }
