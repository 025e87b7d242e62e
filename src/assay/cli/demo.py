"""``assay demo``: the main job on the embedded defaults."""

from __future__ import annotations

from typing import Annotated

import typer

from assay.analysis.stats import scores_table
from assay.cli._common import StoreOption, command, err, load_model_spec, open_store, out

__all__ = ["demo"]


@command
def demo(
    limit: Annotated[int, typer.Option(help="Items per built-in task.")] = 100,
    model: Annotated[
        str, typer.Option("--model", "-m", help="ADAPTER[:ARG].")
    ] = "llamacpp:smollm2",
    store: StoreOption = None,
) -> None:
    """Run the bundled SmolLM2-135M model on the built-in multiple-choice tasks (no
    network, nothing downloaded) and print the scores table with 95% intervals."""
    from assay.harness import run_task
    from assay.harness.tasks.builtin import BUILTIN_TASKS, builtin_task

    adapter = load_model_spec(model)
    names = [n for n in BUILTIN_TASKS if not n.endswith("_gen")]
    with open_store(store, read_only=False) as st:
        for name in names:
            outcome = run_task(st, builtin_task(name), adapter, limit=limit, variants=["default"])
            err.print(outcome)
        table = scores_table(st, tasks=names, models=[adapter.model_id])
    out.print(table)
    err.print(f"stored in {st.path}; try `assay ls runs`, `assay scores -o wide`")
