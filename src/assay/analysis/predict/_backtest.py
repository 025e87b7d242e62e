"""Backtests: hold out the largest model of each family, predict it from the smaller ones.

Each method predicts every held-out (model, task) score from the rest of the data; the
result reports each method's mean absolute error and interval coverage beside two naive
baselines: a line in log-compute through the family's smaller models, and the score of
the family's largest remaining model. The ``"ensemble"`` method combines the curve
methods and the baselines with weights learnt by the same backtest one size further down,
on the training part only (the held-out models never inform a weight).
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from assay._display import TableView
from assay._version import __version__
from assay.analysis.predict._ensemble import (
    MEMBERS,
    StackedEnsemble,
    hold_out_largest,
    last_scores,
)
from assay.analysis.predict._inputs import check_chance, check_frame
from assay.analysis.predict._ladder import MIN_SIZES, Axis, check_ladders, doubtful_ladders
from assay.analysis.predict._observational import ObservationalScaling
from assay.analysis.predict._scaling import ScalingLaw
from assay.analysis.stats._bootstrap import resolve_rng
from assay.analysis.stats._inputs import check_confidence, check_number
from assay.errors import DegenerateDataWarning, InputError

__all__ = ["BACKTEST_METHODS", "Backtest", "BacktestMethod", "backtest"]

BacktestMethod = Literal["sigmoid", "power_law", "observational", "ensemble", "linear", "last"]
BACKTEST_METHODS: tuple[BacktestMethod, ...] = (
    "sigmoid",
    "power_law",
    "observational",
    "ensemble",
    "linear",
    "last",
)
#: the naive baselines every method is compared with
BASELINES: tuple[BacktestMethod, ...] = ("linear", "last")


@dataclass(frozen=True)
class Backtest(TableView):
    """Errors of each method on held-out models.

    ``summary`` has one row per method: ``mae``, ``max_error``, ``coverage`` (share of
    held-out scores inside the interval), ``n`` and ``ratio_to_baseline`` (MAE over the
    better baseline's MAE). ``predictions`` has one row per (method, model, task).
    ``skipped`` says which families were left out and why; ``doubtful`` which were kept
    though their training models may not form one ladder (their predictions' notes say so).
    """

    summary: pd.DataFrame
    predictions: pd.DataFrame
    skipped: tuple[str, ...] = ()
    doubtful: tuple[str, ...] = ()
    signature: dict[str, Any] = field(default_factory=dict)

    @property
    def best(self) -> str:
        """The method (not a baseline) with the smallest MAE."""
        s = self.summary[~self.summary["method"].isin(BASELINES)]
        if s.empty:
            raise InputError(
                "Backtest.best: this backtest ran only the baselines "
                f"{list(BASELINES)}; pass other methods to backtest to compare them"
            )
        return str(s.sort_values("mae").iloc[0]["method"])

    def mae(self, method: str) -> float:
        """The mean absolute error of ``method``."""
        s = self.summary
        rows = s.loc[s["method"] == method, "mae"]
        if rows.empty:
            raise InputError(
                f"the 'method' parameter of Backtest.mae must be one of the methods run, "
                f"{list(s['method'])}; got {method!r}"
            )
        return float(rows.iloc[0])

    def to_dict(self) -> dict[str, Any]:
        return {
            "summary": self.summary.to_dict(orient="records"),
            "skipped": list(self.skipped),
            "doubtful": list(self.doubtful),
            "signature": self.signature,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, default=float)

    def to_rows(self) -> tuple[list[str], list[list[object]]]:
        cols = ["method", "MAE", "max error", "coverage", "n", "MAE / better baseline"]
        rows: list[list[object]] = [
            [r.method, r.mae, r.max_error, r.coverage, r.n, r.ratio_to_baseline]
            for r in self.summary.itertuples()
        ]
        return cols, rows

    @property
    def title(self) -> str:
        conf = self.signature.get("confidence", 0.95)
        return f"backtest: largest model of each family held out ({conf:.0%} intervals)"


def backtest(
    frame: pd.DataFrame,
    *,
    methods: Sequence[BacktestMethod] = BACKTEST_METHODS,
    chance: float | Mapping[str, float] = 0.0,
    axis: Axis = "compute",
    resamples: int = 200,
    confidence: float = 0.95,
    n_components: int = 2,
    seed: int | np.random.Generator = 0,
) -> Backtest:
    """Hold out each family's largest model and predict its scores from the rest.

    Parameters
    ----------
    frame
        A tidy scaling frame (see :func:`~assay.analysis.predict.scaling_frame`).
    methods
        Methods to compare, among :data:`BACKTEST_METHODS`; the baselines ``"linear"``
        and ``"last"`` are always added. ``"ensemble"`` is a
        :class:`~assay.analysis.predict.StackedEnsemble` of the curves and the
        largest-model baseline, its weights learnt by this same backtest one size down on
        the training part (the weights are in ``signature["params"]``).
    chance
        Chance floors per task (sigmoid and observational maps).
    axis
        ``"compute"`` or ``"parameters"``.
    resamples, confidence, seed
        Bootstrap settings of the intervals.
    n_components
        Capabilities of the observational method.

    Returns
    -------
    Backtest
        Per-method MAE, maximum error and interval coverage, and every prediction.
        Families with fewer than three sizes once the largest is held out are left out
        with a :class:`~assay.errors.DegenerateDataWarning` (their models still inform the
        observational method's capability space).

    References
    ----------
    Ruan, Y., Maddison, C. J. & Hashimoto, T. (2024). Observational scaling laws and the
    predictability of language model performance. arXiv:2405.10938 (hold-out protocol).
    Breiman, L. (1996). Stacked regressions. *Machine Learning* 24(1), 49-64 (ensemble).
    """
    if isinstance(methods, str):
        raise InputError(
            f"the 'methods' parameter of backtest must be a list of values of "
            f"{list(BACKTEST_METHODS)}; got {methods!r}"
        )
    for m in methods:
        if m not in BACKTEST_METHODS:
            raise InputError(
                f"the 'methods' parameter of backtest must hold values of {list(BACKTEST_METHODS)}; "
                f"got {m!r}"
            )
    if axis not in ("compute", "parameters"):
        raise InputError(
            f"the 'axis' parameter of backtest must be 'compute' or 'parameters'; got {axis!r}"
        )
    check_number(resamples, "resamples", "backtest", low=0, strict=False, integer=True)
    check_confidence(confidence, "backtest")
    check_number(n_components, "n_components", "backtest", low=1, strict=False, integer=True)
    check_chance(chance, "backtest")
    resolve_rng(seed, "backtest")  # refuses a seed numpy cannot use, up front
    check_frame(frame, "backtest", columns=("model_id", "task", "score"))
    chosen = list(dict.fromkeys([*methods, *BASELINES]))
    weights: dict[str, float] = {}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        valid, skipped = check_ladders(frame, axis=axis, on_invalid="skip", caller="backtest")
    reasons = [s.reason for s in skipped]
    train, held_models, too_small = hold_out_largest(valid)
    for f, n in sorted(too_small.items()):
        reasons.append(
            f"family {f!r} has {n} sizes once its largest model is held out; "
            f"a backtest needs {MIN_SIZES}"
        )
    del caught
    if reasons:
        warnings.warn(
            "left out of the backtest: " + "; ".join(reasons), DegenerateDataWarning, stacklevel=2
        )
    doubts = doubtful_ladders(train)
    if doubts:
        warnings.warn(
            "kept in the backtest, but doubtful: " + "; ".join(doubts.values()),
            DegenerateDataWarning,
            stacklevel=2,
        )
    families = sorted(set(held_models["family"]))
    if not families:
        raise InputError("no family has four or more sizes: nothing to backtest")
    # every family's largest model is withheld from every method, also the families left out
    per_model = valid.drop_duplicates("model_id")
    largest = per_model.loc[per_model["x"] == per_model.groupby("family")["x"].transform("max")]
    withheld = set(largest["model_id"]) | set(held_models["model_id"])
    held = valid[valid["model_id"].isin(held_models["model_id"])]
    cols = ["model_id", "family", "parameters", "training_tokens", "training_flops"]
    targets = held.drop_duplicates("model_id")[[c for c in cols if c in held.columns]]
    truth = held.set_index(["model_id", "task"])["score"]

    preds: list[pd.DataFrame] = []
    with warnings.catch_warnings():
        # the extrapolation warnings of the methods are reported in the rows' notes
        warnings.simplefilter("ignore", DegenerateDataWarning)
        for method in chosen:
            if method == "last":
                p = last_scores(train, targets).assign(ci_low=np.nan, ci_high=np.nan, note="")
            elif method == "observational":
                others = frame[~frame["model_id"].isin(withheld)]
                obs = ObservationalScaling(
                    n_components,
                    chance=chance,
                    axis=axis,
                    resamples=resamples,
                    confidence=confidence,
                    seed=seed,
                ).fit(others)
                p = obs.predict(targets).to_pandas()
            elif method == "ensemble":
                ens = StackedEnsemble(
                    MEMBERS,
                    chance=chance,
                    axis=axis,
                    resamples=resamples,
                    confidence=confidence,
                    seed=seed,
                ).fit(train)
                weights = {str(k): float(v) for k, v in ens.weights_.items()}
                p = ens.predict(targets).to_pandas()
            else:
                law = ScalingLaw(
                    method,
                    chance=chance,
                    axis=axis,
                    resamples=resamples,
                    confidence=confidence,
                    seed=seed,
                ).fit(train)
                p = law.predict(targets).to_pandas()
            p = p[["model_id", "family", "task", "prediction", "ci_low", "ci_high", "note"]]
            preds.append(p.assign(method=method))
    all_preds = pd.concat(preds, ignore_index=True)
    all_preds = all_preds.merge(
        truth.rename("observed").reset_index(), on=["model_id", "task"], how="inner"
    )
    all_preds["error"] = (all_preds["prediction"] - all_preds["observed"]).abs()
    all_preds["covered"] = (all_preds["ci_low"] <= all_preds["observed"]) & (
        all_preds["observed"] <= all_preds["ci_high"]
    )
    rows = []
    for name, g in all_preds.groupby("method", sort=False):
        has_ci = g["ci_low"].notna().any()
        rows.append(
            {
                "method": str(name),
                "mae": float(g["error"].mean()),
                "max_error": float(g["error"].max()),
                "coverage": float(g["covered"].mean()) if has_ci else float("nan"),
                "n": len(g),
            }
        )
    summary = pd.DataFrame(rows)
    better = summary.loc[summary["method"].isin(BASELINES), "mae"].min()
    summary["ratio_to_baseline"] = summary["mae"] / better
    summary = summary.sort_values("mae").reset_index(drop=True)
    return Backtest(
        summary=summary,
        predictions=all_preds,
        skipped=tuple(reasons),
        doubtful=tuple(doubts.values()),
        signature={
            "method": "backtest, largest model per family held out",
            "params": {
                "methods": chosen,
                "axis": axis,
                "n_components": n_components,
                "ensemble_weights": weights,
            },
            "held_out": sorted(targets["model_id"]),
            "assay_version": __version__,
            "n": len(truth),
            "resamples": resamples,
            "confidence": confidence,
            "seed": seed if isinstance(seed, int) else "generator",
        },
    )
