"""The scaling data: one score per (model, task) with the model's size and compute.

Every prediction method reads the same tidy frame, one row per model and task:

``model_id, family, parameters, training_tokens, training_flops, task, score``

(``checkpoint_step`` too for training series). :func:`scaling_frame` builds it from a
store: item-level ``scores`` are averaged per model and task, and tasks imported only as
aggregates (lm-evaluation-harness v0.3 files) use the ``aggregates`` rows. Compute is the
stored training FLOPs or, when they are missing, ``6 * parameters * training_tokens``.
:func:`check_ladders` refuses (or, on request, skips with a warning) what cannot be
extrapolated honestly: models whose compute cannot be derived, families with fewer than
three sizes, and families whose compute does not grow with their parameter count.
:func:`doubtful_ladders` names the families it keeps but doubts: those whose mean score
falls as compute grows, a sign that the "family" mixes data or generations.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from assay.analysis.predict._inputs import check_frame, name_list, numeric_column
from assay.analysis.stats._inputs import check_number
from assay.errors import DegenerateDataWarning, InputError
from assay.store import Store

__all__ = [
    "Axis",
    "OnInvalid",
    "Skipped",
    "check_ladders",
    "doubtful_ladders",
    "place_targets",
    "resolve_compute",
    "scaling_frame",
]

Axis = Literal["compute", "parameters"]
OnInvalid = Literal["raise", "skip"]

#: columns of the tidy scaling frame
COLUMNS = (
    "model_id",
    "family",
    "parameters",
    "training_tokens",
    "training_flops",
    "checkpoint_step",
    "task",
    "score",
)
#: the family name given to models stored without one
NO_FAMILY = "-"
#: the fewest distinct sizes a family needs for a fit (assay's choice: three points
#: determine a curve's level, slope and curvature; fewer is a line through noise)
MIN_SIZES = 3
#: the largest fall of a family's mean score between two of its models, in order of
#: compute, that still reads as one ladder (assay's choice: on the Pythia and ObsScaling
#: data every single-recipe family falls by at most 0.001, the mixed ones by 0.08-0.13)
MAX_MEAN_FALL = 0.02
#: the fewest tasks all of a family's models share for its mean score to be judged
#: (assay's choice: on one or two tasks a fall may be inverse scaling or noise)
MIN_SHARED_TASKS = 3


@dataclass(frozen=True)
class Skipped:
    """A family (or model) left out of a fit, and why."""

    family: str
    reason: str


def scaling_frame(
    store: Store,
    *,
    tasks: Sequence[str] | None = None,
    models: Sequence[str] | None = None,
    metric: str | None = None,
) -> pd.DataFrame:
    """The tidy scaling frame of a store: mean score per model and task, with the
    ``models`` table's size columns.

    Parameters
    ----------
    store
        The store.
    tasks, models
        Only these tasks and models (all when ``None``).
    metric
        The metric to average (default ``acc``, else each task's first metric in
        alphabetical order).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`COLUMNS`; item-level scores where they exist, else aggregates (no
        rows for a store without scores). Task or model names that the store has no score
        for, and a metric that none of the chosen scores has, are an
        :class:`~assay.errors.InputError`.
    """
    if not isinstance(store, Store):
        raise InputError(
            f"the 'store' parameter of scaling_frame must be a Store; got {type(store).__name__}"
        )
    wanted_tasks = None if tasks is None else name_list(tasks, "tasks", "scaling_frame")
    wanted_models = None if models is None else name_list(models, "models", "scaling_frame")
    item = store.query(
        "SELECT model_id, task, metric, avg(value) AS score, count(value) AS n "
        "FROM scores WHERE value IS NOT NULL GROUP BY model_id, task, metric"
    ).to_pandas()
    item["source"] = 0
    agg = store.query(
        "SELECT model_id, task, metric, avg(value) AS score, count(value) AS n "
        "FROM aggregates WHERE value IS NOT NULL GROUP BY model_id, task, metric"
    ).to_pandas()
    agg["source"] = 1
    both = pd.concat([item, agg], ignore_index=True)
    for name, column, wanted in (
        ("tasks", "task", wanted_tasks),
        ("models", "model_id", wanted_models),
    ):
        if wanted is None:
            continue
        known = set(both[column])
        unknown = [w for w in wanted if w not in known]
        if unknown:
            raise InputError(
                f"the {name!r} parameter of scaling_frame names {unknown}, which the store has "
                f"no scores for{' on the chosen tasks' if column == 'model_id' and wanted_tasks else ''}; "
                f"stored: {sorted(known)[:20]}"
            )
        both = both[both[column].isin(wanted)]
    if metric is not None:
        chosen = both[both["metric"] == metric]
        if chosen.empty and not both.empty:
            raise InputError(
                f"the 'metric' parameter of scaling_frame is {metric!r}, which none of the chosen "
                f"scores has; their metrics are {sorted(set(both['metric']))[:20]}"
            )
        both = chosen
    # item rows before aggregates; then acc (any filter suffix), then the first metric by name
    base = both["metric"].str.split(",").str[0]
    both = both.assign(_not_acc=~base.eq("acc")).sort_values(
        ["model_id", "task", "source", "_not_acc", "metric"], kind="stable"
    )
    both = both.drop_duplicates(["model_id", "task"])
    meta = store.read("models", format="pandas").drop(columns=["metadata"])
    frame = both.merge(meta, on="model_id", how="left")
    out: pd.DataFrame = frame.loc[:, list(COLUMNS)].reset_index(drop=True)
    return out


def resolve_compute(frame: pd.DataFrame, axis: Axis = "compute") -> pd.Series:
    """``log10`` of each row's compute (FLOPs, else ``6 * N * D``) or parameter count.

    Rows whose value cannot be derived are NaN; :func:`check_ladders` reports them.
    """
    check_frame(frame, "resolve_compute", empty=True)
    if axis not in ("compute", "parameters"):
        raise InputError(
            "the 'axis' parameter of resolve_compute must be 'compute' or 'parameters'; "
            f"got {axis!r}"
        )

    def column(name: str) -> pd.Series:
        if name not in frame.columns:
            return pd.Series(np.nan, index=frame.index)
        return pd.to_numeric(frame[name], errors="coerce").astype(float)

    params = column("parameters")
    if axis == "parameters":
        value = params
    else:
        flops = column("training_flops")
        value = flops.where(flops > 0, 6.0 * params * column("training_tokens"))
    value = value.where(value > 0)
    return pd.Series(np.log10(value.to_numpy(dtype=float)), index=frame.index, name="x")


def place_targets(targets: pd.DataFrame, axis: Axis, where: str) -> pd.DataFrame:
    """A copy of ``targets`` with ``family`` filled and ``x`` (log10 compute or parameters)
    added; an :class:`~assay.errors.InputError` names the targets that cannot be placed."""
    t = targets.copy()
    if "family" not in t.columns:
        t["family"] = NO_FAMILY
    t["family"] = t["family"].fillna(NO_FAMILY).astype(str)
    t["x"] = resolve_compute(t, axis)
    if t["x"].isna().any():
        bad = list(t.loc[t["x"].isna()].get("model_id", t.index[t["x"].isna()]))
        raise InputError(
            f"{where}: cannot place target(s) {bad} on the {axis} axis: give training_flops, "
            "or parameters and training_tokens"
        )
    return t


def check_ladders(
    frame: pd.DataFrame,
    *,
    axis: Axis = "compute",
    on_invalid: OnInvalid = "raise",
    min_sizes: int = MIN_SIZES,
    caller: str = "check_ladders",
) -> tuple[pd.DataFrame, list[Skipped]]:
    """Validate a scaling frame and add its ``x`` (log10 compute) column.

    Parameters
    ----------
    frame
        A tidy scaling frame (see :func:`scaling_frame`).
    axis
        ``"compute"`` (training FLOPs or 6ND) or ``"parameters"``.
    on_invalid
        ``"raise"``: an :class:`~assay.errors.InputError` naming the first problem;
        ``"skip"``: leave the offending family out with a
        :class:`~assay.errors.DegenerateDataWarning` and list it in the returned skips.
    min_sizes
        The fewest distinct model sizes a family needs (at least 2).
    caller
        The function named in error messages.

    Returns
    -------
    frame, skipped
        The valid rows with ``family`` filled and ``x`` added; the families left out.
        Rows with a missing (NaN) score are left out with a
        :class:`~assay.errors.DegenerateDataWarning`; an empty frame, a score that is not
        a finite number, or a frame without any score is an
        :class:`~assay.errors.InputError`.
    """
    if on_invalid not in ("raise", "skip"):
        raise InputError(
            f"the 'on_invalid' parameter of {caller} must be 'raise' or 'skip'; got {on_invalid!r}"
        )
    if axis not in ("compute", "parameters"):
        raise InputError(
            f"the 'axis' parameter of {caller} must be 'compute' or 'parameters'; got {axis!r}"
        )
    check_number(min_sizes, "min_sizes", caller, low=2, strict=False, integer=True)
    check_frame(frame, caller, columns=("model_id", "task", "score"))
    df = frame.copy()
    if "family" not in df.columns:
        df["family"] = NO_FAMILY
    df["family"] = df["family"].fillna(NO_FAMILY).astype(str)
    df["score"] = numeric_column(df, "score", caller)
    if df["score"].isna().all():
        raise InputError(f"{caller}: the scaling frame has no score (every 'score' is missing)")
    df["x"] = resolve_compute(df, axis)
    problems: list[Skipped] = []

    def problem(family: str, reason: str) -> None:
        if on_invalid == "raise":
            raise InputError(reason)
        problems.append(Skipped(family, reason))

    need = (
        "parameters" if axis == "parameters" else "training_flops or parameters and training_tokens"
    )
    for family, rows in df.groupby("family", sort=True):
        bad = sorted(rows.loc[rows["x"].isna(), "model_id"].unique())
        if bad:
            problem(
                str(family),
                f"family {family!r}: cannot place model(s) {bad} on the {axis} axis: the models "
                f"table lacks {need} (fill them in, or use axis='parameters')",
            )
            continue
        sizes = rows.drop_duplicates("model_id")
        n_sizes = sizes["x"].round(9).nunique()
        if n_sizes < min_sizes:
            problem(
                str(family),
                f"family {family!r} has {n_sizes} distinct model size(s) "
                f"({sorted(sizes['model_id'])}); a scaling fit needs at least {min_sizes}",
            )
            continue
        if axis == "compute" and "parameters" in sizes.columns:
            by_size = sizes.dropna(subset=["parameters"]).sort_values(["parameters", "x"])
            drops = np.diff(by_size["x"].to_numpy()) < -1e-9
            if drops.any():
                i = int(np.argmax(drops))
                a, b = by_size.iloc[i], by_size.iloc[i + 1]
                problem(
                    str(family),
                    f"family {family!r}: compute is not monotone in model size: "
                    f"{b['model_id']} ({b['parameters']:.3g} parameters) was trained with less "
                    f"compute than {a['model_id']} ({a['parameters']:.3g} parameters); the "
                    "models do not form one scaling ladder (split the family)",
                )
                continue
    if problems:
        warnings.warn(
            "left out of the fit: " + "; ".join(p.reason for p in problems),
            DegenerateDataWarning,
            stacklevel=3,
        )
        df = df[~df["family"].isin({p.family for p in problems})]
    missing = df["score"].isna()
    if missing.any():
        shown = sorted({f"{r.model_id} on {r.task}" for r in df[missing].itertuples()})
        warnings.warn(
            f"{caller}: left out {int(missing.sum())} row(s) without a score: "
            + ", ".join(shown[:5])
            + (f" and {len(shown) - 5} more" if len(shown) > 5 else ""),
            DegenerateDataWarning,
            stacklevel=3,
        )
        df = df[~missing]
    return df.reset_index(drop=True), problems


def doubtful_ladders(valid: pd.DataFrame) -> dict[str, str]:
    """Families of a checked frame (with ``x``) that may not be one scaling ladder.

    A family is named when its models share at least :data:`MIN_SHARED_TASKS` tasks and
    its mean score over them falls by more than :data:`MAX_MEAN_FALL` from one model to
    the next in order of compute: a larger model scoring well below a smaller one on
    average usually means different data or a different generation, and a curve through
    such models extrapolates poorly. The families are kept (the caller warns and notes
    their predictions); returns ``{family: reason}``.
    """
    if isinstance(valid, pd.DataFrame):
        missing = [c for c in ("model_id", "family", "task", "score", "x") if c not in valid]
        if missing:
            raise InputError(
                f"doubtful_ladders: the 'valid' frame has no column(s) {missing}; pass the "
                "frame check_ladders returns"
            )
    else:
        check_frame(valid, "doubtful_ladders", name="valid")
    out: dict[str, str] = {}
    for family, rows in valid.groupby("family", sort=True):
        n_models = rows["model_id"].nunique()
        per_task = rows.groupby("task")["model_id"].nunique()
        shared = per_task.index[per_task == n_models]
        if len(shared) < MIN_SHARED_TASKS:
            continue
        means = (
            rows[rows["task"].isin(shared)]
            .groupby(["x", "model_id"], sort=True)["score"]
            .mean()
            .reset_index()
        )
        falls = -np.diff(means["score"].to_numpy())
        if not len(falls) or falls.max() <= MAX_MEAN_FALL:
            continue
        i = int(np.argmax(falls))
        a, b = means.iloc[i], means.iloc[i + 1]
        out[str(family)] = (
            f"family {family!r} may not be one scaling ladder: its mean score over "
            f"{len(shared)} tasks falls from {a['score']:.3f} ({a['model_id']}) to "
            f"{b['score']:.3f} ({b['model_id']}, {10 ** (b['x'] - a['x']):.2g}x the compute); "
            "models of different data or generations extrapolate poorly (split the family)"
        )
    return out


def warn_doubtful(doubts: dict[str, str]) -> None:
    """One :class:`~assay.errors.DegenerateDataWarning` naming the doubtful families."""
    if doubts:
        warnings.warn(
            "kept, but doubtful: " + "; ".join(doubts.values()),
            DegenerateDataWarning,
            stacklevel=3,
        )
