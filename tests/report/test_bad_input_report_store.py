"""Every public entry point of assay.report, assay.store and assay.schema refuses bad
input with an assay error that names the function, parameter, column or file; legal but
degenerate input gives a result. No other exception type may escape."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from assay.errors import AssayError, FormatError, InputError, StoreError
from assay.report import (
    AnalysisView,
    Leaderboard,
    Plot,
    ReportSource,
    adjacent_separability,
    create_app,
    data_card,
    export_site,
    leaderboard,
    lint_leaderboard,
    load_card_file,
    model_card,
    task_groups,
)
from assay.schema import (
    Aggregate,
    Item,
    Model,
    Response,
    Run,
    Score,
    TraceStep,
    empty_table,
    records_to_table,
    to_json,
)
from assay.store import Store, export_parquet, import_parquet, read_dataset_table

MODELS = ("m1", "m2")
TASKS = ("t_a", "t_b")


@dataclass
class Ctx:
    store: Store
    path: Path
    tmp: Path
    board: Leaderboard
    source: ReportSource

    def file(self, name: str, text: str | bytes) -> Path:
        p = self.tmp / name
        if isinstance(text, bytes):
            p.write_bytes(text)
        else:
            p.write_text(text, encoding="utf-8")
        return p

    def closed_store(self) -> Store:
        st = Store(self.tmp / "closed.duckdb")
        st.close()
        return st


@pytest.fixture(scope="module")
def ctx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ctx]:
    tmp = tmp_path_factory.mktemp("bad_input")
    path = tmp / "small.duckdb"
    store = Store(path)
    store.write(
        {
            "runs": [Run("r1", "test")],
            "models": [Model(m) for m in MODELS],
            "items": [Item(t, f"i{i}") for t in TASKS for i in range(6)],
            "scores": [
                Score("r1", m, t, f"i{i}", "acc", float((i + j) % 2))
                for j, m in enumerate(MODELS)
                for t in TASKS
                for i in range(6)
            ],
        }
    )
    board = leaderboard(store, resamples=50)
    source = ReportSource(store, resamples=50)
    yield Ctx(store, path, tmp, board, source)
    store.close()


Case = Callable[[Ctx], Any]

_SCORE_ROW = {
    "run_id": "r",
    "model_id": "m",
    "task": "t",
    "item_id": "i",
    "metric": "acc",
    "value": 1.0,
    "sample_index": 0,
    "prompt_variant": "",
}

# (id, call, expected error class, words the message must contain)
BAD: list[tuple[str, Case, type[AssayError], tuple[str, ...]]] = [
    # ------------------------------------------------------------- Store: opening
    ("Store-missing-read-only", lambda c: Store(c.tmp / "nope.duckdb", read_only=True), StoreError, ("no store",)),
    ("Store-not-duckdb", lambda c: Store(c.file("text.duckdb", "not a database")), StoreError, ("text.duckdb", "cannot open")),
    ("Store-directory", lambda c: Store(c.tmp), StoreError, ("cannot open",)),
    ("Store-under-a-file", lambda c: Store(c.file("plain.txt", "x") / "s.duckdb"), StoreError, ("plain.txt",)),
    ("Store-path-int", lambda c: Store(3), InputError, ("'path'", "Store")),  # type: ignore[arg-type]
    ("Store-path-None", lambda c: Store(None), InputError, ("'path'", "Store")),  # type: ignore[arg-type]
    ("Store-path-empty", lambda c: Store(""), InputError, ("'path'", "Store")),
    ("Store-read-only-str", lambda c: Store(":memory:", read_only="yes"), InputError, ("'read_only'",)),  # type: ignore[arg-type]
    # ------------------------------------------------------------- Store.write
    ("write-unknown-table", lambda c: Store(":memory:").write({"nope": []}), InputError, ("unknown table", "Store.write")),  # type: ignore[dict-item]
    ("write-list", lambda c: Store(":memory:").write([("scores", [])]), InputError, ("'tables'", "Store.write")),  # type: ignore[arg-type]
    ("write-None", lambda c: Store(":memory:").write(None), InputError, ("'tables'",)),  # type: ignore[arg-type]
    ("write-rows-int", lambda c: Store(":memory:").write({"scores": 5}), InputError, ("'records'",)),  # type: ignore[dict-item]
    ("write-rows-str", lambda c: Store(":memory:").write({"scores": "abc"}), InputError, ("'records'",)),  # type: ignore[dict-item]
    ("write-rows-of-ints", lambda c: Store(":memory:").write({"scores": [1, 2]}), InputError, ("row 0", "Score")),
    ("write-dict-extra-key", lambda c: Store(":memory:").write({"scores": [{**_SCORE_ROW, "foo": 1}]}), InputError, ("'foo'",)),
    ("write-value-str", lambda c: Store(":memory:").write({"scores": [{**_SCORE_ROW, "value": "high"}]}), InputError, ("'value'", "row 0")),
    ("write-run_id-int", lambda c: Store(":memory:").write({"scores": [{**_SCORE_ROW, "run_id": 1}]}), InputError, ("'run_id'",)),
    ("write-wrong-record", lambda c: Store(":memory:").write({"scores": [Model("m")]}), InputError, ("Model", "'family'")),
    ("write-Score-value-str", lambda c: Store(":memory:").write({"scores": [Score("r", "m", "t", "i", "acc", "0.5")]}), InputError, ("'value'",)),  # type: ignore[arg-type]
    ("write-ragged-logprobs", lambda c: Store(":memory:").write({"responses": [Response("r", "m", "t", "i", choice_logprobs=[1.0, "a"])]}), InputError, ("'choice_logprobs'",)),  # type: ignore[list-item]
    ("write-choices-str", lambda c: Store(":memory:").write({"items": [Item("t", "i", choices="abc")]}), InputError, ("'choices'",)),
    ("write-created_at-str", lambda c: Store(":memory:").write({"runs": [Run("r", "x", created_at="yesterday")]}), InputError, ("'created_at'",)),  # type: ignore[arg-type]
    ("write-parameters-str", lambda c: Store(":memory:").write({"models": [Model("m", parameters="7B")]}), InputError, ("'parameters'",)),  # type: ignore[arg-type]
    ("write-sample_index-fraction", lambda c: Store(":memory:").write({"scores": [Score("r", "m", "t", "i", "acc", 1.0, sample_index=1.5)]}), InputError, ("'sample_index'",)),  # type: ignore[arg-type]
    ("write-sample_index-negative", lambda c: Store(":memory:").write({"scores": [Score("r", "m", "t", "i", "acc", 1.0, sample_index=-1)]}), InputError, ("'sample_index'", ">= 0")),
    ("write-step-negative", lambda c: Store(":memory:").write({"traces": [TraceStep("r", "m", "t", "i", -1, "message")]}), InputError, ("'step'",)),
    ("write-n-negative", lambda c: Store(":memory:").write({"aggregates": [Aggregate("r", "m", "t", "acc", 0.5, n=-3)]}), InputError, ("'n'",)),
    ("write-bad-enum", lambda c: Store(":memory:").write({"runs": [Run("r", "x", status="done")]}), InputError, ("'status'",)),  # type: ignore[arg-type]
    ("write-empty-key", lambda c: Store(":memory:").write({"runs": [Run("", "x")]}), InputError, ("'run_id'",)),
    ("write-arrow-wrong-type", lambda c: Store(":memory:").write({"scores": pa.table({**{k: [v] for k, v in _SCORE_ROW.items()}, "value": ["x"]})}), InputError, ("'value'",)),
    ("write-arrow-unknown-column", lambda c: Store(":memory:").write({"scores": pa.table({"zzz": [1]})}), InputError, ("zzz",)),
    ("write-arrow-int-overflow", lambda c: Store(":memory:").write({"scores": pa.table({**{k: [v] for k, v in _SCORE_ROW.items()}, "sample_index": pa.array([2**40], pa.int64())})}), InputError, ("'sample_index'",)),
    ("write-closed", lambda c: c.closed_store().write({"scores": []}), StoreError, ("closed",)),
    # ------------------------------------------------------------- Store.read / query / count
    ("read-unknown-table", lambda c: c.store.read("nope"), InputError, ("unknown table", "Store.read")),  # type: ignore[call-overload]
    ("read-table-list", lambda c: c.store.read(["scores"]), InputError, ("'table'", "Store.read")),  # type: ignore[call-overload]
    ("read-unknown-column", lambda c: c.store.read("scores", columns=["nope"]), InputError, ("'nope'",)),
    ("read-columns-str", lambda c: c.store.read("scores", columns="value"), InputError, ("'columns'",)),
    ("read-where-unknown-column", lambda c: c.store.read("scores", where={"nope": 1}), InputError, ("'nope'",)),
    ("read-where-list", lambda c: c.store.read("scores", where=["task"]), InputError, ("'where'",)),  # type: ignore[call-overload]
    ("read-where-sql-text", lambda c: c.store.read("scores", where="task = 'x'"), InputError, ("'where'",)),  # type: ignore[call-overload]
    ("read-where-str-for-double", lambda c: c.store.read("scores", where={"value": "abc"}), InputError, ("'where'", "'value'", "double")),
    ("read-where-int-for-str", lambda c: c.store.read("scores", where={"task": 3}), InputError, ("'where'", "'task'")),
    ("read-where-dict-value", lambda c: c.store.read("scores", where={"task": {"a": 1}}), InputError, ("'task'",)),
    ("read-where-nested-list", lambda c: c.store.read("scores", where={"task": [["a"]]}), InputError, ("'task'",)),
    ("read-where-object", lambda c: c.store.read("scores", where={"task": object()}), InputError, ("'task'",)),
    ("read-bad-format", lambda c: c.store.read("scores", format="csv"), InputError, ("'format'", "Store.read")),  # type: ignore[call-overload]
    ("read-closed", lambda c: c.closed_store().read("scores"), StoreError, ("closed",)),
    ("query-bad-sql", lambda c: c.store.query("SELEC 1"), StoreError, ("query failed",)),
    ("query-missing-table", lambda c: c.store.query("SELECT * FROM nope"), StoreError, ("nope",)),
    ("query-missing-params", lambda c: c.store.query("SELECT ?", []), StoreError, ("query failed",)),
    ("query-params-int", lambda c: c.store.query("SELECT ?", 5), InputError, ("'params'", "Store.query")),  # type: ignore[arg-type]
    ("query-sql-None", lambda c: c.store.query(None), InputError, ("'sql'", "Store.query")),  # type: ignore[arg-type]
    ("count-unknown", lambda c: c.store.count("nope"), InputError, ("unknown table", "Store.count")),  # type: ignore[arg-type]
    ("count-list", lambda c: c.store.count(["scores"]), InputError, ("'table'",)),  # type: ignore[arg-type]
    ("count-closed", lambda c: c.closed_store().count("scores"), StoreError, ("closed",)),
    # ------------------------------------------------------------- Parquet datasets
    ("export-store-str", lambda c: export_parquet("x.duckdb", c.tmp / "out1"), InputError, ("'store'", "export_parquet")),  # type: ignore[arg-type]
    ("export-to-a-file", lambda c: export_parquet(c.store, c.file("f1.txt", "x")), InputError, ("'directory'", "f1.txt")),
    ("export-under-a-file", lambda c: export_parquet(c.store, c.file("f2.txt", "x") / "sub"), StoreError, ("f2.txt",)),
    ("export-directory-None", lambda c: export_parquet(c.store, None), InputError, ("'directory'",)),  # type: ignore[arg-type]
    ("import-store-str", lambda c: import_parquet("x.duckdb", c.tmp), InputError, ("'store'", "import_parquet")),  # type: ignore[arg-type]
    ("import-missing", lambda c: import_parquet(Store(":memory:"), c.tmp / "nope"), FormatError, ("manifest.json",)),
    ("import-bad-manifest", lambda c: import_parquet(Store(":memory:"), _dataset(c, "d1", "{bad")), FormatError, ("manifest.json", "line 1")),
    ("import-manifest-list", lambda c: import_parquet(Store(":memory:"), _dataset(c, "d2", "[1, 2]")), FormatError, ("format",)),
    ("import-tables-list", lambda c: import_parquet(Store(":memory:"), _dataset(c, "d3", '{"format": "assay-parquet", "schema_version": 1, "tables": []}')), FormatError, ("'tables'",)),
    ("import-tables-entry-int", lambda c: import_parquet(Store(":memory:"), _dataset(c, "d4", '{"format": "assay-parquet", "schema_version": 1, "tables": {"scores": 5}}')), FormatError, ("'tables'",)),
    ("read_dataset_table-unknown", lambda c: read_dataset_table(c.tmp, "nope"), InputError, ("unknown table", "read_dataset_table")),  # type: ignore[arg-type]
    # ------------------------------------------------------------- schema
    ("records_to_table-unknown", lambda c: records_to_table("nope", []), InputError, ("unknown table", "records_to_table")),  # type: ignore[arg-type]
    ("records_to_table-int", lambda c: records_to_table("scores", 5), InputError, ("'records'", "records_to_table")),  # type: ignore[arg-type]
    ("records_to_table-str", lambda c: records_to_table("scores", "abc"), InputError, ("'records'",)),
    ("records_to_table-one-mapping", lambda c: records_to_table("scores", _SCORE_ROW), InputError, ("'records'",)),
    ("records_to_table-None-row", lambda c: records_to_table("scores", [None]), InputError, ("row 0",)),
    ("records_to_table-record-class", lambda c: records_to_table("scores", [Score]), InputError, ("row 0",)),
    ("records_to_table-value-str", lambda c: records_to_table("scores", [Score("r", "m", "t", "i", "acc", "x")]), InputError, ("'value'", "row 0")),  # type: ignore[arg-type]
    ("records_to_table-extra-key", lambda c: records_to_table("scores", [{"run_id": "r", "foo": 1}]), InputError, ("'foo'",)),
    ("records_to_table-timestamp-str", lambda c: records_to_table("traces", [TraceStep("r", "m", "t", "i", 0, "message", timestamp="now")]), InputError, ("'timestamp'",)),  # type: ignore[arg-type]
    ("empty_table-unknown", lambda c: empty_table("nope"), InputError, ("unknown table", "empty_table")),  # type: ignore[arg-type]
    ("to_json-circular", lambda c: _circular(), InputError, ("to_json", "circular")),
    # ------------------------------------------------------------- leaderboard
    ("leaderboard-store-str", lambda c: leaderboard(str(c.path)), InputError, ("'store'", "leaderboard")),  # type: ignore[arg-type]
    ("leaderboard-store-None", lambda c: leaderboard(None), InputError, ("'store'",)),  # type: ignore[arg-type]
    ("leaderboard-confidence-str", lambda c: leaderboard(c.store, confidence="0.9"), InputError, ("'confidence'", "leaderboard")),  # type: ignore[arg-type]
    ("leaderboard-confidence-nan", lambda c: leaderboard(c.store, confidence=math.nan), InputError, ("'confidence'",)),
    ("leaderboard-confidence-1", lambda c: leaderboard(c.store, confidence=1.0), InputError, ("'confidence'",)),
    ("leaderboard-resamples-0", lambda c: leaderboard(c.store, resamples=0), InputError, ("'resamples'",)),
    ("leaderboard-resamples-str", lambda c: leaderboard(c.store, resamples="many"), InputError, ("'resamples'",)),  # type: ignore[arg-type]
    ("leaderboard-seed-str", lambda c: leaderboard(c.store, seed="x"), InputError, ("'seed'", "leaderboard")),  # type: ignore[arg-type]
    ("leaderboard-seed-negative", lambda c: leaderboard(c.store, seed=-1), InputError, ("'seed'",)),
    ("leaderboard-group-unknown", lambda c: leaderboard(c.store, table=c.board.cells, group="zzz"), InputError, ("'group'",)),
    ("leaderboard-groups-list", lambda c: leaderboard(c.store, table=c.board.cells, groups=["a"]), InputError, ("'groups'",)),  # type: ignore[arg-type]
    ("leaderboard-groups-value-int", lambda c: leaderboard(c.store, table=c.board.cells, groups={"t_a": 3}), InputError, ("'groups'",)),  # type: ignore[dict-item]
    ("leaderboard-table-ints", lambda c: leaderboard(c.store, table=[1, 2]), InputError, ("'table'", "ScoreCell")),  # type: ignore[list-item]
    ("leaderboard-table-str", lambda c: leaderboard(c.store, table="abc"), InputError, ("'table'",)),  # type: ignore[arg-type]
    ("leaderboard-table_signature-list", lambda c: leaderboard(c.store, table=[], table_signature=[1]), InputError, ("'table_signature'",)),  # type: ignore[arg-type]
    ("Leaderboard.row-unknown", lambda c: c.board.row("zz"), InputError, ("'zz'",)),
    ("task_groups-store-str", lambda c: task_groups("x", ["t_a"]), InputError, ("'store'", "task_groups")),  # type: ignore[arg-type]
    ("task_groups-tasks-str", lambda c: task_groups(c.store, "t_a"), InputError, ("'tasks'", "task_groups")),
    ("task_groups-tasks-ints", lambda c: task_groups(c.store, [1, 2]), InputError, ("'tasks'",)),  # type: ignore[list-item]
    ("task_groups-tasks-None", lambda c: task_groups(c.store, None), InputError, ("'tasks'",)),  # type: ignore[arg-type]
    ("task_groups-groups-list", lambda c: task_groups(c.store, ["t_a"], ["x"]), InputError, ("'groups'",)),  # type: ignore[arg-type]
    ("separability-store-str", lambda c: adjacent_separability("x", list(MODELS), c.board.cells), InputError, ("'store'", "adjacent_separability")),  # type: ignore[arg-type]
    ("separability-order-str", lambda c: adjacent_separability(c.store, "m1m2", c.board.cells), InputError, ("'order'",)),
    ("separability-order-ints", lambda c: adjacent_separability(c.store, [1, 2], c.board.cells), InputError, ("'order'",)),  # type: ignore[list-item]
    ("separability-order-duplicate", lambda c: adjacent_separability(c.store, ["m1", "m1"], c.board.cells), InputError, ("'order'", "m1")),
    ("separability-cells-ints", lambda c: adjacent_separability(c.store, list(MODELS), [1, 2]), InputError, ("'cells'",)),  # type: ignore[list-item]
    ("separability-confidence-2", lambda c: adjacent_separability(c.store, list(MODELS), c.board.cells, confidence=2), InputError, ("'confidence'", "adjacent_separability")),
    ("separability-confidence-str", lambda c: adjacent_separability(c.store, list(MODELS), c.board.cells, confidence="x"), InputError, ("'confidence'",)),  # type: ignore[arg-type]
    # ------------------------------------------------------------- lint
    ("lint-board-None", lambda c: lint_leaderboard(c.store, None), InputError, ("'board'", "lint_leaderboard")),  # type: ignore[arg-type]
    ("lint-board-str", lambda c: lint_leaderboard(c.store, "board"), InputError, ("'board'",)),  # type: ignore[arg-type]
    ("lint-store-str", lambda c: lint_leaderboard("x", c.board), InputError, ("'store'",)),  # type: ignore[arg-type]
    ("lint-contamination-str", lambda c: lint_leaderboard(c.store, c.board, contamination="m1"), InputError, ("'contamination'",)),  # type: ignore[arg-type]
    ("lint-contamination-one-flag", lambda c: lint_leaderboard(c.store, c.board, contamination={"model": "m1"}), InputError, ("'contamination'",)),  # type: ignore[arg-type]
    ("lint-contamination-list-of-str", lambda c: lint_leaderboard(c.store, c.board, contamination=["m1"]), InputError, ("'contamination'", "flag 0")),  # type: ignore[list-item]
    ("lint-contamination-ints", lambda c: lint_leaderboard(c.store, c.board, contamination=[1]), InputError, ("'contamination'",)),  # type: ignore[list-item]
    # ------------------------------------------------------------- cards
    ("data_card-unknown-task", lambda c: data_card(c.store, "zz"), InputError, ("'zz'",)),
    ("data_card-task-int", lambda c: data_card(c.store, 3), InputError, ("'task'", "data_card")),  # type: ignore[arg-type]
    ("data_card-task-None", lambda c: data_card(c.store, None), InputError, ("'task'",)),  # type: ignore[arg-type]
    ("data_card-fields-list", lambda c: data_card(c.store, "t_a", fields=["x"]), InputError, ("'fields'", "data_card")),  # type: ignore[arg-type]
    ("data_card-fields-unknown", lambda c: data_card(c.store, "t_a", fields={"bogus": "x"}), InputError, ("bogus",)),
    ("data_card-fields-int", lambda c: data_card(c.store, "t_a", fields={"origin": 3}), InputError, ("'fields'",)),  # type: ignore[dict-item]
    ("data_card-store-str", lambda c: data_card("x", "t_a"), InputError, ("'store'", "data_card")),  # type: ignore[arg-type]
    ("model_card-unknown", lambda c: model_card(c.store, "zz"), InputError, ("'zz'",)),
    ("model_card-model-int", lambda c: model_card(c.store, 3), InputError, ("'model'", "model_card")),  # type: ignore[arg-type]
    ("model_card-model-list", lambda c: model_card(c.store, ["m1"]), InputError, ("'model'",)),  # type: ignore[arg-type]
    ("model_card-scores-short", lambda c: model_card(c.store, "m1", scores=(("t", "x"),)), InputError, ("'scores'", "model_card")),  # type: ignore[arg-type]
    ("model_card-scores-str", lambda c: model_card(c.store, "m1", scores="abc"), InputError, ("'scores'",)),  # type: ignore[arg-type]
    ("model_card-fields-list", lambda c: model_card(c.store, "m1", fields=["x"]), InputError, ("'fields'",)),  # type: ignore[arg-type]
    ("model_card-fields-unknown", lambda c: model_card(c.store, "m1", fields={"bogus": "x"}), InputError, ("bogus",)),
    ("model_card-store-str", lambda c: model_card("x", "m1"), InputError, ("'store'",)),  # type: ignore[arg-type]
    ("load_card_file-missing", lambda c: load_card_file(c.tmp / "nope.yaml"), InputError, ("nope.yaml",)),
    ("load_card_file-directory", lambda c: load_card_file(c.tmp), InputError, ("cannot read",)),
    ("load_card_file-bad-yaml", lambda c: load_card_file(c.file("a.yaml", "tasks: [unclosed")), InputError, ("a.yaml", "line 1")),
    ("load_card_file-bad-json", lambda c: load_card_file(c.file("a.json", '{"tasks": {')), InputError, ("a.json",)),
    ("load_card_file-tab", lambda c: load_card_file(c.file("tab.yaml", "tasks:\n\tt: {}\n")), InputError, ("tab.yaml", "line 2")),
    ("load_card_file-not-utf8", lambda c: load_card_file(c.file("bin.yaml", b"\xff\xfe\x00bad")), InputError, ("bin.yaml",)),
    ("load_card_file-list", lambda c: load_card_file(c.file("list.yaml", "- a\n- b\n")), InputError, ("list.yaml",)),
    ("load_card_file-unknown-section", lambda c: load_card_file(c.file("sec.yaml", "datasets: {}\n")), InputError, ("'tasks'",)),
    ("load_card_file-tasks-list", lambda c: load_card_file(c.file("tl.yaml", "tasks:\n  - a\n")), InputError, ("tl.yaml", "tasks")),
    ("load_card_file-tasks-str", lambda c: load_card_file(c.file("ts.yaml", "tasks: hello\n")), InputError, ("tasks",)),
    ("load_card_file-unknown-field", lambda c: load_card_file(c.file("uf.yaml", "tasks:\n  t: {bogus: 1}\n")), InputError, ("bogus",)),
    ("load_card_file-fields-list", lambda c: load_card_file(c.file("fl.yaml", "tasks:\n  t: [a]\n")), InputError, ("tasks.t",)),
    ("load_card_file-value-mapping", lambda c: load_card_file(c.file("vm.yaml", "tasks:\n  t: {origin: {a: 1}}\n")), InputError, ("tasks.t.origin",)),
    ("load_card_file-path-int", lambda c: load_card_file(3), InputError, ("'path'", "load_card_file")),  # type: ignore[arg-type]
    ("load_card_file-path-None", lambda c: load_card_file(None), InputError, ("'path'",)),  # type: ignore[arg-type]
    # ------------------------------------------------------------- ReportSource / AnalysisView
    ("ReportSource-missing", lambda c: ReportSource(c.tmp / "nope.duckdb"), InputError, ("no store",)),
    ("ReportSource-directory", lambda c: ReportSource(c.tmp), InputError, ("no store",)),
    ("ReportSource-not-duckdb", lambda c: ReportSource(c.file("t2.duckdb", "not a database")), InputError, ("t2.duckdb", "DuckDB")),
    ("ReportSource-empty-file", lambda c: ReportSource(c.file("e.duckdb", "")), InputError, ("e.duckdb",)),
    ("ReportSource-int", lambda c: ReportSource(3), InputError, ("'store'", "ReportSource")),  # type: ignore[arg-type]
    ("ReportSource-None", lambda c: ReportSource(None), InputError, ("'store'",)),  # type: ignore[arg-type]
    ("ReportSource-confidence-2", lambda c: ReportSource(c.store, confidence=2), InputError, ("'confidence'", "ReportSource")),
    ("ReportSource-resamples-0", lambda c: ReportSource(c.store, resamples=0), InputError, ("'resamples'",)),
    ("ReportSource-items_per_page-0", lambda c: ReportSource(c.store, items_per_page=0), InputError, ("'items_per_page'",)),
    ("ReportSource-items_per_page-str", lambda c: ReportSource(c.store, items_per_page="x"), InputError, ("'items_per_page'",)),  # type: ignore[arg-type]
    ("ReportSource-seed-str", lambda c: ReportSource(c.store, seed="x"), InputError, ("'seed'",)),  # type: ignore[arg-type]
    ("ReportSource-cards-list", lambda c: ReportSource(c.store, cards=["x"]), InputError, ("'cards'",)),  # type: ignore[arg-type]
    ("ReportSource-cards-section-str", lambda c: ReportSource(c.store, cards={"tasks": "x"}), InputError, ("'cards'", "tasks")),  # type: ignore[dict-item]
    ("ReportSource-cards-unknown-field", lambda c: ReportSource(c.store, cards={"tasks": {"t_a": {"bogus": "x"}}}), InputError, ("bogus",)),
    ("ReportSource-groups-list", lambda c: ReportSource(c.store, groups=["x"]), InputError, ("'groups'",)),  # type: ignore[arg-type]
    ("ReportSource-analyses-ints", lambda c: ReportSource(c.store, analyses=[1]), InputError, ("'analyses'",)),  # type: ignore[list-item]
    ("ReportSource-analyses-str", lambda c: ReportSource(c.store, analyses="x"), InputError, ("'analyses'",)),  # type: ignore[arg-type]
    ("ReportSource-contamination-str", lambda c: ReportSource(c.store, contamination="x"), InputError, ("'contamination'",)),  # type: ignore[arg-type]
    ("ReportSource.resolve-kind", lambda c: c.source.resolve("nope", "x"), InputError, ("'kind'", "ReportSource.resolve")),
    ("ReportSource.resolve-key", lambda c: c.source.resolve("models", "x"), InputError, ("'x'",)),
    ("ReportSource.resolve_group", lambda c: c.source.resolve_group("x"), InputError, ("'x'",)),
    ("ReportSource.model-unknown", lambda c: c.source.model("zz"), InputError, ("'zz'",)),
    ("ReportSource.task-unknown", lambda c: c.source.task("zz"), InputError, ("'zz'",)),
    ("ReportSource.items-unknown", lambda c: c.source.items("zz", 1), InputError, ("'zz'",)),
    ("ReportSource.items-page-0", lambda c: c.source.items("t_a", 0), InputError, ("'page'",)),
    ("ReportSource.items-page-str", lambda c: c.source.items("t_a", "x"), InputError, ("'page'",)),  # type: ignore[arg-type]
    ("ReportSource.pairwise-unknown", lambda c: c.source.pairwise("zz", None), InputError, ("'zz'",)),
    ("ReportSource.leaderboard-group", lambda c: c.source.leaderboard("zz"), InputError, ("'group'",)),
    ("ReportSource.data_card-unknown", lambda c: c.source.data_card("zz"), InputError, ("'zz'",)),
    ("ReportSource.model_card-unknown", lambda c: c.source.model_card("zz"), InputError, ("'zz'",)),
    ("AnalysisView-kind", lambda c: AnalysisView.from_result("x", object()), InputError, ("'kind'",)),  # type: ignore[arg-type]
    ("AnalysisView-missing-plot", lambda c: AnalysisView.from_result("subset", object(), plot_html=c.tmp / "nope.html"), InputError, ("nope.html",)),
    ("AnalysisView-png-directory", lambda c: AnalysisView.from_result("subset", object(), plot_png=c.tmp), InputError, ("plot file",)),
    ("AnalysisView-plot_html-int", lambda c: AnalysisView.from_result("subset", object(), plot_html=3), InputError, ("'plot_html'",)),  # type: ignore[arg-type]
    ("AnalysisView-plot_png-str", lambda c: AnalysisView.from_result("subset", object(), plot_png="x.png"), InputError, ("'plot_png'",)),  # type: ignore[arg-type]
    # ------------------------------------------------------------- export / app / plot
    ("export_site-source-str", lambda c: export_site(str(c.path), c.tmp / "site1"), InputError, ("'source'", "export_site")),  # type: ignore[arg-type]
    ("export_site-max-0", lambda c: export_site(c.source, c.tmp / "site2", max_item_pages=0), InputError, ("'max_item_pages'",)),
    ("export_site-max-str", lambda c: export_site(c.source, c.tmp / "site3", max_item_pages="x"), InputError, ("'max_item_pages'",)),  # type: ignore[arg-type]
    ("export_site-out-a-file", lambda c: export_site(c.source, c.file("site.txt", "x")), InputError, ("'out'", "site.txt")),
    ("export_site-out-under-a-file", lambda c: export_site(c.source, c.file("site2.txt", "x") / "sub"), InputError, ("'out'", "site2.txt")),
    ("export_site-out-None", lambda c: export_site(c.source, None), InputError, ("'out'",)),  # type: ignore[arg-type]
    ("create_app-str", lambda c: create_app(str(c.path)), InputError, ("'source'", "create_app")),  # type: ignore[arg-type]
    ("create_app-None", lambda c: create_app(None), InputError, ("'source'",)),  # type: ignore[arg-type]
    ("Plot-kind", lambda c: Plot("pie", "t"), InputError, ("'kind'", "Plot")),  # type: ignore[arg-type]
    ("Plot-intervals-lengths", lambda c: Plot("intervals", "t", labels=("a", "b"), estimates=(0.5,), low=(0.1,), high=(0.9,)), InputError, ("intervals", "2 labels")),
    ("Plot-heatmap-shape", lambda c: Plot("heatmap", "t", labels=("a", "b"), matrix=((0.5,),)), InputError, ("heatmap",)),
]  # fmt: skip


def _dataset(c: Ctx, name: str, manifest: str) -> Path:
    d = c.tmp / name
    d.mkdir(exist_ok=True)
    (d / "manifest.json").write_text(manifest)
    return d


def _circular() -> Any:
    d: dict[str, Any] = {}
    d["self"] = d
    return to_json(d)


@pytest.mark.parametrize(
    ("call", "error", "words"),
    [pytest.param(call, error, words, id=name) for name, call, error, words in BAD],
)
def test_bad_input_raises_an_assay_error_naming_it(
    ctx: Ctx, call: Case, error: type[AssayError], words: tuple[str, ...]
) -> None:
    # pytest.raises(AssayError) lets any other exception type escape and fail the test
    with pytest.raises(AssayError) as info:
        call(ctx)
    assert isinstance(info.value, error), f"{type(info.value).__name__}: {info.value}"
    message = str(info.value)
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"


# legal but degenerate input: a result comes back
GOOD: list[tuple[str, Case, Callable[[Any], bool]]] = [
    ("Store-read-no-matching-rows", lambda c: c.store.read("scores", where={"task": "zz"}), lambda r: r.num_rows == 0),
    ("Store-read-empty-in-list", lambda c: c.store.read("scores", where={"task": []}), lambda r: r.num_rows == 0),
    ("Store-read-where-int-for-double", lambda c: c.store.read("scores", where={"value": 1}), lambda r: r.num_rows > 0),
    ("Store-read-where-numpy-int", lambda c: c.store.read("scores", where={"sample_index": np.int64(0)}), lambda r: r.num_rows > 0),
    ("Store-read-where-numpy-str-list", lambda c: c.store.read("scores", where={"task": list(np.array(["t_a"]))}), lambda r: r.num_rows > 0),
    ("Store-read-where-null", lambda c: c.store.read("scores", where={"value": None}), lambda r: r.num_rows == 0),
    ("Store-write-nothing", lambda c: Store(":memory:").write({}), lambda r: r.total_new == 0),
    ("Store-write-empty-rows", lambda c: Store(":memory:").write({"scores": []}), lambda r: r.total_new == 0),
    ("Store-write-nan-score", lambda c: Store(":memory:").write({"scores": [Score("r", "m", "t", "i", "acc", math.nan)]}), lambda r: r.total_new == 1),
    ("Store-write-integral-float-index", lambda c: Store(":memory:").write({"scores": [{**_SCORE_ROW, "sample_index": 2.0}]}), lambda r: r.total_new == 1),
    ("Store-write-naive-datetime", lambda c: Store(":memory:").write({"runs": [Run("r", "x", created_at=dt.datetime(2024, 1, 1))]}), lambda r: r.total_new == 1),
    ("Store-count-empty", lambda c: Store(":memory:").count("scores"), lambda r: r == 0),
    ("records_to_table-empty", lambda c: records_to_table("scores", []), lambda r: r.num_rows == 0),
    ("records_to_table-generator", lambda c: records_to_table("models", (Model(m) for m in MODELS)), lambda r: r.num_rows == 2),
    ("empty_table", lambda c: empty_table("scores"), lambda r: r.num_rows == 0),
    ("to_json-nan", lambda c: to_json({"a": [math.nan, math.inf]}), lambda r: "NaN" in r),
    ("leaderboard-empty-store", lambda c: leaderboard(Store(":memory:"), resamples=20), lambda r: len(r) == 0),
    ("leaderboard-empty-table", lambda c: leaderboard(c.store, table=[]), lambda r: len(r) == 0),
    ("leaderboard-generator-seed", lambda c: leaderboard(c.store, resamples=20, seed=np.random.default_rng(0)), lambda r: len(r) == 2),
    ("task_groups-no-tasks", lambda c: task_groups(c.store, []), lambda r: r == {}),
    ("separability-one-model", lambda c: adjacent_separability(c.store, ["m1"], c.board.cells), lambda r: r == []),
    ("separability-no-shared-items", lambda c: adjacent_separability(c.store, ["m1", "zz"], c.board.cells), lambda r: r[0].separable is None),
    ("separability-no-cells", lambda c: adjacent_separability(c.store, list(MODELS), []), lambda r: r[0].n_tasks == 0),
    ("lint-no-flags", lambda c: lint_leaderboard(c.store, c.board, contamination=[]), lambda r: "contamination" not in r.codes()),
    ("data_card-fields-None", lambda c: data_card(c.store, "t_a", fields=None), lambda r: r.n_items == 6),
    ("model_card-nan-score", lambda c: model_card(c.store, "m1", scores=(("t_a", math.nan, 0.0, 1.0),)), lambda r: "nan" in r.to_markdown()),
    ("load_card_file-empty", lambda c: load_card_file(c.file("empty.yaml", "")), lambda r: r == {"tasks": {}, "models": {}}),
    ("load_card_file-empty-field", lambda c: load_card_file(c.file("ef.yaml", "tasks:\n  t: {licence: }\n")), lambda r: r["tasks"]["t"] == {}),
    ("load_card_file-number-field", lambda c: load_card_file(c.file("nf.yaml", "models:\n  m: {licence: 2}\n")), lambda r: r["models"]["m"] == {"licence": "2"}),
    ("ReportSource-path", lambda c: ReportSource(c.path), lambda r: r.path.endswith("small.duckdb")),
    ("ReportSource.items-past-last-page", lambda c: c.source.items("t_a", 99), lambda r: r.items == ()),
    ("create_app", lambda c: create_app(c.source), lambda r: r is not None),
    ("Plot-empty-intervals", lambda c: Plot("intervals", "t"), lambda r: r.labels == ()),
]  # fmt: skip


@pytest.mark.parametrize(
    ("call", "check"), [pytest.param(call, check, id=name) for name, call, check in GOOD]
)
def test_degenerate_input_gives_a_result(
    ctx: Ctx, call: Case, check: Callable[[Any], bool]
) -> None:
    assert check(call(ctx))


def test_a_failed_write_stores_nothing(ctx: Ctx) -> None:
    with Store(":memory:") as st:
        with pytest.raises(InputError, match="'value'"):
            st.write(
                {
                    "models": [Model("m")],
                    "scores": [Score("r", "m", "t", "i", "acc", "x")],  # type: ignore[arg-type]
                }
            )
        assert st.counts() == dict.fromkeys(st.counts(), 0)
