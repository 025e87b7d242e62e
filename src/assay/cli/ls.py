"""``assay ls runs|models|tasks``: what the store holds."""

from __future__ import annotations

from typing import Annotated

import typer

from assay.cli._common import OutputFormat, StoreOption, command, open_store
from assay.cli._output import emit

__all__ = ["app"]

app = typer.Typer(help="List the runs, models or tasks in the store.", no_args_is_help=True)

FormatOption = Annotated[
    str, typer.Option("--format", "-o", help="table, csv or json (on stdout).")
]


@app.command("runs")
@command
def runs(store: StoreOption = None, format: FormatOption = "table") -> None:
    """Runs: id, source, status, granularity, creation time, model(s), tasks, rows."""
    with open_store(store, read_only=True) as st:
        table = st.query(
            """
            SELECT r.run_id, r.source, r.status, r.granularity,
                   strftime(r.created_at, '%Y-%m-%d %H:%M') AS created,
                   coalesce(s.models, a.models) AS models,
                   coalesce(s.tasks, a.tasks, 0) AS tasks,
                   coalesce(s.rows, 0) AS score_rows
            FROM runs r
            LEFT JOIN (SELECT run_id, string_agg(DISTINCT model_id, ', ') AS models,
                              count(DISTINCT task) AS tasks, count(*) AS rows
                       FROM scores GROUP BY run_id) s USING (run_id)
            LEFT JOIN (SELECT run_id, string_agg(DISTINCT model_id, ', ') AS models,
                              count(DISTINCT task) AS tasks
                       FROM aggregates GROUP BY run_id) a USING (run_id)
            ORDER BY r.created_at NULLS LAST, r.run_id
            """
        )
    emit(table, _fmt(format), title="runs")


@app.command("models")
@command
def models(store: StoreOption = None, format: FormatOption = "table") -> None:
    """Models: id, family, parameters, training tokens and FLOPs, checkpoint, runs."""
    with open_store(store, read_only=True) as st:
        table = st.query(
            """
            SELECT m.model_id, m.family, m.parameters, m.training_tokens, m.training_flops,
                   m.checkpoint_step, coalesce(u.runs, 0) AS runs
            FROM models m
            LEFT JOIN (SELECT model_id, count(DISTINCT run_id) AS runs FROM (
                           SELECT model_id, run_id FROM scores
                           UNION ALL SELECT model_id, run_id FROM aggregates) GROUP BY ALL) u
            USING (model_id)
            ORDER BY m.model_id
            """
        )
    emit(table, _fmt(format), title="models")


@app.command("tasks")
@command
def tasks(store: StoreOption = None, format: FormatOption = "table") -> None:
    """Tasks: name, versions, items, models, runs, metrics."""
    with open_store(store, read_only=True) as st:
        table = st.query(
            """
            WITH t AS (
                SELECT task, count(DISTINCT item_id) AS items, count(DISTINCT model_id) AS models,
                       count(DISTINCT run_id) AS runs,
                       string_agg(DISTINCT metric, ', ' ORDER BY metric) AS metrics
                FROM scores GROUP BY task
                UNION ALL
                SELECT task, NULL, count(DISTINCT model_id), count(DISTINCT run_id),
                       string_agg(DISTINCT metric, ', ' ORDER BY metric)
                FROM aggregates WHERE task NOT IN (SELECT DISTINCT task FROM scores)
                GROUP BY task
            )
            SELECT t.task, v.versions, t.items, t.models, t.runs, t.metrics
            FROM t LEFT JOIN (SELECT task, string_agg(DISTINCT task_version, ', ') AS versions
                              FROM items GROUP BY task) v USING (task)
            ORDER BY t.task
            """
        )
    emit(table, _fmt(format), title="tasks")


def _fmt(value: str) -> OutputFormat:
    if value not in ("table", "csv", "json"):
        raise typer.BadParameter(
            f"expected table, csv or json; got {value!r}", param_hint="--format"
        )
    return value  # type: ignore[return-value]
