"""``assay agreement``: model judges against human votes, and judges' position bias."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer

from assay.cli._common import StoreOption, command, err, open_store, out

__all__ = ["agreement"]


@command
def agreement(
    store: StoreOption = None,
    task: Annotated[
        list[str] | None, typer.Option("--task", "-t", help="Only this task (repeatable).")
    ] = None,
    judge: Annotated[
        list[str] | None,
        typer.Option("--judge", help="Only this model judge (repeatable; default: all)."),
    ] = None,
    reference: Annotated[
        str, typer.Option(help="The judge_kind of the reference votes.")
    ] = "human",
    show: Annotated[
        str, typer.Option(help="both, judges (agreement with the reference) or position.")
    ] = "both",
    confidence: Annotated[float, typer.Option(help="Interval level.")] = 0.95,
    resamples: Annotated[int, typer.Option(help="Bootstrap resamples (over items).")] = 1000,
    seed: Annotated[int, typer.Option(help="Seed of the resampling.")] = 0,
    format: Annotated[
        str, typer.Option("--format", "-o", help="table, csv or json (on stdout).")
    ] = "table",
) -> None:
    """Agreement of each model judge with human votes on the same items and pairs (with
    and without ties, Cohen's kappa against the human majority) and the position bias of
    judges that saw both answer orders (swap consistency, sign test)."""
    from assay.judge import judge_agreement, position_bias

    if format not in ("table", "csv", "json"):
        raise typer.BadParameter(
            f"expected table, csv or json; got {format!r}", param_hint="--format"
        )
    if show not in ("both", "judges", "position"):
        raise typer.BadParameter(
            f"expected both, judges or position; got {show!r}", param_hint="--show"
        )
    if format == "csv" and show == "both":
        raise typer.BadParameter(
            "csv holds one table: add --show judges or --show position", param_hint="--format"
        )
    with open_store(store, read_only=True) as st:
        verdicts = st.read("comparisons", where={"task": list(task)} if task else None)
    if not verdicts.num_rows:
        err.print("no pairwise verdicts match; import some with `assay import verdicts.csv`")
        raise typer.Exit(1)
    results: dict[str, Any] = {}
    if show in ("both", "judges"):
        results["agreement"] = judge_agreement(
            verdicts,
            reference=reference,
            judges=judge,
            resamples=resamples,
            confidence=confidence,
            seed=seed,
        )
    if show in ("both", "position"):
        results["position_bias"] = position_bias(verdicts, judges=judge, confidence=confidence)
    if format == "json":
        json.dump(
            {k: v.to_dict() for k, v in results.items()},
            sys.stdout,
            indent=2,
            sort_keys=True,
            default=list,
        )
        sys.stdout.write("\n")
    elif format == "csv":
        next(iter(results.values())).to_pandas().to_csv(sys.stdout, index=False)
    else:
        for result in results.values():
            out.print(result)
        alpha = results.get("agreement")
        if alpha is not None and alpha.reference_alpha is not None:
            a = alpha.reference_alpha
            err.print(
                f"{reference} inter-annotator Krippendorff alpha (nominal) "
                f"{a.statistic:.3f} [{a.ci_low:.3f}, {a.ci_high:.3f}] over {a.n} units"
            )
