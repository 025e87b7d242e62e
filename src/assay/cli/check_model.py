"""``assay check-model``: does an adapter's log-likelihood agree with a reference?"""

from __future__ import annotations

from typing import Annotated

import typer

from assay.cli._common import command, err, load_model_spec, out

__all__ = ["check_model"]


@command
def check_model(
    model: Annotated[str, typer.Option("--model", "-m", help="The adapter under test.")] = (
        "llamacpp:smollm2"
    ),
    reference: Annotated[
        str | None,
        typer.Option(help="A model with the same weights that computes per-token log-probs."),
    ] = None,
    items: Annotated[int, typer.Option(help="Built-in items to score.")] = 8,
    tolerance: Annotated[float, typer.Option(help="Largest acceptable |difference|.")] = 1e-3,
) -> None:
    """Score a few items through MODEL and through a reference pass; report misaligned
    log-probabilities (exit 1 when they disagree)."""
    from assay.harness.conformance import check_model as run_check

    report = run_check(
        load_model_spec(model),
        reference=load_model_spec(reference) if reference else None,
        items=items,
        tolerance=tolerance,
    )
    out.print(report)
    for note in report.notes:
        err.print(f"note: {note}", markup=False)
    if not report.ok:
        raise typer.Exit(1)
