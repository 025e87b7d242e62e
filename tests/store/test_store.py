"""The store: transactional idempotent writes, validation, reads, migrations."""

from __future__ import annotations

import json

import duckdb
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

from assay.errors import InputError, StoreError
from assay.schema import Item, Model, Response, Run, Score, records_to_table
from assay.store import SCHEMA_VERSION, Store, _migrations


def _scores(run: str, n: int, value: float = 1.0) -> list[Score]:
    return [Score(run, "m", "t", str(i), "acc", value) for i in range(n)]


def test_write_is_an_upsert(store: Store) -> None:
    first = store.write({"runs": [Run("r", "test")], "scores": _scores("r", 5)})
    assert first.new == {"runs": 1, "scores": 5}
    again = store.write({"runs": [Run("r", "test")], "scores": _scores("r", 5, value=0.0)})
    assert again.new == {"runs": 0, "scores": 0}
    assert again.replaced == {"runs": 1, "scores": 5}
    assert store.count("scores") == 5
    assert set(store.read("scores").column("value").to_pylist()) == {0.0}


def test_duplicate_keys_in_one_write_keep_the_last(store: Store) -> None:
    rows = [Score("r", "m", "t", "1", "acc", 0.0), Score("r", "m", "t", "1", "acc", 1.0)]
    summary = store.write({"scores": rows})
    assert summary.new == {"scores": 1}
    assert store.read("scores").column("value").to_pylist() == [1.0]


def test_failed_write_stores_nothing(store: Store) -> None:
    store.write({"scores": _scores("r", 3)})
    before = store.read("scores")
    bad = [*(_scores("r2", 3)), Score("r2", "m", "t", "", "acc", 1.0)]
    with pytest.raises(InputError, match="empty"):
        store.write({"runs": [Run("r2", "test")], "scores": bad})
    assert store.count("runs") == 0
    assert store.read("scores").equals(before)


def test_failure_inside_the_transaction_rolls_back(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.write({"scores": _scores("r", 3)})
    original = store._upsert

    def failing(name, table):  # type: ignore[no-untyped-def]
        if name == "scores":
            raise duckdb.IOException("disk full (simulated)")
        return original(name, table)

    monkeypatch.setattr(store, "_upsert", failing)
    with pytest.raises(StoreError, match="nothing stored"):
        store.write({"runs": [Run("r9", "test")], "scores": _scores("r9", 4)})
    monkeypatch.undo()
    assert store.count("runs") == 0
    assert store.count("scores") == 3


@pytest.mark.parametrize(
    ("table", "row", "message"),
    [
        (
            "runs",
            {"run_id": "r", "source": "x", "granularity": "items", "status": "complete"},
            "granularity",
        ),
        (
            "responses",
            {
                "run_id": "r",
                "model_id": "m",
                "task": "t",
                "item_id": "1",
                "sample_index": 0,
                "prompt_variant": "",
                "status": "fine",
            },
            "status",
        ),
        (
            "scores",
            {
                "run_id": "r",
                "model_id": None,
                "task": "t",
                "item_id": "1",
                "sample_index": 0,
                "prompt_variant": "",
                "metric": "acc",
            },
            "model_id",
        ),
    ],
)
def test_invalid_rows_are_rejected_with_the_field(store: Store, table, row, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError, match=message):
        store.write({table: [row]})


def test_unknown_column_and_table(store: Store) -> None:
    with pytest.raises(InputError, match="no column"):
        store.write({"scores": pa.table({"run_id": ["r"], "bogus": [1]})})
    with pytest.raises(InputError, match="unknown table"):
        store.write({"nope": []})  # type: ignore[dict-item]


def test_models_merge_field_by_field(store: Store) -> None:
    store.write({"models": [Model("m", family="pythia", parameters=1e9, metadata={"a": 1})]})
    store.write({"models": [Model("m", checkpoint_step=1000, metadata={"b": 2})]})
    row = store.read("models").to_pylist()[0]
    assert row["family"] == "pythia"
    assert row["parameters"] == 1e9
    assert row["checkpoint_step"] == 1000
    assert json.loads(row["metadata"]) == {"a": 1, "b": 2}


def test_read_filters_and_frames(store: Store) -> None:
    store.write({"scores": _scores("r1", 4) + _scores("r2", 2)})
    assert store.read("scores", where={"run_id": "r2"}).num_rows == 2
    assert store.read("scores", where={"run_id": ["r1", "r2"]}).num_rows == 6
    assert store.read("scores", where={"run_id": []}).num_rows == 0
    df = store.read("scores", columns=["run_id", "value"], format="pandas")
    assert isinstance(df, pd.DataFrame)
    assert list(df.columns) == ["run_id", "value"]
    assert isinstance(store.read("scores", format="polars"), pl.DataFrame)
    with pytest.raises(InputError, match="no column"):
        store.read("scores", where={"nope": 1})


def test_json_and_list_columns_round_trip(store: Store) -> None:
    store.write(
        {
            "items": [Item("t", "1", input="2+2?", choices=["3", "4"], metadata={"skill": "add"})],
            "responses": [
                Response(
                    "r", "m", "t", "1", choice_logprobs=[-1.5, -0.2], choice_greedy=[False, True]
                )
            ],
        }
    )
    item = store.read("items").to_pylist()[0]
    assert item["choices"] == ["3", "4"]
    assert item["metadata"] == '{"skill": "add"}'
    resp = store.read("responses").to_pylist()[0]
    assert resp["choice_logprobs"] == [-1.5, -0.2]
    assert resp["choice_greedy"] == [False, True]


def test_read_only_store_refuses_writes(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "s.duckdb"
    Store(path).close()
    with Store(path, read_only=True) as ro, pytest.raises(StoreError, match="read-only"):
        ro.write({"scores": _scores("r", 1)})
    with pytest.raises(StoreError, match="no store"):
        Store(tmp_path / "missing.duckdb", read_only=True)


def test_store_from_a_newer_assay_is_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "s.duckdb"
    Store(path).close()
    con = duckdb.connect(str(path))
    con.execute("UPDATE assay_meta SET value = '99' WHERE key = 'schema_version'")
    con.close()
    with pytest.raises(StoreError, match="newer"):
        Store(path)


def test_migration_upgrades_an_old_store(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "s.duckdb"
    with Store(path) as st:
        st.write({"scores": _scores("r", 2)})

    def add_column(con: duckdb.DuckDBPyConnection) -> None:
        con.execute("ALTER TABLE scores ADD COLUMN note VARCHAR DEFAULT 'migrated'")

    monkeypatch.setattr(_migrations, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    monkeypatch.setitem(_migrations.MIGRATIONS, SCHEMA_VERSION, add_column)
    with pytest.raises(StoreError, match="needs migrating"):
        Store(path, read_only=True)
    with Store(path) as st:
        assert st.schema_version == SCHEMA_VERSION + 1
        notes = st.query("SELECT DISTINCT note FROM scores").column("note").to_pylist()
        assert notes == ["migrated"]
        assert st.count("scores") == 2


def test_failed_migration_leaves_the_store_as_it_was(
    tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "s.duckdb"
    with Store(path) as st:
        st.write({"scores": _scores("r", 2)})

    def broken(con: duckdb.DuckDBPyConnection) -> None:
        con.execute("ALTER TABLE scores ADD COLUMN x INTEGER")
        con.execute("SELECT * FROM no_such_table")

    monkeypatch.setattr(_migrations, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    monkeypatch.setitem(_migrations.MIGRATIONS, SCHEMA_VERSION, broken)
    with pytest.raises(StoreError, match="migrating"):
        Store(path)
    monkeypatch.undo()
    with Store(path) as st:
        assert st.schema_version == SCHEMA_VERSION
        assert "x" not in st.query("SELECT * FROM scores LIMIT 0").column_names


def test_records_and_arrow_writes_agree(tmp_path) -> None:  # type: ignore[no-untyped-def]
    rows = _scores("r", 3)
    with Store(tmp_path / "a.duckdb") as a, Store(tmp_path / "b.duckdb") as b:
        a.write({"scores": rows})
        b.write({"scores": records_to_table("scores", rows)})
        assert a.read("scores").equals(b.read("scores"))
