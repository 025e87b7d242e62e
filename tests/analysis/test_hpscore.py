"""HP-Score: exact values on a stub whose solving level per item is known."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from assay.analysis.subset import HPT_PENALTIES, hp_score
from assay.errors import DegenerateDataWarning, InputError

LEVELS = ["role", "zs_cot", "3s_cot", "least_to_most", "gen_knowledge"]


def stub_frame(solve_at: dict[str, list[int | None]]) -> pd.DataFrame:
    """Each model solves item i exactly at levels >= solve_at[i] (None = never)."""
    rows = []
    for model, levels in solve_at.items():
        for i, lvl in enumerate(levels):
            for j, name in enumerate(LEVELS, start=1):
                rows.append({"model_id": model, "item_id": f"i{i}", "prompt_variant": name,
                             "value": float(lvl is not None and j >= lvl), "task": "boolq"})  # fmt: skip
    return pd.DataFrame(rows)


def test_hp_score_equals_mean_first_solving_level():
    rng = np.random.default_rng(0)
    solve = {
        m: [None if x == 6 else int(x) for x in rng.integers(1, 7, size=50)] for m in ("a", "b")
    }
    penalty = HPT_PENALTIES["boolq"]
    res = hp_score(stub_frame(solve), LEVELS, penalty=penalty, resamples=200)
    for m, levels in solve.items():
        expected = np.mean([5 + penalty if x is None else x for x in levels])
        cell = res.cell(m)
        assert cell.hp_score == pytest.approx(expected, abs=1e-12)
        assert cell.n_unsolved == sum(x is None for x in levels)
        assert cell.level_counts == tuple(levels.count(j) for j in range(1, 6))
        assert cell.ci_low <= cell.hp_score <= cell.ci_high
    assert res.signature["penalty"] == penalty
    assert "HP-Score" in res._repr_html_()


def test_levels_after_the_first_solving_one_are_not_read():
    df = stub_frame({"a": [2, 3]})
    # results above the solving level may be anything (or absent): same score
    df.loc[(df.item_id == "i0") & (df.prompt_variant == "3s_cot"), "value"] = 0.0
    df = df[~((df.item_id == "i1") & (df.prompt_variant == "gen_knowledge"))]
    assert hp_score(df, LEVELS).cell("a").hp_score == pytest.approx(2.5)


def test_missing_earlier_level_drops_item_with_warning_and_bad_input():
    df = stub_frame({"a": [3, 1, None]})
    df = df[~((df.item_id == "i0") & (df.prompt_variant == "zs_cot"))]
    with pytest.warns(DegenerateDataWarning, match="dropped 1 item"):
        cell = hp_score(df, LEVELS, penalty=2.0).cell("a")
    assert cell.n_items == 2
    assert cell.n_dropped == 1
    assert cell.hp_score == pytest.approx((1 + 7) / 2)
    with pytest.raises(InputError, match="distinct"):
        hp_score(df, ["role", "role"])
    with pytest.raises(InputError, match="none of the levels"):
        hp_score(df, ["x", "y"])
    with pytest.raises(InputError, match="penalty"):
        hp_score(df, LEVELS, penalty=-1)
    with pytest.raises(InputError, match="lacks column"):
        hp_score(df.drop(columns="prompt_variant"), LEVELS)


def test_hp_score_from_a_store(store):
    from assay.schema import Run, Score

    df = stub_frame({"m": [1, 2, None, 4]})
    store.write(
        {
            "runs": [Run(run_id="r", source="csv")],
            "scores": [Score(run_id="r", model_id=r.model_id, task="boolq", item_id=r.item_id,
                             prompt_variant=r.prompt_variant, metric="acc", value=r.value)
                       for r in df.itertuples()],
        }
    )  # fmt: skip
    res = hp_score(store, LEVELS, penalty=1.71, task="boolq")
    assert res.cell("m", "boolq").hp_score == pytest.approx((1 + 2 + 6.71 + 4) / 4)
