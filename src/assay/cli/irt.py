"""``assay irt fit``: fit an item response model on the stored item scores and print the
item and ability tables and the flagged items."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from assay.cli._common import StoreOption, command, err, open_store, out

__all__ = ["app", "fit"]

app = typer.Typer(help="Item response theory on the stored item scores.", no_args_is_help=True)

_MODELS = ("rasch", "2pl", "m2pl")
_FORMATS = ("table", "csv", "json")


@command
def fit(
    store: StoreOption = None,
    task: Annotated[str | None, typer.Option("--task", "-t", help="Only this task.")] = None,
    metric: Annotated[
        str | None, typer.Option(help="The metric (needed when items have several).")
    ] = None,
    model: Annotated[str, typer.Option("--model", help="rasch, 2pl or m2pl.")] = "2pl",
    dims: Annotated[int, typer.Option(help="Ability dimensions (m2pl).")] = 2,
    all_items: Annotated[
        bool, typer.Option("--all-items", help="List every item, not only flagged ones.")
    ] = False,
    format: Annotated[
        str, typer.Option("--format", "-o", help="table, csv or json (on stdout).")
    ] = "table",
) -> None:
    """Fit Rasch, 2PL or multidimensional 2PL (joint MAP) and report abilities, item
    parameters, item fit, local dependence and negatively discriminating items."""
    from assay._display import rich_table
    from assay.analysis.irt import IRT, irt_diagnostics, item_matrix

    if model not in _MODELS:
        raise typer.BadParameter(
            f"expected one of {list(_MODELS)}; got {model!r}", param_hint="--model"
        )
    if format not in _FORMATS:
        raise typer.BadParameter(
            f"expected one of {list(_FORMATS)}; got {format!r}", param_hint="--format"
        )
    with open_store(store, read_only=True) as st:
        Y = item_matrix(st, task=task, metric=metric)
    irt = IRT(model=model, dims=dims if model == "m2pl" else 1).fit(Y)  # type: ignore[arg-type]
    diag = irt_diagnostics(irt, Y)
    d = irt.ability_.shape[1]
    acols = ["model", *(["ability", "se"] if d == 1 else [f"theta{k + 1}" for k in range(d)])]
    arows = [
        [
            m,
            *(
                [float(irt.ability_[i, 0]), float(irt.ability_se_[i, 0])]
                if d == 1
                else [float(x) for x in irt.ability_[i]]
            ),
        ]
        for i, m in enumerate(irt.models_)
    ]
    icols, irows = diag.to_rows(flagged_only=not all_items)
    if format == "json":
        payload = {
            "abilities": [dict(zip(acols, r, strict=True)) for r in arows],
            "diagnostics": diag.to_dict(),
            "signature": irt.signature_,
        }
        sys.stdout.write(json.dumps(payload, default=float) + "\n")
        return
    if format == "csv":
        import pandas as pd

        pd.DataFrame(irows, columns=icols).to_csv(sys.stdout, index=False)
        return
    out.print(rich_table(acols, arows, title=f"abilities ({model})"))
    title = "items" if all_items else f"flagged items {diag.counts()}"
    out.print(rich_table(icols, irows, title=title))
    if diag.local_dependence:
        out.print(
            rich_table(
                ["item_a", "item_b", "q3", "excess", "n"],
                [[p.item_a, p.item_b, p.q3, p.excess, p.n] for p in diag.local_dependence[:50]],
                title=f"local dependence (Yen's Q3; {diag.n_pairs_flagged} pairs)",
            )
        )
    err.print(
        f"{irt.signature_['method']}: {len(irt.models_)} models x {len(irt.items_)} items, "
        f"{irt.n_iter_} sweeps, converged={irt.converged_}; P = sigmoid(a.theta - b)"
    )


app.command("fit")(fit)
