"""Store -> hive-partitioned Parquet -> a new store is lossless, and other engines read it."""

from __future__ import annotations

import datetime as dt
import json
import math
import shutil
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assay.errors import FormatError, StoreError
from assay.schema import (
    TABLES,
    Aggregate,
    Comparison,
    Item,
    Model,
    Response,
    Run,
    Score,
    TraceStep,
)
from assay.store import Store, export_parquet, import_parquet

# names that stress hive partitioning: slashes, '=', '%', spaces, unicode, quotes
names = st.text(
    alphabet=st.sampled_from([*list("ab/=% é'-_.:"), "日"]), min_size=1, max_size=8
).filter(lambda s: s.strip() != "")
texts = st.none() | st.text(max_size=20)
floats = st.none() | st.floats(allow_nan=True, allow_infinity=True, width=64)
meta = st.none() | st.dictionaries(
    st.text(max_size=5), st.integers() | st.text(max_size=5), max_size=3
)
when = st.none() | st.datetimes(
    min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2100, 1, 1), timezones=st.just(dt.UTC)
).map(lambda d: d.replace(microsecond=d.microsecond))


@st.composite
def stores(draw: st.DrawFn) -> dict[str, list[Any]]:
    runs = draw(st.lists(names, min_size=1, max_size=3, unique=True))
    tasks = draw(st.lists(names, min_size=1, max_size=3, unique=True))
    models = draw(st.lists(names, min_size=1, max_size=3, unique=True))
    items = [str(i) for i in range(draw(st.integers(1, 4)))]
    out: dict[str, list[Any]] = {t: [] for t in TABLES}
    for r in runs:
        out["runs"].append(
            Run(
                r,
                "test",
                status=draw(st.sampled_from(["complete", "partial"])),
                created_at=draw(when),
                config=draw(meta),
                seed=draw(st.none() | st.integers(0, 2**40)),
            )
        )
    for m in models:
        out["models"].append(
            Model(
                m,
                family=draw(texts),
                parameters=draw(floats),
                checkpoint_step=draw(st.none() | st.integers(0, 10**9)),
            )
        )
    for t in tasks:
        for i in items:
            out["items"].append(
                Item(
                    t,
                    i,
                    input=draw(texts),
                    choices=draw(st.none() | st.lists(st.text(max_size=4), max_size=3)),
                    metadata=draw(meta),
                )
            )
    for r in runs:
        for m in models:
            for t in tasks:
                for i in items:
                    out["responses"].append(
                        Response(
                            r,
                            m,
                            t,
                            i,
                            output=draw(texts),
                            choice_logprobs=draw(
                                st.none() | st.lists(st.floats(-50, 0), max_size=3)
                            ),
                        )
                    )
                    out["scores"].append(Score(r, m, t, i, "acc", draw(floats)))
                    out["traces"].append(
                        TraceStep(
                            r,
                            m,
                            t,
                            i,
                            0,
                            "message",
                            role="user",
                            result=draw(texts),
                            timestamp=draw(when),
                        )
                    )
                out["aggregates"].append(
                    Aggregate(
                        r,
                        m,
                        t,
                        "acc",
                        draw(floats),
                        draw(floats),
                        draw(st.none() | st.integers(0, 1000)),
                    )
                )
        if len(models) > 1:
            out["comparisons"].append(
                Comparison(
                    r,
                    tasks[0],
                    items[0],
                    models[0],
                    models[1],
                    "judge",
                    draw(st.sampled_from(["a", "b", "tie", "both_bad"])),
                )
            )
    return out


def _norm(rows: list[dict[str, Any]]) -> list[str]:
    def fix(v: Any) -> Any:
        if isinstance(v, float) and math.isnan(v):
            return "NaN"
        if isinstance(v, list):
            return [fix(x) for x in v]
        return v

    return sorted(
        json.dumps({k: fix(v) for k, v in r.items()}, default=str, sort_keys=True) for r in rows
    )


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=stores())
def test_round_trip_is_lossless(tmp_path: Path, data: dict[str, list[Any]]) -> None:
    work = tmp_path / "rt"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    with Store(work / "a.duckdb") as a:
        a.write(data)  # type: ignore[arg-type]
        export_parquet(a, work / "ds")
        with Store(work / "b.duckdb") as b:
            import_parquet(b, work / "ds")
            for t in TABLES:
                assert _norm(a.read(t).to_pylist()) == _norm(b.read(t).to_pylist()), t


def _small_store(path: Path) -> Store:
    st_ = Store(path)
    st_.write(
        {
            "runs": [Run("r1", "test")],
            "scores": [
                Score("r1", "m", task, str(i), "acc", float(i % 2))
                for task in ("inspect_evals/math", "a=b")
                for i in range(4)
            ],
        }
    )
    return st_


def test_other_engines_read_the_dataset(tmp_path: Path) -> None:
    with _small_store(tmp_path / "s.duckdb") as s:
        export_parquet(s, tmp_path / "ds")
    glob = str(tmp_path / "ds" / "scores" / "**" / "*.parquet")
    tasks_duck = duckdb.sql(
        f"SELECT DISTINCT task FROM read_parquet('{glob}', hive_partitioning=true, hive_types_autocast=false) ORDER BY 1"
    ).fetchall()
    assert [t for (t,) in tasks_duck] == ["a=b", "inspect_evals/math"]
    frame = pl.scan_parquet(glob, hive_partitioning=True).collect()
    assert frame.height == 8
    assert set(frame["task"].to_list()) == {"a=b", "inspect_evals/math"}


def test_export_refuses_to_clobber(tmp_path: Path) -> None:
    with _small_store(tmp_path / "s.duckdb") as s:
        export_parquet(s, tmp_path / "ds")
        with pytest.raises(StoreError, match="not empty"):
            export_parquet(s, tmp_path / "ds")
        export_parquet(s, tmp_path / "ds", overwrite=True)
        (tmp_path / "other").mkdir()
        (tmp_path / "other" / "precious.txt").write_text("x")
        with pytest.raises(StoreError, match="not an assay Parquet dataset"):
            export_parquet(s, tmp_path / "other", overwrite=True)
        assert (tmp_path / "other" / "precious.txt").exists()


def test_incomplete_dataset_is_refused_and_stores_nothing(tmp_path: Path) -> None:
    with _small_store(tmp_path / "s.duckdb") as s:
        export_parquet(s, tmp_path / "ds")
    victim = next((tmp_path / "ds" / "scores").rglob("*.parquet"))
    victim.unlink()
    with Store(tmp_path / "b.duckdb") as b:
        with pytest.raises(FormatError, match="manifest lists"):
            import_parquet(b, tmp_path / "ds")
        assert b.counts() == {t: 0 for t in TABLES}


def test_newer_dataset_version_is_refused(tmp_path: Path) -> None:
    with _small_store(tmp_path / "s.duckdb") as s:
        export_parquet(s, tmp_path / "ds")
    manifest = tmp_path / "ds" / "manifest.json"
    doc = json.loads(manifest.read_text())
    doc["schema_version"] = 99
    manifest.write_text(json.dumps(doc))
    with Store(tmp_path / "b.duckdb") as b, pytest.raises(FormatError, match="schema_version"):
        import_parquet(b, tmp_path / "ds")
