"""Analyses the report computes from the store itself, for the prediction page.

When the store's ``models`` table gives sizes for a family of at least four models, the
prediction page shows a backtest the reader can judge at a glance: each such family's
largest model is held out, power-law curves are fitted on the smaller ones, and the held-out
model's scores are predicted with bootstrap intervals, beside what it actually scored.
"""

from __future__ import annotations

import tempfile
import warnings

from assay._display import html_table
from assay.errors import AssayError, PrerequisiteError
from assay.report._source import AnalysisView
from assay.store import Store

__all__ = ["prediction_views"]

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
