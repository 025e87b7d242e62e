"""Analyses the report computes from the store itself, for the prediction and subset pages.

When the store's ``models`` table gives sizes for a family of at least four models, the
prediction page shows a backtest the reader can judge at a glance: each such family's
largest model is held out, power-law curves are fitted on the smaller ones, and the held-out
model's scores are predicted with bootstrap intervals, beside what it actually scored.
"""

from __future__ import annotations

import tempfile
import warnings

import numpy as np

from assay._display import html_table
from assay.errors import AssayError, PrerequisiteError
from assay.report._plots import Plot
from assay.report._source import AnalysisView
from assay.store import Store

__all__ = ["prediction_views", "subset_views"]

#: sizes a family needs before its largest model is predicted from the others
MIN_SIZES = 4
#: tasks shown (those with the most sized models), to keep the plot readable
MAX_TASKS = 6


def prediction_views(store: Store, *, resamples: int = 200, seed: int = 0) -> list[AnalysisView]:
    """The held-out-largest-model backtest of the store's model families, or nothing when
    no family has enough sized models (or the plotting libraries are missing)."""
    from assay.analysis.predict import ScalingLaw, scaling_frame

    frame = scaling_frame(store)
    if frame.empty:
        return []
    sized = frame.dropna(subset=["family", "parameters"])
    sizes = sized.groupby("family")["parameters"].nunique()
    families = sizes[sizes >= MIN_SIZES].index
    sized = sized[sized["family"].isin(families)]
    if sized.empty:
        return []
    tasks = sized.groupby("task")["model_id"].nunique().nlargest(MAX_TASKS).index
    sized = sized[sized["task"].isin(tasks)]
    largest = sized.loc[sized.groupby("family")["parameters"].idxmax(), "model_id"]
    held = sized["model_id"].isin(set(largest))
    targets = (
        sized[held][["model_id", "family", "parameters", "training_tokens", "training_flops"]]
        .drop_duplicates("model_id")
        .reset_index(drop=True)
    )
    try:
        from assay.analysis.predict._plot import plot_prediction

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # families that cannot be fitted are skipped
            law = ScalingLaw("power_law", resamples=resamples, on_invalid="skip", seed=seed).fit(
                sized[~held]
            )
            prediction = law.predict(targets)
        with tempfile.TemporaryDirectory() as tmp:
            png, html = plot_prediction(law, prediction, tmp)
            plot_html, plot_png = html.read_text("utf-8"), png.read_bytes()
    except PrerequisiteError:  # no plotting libraries: the page says no analysis
        return []
    except (AssayError, ValueError):  # nothing could be fitted
        return []
    # the prediction's own table, with what the held-out model actually scored
    actual = sized[held].set_index(["model_id", "task"])["score"]
    cols, rows = prediction.to_rows()
    model_col, task_col = cols.index("target"), cols.index("task")
    cols = [*cols, "actual"]
    rows = [[*r, actual.get((r[model_col], r[task_col]))] for r in rows]
    title = (
        "Largest model of each family predicted from the smaller ones (power law, "
        f"{resamples} bootstrap rounds; {len(targets)} held-out model(s), {len(tasks)} task(s))"
    )
    return [
        AnalysisView(
            kind="prediction",
            title=title,
            table_html=html_table(cols, rows, title=title),
            plot_html=plot_html,
            plot_png=plot_png,
            signature=dict(prediction.signature),
        )
    ]


#: tasks the subset page backtests (those with the most models x items)
MAX_SUBSET_TASKS = 2
#: models a backtest holds out in turn, at most (a seeded sample beyond that)
MAX_SUBSET_MODELS = 40


def subset_views(store: Store, *, seed: int = 0) -> list[AnalysisView]:
    """Leave-one-model-out subset backtests of the largest stored tasks: how well a small
    item subset (stratified or anchor points, weighted mean) predicts a held-out model's
    full score, beside random subsets of the same size. Tasks need at least 8 models and
    150 items; nothing is shown otherwise."""
    from assay.analysis.irt import item_matrix
    from assay.analysis.stats import PRIMARY_METRICS
    from assay.analysis.subset import subset_backtest

    sizes = store.query(
        "SELECT task, metric, count(DISTINCT model_id) AS models, "
        "count(DISTINCT item_id) AS items FROM scores WHERE value IS NOT NULL GROUP BY 1, 2"
    ).to_pylist()
    rank = {m: i for i, m in enumerate(PRIMARY_METRICS)}
    best: dict[str, dict[str, object]] = {}
    for row in sizes:
        base = str(row["metric"]).split(",")[0].split("/")[0]
        order = rank.get(base, len(rank))
        if row["task"] not in best or order < rank.get(str(best[row["task"]]["base"]), len(rank)):
            best[row["task"]] = {**row, "base": base}
    chosen = sorted(
        (r for r in best.values() if int(r["models"]) >= 8 and int(r["items"]) >= 150),  # type: ignore[call-overload]
        key=lambda r: -int(r["models"]) * int(r["items"]),  # type: ignore[call-overload]
    )[:MAX_SUBSET_TASKS]
    views = []
    rng = np.random.default_rng(seed)
    for row in chosen:
        task, metric = str(row["task"]), str(row["metric"])
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                matrix = item_matrix(store, task=task, metric=metric)
                Y = matrix.Y
                if Y.shape[0] > MAX_SUBSET_MODELS:
                    Y = Y[np.sort(rng.choice(Y.shape[0], MAX_SUBSET_MODELS, replace=False))]
                budgets = tuple(b for b in (25, 50, 100) if b <= Y.shape[1] // 3)
                if np.nanmax(Y) > 1 or np.nanmin(Y) < 0:
                    continue  # not scores in [0, 1]
                result = subset_backtest(
                    Y,
                    budgets=budgets,
                    methods=(("stratified", "mean"), ("anchor", "mean")),
                    seeds=(0,),
                    random_seeds=200,
                    seed=seed,
                )
        except (AssayError, ValueError):
            continue
        frame = result.to_pandas()
        series: dict[str, tuple[list[str], list[float]]] = {}
        for (selector, estimator), part in frame.groupby(["selector", "estimator"]):
            part = part.sort_values("budget")
            name = "random" if selector == "random" else f"{selector} + {estimator}"
            series[name] = ([str(int(b)) for b in part["budget"]], [float(v) for v in part["mae"]])
        plot = Plot(
            kind="lines",
            title=f"{task}: error of the full score estimated from a subset",
            xlabel="items in the subset",
            ylabel="mean absolute error",
            series=series,
        )
        title = (
            f"{task} ({metric}): subsets that stand in for the task, "
            f"{Y.shape[0]} held-out models x {Y.shape[1]} items"
        )
        views.append(
            AnalysisView(
                kind="subset",
                title=title,
                table_html=result._repr_html_(),
                plot_html=_plot_document(plot),
                plot_png=plot.png(),
                signature={"task": task, "metric": metric, **result.signature},
            )
        )
    return views


def _plot_document(plot: Plot) -> str:
    """A standalone HTML document of ``plot`` (plotly.js inlined, no network)."""
    import plotly.graph_objects as go

    doc: str = go.Figure(plot.plotly_json()).to_html(include_plotlyjs=True, full_html=True)
    return doc
