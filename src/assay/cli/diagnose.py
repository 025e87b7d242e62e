"""``assay diagnose``: each model's mastery of each skill, from item scores and the items'
skill tags, and the skills each model lacks."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from assay.cli._common import StoreOption, command, err, open_store, out

__all__ = ["diagnose"]

_METHODS = ("dina", "fincdm")
_FORMATS = ("table", "csv", "json")


@command
def diagnose(
    store: StoreOption = None,
    task: Annotated[str | None, typer.Option("--task", "-t", help="Only this task.")] = None,
    metric: Annotated[
        str | None, typer.Option(help="The metric (needed when items have several).")
    ] = None,
    key: Annotated[
        str | None,
        typer.Option(help="Metadata key of the skill tags (default: skills, skill_tags, skill)."),
    ] = None,
    method: Annotated[str, typer.Option(help="dina or fincdm.")] = "dina",
    threshold: Annotated[
        float, typer.Option(help="A skill is lacking when its mastery interval is below this.")
    ] = 0.5,
    seed: Annotated[int, typer.Option(help="Seed (fincdm's bootstrap).")] = 0,
    format: Annotated[
        str, typer.Option("--format", "-o", help="table, csv or json (on stdout).")
    ] = "table",
) -> None:
    """Skill mastery per model x skill (DINA posterior probabilities or FinCDM factor
    scores with bootstrap intervals) and the skills each model lacks."""
    from assay._display import rich_table
    from assay.analysis.diagnosis import DINA, FinCDM, q_matrix
    from assay.analysis.irt import item_matrix

    if method not in _METHODS:
        raise typer.BadParameter(
            f"expected one of {list(_METHODS)}; got {method!r}", param_hint="--method"
        )
    if format not in _FORMATS:
        raise typer.BadParameter(
            f"expected one of {list(_FORMATS)}; got {format!r}", param_hint="--format"
        )
    with open_store(store, read_only=True) as st:
        Y = item_matrix(st, task=task, metric=metric)
        Q = q_matrix(st, task=task, key=key)
    tagged = [i for i in Y.items if i in set(Q.items)]
    if len(tagged) < len(Y.items):
        err.print(f"{len(Y.items) - len(tagged)} scored item(s) without skill tags left out")
    keep = [Y.items.index(i) for i in tagged]
    from assay.analysis.irt import ItemMatrix

    Yk = ItemMatrix(Y.Y[:, keep], Y.models, tuple(tagged), Y.binary)
    fitted = DINA() if method == "dina" else FinCDM(seed=seed)
    mastery = fitted.fit(Yk, Q.align(tagged)).mastery_
    if format == "json":
        sys.stdout.write(json.dumps(mastery.to_dict(), default=float) + "\n")
        return
    if format == "csv":
        import pandas as pd

        cols, rows = mastery.to_rows()
        pd.DataFrame(rows, columns=cols).to_csv(sys.stdout, index=False)
        return
    out.print(mastery)
    report = mastery.lacking_report(threshold)
    out.print(
        rich_table(
            ["model", "lacks"],
            [[m, ", ".join(s) or "-"] for m, s in report.items()],
            title=f"skills lacking (interval below {threshold})",
        )
    )
    err.print(
        f"{mastery.method}: {len(Yk.models)} models x {len(tagged)} items, "
        f"{len(mastery.skills)} skills"
    )
