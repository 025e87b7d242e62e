"""``assay card``: a task's data card or a model's card stub, as Markdown."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from assay.cli._common import StoreOption, command, open_store

__all__ = ["card"]


@command
def card(
    task: Annotated[str | None, typer.Option("--task", "-t", help="The task's data card.")] = None,
    model: Annotated[str | None, typer.Option("--model", "-m", help="The model's card.")] = None,
    store: StoreOption = None,
    cards: Annotated[
        Path | None, typer.Option(help="YAML file of card fields (licence, intended use, ...).")
    ] = None,
) -> None:
    """Print the data card of --task or the model card stub of --model as Markdown,
    filled from the store and the card file."""
    if (task is None) == (model is None):
        raise typer.BadParameter("give exactly one of --task and --model")
    from assay.analysis.stats import scores_table
    from assay.report import data_card, load_card_file, model_card

    fields = load_card_file(cards) if cards else {"tasks": {}, "models": {}}
    with open_store(store, read_only=True) as st:
        if task is not None:
            text = data_card(st, task, fields=fields["tasks"].get(task)).to_markdown()
        else:
            assert model is not None
            cells = scores_table(st, models=[model]).cells
            scores = tuple((c.task, c.mean, c.ci_low, c.ci_high) for c in cells)
            text = model_card(
                st, model, scores=scores, fields=fields["models"].get(model)
            ).to_markdown()
    sys.stdout.write(text)
