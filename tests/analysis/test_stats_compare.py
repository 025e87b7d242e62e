"""Statistics from the store: compare, rank_models, seed_variance and `assay compare`."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
import typer
from statsmodels.stats.contingency_tables import mcnemar
from typer.testing import CliRunner

from assay.analysis.stats import compare, paired_bootstrap, rank_models, seed_variance
from assay.cli.compare import compare as compare_cmd
from assay.errors import DegenerateDataWarning, InputError
from assay.schema import Item, Run, Score
from assay.store import Store

RATES = {"strong": 0.8, "mid": 0.7, "weak": 0.4}


def _fill(store: Store, n: int = 200, seed: int = 0) -> dict[tuple[str, str], np.ndarray]:
    rng = np.random.default_rng(seed)
    truth: dict[tuple[str, str], np.ndarray] = {}
    rows = []
    items = []
    for task in ("t1", "t2"):
        for i in range(n):
            items.append(Item(task, str(i), metadata={"passage": f"p{i // 4}"}))
        for model, p in RATES.items():
            v = (rng.random(n) < p).astype(float)
            truth[(model, task)] = v
            rows += [Score("r1", model, task, str(i), "acc", float(v[i])) for i in range(n)]
    store.write({"runs": [Run("r1", "test")], "items": items, "scores": rows})
    return truth


def test_compare_matches_the_array_level_test(store: Store) -> None:
    truth = _fill(store)
    res = compare(store, "strong", "weak", resamples=2000, seed=3)
    assert [r.task for r in res.rows] == ["t1", "t2", "(pooled)"]
    t1 = res.row("t1").test
    order = sorted(range(200), key=str)  # the store orders items by their id (text)
    a, b = truth[("strong", "t1")][order], truth[("weak", "t1")][order]
    assert t1.difference == pytest.approx(a.mean() - b.mean())
    ref = paired_bootstrap(a, b, resamples=2000, seed=np.random.default_rng(3))
    assert (t1.low, t1.high) == pytest.approx((ref.low, ref.high))
    pooled = res.row("(pooled)").test
    assert pooled.n == 400
    assert all(r.significant for r in res.rows)
    assert res.signature["params"]["adjust"] == "holm"


def test_compare_mcnemar_equals_statsmodels_on_stored_rows(store: Store) -> None:
    truth = _fill(store)
    res = compare(store, "strong", "mid", task="t2", method="mcnemar")
    a, b = truth[("strong", "t2")], truth[("mid", "t2")]
    table = [
        [int(((a == 1) & (b == 1)).sum()), int(((a == 1) & (b == 0)).sum())],
        [int(((a == 0) & (b == 1)).sum()), int(((a == 0) & (b == 0)).sum())],
    ]
    assert len(res) == 1
    assert res.rows[0].test.pvalue == pytest.approx(mcnemar(table, exact=True).pvalue)


def test_compare_counts_items_scored_for_one_model_only(store: Store) -> None:
    _fill(store, n=40)
    store.write(
        {"scores": [Score("r1", "strong", "t1", f"extra{i}", "acc", 1.0) for i in range(5)]}
    )
    res = compare(store, "strong", "weak", task="t1", method="permutation", resamples=500)
    assert res.rows[0].test.n == 40
    assert res.rows[0].test.n_missing == 5


def test_compare_clustered_by_item_metadata(store: Store) -> None:
    _fill(store)
    res = compare(store, "strong", "mid", cluster="passage", resamples=1000, task="t1")
    assert res.rows[0].test.n_clusters == 50
    plain = compare(store, "strong", "mid", resamples=1000, task="t1")
    assert plain.rows[0].test.n_clusters == 200


def test_compare_bad_input(store: Store) -> None:
    _fill(store, n=20)
    with pytest.raises(InputError, match=r"unknown model 'nobody'.*stored models: mid, strong"):
        compare(store, "strong", "nobody")
    with pytest.raises(InputError, match="both 'strong'"):
        compare(store, "strong", "strong")
    with pytest.raises(InputError, match="no scores of 'strong' or 'weak' on task 'nope'"):
        compare(store, "strong", "weak", task="nope")
    with pytest.raises(InputError, match="'method' parameter of compare"):
        compare(store, "strong", "weak", method="t-test")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="treats items as independent"):
        compare(store, "strong", "weak", method="sign", cluster="passage")
    with pytest.raises(InputError, match="item metadata key"):
        compare(store, "strong", "weak", cluster="x'); DROP TABLE scores; --")
    store.write({"scores": [Score("r1", "solo", "t3", "0", "acc", 1.0)]})
    with (
        pytest.warns(DegenerateDataWarning, match="on task"),
        pytest.raises(InputError, match="share no scored item"),
    ):
        compare(store, "solo", "weak", task="t3")


def test_compare_warns_about_tasks_without_shared_items(store: Store) -> None:
    _fill(store, n=30)
    store.write({"scores": [Score("r1", "strong", "t3", "0", "acc", 1.0)]})
    with pytest.warns(DegenerateDataWarning, match="share no scored item on task.*t3"):
        res = compare(store, "strong", "weak", resamples=200)
    assert res.skipped == ("t3",)


def test_rank_models_from_the_store(store: Store) -> None:
    _fill(store, n=300)
    table = rank_models(store, resamples=500, seed=0)
    assert [r.model for r in table.rows] == ["strong", "mid", "weak"]
    assert table.n_items == 600
    assert table.row("mid").distinct_from_next is True
    clustered = rank_models(store, task="t1", cluster="passage", resamples=300)
    assert clustered.n_clusters == 75
    with pytest.raises(InputError, match="unknown model"):
        rank_models(store, models=["strong", "ghost"])


def test_seed_variance_from_the_store(store: Store) -> None:
    rng = np.random.default_rng(4)
    item_p = rng.uniform(0.1, 0.9, 150)
    rows = [
        Score("r1", "m", "t", str(i), "acc", float(rng.random() < item_p[i]), sample_index=s)
        for i in range(150)
        for s in range(8)
    ]
    variants = [
        Score("r1", "m", "tv", str(i), "acc", float(item_p[i] + 0.1 * v), prompt_variant=f"v{v}")
        for i in range(150)
        for v in range(3)
    ]
    store.write({"runs": [Run("r1", "test")], "scores": rows + variants})
    res = seed_variance(store, "m", "t")
    # Bernoulli trials around item rates: within-item variance E[p(1-p)], item variance Var(p)
    assert res.components["within"] == pytest.approx(np.mean(item_p * (1 - item_p)), rel=0.1)
    assert res.components["item"] == pytest.approx(np.var(item_p), rel=0.25)
    crossed = seed_variance(store, "m", "tv", factor="prompt_variant")
    assert crossed.components["variant"] == pytest.approx(0.01, rel=1e-6)
    assert crossed.components["residual"] == pytest.approx(0.0, abs=1e-12)


# -- CLI -------------------------------------------------------------------------------


@pytest.fixture
def cli() -> typer.Typer:
    app = typer.Typer()
    app.command("compare")(compare_cmd)
    app.command("noop")(lambda: None)  # two commands: typer keeps the sub-command name
    return app


def test_cli_prints_the_table_and_json(store: Store, cli: typer.Typer, tmp_path: object) -> None:
    _fill(store, n=60)
    path = str(store.path)
    store.close()
    runner = CliRunner()
    res = runner.invoke(cli, ["compare", "strong", "weak", "-s", path, "--resamples", "300"])
    assert res.exit_code == 0, res.output
    assert "strong vs weak" in res.stdout
    assert "t1" in res.stdout
    res = runner.invoke(
        cli, ["compare", "strong", "weak", "-s", path, "-t", "t1", "-o", "json", "--method", "sign"]
    )
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["rows"][0]["task"] == "t1"
    assert data["rows"][0]["method"] == "exact sign test"
    res = runner.invoke(cli, ["compare", "strong", "weak", "-s", path, "-o", "csv"])
    assert res.exit_code == 0
    assert res.stdout.startswith("task,")
    assert "(pooled)" in res.stdout


def test_cli_unknown_model_exits_1(store: Store, cli: typer.Typer) -> None:
    _fill(store, n=10)
    path = str(store.path)
    store.close()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = CliRunner().invoke(cli, ["compare", "strong", "ghost", "-s", path])
    assert res.exit_code == 1
    assert "unknown model 'ghost'" in res.output
    res = CliRunner().invoke(cli, ["compare", "strong", "weak", "-s", path, "--method", "x"])
    assert res.exit_code == 2
