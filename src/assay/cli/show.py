"""``assay show RUN``: one run's provenance and what it holds."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.markup import escape

from assay.cli._common import StoreOption, command, fail, open_store, out
from assay.cli._output import emit

__all__ = ["show"]


@command
def show(
    run: Annotated[str, typer.Argument(help="A run id, or a unique prefix of one.")],
    store: StoreOption = None,
) -> None:
    """Show a run: source, status, configuration, and rows per model and task."""
    with open_store(store, read_only=True) as st:
        matches = (
            st.query("SELECT run_id FROM runs WHERE starts_with(run_id, ?) ORDER BY run_id", [run])
            .column("run_id")
            .to_pylist()
        )
        if not matches:
            raise fail(f"no run {run!r} in {st.path}; `assay ls runs` lists them")
        if len(matches) > 1 and run not in matches:
            raise fail(f"{run!r} matches {len(matches)} runs: {', '.join(matches[:5])} ...")
        run_id = run if run in matches else matches[0]
        row = st.read("runs", where={"run_id": run_id}).to_pylist()[0]
        per_task = st.query(
            """
            SELECT model_id, task, metric, count(DISTINCT item_id) AS items,
                   count(*) AS rows, avg(value) AS mean
            FROM scores WHERE run_id = ? GROUP BY ALL ORDER BY model_id, task, metric
            """,
            [run_id],
        )
        aggregates = st.query(
            "SELECT model_id, task, metric, value, stderr, n FROM aggregates WHERE run_id = ? "
            "ORDER BY model_id, task, metric",
            [run_id],
        )
        counts = {
            t: st.query(f'SELECT count(*) AS n FROM "{t}" WHERE run_id = ?', [run_id])
            .column("n")[0]
            .as_py()
            for t in ("responses", "scores", "comparisons", "traces", "aggregates")
        }
    out.print(f"[bold]run[/] {escape(run_id)}")
    for key in (
        "source",
        "source_path",
        "status",
        "granularity",
        "created_at",
        "assay_version",
        "seed",
        "data_hash",
        "code_hash",
    ):
        if row.get(key) is not None:
            out.print(f"  {key:<14} {escape(str(row[key]))}")
    out.print("  rows           " + ", ".join(f"{n} {t}" for t, n in counts.items() if n))
    if row.get("config"):
        config = json.dumps(json.loads(row["config"]), indent=2, sort_keys=True)
        lines = config.splitlines()
        shown = "\n".join(lines[:40]) + (
            f"\n  ... ({len(lines) - 40} more lines)" if len(lines) > 40 else ""
        )
        out.print("  config", escape(shown))
    if per_task.num_rows:
        emit(
            per_task,
            "table",
            title="item-level scores (plain means; `assay scores` adds intervals)",
        )
    if aggregates.num_rows:
        emit(aggregates, "table", title="aggregates reported by the source")
