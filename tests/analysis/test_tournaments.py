"""Swiss-system dynamics, Varco Arena tournaments and ProSkill pairing: known answers from
the methods note and simulated truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr

from assay.analysis.ranking import (
    EloRating,
    StoredVerdicts,
    failure_sensitivity,
    propose_pairs,
    swiss_tournament,
    varco_arena,
)
from assay.errors import DegenerateDataWarning, InputError

# ---------------------------------------------------------------- Swiss-system dynamics


def test_swiss_four_models_exact() -> None:
    # strengths A > B > C > D on two rounds: whatever the first pairing, A wins both, the
    # first-round loser to A beats the weakest loser, so A=2, B=1, C=1, D=0 every run
    scores = pd.DataFrame({"r1": [4, 3, 2, 1], "r2": [4, 3, 2, 1]}, index=list("ABCD"))
    r = swiss_tournament(scores, runs=300, seed=1)
    got = {e.model: (e.expected_score, e.se) for e in r.entries}
    assert got == {"A": (2.0, 0.0), "B": (1.0, 0.0), "C": (1.0, 0.0), "D": (0.0, 0.0)}
    assert r.entry("A").p_first == 1.0


def test_zero_point_bye_trap() -> None:
    # two models; y loses round 1 then wins every later round. With zero-point byes
    # each is alone in its points group from round 2 on and never plays again.
    scores = pd.DataFrame({f"b{k}": ([1, 0] if k == 0 else [0, 1]) for k in range(5)})
    scores.index = ["x", "y"]
    bye = swiss_tournament(scores, runs=50, odd_policy="bye0")
    assert bye.entry("x").expected_score == 1.0
    assert bye.entry("y").expected_score == 0.0
    floated = swiss_tournament(scores, runs=50, odd_policy="float_down")
    assert floated.entry("y").expected_score == 4.0
    assert floated.signature["odd_policy"] == "float_down"


@pytest.mark.parametrize("tie_policy", ["coin", "half"])
def test_points_conserved_without_elimination(tie_policy: str) -> None:
    # float_down with an even number of models: every model plays every round, one
    # point per match -> total expected points = rounds * models / 2
    rng = np.random.default_rng(0)
    scores = pd.DataFrame(rng.integers(0, 3, size=(8, 6)).astype(float))  # many ties
    scores.index = [f"m{i}" for i in range(8)]
    r = swiss_tournament(
        scores,
        runs=400,
        odd_policy="float_down",
        tie_policy=tie_policy,
        seed=2,  # type: ignore[arg-type]
    )
    assert sum(e.expected_score for e in r.entries) == pytest.approx(6 * 8 / 2)


def test_transitive_world_recovers_strengths() -> None:
    rng = np.random.default_rng(5)
    strength = np.linspace(0.2, 0.8, 12)
    scores = pd.DataFrame(strength[:, None] + rng.normal(0, 0.01, (12, 10)))
    scores.index = [f"m{i}" for i in range(12)]
    r = swiss_tournament(scores, eliminate=1, runs=2000, seed=0)
    expected = [r.entry(f"m{i}").expected_score for i in range(12)]
    assert spearmanr(strength, expected).statistic == pytest.approx(1.0)


def _specialist_world() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    background = rng.uniform(0.3, 0.8, (10, 1)) + rng.normal(0, 0.05, (10, 10))
    generalist = np.full((1, 10), 0.65)
    specialist = np.r_[[0.4] * 5, [0.9] * 5][None]
    return pd.DataFrame(
        np.vstack([background, generalist, specialist]),
        index=[f"m{i}" for i in range(10)] + ["generalist", "specialist"],
        columns=[f"b{k}" for k in range(10)],
    )


def test_failure_sensitivity_separates_specialist_from_generalist() -> None:
    fs = failure_sensitivity(_specialist_world(), levels=[0, 1, 2], runs=2000, seed=0)
    shift = fs.rank_shift()
    # the specialist is ahead without elimination and collapses once early losses are fatal
    assert fs.ranks.loc["specialist", 0] < fs.ranks.loc["generalist", 0]
    assert fs.ranks.loc["specialist", 1] >= 9
    assert shift["specialist"] >= 5
    assert abs(shift["generalist"]) <= 2
    assert fs.expected.loc["specialist", 1] < fs.expected.loc["generalist", 1] / 2
    assert set(fs.to_pandas().columns) == {"model", "eliminate", "expected_score", "rank"}


def test_swiss_is_seeded_and_validates() -> None:
    scores = _specialist_world()
    a = swiss_tournament(scores, eliminate=1, runs=300, seed=7)
    b = swiss_tournament(scores, eliminate=1, runs=300, seed=7)
    assert a.to_dict() == b.to_dict()
    lo, hi = a.confidence_interval("generalist")
    assert lo <= a.entry("generalist").expected_score <= hi
    with pytest.raises(InputError, match="'odd_policy' parameter of swiss_tournament"):
        swiss_tournament(scores, odd_policy="float")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="one integer per round"):
        swiss_tournament(scores, eliminate=[1, 2])
    with pytest.raises(InputError, match="no score on"):
        swiss_tournament(scores.assign(b0=[np.nan] + [0.5] * 11))
    with pytest.raises(InputError, match="'rounds' parameter"):
        swiss_tournament(scores, rounds=["b0", "zz"])
    with pytest.warns(DegenerateDataWarning, match="log2"):
        swiss_tournament(scores[["b0", "b1"]], runs=10)


# ---------------------------------------------------------------- Varco Arena


def _bt_judge(elo: dict[str, float], rng: np.random.Generator, noise: float = 0.0):  # type: ignore[no-untyped-def]
    def judge(item: str, a: str, b: str) -> str:
        if rng.random() < noise:
            return "a" if rng.random() < 0.5 else "b"
        p = 1.0 / (1.0 + 10 ** ((elo[b] - elo[a]) / 400))
        return "a" if rng.random() < p else "b"

    return judge


def test_varco_arena_recovers_true_ratings() -> None:
    elo = {f"m{i:02d}": 1000.0 + 25 * i for i in range(12)}
    judge = _bt_judge(elo, np.random.default_rng(1))
    res = varco_arena(list(elo), [f"q{i}" for i in range(300)], judge, bootstrap=300, seed=0)
    assert len(res.matches) == 300 * 11  # n - 1 matches per prompt
    est = {e.model: e for e in res.ratings.entries}
    truth = np.array(list(elo.values()))
    truth = truth - truth.mean() + 1000.0  # ratings are centred on base
    rho = spearmanr(truth, [est[m].rating for m in elo]).statistic
    assert rho > 0.95
    covered = sum(
        est[m].ci_low <= t <= est[m].ci_high  # type: ignore[operator]
        for m, t in zip(elo, truth, strict=True)
    )
    assert covered >= 10  # 95% intervals: at least 10 of 12
    # stronger models play more matches (they advance further)
    assert est["m11"].n_battles > est["m00"].n_battles
    assert sum(res.champions.values()) == 300
    assert res.ratings.signature["interval"].startswith("percentile, items")


@pytest.mark.parametrize("ties", ["davidson", "rao-kupper"])
def test_varco_arena_tie_model_gets_its_interval(ties: str) -> None:
    # a judge that calls a quarter of the matches a tie: the tie parameter is estimated
    # and the item bootstrap gives it an interval, as Bradley-Terry's own bootstrap does
    elo = {f"m{i}": 1000.0 + 40 * i for i in range(6)}
    rng = np.random.default_rng(3)
    decide = _bt_judge(elo, rng)

    def judge(item: str, a: str, b: str) -> str:
        return "tie" if rng.random() < 0.25 else decide(item, a, b)

    res = varco_arena(
        list(elo),
        [f"q{i}" for i in range(200)],
        judge,
        ties=ties,
        bootstrap=100,
        seed=0,  # type: ignore[arg-type]
    )
    interval = res.ratings.tie_interval
    assert interval is not None
    assert res.ratings.tie_parameter is not None
    assert interval.low <= res.ratings.tie_parameter <= interval.high
    assert interval.low < interval.high


def test_varco_arena_noisy_judge_orders_models() -> None:
    # methods note section 6: a judge that is a coin flip 20% of the time
    elo = {f"m{i:02d}": 1000.0 + 25 * i for i in range(20)}
    judge = _bt_judge(elo, np.random.default_rng(2), noise=0.2)
    res = varco_arena(list(elo), [f"q{i}" for i in range(500)], judge, bootstrap=0, seed=0)
    est = {e.model: e.rating for e in res.ratings.entries}
    assert spearmanr(list(elo.values()), [est[m] for m in elo]).statistic > 0.95


def test_varco_arena_byes_and_both_orders() -> None:
    # 5 models: bracket of 8 with 3 byes, still n - 1 = 4 matches per prompt
    calls: list[tuple[str, str, str]] = []

    def first_wins(item: str, a: str, b: str) -> str:
        calls.append((item, a, b))
        return "a"

    res = varco_arena(list("abcde"), ["q1", "q2"], first_wins, both_orders=True, bootstrap=0)
    assert len(res.matches) == 8
    # a judge that always picks the first answer disagrees with itself in every swap
    assert set(res.matches["winner"]) == {"tie"}
    assert len(calls) == 16


def test_stored_verdicts_judge() -> None:
    rows = pd.DataFrame(
        {
            "item_id": ["q1", "q1", "q1", "q2"],
            "model_a": ["x", "y", "x", "x"],
            "model_b": ["y", "x", "y", "y"],
            "winner": ["a", "b", "b", "tie"],
        }
    )
    judge = StoredVerdicts(rows)
    # q1: x won twice (once stored as (y, x) with winner b), y once -> x
    assert judge("q1", "x", "y") == "a"
    assert judge("q1", "y", "x") == "b"
    assert judge("q2", "y", "x") == "tie"
    assert judge.items == ("q1", "q2")
    with pytest.raises(InputError, match="no stored verdict"):
        judge("q3", "x", "y")
    res = varco_arena(["x", "y"], judge.items, judge, bootstrap=0, seed=0)
    assert len(res.matches) == 2


def test_varco_arena_bad_input() -> None:
    with pytest.raises(InputError, match="'models' parameter of varco_arena"):
        varco_arena(["a", "a"], ["q"], lambda i, a, b: "a")
    with pytest.raises(InputError, match="must return 'a', 'b'"):
        varco_arena(["a", "b"], ["q"], lambda i, a, b: "model_a")
    with pytest.raises(InputError, match="'judge' parameter"):
        varco_arena(["a", "b"], ["q"], "gpt-4")  # type: ignore[arg-type]


# ---------------------------------------------------------------- ProSkill


def test_first_round_is_a_random_perfect_pairing() -> None:
    models = [f"v{i}" for i in range(10)]
    p = propose_pairs(None, models, 5, seed=0)
    seen = [m for pair in p.pairs for m in (pair.model_a, pair.model_b)]
    assert sorted(seen) == sorted(models)
    assert all(pair.expected_a == 0.5 for pair in p.pairs)
    q = propose_pairs(None, models, 5, seed=1)
    assert p.to_dict()["pairs"] != q.to_dict()["pairs"]


def test_pairs_neighbours_by_elo_without_repeats() -> None:
    # a beat b, c beat d: ratings a, c > b, d; a and c meet next (neighbours, unmet)
    done = pd.DataFrame({"model_a": ["a", "c"], "model_b": ["b", "d"], "winner": ["a", "a"]})
    p = propose_pairs(done, list("abcd"), 2, seed=0)
    pairs = {frozenset((x.model_a, x.model_b)) for x in p.pairs}
    assert pairs == {frozenset("ac"), frozenset("bd")}
    assert p.ratings["a"] == pytest.approx(1516.0)
    # all six pairs: four are left; asking for more warns and stops
    with pytest.warns(DegenerateDataWarning, match="only 4 of 6"):
        more = propose_pairs(done, list("abcd"), 6)
    assert len(more) == 4
    assert len(propose_pairs(done, list("abcd"), 6, allow_repeats=True)) == 6
    with pytest.raises(InputError, match="not in 'models'"):
        propose_pairs(done, list("abc"), 1)


def test_swiss_rounds_rank_the_top_better_than_random_pairs() -> None:
    # methods note section 7: 50 items, P(A>B) = sigmoid(2 (u_A - u_B)), 6 rounds of 25
    def run(swiss: bool, seed: int) -> float:
        rng = np.random.default_rng(seed)
        skill = dict(zip([f"i{k:02d}" for k in range(50)], rng.normal(size=50), strict=True))
        names = list(skill)
        rows: list[dict[str, str]] = []
        for rnd in range(6):
            if swiss:
                pairs = [
                    (p.model_a, p.model_b)
                    for p in propose_pairs(
                        pd.DataFrame(rows) if rows else None, names, 25, seed=rng
                    ).pairs
                ]
            else:
                perm = rng.permutation(names)
                pairs = list(zip(perm[0::2], perm[1::2], strict=True))
            for a, b in pairs:
                p = 1 / (1 + np.exp(-2 * (skill[a] - skill[b])))
                rows.append(
                    {"model_a": a, "model_b": b, "winner": "a" if rng.random() < p else "b"}
                )
            del rnd
        elo = EloRating(k=32, base=1500).fit(pd.DataFrame(rows), bootstrap=0).ratings_
        rating = {e.model: e.rating for e in elo.entries}
        top = sorted(names, key=lambda m: -skill[m])[:10]
        return (
            float(spearmanr([skill[m] for m in top], [rating[m] for m in top]).statistic),
            float(spearmanr([skill[m] for m in names], [rating[m] for m in names]).statistic),
        )

    # the gain is modest (about +0.04 at the top over 40 simulated studies)
    swiss = np.mean([run(True, s) for s in range(40)], axis=0)
    random = np.mean([run(False, s) for s in range(40)], axis=0)
    assert swiss[0] > random[0]
    assert swiss[1] > random[1]
    assert swiss[1] > 0.75
