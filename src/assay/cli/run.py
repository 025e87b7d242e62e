"""``assay run``: evaluate a model on a task into the store (resumes when re-run)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Annotated

import typer

from assay.analysis.stats import scores_table
from assay.cli._common import (
    StoreOption,
    command,
    err,
    fail,
    load_model_spec,
    open_store,
    out,
)

__all__ = ["run"]


@command
def run(
    task: Annotated[
        str,
        typer.Option("--task", "-t", help="builtin:NAME, a .yaml task file or a .jsonl item file."),
    ],
    model: Annotated[
        str, typer.Option("--model", "-m", help="ADAPTER[:ARG], e.g. llamacpp:smollm2 or mock.")
    ] = "llamacpp:smollm2",
    limit: Annotated[int | None, typer.Option(help="Only the first N items.")] = None,
    samples: Annotated[
        int | None, typer.Option("--samples", "-n", help="Completions per item (pass@k).")
    ] = None,
    variant: Annotated[
        list[str] | None, typer.Option(help="Prompt variant to run (repeatable; default all).")
    ] = None,
    temperature: Annotated[
        float | None,
        typer.Option(
            help="Sampling temperature (default: the task's; use > 0 with -n for pass@k)."
        ),
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed for sampling and generated tasks.")] = 0,
    executor: Annotated[
        str, typer.Option(help="local, or ray (shards on Ray workers, each with its own model).")
    ] = "local",
    workers: Annotated[int, typer.Option(help="Ray workers.")] = 2,
    ray_address: Annotated[
        str | None, typer.Option(help="An existing Ray cluster (default: start a local one).")
    ] = None,
    cache: Annotated[
        Path | None,
        typer.Option(help="Request cache file: requests answered before are not re-sent."),
    ] = None,
    until_pass: Annotated[
        int | None,
        typer.Option(
            "--until-pass",
            metavar="MAX",
            help="Sample each item until it passes (PassUntil), at most MAX draws per item; "
            "prints the pass rate with the unbiased estimator and its interval.",
        ),
    ] = None,
    passes: Annotated[
        int, typer.Option(help="With --until-pass: passes to sample each item until.")
    ] = 2,
    store: StoreOption = None,
) -> None:
    """Run MODEL on TASK and store every item's response and scores.

    The run id is a hash of the task, the model and these settings, so the same command
    again resumes an interrupted run (doing only what is missing) or, when the run is
    complete, does nothing. Ctrl-C keeps every finished item.
    """
    from assay.harness import run_task
    from assay.harness.tasks import load_task

    spec = load_task(task, seed=seed)
    if temperature is not None:
        if temperature < 0:
            raise typer.BadParameter(f"must be >= 0; got {temperature}", param_hint="--temperature")
        spec = dataclasses.replace(spec, temperature=temperature)  # a new content hash
    if until_pass is not None:
        from assay.analysis.predict import pass_until
        from assay.harness.models import ModelAdapter

        adapter = load_model_spec(model)
        if not isinstance(adapter, ModelAdapter):
            raise typer.BadParameter(
                "--until-pass runs an in-process model (llamacpp, transformers, mock)",
                param_hint="--model",
            )
        with open_store(store, read_only=False) as st:
            result = pass_until(
                spec,
                adapter,
                max_samples=until_pass,
                r=passes,
                estimator="unbiased" if passes >= 2 else "mle",
                limit=limit,
                variant=variant[0] if variant else None,
                seed=seed,
                store=st,
            )
        err.print(f"run {result.signature['run_id']}: {result.draws} draws", markup=False)
        out.print(result)
        return
    with open_store(store, read_only=False) as st:
        outcome = run_task(
            st,
            spec,
            model if executor == "ray" else load_model_spec(model),
            limit=limit,
            samples=samples,
            variants=variant,
            seed=seed,
            executor=executor,  # type: ignore[arg-type]  # validated by run_task
            workers=workers,
            ray_address=ray_address,
            cache=cache,
        )
        err.print(outcome)
        for example in outcome.error_examples:
            err.print(f"  error: {example}", markup=False)
        table = scores_table(st, tasks=[spec.name], models=[outcome.model_id])
    out.print(table)
    if outcome.errors:
        # failed units are stored as failed and retried by the same command; a script
        # must be able to tell such a run from a clean one
        raise fail(
            f"{outcome.errors} of the {outcome.done} units done now failed (their scores are "
            "missing); run the same command again to retry them"
        )
