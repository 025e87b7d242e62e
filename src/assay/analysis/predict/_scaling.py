"""Scaling-law fits of downstream scores against compute, with bootstrap intervals.

:class:`ScalingLaw` fits one curve per (task, family) of a tidy scaling frame (see
:func:`~assay.analysis.predict.scaling_frame`) and predicts the score of a larger model of
a family from its compute. Intervals come from a bootstrap over the family's models (each
replicate refits the curve on models drawn with replacement) plus a resampled residual, so
they cover a new model's observed score, not only the curve. Every curve of a fit and
every bootstrap replicate is solved in one batched Levenberg-Marquardt loop.
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from assay._display import TableView
from assay._version import __version__
from assay.analysis.predict._curves import (
    CURVES,
    CurveForm,
    bounds_for,
    curve,
    evaluate,
    fit_batch,
    fit_linear,
)
from assay.analysis.predict._inputs import check_chance, check_frame
from assay.analysis.predict._ladder import (
    Axis,
    OnInvalid,
    Skipped,
    check_ladders,
    doubtful_ladders,
    place_targets,
    warn_doubtful,
)
from assay.analysis.stats._bootstrap import resolve_rng
from assay.analysis.stats._inputs import check_confidence, check_number, float_array
from assay.errors import DegenerateDataWarning, InputError, NotFittedError

__all__ = ["PredictedScore", "ScalingLaw", "ScalingPrediction"]

#: a target more than this many times the largest observed compute is flagged (assay's
#: choice: one decade; the methods notes show errors growing quickly past 2-8x)
EXTRAPOLATION_LIMIT = 10.0


@dataclass(frozen=True, slots=True)
class PredictedScore:
    """One predicted score with its interval and how far it extrapolates."""

    task: str
    family: str
    model_id: str
    log10_compute: float
    prediction: float
    ci_low: float
    ci_high: float
    extrapolation: float
    method: str
    note: str = ""


@dataclass(frozen=True)
class ScalingPrediction(TableView):
    """Predicted scores of target models, one row per (task, target).

    ``extrapolation`` is the target's compute over the largest compute the curve was
    fitted on; rows beyond :data:`EXTRAPOLATION_LIMIT` carry a note (and the call that
    made them warned).
    """

    rows: tuple[PredictedScore, ...]
    signature: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.rows)

    def confidence_interval(self) -> tuple[np.ndarray, np.ndarray]:
        """Lower and upper interval bounds, in row order."""
        return (
            np.array([r.ci_low for r in self.rows]),
            np.array([r.ci_high for r in self.rows]),
        )

    def to_pandas(self) -> pd.DataFrame:
        """One row per prediction."""
        return pd.DataFrame([asdict(r) for r in self.rows])

    def to_dict(self) -> dict[str, Any]:
        """Rows and signature as plain values (JSON-serialisable)."""
        return {"rows": [asdict(r) for r in self.rows], "signature": self.signature}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True, default=float)

    def to_rows(self) -> tuple[list[str], list[list[object]]]:
        conf = self.signature.get("confidence", 0.95)
        cols = ["task", "family", "target", "log10 C", "prediction", f"{conf:.0%} interval"]
        cols += ["x beyond data", "note"]
        rows: list[list[object]] = [
            [
                r.task,
                r.family,
                r.model_id,
                r.log10_compute,
                r.prediction,
                f"[{r.ci_low:.4f}, {r.ci_high:.4f}]",
                r.extrapolation,
                r.note,
            ]
            for r in self.rows
        ]
        return cols, rows

    @property
    def title(self) -> str:
        return f"predicted scores ({self.signature.get('method', '')})"


class ScalingLaw:
    """Per-family scaling curves of downstream scores, fitted on a ladder of models.

    Parameters
    ----------
    form
        ``"sigmoid"`` in log-compute between a chance floor and a fitted ceiling,
        ``"power_law"`` with an irreducible term, or ``"linear"`` in log-compute.
    chance
        The chance floor of the sigmoid: one value, or ``{task: value}`` (0 for tasks not
        listed). The power law and the line ignore it.
    value_range
        The range the score lives in; it bounds ceilings and asymptotes.
    axis
        ``"compute"`` (training FLOPs, or 6ND when they are missing) or ``"parameters"``.
    resamples
        Bootstrap replicates over models for the intervals (0: no interval).
    confidence
        Two-sided interval level.
    restarts
        Starting points of each point fit (the lowest SSE is kept); bootstrap replicates
        start from the point fit.
    on_invalid
        ``"raise"`` on a family that cannot be fitted (fewer than three sizes, compute
        not monotone in size, missing parameters) or ``"skip"`` it with a warning; skips
        are listed in ``skipped_``.
    seed
        Seed or generator of the bootstrap.

    Attributes
    ----------
    curves_ : pandas.DataFrame
        One row per (task, family): models, compute range, fitted parameters, SSE.
    skipped_ : list of Skipped
        Families left out, with the reason.

    References
    ----------
    Ruan, Y., Maddison, C. J. & Hashimoto, T. (2024). Observational scaling laws and the
    predictability of language model performance. arXiv:2405.10938 (sigmoid with floor).
    Hoffmann, J. et al. (2022). Training compute-optimal large language models.
    arXiv:2203.15556 (power law with an irreducible term; C = 6ND).
    Efron, B. & Tibshirani, R. (1993). *An Introduction to the Bootstrap*, ch. 9
    (bootstrapping regression models; prediction error via resampled residuals).
    """

    def __init__(
        self,
        form: CurveForm = "sigmoid",
        *,
        chance: float | Mapping[str, float] = 0.0,
        value_range: tuple[float, float] = (0.0, 1.0),
        axis: Axis = "compute",
        resamples: int = 1000,
        confidence: float = 0.95,
        restarts: int = 8,
        on_invalid: OnInvalid = "raise",
        seed: int | np.random.Generator = 0,
    ) -> None:
        self.form = form
        self.chance = chance
        self.value_range = value_range
        self.axis = axis
        self.resamples = resamples
        self.confidence = confidence
        self.restarts = restarts
        self.on_invalid = on_invalid
        self.seed = seed

    # ------------------------------------------------------------------ fitting
    def _validate(self) -> None:
        if self.form not in CURVES:
            raise InputError(
                f"the 'form' parameter of ScalingLaw must be one of {list(CURVES)}; got {self.form!r}"
            )
        check_confidence(self.confidence, "ScalingLaw")
        check_number(self.resamples, "resamples", "ScalingLaw", low=0, strict=False, integer=True)
        check_number(self.restarts, "restarts", "ScalingLaw", low=1, strict=False, integer=True)
        resolve_rng(self.seed, "ScalingLaw")  # refuses a seed numpy cannot use, up front
        vr = self.value_range
        numbers = (
            isinstance(vr, tuple | list)
            and len(vr) == 2
            and all(
                isinstance(v, int | float | np.integer | np.floating)
                and not isinstance(v, bool)
                and math.isfinite(v)
                for v in vr
            )
        )
        if not numbers or not vr[0] < vr[1]:
            raise InputError(
                f"the 'value_range' parameter of ScalingLaw must be (low, high) with low < high; "
                f"got {self.value_range!r}"
            )
        check_chance(self.chance, "ScalingLaw", low=float(vr[0]), high=float(vr[1]))

    def _chance(self, task: str) -> float:
        if isinstance(self.chance, Mapping):
            return float(self.chance.get(task, 0.0))
        return float(self.chance)

    def fit(self, frame: pd.DataFrame) -> ScalingLaw:
        """Fit every (task, family) curve of ``frame`` (a tidy scaling frame)."""
        self._validate()
        check_frame(frame, "ScalingLaw.fit")
        data, skipped = check_ladders(
            frame, axis=self.axis, on_invalid=self.on_invalid, caller="ScalingLaw.fit"
        )
        if data.empty:
            raise InputError("no family is left to fit: " + "; ".join(s.reason for s in skipped))
        self.doubts_ = doubtful_ladders(data)
        warn_doubtful(self.doubts_)
        rng = resolve_rng(self.seed)
        groups = list(data.groupby(["task", "family"], sort=True))
        n_max = max(len(g) for _, g in groups)
        b = len(groups)
        x = np.zeros((b, n_max))
        y = np.zeros((b, n_max))
        w = np.zeros((b, n_max))
        models: list[list[str]] = []
        for i, (_, g) in enumerate(groups):
            g = g.sort_values("x")
            n = len(g)
            x[i, :n] = g["x"].to_numpy()
            x[i, n:] = x[i, n - 1]
            y[i, :n] = g["score"].to_numpy()
            w[i, :n] = 1.0
            models.append(list(g["model_id"]))
        keys = [(str(k[0]), str(k[1])) for k, _ in groups]
        floor = np.array([self._chance(t) for t, _ in keys])
        x_ref = np.where(w > 0, x, np.inf).min(axis=1)
        theta, sse = self._fit_points(x, y, w, floor, x_ref)
        n_obs = w.sum(axis=1)
        p = len(curve(self.form).names)
        fitted = evaluate(self.form, theta, x, floor=floor, x_ref=x_ref)
        scale = np.sqrt(n_obs / np.maximum(n_obs - p, 1.0))
        resid = np.where(w > 0, (y - fitted) * scale[:, None], np.nan)

        boot = None
        if self.resamples:
            boot = self._bootstrap(x, y, w, floor, x_ref, theta, rng)

        names = curve(self.form).names
        rows = []
        for i, (task, family) in enumerate(keys):
            row: dict[str, Any] = {
                "task": task,
                "family": family,
                "n_models": int(n_obs[i]),
                "log10_compute_min": float(x_ref[i]),
                "log10_compute_max": float(np.where(w[i] > 0, x[i], -np.inf).max()),
                "sse": float(sse[i]),
            }
            row.update({n: float(theta[i, j]) for j, n in enumerate(names)})
            rows.append(row)
        self.curves_ = pd.DataFrame(rows)
        self.skipped_: list[Skipped] = skipped
        self.theta_ = theta
        self.boot_theta_ = boot
        self.residuals_ = resid
        self.floor_ = floor
        self.x_ref_ = x_ref
        self.keys_ = keys
        self.index_ = {k: i for i, k in enumerate(keys)}
        self.data_ = data
        self.models_ = models
        self.noise_rng_ = rng
        return self

    def _fit_points(
        self, x: np.ndarray, y: np.ndarray, w: np.ndarray, floor: np.ndarray, x_ref: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        if self.form == "linear":
            theta = fit_linear(x, y, w)
            r = w * (evaluate("linear", theta, x, floor=0.0, x_ref=0.0) - y) ** 2
            return theta, r.sum(axis=1)
        form: Literal["sigmoid", "power_law"] = self.form  # type: ignore[assignment]
        lo, hi = bounds_for(form, x, w, floor=floor, value_range=self.value_range)
        starts = _starts(form, x, y, w, lo, hi, max(1, self.restarts))
        r = len(starts)

        def rep(a: np.ndarray) -> np.ndarray:
            return np.repeat(a, r, axis=0)

        start = np.concatenate([s[:, None, :] for s in starts], axis=1).reshape(-1, lo.shape[1])
        theta, sse = fit_batch(
            form,
            rep(x),
            rep(y),
            rep(w),
            floor=rep(floor),
            x_ref=rep(x_ref),
            lo=rep(lo),
            hi=rep(hi),
            start=start,
            iterations=80,
        )
        theta = theta.reshape(len(x), r, -1)
        sse = sse.reshape(len(x), r)
        best = np.argmin(sse, axis=1)
        idx = np.arange(len(x))
        return theta[idx, best], sse[idx, best]

    def _bootstrap(
        self,
        x: np.ndarray,
        y: np.ndarray,
        w: np.ndarray,
        floor: np.ndarray,
        x_ref: np.ndarray,
        theta: np.ndarray,
        rng: np.random.Generator,
    ) -> np.ndarray:
        b, n_max = x.shape
        rs = self.resamples
        counts = np.zeros((b, rs, n_max))
        n_obs = w.sum(axis=1).astype(int)
        for i in range(b):
            n = n_obs[i]
            counts[i, :, :n] = rng.multinomial(n, np.full(n, 1.0 / n), size=rs)
        bx = np.repeat(x, rs, axis=0)
        by = np.repeat(y, rs, axis=0)
        bw = counts.reshape(b * rs, n_max)
        if self.form == "linear":
            return fit_linear(bx, by, bw).reshape(b, rs, -1)
        form: Literal["sigmoid", "power_law"] = self.form  # type: ignore[assignment]
        lo, hi = bounds_for(form, x, w, floor=floor, value_range=self.value_range)
        out, _ = fit_batch(
            form,
            bx,
            by,
            bw,
            floor=np.repeat(floor, rs),
            x_ref=np.repeat(x_ref, rs),
            lo=np.repeat(lo, rs, axis=0),
            hi=np.repeat(hi, rs, axis=0),
            start=np.repeat(theta, rs, axis=0),
            iterations=40,
        )
        return out.reshape(b, rs, -1)

    # ------------------------------------------------------------------ predicting
    def _check_fitted(self) -> None:
        if not hasattr(self, "theta_"):
            raise NotFittedError("this ScalingLaw is not fitted yet; call fit(frame) first")

    def curve_values(
        self, task: str, family: str, x: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """The fitted curve of (task, family) at ``x`` and its bootstrap draws there."""
        self._check_fitted()
        i = self._curve_index(task, family)
        x = float_array(x, "x", "ScalingLaw.curve_values", ndim=1, finite=True)
        fit = evaluate(
            self.form,
            self.theta_[i],
            x,
            floor=self.floor_[i],
            x_ref=self.x_ref_[i],
        )
        draws = None
        if self.boot_theta_ is not None:
            draws = evaluate(
                self.form,
                self.boot_theta_[i],
                x[None, :],
                floor=self.floor_[i],
                x_ref=self.x_ref_[i],
            )
        return fit, draws

    def _curve_index(self, task: str, family: str) -> int:
        try:
            return self.index_[(task, family)]
        except KeyError:
            fams = sorted({f for t, f in self.keys_ if t == task})
            raise InputError(
                f"no fitted curve for task {task!r} and family {family!r}; "
                f"families fitted for this task: {fams}"
            ) from None

    def predict(self, targets: pd.DataFrame) -> ScalingPrediction:
        """Predict the scores of ``targets``.

        Parameters
        ----------
        targets
            One row per target model with ``family`` and its size columns (``parameters``
            and ``training_tokens``, or ``training_flops``), optionally ``model_id`` and
            ``task`` (without ``task``: every task fitted for the family).

        Returns
        -------
        ScalingPrediction
            Point predictions, percentile intervals (bootstrap curve plus a resampled
            residual) and the extrapolation factor; a
            :class:`~assay.errors.DegenerateDataWarning` names the targets that lie more
            than :data:`EXTRAPOLATION_LIMIT` times beyond a curve's largest compute.
        """
        self._check_fitted()
        check_frame(targets, "ScalingLaw.predict", name="targets")
        t = place_targets(targets, self.axis, "ScalingLaw.predict")
        alpha = (1 - self.confidence) / 2
        rows: list[PredictedScore] = []
        far: list[str] = []
        for _, tr in t.iterrows():
            tasks = (
                [str(tr["task"])]
                if "task" in t.columns and pd.notna(tr.get("task"))
                else [k for k, f in self.keys_ if f == tr["family"]]
            )
            if not tasks:
                raise InputError(f"no curve was fitted for family {tr['family']!r}")
            mid = str(tr.get("model_id", f"log10 C = {tr['x']:.2f}"))
            for task in tasks:
                i = self._curve_index(task, str(tr["family"]))
                xt = np.array([float(tr["x"])])
                fit, draws = self.curve_values(task, str(tr["family"]), xt)
                point = float(fit[0])
                lo = hi = math.nan
                if draws is not None:
                    res = self.residuals_[i][~np.isnan(self.residuals_[i])]
                    noise = self.noise_rng_.choice(res, size=draws.shape[0])
                    sim = draws[:, 0] + noise
                    lo, hi = (float(v) for v in np.quantile(sim, [alpha, 1 - alpha]))
                xmax = float(self.curves_["log10_compute_max"].iloc[i])
                factor = float(10 ** (xt[0] - xmax))
                note = prediction_note(factor, str(tr["family"]) in self.doubts_)
                if factor > EXTRAPOLATION_LIMIT:
                    far.append(f"{mid} on {task} ({factor:.0f}x)")
                rows.append(
                    PredictedScore(
                        task=task,
                        family=str(tr["family"]),
                        model_id=mid,
                        log10_compute=float(xt[0]),
                        prediction=point,
                        ci_low=lo,
                        ci_high=hi,
                        extrapolation=factor,
                        method=self.form,
                        note=note,
                    )
                )
        warn_far_extrapolation(far)
        return ScalingPrediction(tuple(rows), self.signature())

    def signature(self) -> dict[str, Any]:
        """Method, parameters, version and bootstrap settings of this fit."""
        return {
            "method": f"scaling law ({self.form}), bootstrap over models + residual",
            "params": {
                "form": self.form,
                "chance": dict(self.chance) if isinstance(self.chance, Mapping) else self.chance,
                "value_range": list(self.value_range),
                "axis": self.axis,
                "restarts": self.restarts,
            },
            "assay_version": __version__,
            "n": len(self.data_) if hasattr(self, "data_") else 0,
            "resamples": self.resamples,
            "confidence": self.confidence,
            "seed": self.seed if isinstance(self.seed, int) else "generator",
        }


def _starts(
    form: Literal["sigmoid", "power_law"],
    x: np.ndarray,
    y: np.ndarray,
    w: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    restarts: int,
) -> list[np.ndarray]:
    """Deterministic starting points spread over the plausible region, per curve."""
    obs = w > 0
    ymax = np.where(obs, y, -np.inf).max(axis=1)
    ymin = np.where(obs, y, np.inf).min(axis=1)
    xmin = np.where(obs, x, np.inf).min(axis=1)
    xmax = np.where(obs, x, -np.inf).max(axis=1)
    first = y[:, 0]
    starts: list[np.ndarray] = []
    if form == "sigmoid":
        top = hi[:, 0]
        for ceiling in (np.minimum(top, ymax + 0.5 * (top - ymax)), top):
            for x0 in ((xmin + xmax) / 2, xmax + 1.0):
                for k in (1.5, -1.5):
                    starts.append(np.stack([ceiling, x0, np.full(len(x), k)], axis=1))
    else:
        for asym in (ymax + 0.5 * (hi[:, 0] - ymax), ymin - 0.5 * (ymin - lo[:, 0]), hi[:, 0]):
            for alpha in (0.3, 1.0):
                a = np.clip(first - asym, lo[:, 1], hi[:, 1])
                starts.append(np.stack([asym, a, np.full(len(x), alpha)], axis=1))
    return starts[: max(1, restarts)]


def prediction_note(
    factor: float, doubtful: bool, beyond: str = "the largest fitted compute"
) -> str:
    """The note of one prediction: how far it extrapolates past :data:`EXTRAPOLATION_LIMIT`,
    and whether its family's ladder is in doubt (see
    :func:`~assay.analysis.predict._ladder.doubtful_ladders`)."""
    notes = []
    if factor > EXTRAPOLATION_LIMIT:
        notes.append(f"extrapolates {factor:.0f}x beyond {beyond}")
    if doubtful:
        notes.append("the family may not be one ladder (its mean score falls with compute)")
    return "; ".join(notes)


def warn_far_extrapolation(far: list[str]) -> None:
    """One warning naming the predictions (``"model on task (Nx)"``) that extrapolate more
    than :data:`EXTRAPOLATION_LIMIT` times beyond the fitted compute."""
    if not far:
        return
    shown = ", ".join(far[:5]) + (f" and {len(far) - 5} more" if len(far) > 5 else "")
    warnings.warn(
        f"extrapolating more than {EXTRAPOLATION_LIMIT:.0f}x beyond the fitted compute: "
        f"{shown}; such predictions are unreliable",
        DegenerateDataWarning,
        stacklevel=3,
    )
