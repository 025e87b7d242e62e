"""``assay rank``: rank models from stored scores or pairwise verdicts, with intervals."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

from assay.cli._common import StoreOption, command, err, open_store, out

__all__ = ["rank"]

_SCORE_METHODS = ("mean_win_rate", "mean", "borda", "swiss")
_PAIR_METHODS = ("bradley-terry", "elo")


def _emit(result: Any, format: str) -> None:
    if format == "csv":
        result.to_pandas().to_csv(sys.stdout, index=False)
    elif format == "json":
        sys.stdout.write(result.to_json() + "\n")
    else:
        out.print(result)


@command
def rank(
    source: Annotated[
        str,
        typer.Option(
            "--from",
            help="scores: aggregate the item scores across tasks; pairwise: rate models "
            "from the comparisons table.",
            show_default=False,
        ),
    ],
    store: StoreOption = None,
    method: Annotated[
        str | None,
        typer.Option(
            help="scores: mean_win_rate (default), mean, borda or swiss; pairwise: "
            "bradley-terry (default) or elo."
        ),
    ] = None,
    task: Annotated[
        list[str] | None, typer.Option("--task", "-t", help="Only this task (repeatable).")
    ] = None,
    model: Annotated[
        list[str] | None,
        typer.Option("--model", "-m", help="scores: only this model (repeatable)."),
    ] = None,
    metric: Annotated[
        str | None, typer.Option(help="scores: the metric (default: each task's headline).")
    ] = None,
    judge: Annotated[
        list[str] | None, typer.Option("--judge", help="pairwise: only this judge (repeatable).")
    ] = None,
    judge_kind: Annotated[
        str | None, typer.Option(help="pairwise: only verdicts of this kind (human, model).")
    ] = None,
    ties: Annotated[
        str, typer.Option(help="pairwise, bradley-terry: half, rao-kupper or davidson.")
    ] = "half",
    anchor: Annotated[
        str | None, typer.Option(help="pairwise, bradley-terry: the model fixed at --base.")
    ] = None,
    base: Annotated[float, typer.Option(help="pairwise: rating of the anchor or mean.")] = 1000.0,
    eliminate: Annotated[
        int, typer.Option(help="scores, swiss: models eliminated after each round.")
    ] = 0,
    what_if: Annotated[
        bool,
        typer.Option(
            "--what-if", help="scores: also show rank moves when a task is dropped or zeroed."
        ),
    ] = False,
    confidence: Annotated[float, typer.Option(help="Interval level.")] = 0.95,
    resamples: Annotated[
        int, typer.Option(help="Bootstrap resamples (swiss: Monte Carlo runs).")
    ] = 1000,
    seed: Annotated[int, typer.Option(help="Seed of the resampling.")] = 0,
    format: Annotated[
        str, typer.Option("--format", "-o", help="table, csv or json (on stdout).")
    ] = "table",
) -> None:
    """Rank models with intervals: from per-task scores (aggregated across tasks, with
    intervals over resampled tasks) or from pairwise verdicts (Bradley-Terry or Elo, with
    intervals over resampled verdicts)."""
    if format not in ("table", "csv", "json"):
        raise typer.BadParameter(
            f"expected table, csv or json; got {format!r}", param_hint="--format"
        )
    if source == "scores":
        chosen = method or "mean_win_rate"
        if chosen not in _SCORE_METHODS:
            raise typer.BadParameter(
                f"with --from scores expected one of {', '.join(_SCORE_METHODS)}; got {chosen!r}",
                param_hint="--method",
            )
        _from_scores(
            store,
            chosen,
            task,
            model,
            metric,
            eliminate,
            what_if,
            confidence,
            resamples,
            seed,
            format,
        )
    elif source == "pairwise":
        chosen = method or "bradley-terry"
        if chosen not in _PAIR_METHODS:
            raise typer.BadParameter(
                f"with --from pairwise expected one of {', '.join(_PAIR_METHODS)}; got {chosen!r}",
                param_hint="--method",
            )
        _from_pairwise(
            store,
            chosen,
            task,
            judge,
            judge_kind,
            ties,
            anchor,
            base,
            confidence,
            resamples,
            seed,
            format,
        )
    else:
        raise typer.BadParameter(
            f"expected scores or pairwise; got {source!r}", param_hint="--from"
        )


def _from_scores(
    store: Any,
    method: str,
    task: list[str] | None,
    model: list[str] | None,
    metric: str | None,
    eliminate: int,
    what_if: bool,
    confidence: float,
    resamples: int,
    seed: int,
    format: str,
) -> None:
    from assay.analysis.ranking import aggregate_scores, swiss_tournament
    from assay.analysis.ranking import what_if as what_if_analysis
    from assay.analysis.stats import scores_table

    with open_store(store, read_only=True) as st:
        table = scores_table(
            st, metric=metric, tasks=task, models=model, confidence=confidence, seed=seed
        )
    if not len(table):
        err.print("no item-level scores match; `assay ls tasks` lists what is stored")
        raise typer.Exit(1)
    result: Any
    if method == "swiss":
        result = swiss_tournament(
            table, eliminate=eliminate, runs=max(resamples, 1), confidence=confidence, seed=seed
        )
    else:
        result = aggregate_scores(
            table,
            method=method,  # type: ignore[arg-type]  # checked above
            resamples=resamples,
            confidence=confidence,
            seed=seed,
        )
    _emit(result, format)
    if what_if:
        moves = what_if_analysis(table, method="mean" if method == "swiss" else method)  # type: ignore[arg-type]
        _emit(moves, format)
    sig = result.signature
    err.print(f"{sig['method']}; seed {sig.get('seed')}, assay {sig['assay_version']}")


def _from_pairwise(
    store: Any,
    method: str,
    task: list[str] | None,
    judge: list[str] | None,
    judge_kind: str | None,
    ties: str,
    anchor: str | None,
    base: float,
    confidence: float,
    resamples: int,
    seed: int,
    format: str,
) -> None:
    from assay.analysis.ranking import BradleyTerry, EloRating

    where: dict[str, Any] = {}
    if task:
        where["task"] = list(task)
    if judge:
        where["judge"] = list(judge)
    if judge_kind:
        where["judge_kind"] = judge_kind
    with open_store(store, read_only=True) as st:
        battles = st.read("comparisons", where=where or None)
    if not battles.num_rows:
        err.print(
            "no pairwise verdicts match; import some with `assay import verdicts.csv` "
            "(columns model_a, model_b, winner)"
        )
        raise typer.Exit(1)
    if method == "elo":
        fitted: Any = EloRating(base=base).fit(
            battles, bootstrap=resamples, confidence=confidence, seed=seed
        )
    else:
        fitted = BradleyTerry(ties=ties, anchor=anchor, base=base).fit(  # type: ignore[arg-type]
            battles, bootstrap=resamples, confidence=confidence, seed=seed
        )
    _emit(fitted.ratings_, format)
    sig = fitted.ratings_.signature
    err.print(
        f"{sig['method']} on {sig['n_battles']} verdicts; {sig['bootstrap']} resamples, seed "
        f"{sig['seed']}, assay {sig['assay_version']}"
    )
