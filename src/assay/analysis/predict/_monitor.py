"""Training monitoring: which benchmarks carry a usable signal early in training.

For checkpoint series (one series per model, ``checkpoint_step`` in the models table),
each task gets: monotonicity (Spearman of score with step, the share of non-decreasing
steps), a signal-to-noise ratio (total gain over the spread around a monotone fit), rank
consistency (Kendall tau between the models' ranking at each earlier checkpoint and at the
final one) and the E2LM composite ``0.5 SQ + 0.1 RC + 0.4 CS``. The E2LM sub-scores'
official formulas are not public: the ones here are assay's operationalisation from the
methods notes ([OURS]) and are labelled so in every output.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import kendalltau, spearmanr

from assay._display import TableView
from assay._version import __version__
from assay.analysis.predict._cod import _isotonic
from assay.analysis.predict._inputs import check_frame, name_list, numeric_column
from assay.errors import InputError

__all__ = ["Monitor", "monitor_checkpoints"]

#: the SNR at which the signal-quality factor saturates (assay's choice)
SNR_REF = 10.0


@dataclass(frozen=True)
class Monitor(TableView):
    """Signal quality of each task over checkpoint series (one row per task)."""

    table: pd.DataFrame
    signature: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"table": self.table.to_dict(orient="records"), "signature": self.signature}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, default=float)

    def to_rows(self) -> tuple[list[str], list[list[object]]]:
        cols = list(self.table.columns)
        return cols, [list(r) for r in self.table.itertuples(index=False)]

    @property
    def title(self) -> str:
        return "checkpoint signal quality (E2LM composite: assay's operationalisation)"


def _snr(y: np.ndarray) -> float:
    resid = y - _isotonic(y)
    noise = float(np.std(np.diff(resid))) if len(y) > 2 else 0.0
    gain = float(y[-1] - y[0])
    if noise < 1e-12:
        return float("inf") if gain > 0 else 0.0
    return gain / noise


def monitor_checkpoints(
    frame: pd.DataFrame,
    *,
    series: str = "series",
    science: Sequence[str] = (),
    web: Sequence[str] = (),
) -> Monitor:
    """Signal quality of each task over checkpoint series.

    Parameters
    ----------
    frame
        One row per (series, checkpoint, task): columns ``series`` (the model being
        trained; named by ``series``), ``checkpoint_step`` (or ``training_tokens``),
        ``task`` and ``score``.
    series
        The column naming each training run.
    science, web
        Series trained on a science-rich and on a web-only mixture, for the E2LM
        compliance score CS (without them CS is NaN and the composite is renormalised
        over SQ and RC).

    Returns
    -------
    Monitor
        Per task: ``monotonicity`` (mean Spearman with step), ``nondecreasing`` (share of
        steps that do not drop), ``snr`` (median over series), ``rank_consistency`` (mean
        Kendall tau of earlier rankings with the final one; NaN with one series),
        ``sq``, ``rc``, ``cs`` and ``e2lm``.

    References
    ----------
    Yagoubi, M. et al. (2025). NeurIPS 2025 E2LM competition: early training evaluation
    of language models. arXiv:2506.07731 (the composite's weights).
    Yang, C. et al. (2024). The fine line: navigating large language model pretraining
    with down-streaming capability analysis. arXiv:2404.01204 (monotonicity, early
    predictability).
    """
    check_frame(frame, "monitor_checkpoints", empty=True)
    step_col = "checkpoint_step" if "checkpoint_step" in frame.columns else "training_tokens"
    need = {series, step_col, "task", "score"}
    if not need <= set(frame.columns):
        raise InputError(
            f"the checkpoint frame needs columns {sorted(need)}; got {list(frame.columns)}"
        )
    sci = name_list(science, "science", "monitor_checkpoints")
    wb = name_list(web, "web", "monitor_checkpoints")
    if bool(sci) != bool(wb):
        raise InputError(
            "monitor_checkpoints: the 'science' and 'web' parameters go together (the "
            f"compliance score compares the two mixtures); got science={sci}, web={wb}"
        )
    known = {str(v) for v in frame[series].dropna().unique()}
    for param, names in (("science", sci), ("web", wb)):
        unknown = [v for v in names if v not in known]
        if unknown:
            raise InputError(
                f"the {param!r} parameter of monitor_checkpoints names series {unknown} that "
                f"the frame does not hold; its series are {sorted(known)[:20]}"
            )
    df = frame.assign(
        score=numeric_column(frame, "score", "monitor_checkpoints"),
        **{step_col: numeric_column(frame, step_col, "monitor_checkpoints")},
    ).dropna(subset=[step_col, "score"])
    if df.empty:
        raise InputError(
            f"monitor_checkpoints: no row has both a {step_col!r} and a 'score'; nothing to monitor"
        )
    rows = []
    for task, g in df.groupby("task", sort=True):
        rhos, fracs, snrs = [], [], []
        curves: dict[str, pd.Series] = {}
        for name, rows_of in g.groupby(series, sort=True):
            s: pd.Series = rows_of.groupby(step_col)["score"].mean().sort_index()
            if len(s) < 3:
                raise InputError(
                    f"series {name!r} has {len(s)} checkpoint(s) on task {task!r}; monitoring "
                    "needs at least 3"
                )
            y = s.to_numpy()
            rho = spearmanr(s.index.to_numpy(), y).statistic if np.ptp(y) > 0 else 0.0
            rhos.append(float(rho))
            fracs.append(float((np.diff(y) >= 0).mean()))
            snrs.append(_snr(y))
            curves[str(name)] = s
        rc = np.nan
        if len(curves) >= 2:
            wide = pd.DataFrame(curves).dropna()
            if len(wide) >= 2:
                final = wide.iloc[-1].to_numpy()
                taus = [
                    kendalltau(wide.iloc[i].to_numpy(), final).statistic
                    for i in range(len(wide) - 1)
                ]
                taus = [t for t in taus if not np.isnan(t)]
                rc = float(np.mean(taus)) if taus else np.nan
        snr = float(np.median(snrs))
        sq = float(np.mean([max(0.0, r) for r in rhos]) * min(1.0, max(0.0, snr) / SNR_REF))
        rc01 = (rc + 1) / 2 if not np.isnan(rc) else np.nan
        cs = np.nan
        last = {k: v.iloc[-1] for k, v in curves.items()}
        sci_last = [last[k] for k in sci if k in last]
        web_last = [last[k] for k in wb if k in last]
        if sci_last and web_last:
            s_mean, w_mean = float(np.mean(sci_last)), float(np.mean(web_last))
            cs = float(np.clip((s_mean - w_mean) / (abs(s_mean) + abs(w_mean) + 1e-12), 0, 1))
        parts = [(0.5, sq), (0.1, rc01), (0.4, cs)]
        used = [(w, v) for w, v in parts if not np.isnan(v)]
        e2lm = sum(w * v for w, v in used) / sum(w for w, _ in used)
        rows.append(
            {
                "task": task,
                "series": len(curves),
                "monotonicity": float(np.mean(rhos)),
                "nondecreasing": float(np.mean(fracs)),
                "snr": snr,
                "rank_consistency": rc,
                "sq": sq,
                "rc": rc01,
                "cs": cs,
                "e2lm": float(e2lm),
            }
        )
    table = pd.DataFrame(rows).sort_values("e2lm", ascending=False).reset_index(drop=True)
    return Monitor(
        table,
        signature={
            "method": "checkpoint signal quality; E2LM sub-scores are assay's operationalisation",
            "params": {"snr_ref": SNR_REF, "weights": [0.5, 0.1, 0.4], "step": step_col},
            "assay_version": __version__,
            "n": len(df),
            "resamples": 0,
            "seed": None,
        },
    )
