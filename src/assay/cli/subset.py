"""``assay subset``: select a small subset of a task as a runnable task file, and estimate
a model's full-task score from a run of that subset."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from assay.cli._common import StoreOption, command, err, open_store, out
from assay.harness.tasks import Task
from assay.store import Store

__all__ = ["app", "estimate", "select"]

app = typer.Typer(help="Small item subsets that stand in for whole tasks.", no_args_is_help=True)

_METHODS = ("random", "stratified", "anchor", "anchor-irt", "cold-start")
_ESTIMATORS = ("mean", "pirt", "gpirt")


@command
def select(
    task: Annotated[
        str,
        typer.Option(
            "--task",
            "-t",
            help="builtin:NAME, a .yaml/.jsonl task file, or the name of a task in the store.",
        ),
    ],
    budget: Annotated[int, typer.Option("--budget", "-n", help="Items to select.")],
    out_file: Annotated[Path, typer.Option("--out", help="The subset task file (.yaml).")],
    store: StoreOption = None,
    method: Annotated[
        str, typer.Option(help="random, stratified, anchor, anchor-irt or cold-start.")
    ] = "anchor",
    metric: Annotated[
        str | None, typer.Option(help="Metric of the stored scores (default: headline).")
    ] = None,
    name: Annotated[
        str | None, typer.Option(help="Name of the subset task (default: TASK-subset).")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the selection.")] = 0,
) -> None:
    """Select BUDGET items of a task from the stored results of the models already
    evaluated on it (cold-start: from the item texts alone) and write them as a task
    file that `assay run --task FILE` runs."""
    from assay.analysis.subset import (
        AnchorSelector,
        ColdStartSelector,
        RandomSelector,
        StratifiedSelector,
        subset_task,
        training_matrix,
        write_task_file,
    )
    from assay.errors import InputError

    if method not in _METHODS:
        raise typer.BadParameter(
            f"expected one of {', '.join(_METHODS)}; got {method!r}", param_hint="--method"
        )
    with open_store(store, read_only=True) as st:
        spec = _source_task(task, st)
        ids = [it.item_id for it in spec.items]
        if method == "cold-start":
            Y = None
            used_metric = metric
        else:
            Y, models, _, used_metric = training_matrix(st, spec.name, metric=metric, item_ids=ids)
            if len(models) < 2:
                raise InputError(
                    f"method {method!r} needs stored scores of at least two models on task "
                    f"{spec.name!r}; found {len(models)} (use --method cold-start)"
                )
    sel: ColdStartSelector | RandomSelector | StratifiedSelector | AnchorSelector
    if method == "cold-start":
        sel = ColdStartSelector(budget, seed=seed).fit([it.input for it in spec.items], ids)
    elif method == "random":
        sel = RandomSelector(budget, seed=seed).fit(Y, ids)
    elif method == "stratified":
        sel = StratifiedSelector(budget, seed=seed).fit(Y, ids)
    else:
        embedding = "irt" if method == "anchor-irt" else "correctness"
        sel = AnchorSelector(budget, embedding=embedding, seed=seed).fit(Y, ids)  # type: ignore[arg-type]
    subset = subset_task(spec, sel.selection_, name=name, source_metric=used_metric)
    path = write_task_file(subset, out_file)
    err.print(
        f"wrote {subset.name} (version {subset.version}): {len(subset.items)} of "
        f"{len(spec.items)} items of {spec.name} by {method} to {path}"
    )


def _source_task(task: str, st: Store) -> Task:
    """A loadable task spec, else the task as stored (items table)."""
    from assay.harness.tasks import TaskItem, load_task

    if task.startswith(("builtin:", "bigbench:", "humaneval")) or Path(task).is_file():
        return load_task(task)
    rows = st.read("items", where={"task": task}, format="pandas")
    if rows.empty:
        from assay.errors import InputError

        raise InputError(
            f"{task}: neither a task file nor a task in the store; `assay ls tasks` lists them"
        )
    version = sorted(rows["task_version"].unique())[-1]
    rows = rows[rows["task_version"] == version]
    if rows["input"].isna().any() or rows["target"].isna().any():
        from assay.errors import InputError

        raise InputError(
            f"task {task!r} is stored without item inputs/targets (imported scores only), "
            "so a runnable subset cannot be written; pass the task file with --task"
        )
    items = [
        TaskItem(
            item_id=r.item_id,
            input=r.input,
            target=r.target,
            choices=tuple(r.choices) if r.choices is not None else None,
            metadata=json.loads(r.metadata) if isinstance(r.metadata, str) else {},
        )
        for r in rows.itertuples()
    ]
    kind = "multiple_choice" if all(it.choices for it in items) else "generation"
    err.print(f"task {task!r} built from stored items (default prompt template)")
    return Task(
        name=task,
        version=str(version),
        kind="multiple_choice" if kind == "multiple_choice" else "generation",
        items=tuple(items),
    )


@command
def estimate(
    run: Annotated[str, typer.Argument(help="The run of the subset task (id or prefix).")],
    store: StoreOption = None,
    method: Annotated[
        str, typer.Option(help="mean, pirt or gpirt (the IRT ones refit on stored models).")
    ] = "gpirt",
    confidence: Annotated[float, typer.Option(help="Interval level.")] = 0.95,
    format: Annotated[
        str, typer.Option("--format", "-o", help="table or json (on stdout).")
    ] = "table",
) -> None:
    """Estimate the full-task score of RUN's model from its results on a subset task
    written by `assay subset select`."""
    from assay.analysis.subset import ScoreEstimator, selection_from_items, training_matrix
    from assay.errors import InputError

    if method not in _ESTIMATORS:
        raise typer.BadParameter(
            f"expected one of {', '.join(_ESTIMATORS)}; got {method!r}", param_hint="--method"
        )
    if format not in ("table", "json"):
        raise typer.BadParameter(f"expected table or json; got {format!r}", param_hint="--format")
    with open_store(store, read_only=True) as st:
        runs = st.query(
            "SELECT run_id, config FROM runs WHERE run_id LIKE ? || '%'", [run]
        ).to_pylist()
        if len(runs) != 1:
            raise InputError(
                f"run {run!r} matches {len(runs)} runs; give more of its id (`assay ls runs`)"
            )
        run_id = runs[0]["run_id"]
        config = json.loads(runs[0]["config"] or "{}")
        task, version = config.get("task"), config.get("task_version")
        items = st.read("items", where={"task": task, "task_version": version}, format="pandas")
        selection = selection_from_items(
            (str(r.item_id), json.loads(r.metadata) if isinstance(r.metadata, str) else None)
            for r in items.itertuples()
        )
        metric = config.get("metric") or None
        scores = st.query(
            "SELECT model_id, item_id, avg(value) AS v FROM scores WHERE run_id = ? "
            "AND (? IS NULL OR metric = ?) GROUP BY model_id, item_id",
            [run_id, metric, metric],
        ).to_pydict()
        models = set(scores["model_id"])
        if len(models) != 1:
            raise InputError(f"run {run_id} holds scores of {len(models)} models; expected one")
        model_id = models.pop()
        responses = dict(zip(scores["item_id"], scores["v"], strict=True))
        source = selection.params.get("source_task")
        Y, train_models, _, _ = (
            training_matrix(
                st,
                str(source),
                metric=selection.params.get("source_metric"),
                exclude_models=[model_id],
                item_ids=selection.item_ids,
            )
            if method != "mean"
            else (None, (), (), None)
        )
    if method != "mean" and len(train_models) < 2:
        raise InputError(
            f"--method {method} refits IRT on the stored results of task {source!r} and needs "
            f"at least two other models; found {len(train_models)} (use --method mean)"
        )
    import numpy as np

    train = np.empty((0, selection.n_items)) if Y is None else Y
    result = ScoreEstimator(method, confidence=confidence).fit(train, selection)  # type: ignore[arg-type]
    est = result.estimate(responses)
    if format == "json":
        sys.stdout.write(json.dumps({"run_id": run_id, "model": model_id, **est.to_dict()}) + "\n")
        return
    out.print(est)
    err.print(
        f"model {model_id}: {selection.budget} of {selection.n_items} items of {source}, "
        f"selected by {selection.method}; {est.signature['interval']}"
    )


app.command("select")(select)
app.command("estimate")(estimate)
