"""Per-choice probability analysis: where predictability with scale is lost.

From the per-choice log-likelihoods the harness stores (``responses.choice_logprobs``)
each item gets, per model: ``log p(correct)`` over the vocabulary, ``p(correct)``, the
probability renormalised over the choices, the negative Brier score and accuracy. Across
a family ordered by compute, each item's values are correlated with log-compute; the
correlations fall along the chain log p -> p(choices) -> accuracy / Brier because the
later metrics depend on the mass on the *incorrect* choices, which does not trend with
scale (Schaeffer et al., 2024).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy.special import logsumexp

from assay._display import TableView
from assay._version import __version__
from assay.analysis.predict._inputs import check_frame
from assay.analysis.predict._ladder import NO_FAMILY, resolve_compute
from assay.analysis.stats._inputs import float_array
from assay.errors import InputError
from assay.store import Store

__all__ = [
    "CHOICE_METRICS",
    "ChoiceAnalysis",
    "choice_analysis",
    "choice_metrics",
    "kendall_tau_rows",
]

CHOICE_METRICS = ("logp_correct", "p_correct", "p_choices", "neg_brier", "acc")
Correlation = Literal["kendall", "spearman", "pearson"]


def choice_metrics(logprobs: np.ndarray, correct: np.ndarray) -> pd.DataFrame:
    """Per-item metrics from ``(items, choices)`` log-likelihoods (NaN-padded rows) and
    the index of each item's correct choice.

    References
    ----------
    Schaeffer, R. et al. (2024). Why has predicting downstream capabilities of frontier
    AI models with scale remained elusive? arXiv:2406.04391.
    """
    lp = float_array(logprobs, "logprobs", "choice_metrics", ndim=2)
    if (lp == np.inf).any():
        raise InputError("the 'logprobs' parameter of choice_metrics holds +inf")
    g = float_array(correct, "correct", "choice_metrics", ndim=1, finite=True)
    if len(g) != len(lp):
        raise InputError(
            f"choice_metrics: 'correct' must have one index per row of 'logprobs' ({len(lp)}); "
            f"got {len(g)}"
        )
    if ((g != np.round(g)) | (g < 0) | (g >= lp.shape[1])).any():
        raise InputError(
            "the 'correct' parameter of choice_metrics must hold choice indices in "
            f"[0, {lp.shape[1]}); got {g[(g != np.round(g)) | (g < 0) | (g >= lp.shape[1])][:5].tolist()}"
        )
    gold = g.astype(int)
    rows = np.arange(len(lp))
    if np.isnan(lp[rows, gold]).any():
        i = int(np.argmax(np.isnan(lp[rows, gold])))
        raise InputError(
            f"choice_metrics: row {i}'s correct choice ({gold[i]}) has a missing (NaN) "
            "log-likelihood"
        )
    valid = ~np.isnan(lp)
    lp_safe = np.where(valid, lp, -np.inf)
    correct_lp = lp_safe[rows, gold]
    norm = logsumexp(lp_safe, axis=1)
    p_choices = np.exp(lp_safe - norm[:, None])
    onehot = np.zeros_like(p_choices)
    onehot[rows, gold] = 1.0
    brier = np.where(valid, (p_choices - onehot) ** 2, 0.0).sum(axis=1)
    return pd.DataFrame(
        {
            "logp_correct": correct_lp,
            "p_correct": np.exp(correct_lp),
            "p_choices": p_choices[rows, gold],
            "neg_brier": -brier,
            "acc": (np.argmax(lp_safe, axis=1) == gold).astype(float),
        }
    )


def kendall_tau_rows(x: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Kendall's tau-b between ``x`` (distinct) and each row of ``values``; NaN for a
    constant row."""
    x = float_array(x, "x", "kendall_tau_rows", ndim=1, finite=True)
    values = float_array(values, "values", "kendall_tau_rows", ndim=2)
    if len(x) < 2 or len(np.unique(x)) != len(x):
        raise InputError(
            f"the 'x' parameter of kendall_tau_rows must hold at least 2 distinct values; got "
            f"{x.tolist()[:10]}"
        )
    if values.shape[1] != len(x):
        raise InputError(
            f"kendall_tau_rows: 'values' must have one column per value of 'x' ({len(x)}); "
            f"got shape {values.shape}"
        )
    n = len(x)
    i, j = np.triu_indices(n, 1)
    sx = np.sign(x[j] - x[i])
    sv = np.sign(values[:, j] - values[:, i])
    s = (sx * sv).sum(axis=1)
    n0 = len(i)
    untied = (sv != 0).sum(axis=1)  # n0 - ties in values
    with np.errstate(invalid="ignore", divide="ignore"):
        tau = s / np.sqrt(n0 * untied)
    return np.where(untied > 0, tau, np.nan)  # type: ignore[no-any-return]


def _corr_rows(x: np.ndarray, v: np.ndarray, method: Correlation) -> np.ndarray:
    if method == "kendall":
        return kendall_tau_rows(x, v)
    if method == "spearman":
        x = pd.Series(x).rank().to_numpy()
        v = pd.DataFrame(v).rank(axis=1).to_numpy()
    xc = x - x.mean()
    vc = v - v.mean(axis=1, keepdims=True)
    den = np.sqrt((vc**2).sum(1) * (xc**2).sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (vc @ xc) / den
    return np.where(den > 1e-15, r, np.nan)  # type: ignore[no-any-return]


@dataclass(frozen=True)
class ChoiceAnalysis(TableView):
    """Per-item correlations of each metric with log-compute, and their summary."""

    summary: pd.DataFrame
    items: pd.DataFrame
    signature: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"summary": self.summary.to_dict(orient="records"), "signature": self.signature}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, default=float)

    def to_rows(self) -> tuple[list[str], list[list[object]]]:
        cols = list(self.summary.columns)
        return cols, [list(r) for r in self.summary.itertuples(index=False)]

    @property
    def title(self) -> str:
        return f"per-item {self.signature.get('params', {}).get('method', '')} correlation with log-compute"


def choice_analysis(
    data: Store | pd.DataFrame,
    *,
    task: str | None = None,
    method: Correlation = "kendall",
) -> ChoiceAnalysis:
    """Correlate each item's per-choice metrics with log-compute across each family.

    Parameters
    ----------
    data
        A store (responses with ``choice_logprobs``, items with choices and target, models
        with sizes) or a frame with ``model_id, family, parameters, training_tokens,
        training_flops, task, item_id, choice_logprobs, gold``.
    task
        Only this task.
    method
        ``"kendall"`` (tau-b, the reference's default), ``"spearman"`` or ``"pearson"``.

    Returns
    -------
    ChoiceAnalysis
        ``summary``: per (family, task, metric) the mean and median correlation, its
        standard deviation and the share of items whose metric is constant across the
        family (NaN); ``items``: every item's correlations.

    References
    ----------
    Schaeffer, R. et al. (2024). Why has predicting downstream capabilities of frontier
    AI models with scale remained elusive? arXiv:2406.04391.
    """
    if method not in ("kendall", "spearman", "pearson"):
        raise InputError(
            f"the 'method' parameter of choice_analysis must be 'kendall', 'spearman' or "
            f"'pearson'; got {method!r}"
        )
    if not isinstance(data, Store):
        check_frame(
            data,
            "choice_analysis",
            name="data",
            columns=("model_id", "task", "item_id", "choice_logprobs", "gold"),
            empty=True,
        )
    frame = _from_store(data, task) if isinstance(data, Store) else data.copy()
    if task is not None:
        frame = frame[frame["task"] == task]
    if frame.empty:
        raise InputError(
            "choice_analysis: no multiple-choice responses with per-choice log-likelihoods found"
            + (f" for task {task!r}" if task is not None else "")
        )
    ok = frame["choice_logprobs"].map(lambda v: isinstance(v, list | tuple | np.ndarray))
    if not ok.all():
        first = frame.loc[~ok].iloc[0]
        raise InputError(
            f"choice_analysis: column 'choice_logprobs' must hold a list of log-likelihoods per "
            f"row; got {first['choice_logprobs']!r} (model {first['model_id']!r}, item "
            f"{first['item_id']!r})"
        )
    widths = frame["choice_logprobs"].map(len)
    gold = pd.to_numeric(frame["gold"], errors="coerce")
    bad_gold = ~((gold >= 0) & (gold < widths) & (gold == gold.round()))
    if bad_gold.any():
        first = frame.loc[bad_gold].iloc[0]
        raise InputError(
            f"choice_analysis: column 'gold' must be the index of the correct choice; got "
            f"{first['gold']!r} for {len(first['choice_logprobs'])} choices (model "
            f"{first['model_id']!r}, item {first['item_id']!r})"
        )
    frame["x"] = resolve_compute(frame)
    if frame["x"].isna().any():
        bad = sorted(frame.loc[frame["x"].isna(), "model_id"].unique())
        raise InputError(
            f"models {bad} have no compute (training_flops, or parameters and training_tokens)"
        )
    if "family" not in frame.columns:
        frame["family"] = NO_FAMILY
    frame["family"] = frame["family"].fillna(NO_FAMILY)
    width = int(frame["choice_logprobs"].map(len).max())
    summary_rows = []
    item_rows = []
    for (family, tname), g in frame.groupby(["family", "task"], sort=True):
        models = g.drop_duplicates("model_id").sort_values("x")
        if len(models) < 3:
            raise InputError(
                f"family {family!r} has {len(models)} model(s) on task {tname!r}; correlating "
                "with scale needs at least 3"
            )
        x = models["x"].to_numpy()
        if len(np.unique(x.round(9))) != len(x):
            raise InputError(
                f"choice_analysis: family {family!r} has models of equal compute on task "
                f"{tname!r} ({list(models['model_id'])}); correlating with scale needs "
                "distinct sizes"
            )
        items = sorted(g["item_id"].unique())
        per_metric = {m: np.full((len(items), len(models)), np.nan) for m in CHOICE_METRICS}
        pos = {it: k for k, it in enumerate(items)}
        for j, mid in enumerate(models["model_id"]):
            sub = g[g["model_id"] == mid]
            lp = np.full((len(sub), width), np.nan)
            for r, v in enumerate(sub["choice_logprobs"]):
                lp[r, : len(v)] = v
            met = choice_metrics(lp, sub["gold"].to_numpy())
            rows = [pos[i] for i in sub["item_id"]]
            for m in CHOICE_METRICS:
                per_metric[m][rows, j] = met[m].to_numpy()
        for m in CHOICE_METRICS:
            corr = _corr_rows(x, per_metric[m], method)
            item_rows.append(
                pd.DataFrame(
                    {
                        "family": family,
                        "task": tname,
                        "metric": m,
                        "item_id": items,
                        "correlation": corr,
                    }
                )
            )
            summary_rows.append(
                {
                    "family": family,
                    "task": tname,
                    "metric": m,
                    "mean": float(np.nanmean(corr)) if (~np.isnan(corr)).any() else np.nan,
                    "median": float(np.nanmedian(corr)) if (~np.isnan(corr)).any() else np.nan,
                    "std": float(np.nanstd(corr)) if (~np.isnan(corr)).any() else np.nan,
                    "nan_fraction": float(np.isnan(corr).mean()),
                    "items": len(items),
                    "models": len(models),
                }
            )
    return ChoiceAnalysis(
        summary=pd.DataFrame(summary_rows),
        items=pd.concat(item_rows, ignore_index=True),
        signature={
            "method": "per-item correlation of per-choice metrics with log10 compute",
            "params": {"method": method, "task": task},
            "assay_version": __version__,
            "n": len(frame),
            "resamples": 0,
            "seed": None,
        },
    )


def _from_store(store: Store, task: str | None) -> pd.DataFrame:
    sql = (
        "SELECT r.model_id, r.task, r.item_id, r.choice_logprobs, i.choices, i.target, "
        "m.family, m.parameters, m.training_tokens, m.training_flops "
        "FROM responses r JOIN items i ON r.task = i.task AND r.item_id = i.item_id "
        "AND coalesce(r.task_version, '') = i.task_version "
        "LEFT JOIN models m ON r.model_id = m.model_id "
        "WHERE r.choice_logprobs IS NOT NULL AND r.status = 'ok' AND r.sample_index = 0"
    )
    params: list[Any] = []
    if task is not None:
        sql += " AND r.task = ?"
        params.append(task)
    df = store.query(sql, params).to_pandas()
    df = df.drop_duplicates(["model_id", "task", "item_id"])
    df["gold"] = [
        list(c).index(t) if t in list(c) else -1
        for c, t in zip(df["choices"], df["target"], strict=True)
    ]
    bad = df[df["gold"] < 0]
    if len(bad):
        raise InputError(
            f"item {bad.iloc[0]['item_id']!r} of task {bad.iloc[0]['task']!r}: the target is "
            "not one of its stored choices"
        )
    df["choice_logprobs"] = df["choice_logprobs"].map(list)
    out: pd.DataFrame = df
    return out
