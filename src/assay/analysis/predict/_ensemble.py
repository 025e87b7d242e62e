"""A stacked ensemble of scaling curves, weighted by how well each extrapolated before.

No single curve form wins on every family: a power law follows a saturating benchmark, a
line in log-compute is steadier on three or four noisy points, a sigmoid catches a late
rise, and the largest model's own score is hard to beat on a flat benchmark.
:class:`StackedEnsemble` combines them with the weights that would have predicted best
one size down: it holds out the largest model of every family that can spare one,
predicts it with each member from the smaller models, and solves for the non-negative
weights summing to one that minimise the squared error of the combination (Breiman's
stacked regression). The same held-out errors set the width of its intervals.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy.optimize import lsq_linear

from assay._version import __version__
from assay.analysis.predict._inputs import check_chance, check_frame
from assay.analysis.predict._ladder import (
    MIN_SIZES,
    Axis,
    check_ladders,
    doubtful_ladders,
    place_targets,
    warn_doubtful,
)
from assay.analysis.predict._scaling import (
    EXTRAPOLATION_LIMIT,
    PredictedScore,
    ScalingLaw,
    ScalingPrediction,
    prediction_note,
    warn_far_extrapolation,
)
from assay.analysis.stats._bootstrap import resolve_rng
from assay.analysis.stats._inputs import check_confidence, check_number
from assay.errors import DegenerateDataWarning, InputError, NotFittedError

__all__ = [
    "MEMBERS",
    "Member",
    "StackedEnsemble",
    "hold_out_largest",
    "last_scores",
    "stack_weights",
]

Member = Literal["power_law", "sigmoid", "linear", "last"]
#: the methods an ensemble may combine: the three curve forms and the largest model's score
MEMBERS: tuple[Member, ...] = ("power_law", "sigmoid", "linear", "last")
#: members fitted as curves (``"last"`` is the largest observed model's score)
_CURVES: tuple[Member, ...] = ("power_law", "sigmoid", "linear")


def hold_out_largest(valid: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, int]]:
    """Split a checked ladder frame (with ``x``) into training rows and held-out models.

    Returns the rows of the families that keep at least :data:`MIN_SIZES` sizes once their
    largest model is held out, those held-out models (one row each: ``model_id``,
    ``family``), and the number of sizes left in each family that keeps too few.
    """
    per_model = valid.drop_duplicates("model_id")
    largest = per_model.groupby("family")["x"].transform("max")
    held = per_model.loc[per_model["x"] == largest, ["model_id", "family"]]
    held = held.drop_duplicates("family", keep="last")
    train = valid[~valid["model_id"].isin(held["model_id"])]
    sizes_left = train.groupby("family")["x"].apply(lambda s: s.round(9).nunique())
    too_small = {str(f): int(n) for f, n in sizes_left.items() if n < MIN_SIZES}
    for f in set(held["family"]) - set(sizes_left.index):
        too_small[str(f)] = 0
    keep = sorted(set(held["family"]) - set(too_small))
    return (
        train[train["family"].isin(keep)],
        held[held["family"].isin(keep)].reset_index(drop=True),
        too_small,
    )


def last_scores(train: pd.DataFrame, targets: pd.DataFrame) -> pd.DataFrame:
    """The baseline "largest observed model": each target's prediction on every task is
    the score of its family's largest training model (``model_id, family, task,
    prediction``)."""
    top = train.loc[train.groupby("family")["x"].transform("max") == train["x"]]
    scores = top.groupby(["family", "task"], as_index=False)["score"].mean()
    out = targets[["model_id", "family"]].merge(scores, on="family")
    return out.rename(columns={"score": "prediction"})


def stack_weights(predictions: np.ndarray, observed: np.ndarray) -> np.ndarray:
    """Non-negative weights summing to one that minimise ``|predictions @ w - observed|^2``.

    ``predictions`` is ``(n, m)``: n held-out scores, m members. The sum constraint is
    imposed as a heavily weighted extra row of a bounded least-squares problem (assay's
    choice; the weights are renormalised to sum to one exactly).

    References
    ----------
    Breiman, L. (1996). Stacked regressions. *Machine Learning* 24(1), 49-64.
    """
    a = np.asarray(predictions, dtype=float)
    y = np.asarray(observed, dtype=float)
    m = a.shape[1]
    penalty = 1e3 * max(1.0, float(np.sqrt((a * a).sum())))
    design = np.vstack([a, np.full((1, m), penalty)])
    target = np.append(y, penalty)
    w = np.clip(lsq_linear(design, target, bounds=(0.0, 1.0)).x, 0.0, None)
    total = w.sum()
    return w / total if total > 0 else np.full(m, 1.0 / m)


class StackedEnsemble:
    """Scaling curves combined with weights learnt one size down.

    Parameters
    ----------
    members
        Methods to combine, among :data:`MEMBERS`.
    chance
        Chance floors of the sigmoid: one value or ``{task: value}``.
    axis
        ``"compute"`` (FLOPs, else 6ND) or ``"parameters"``.
    resamples
        Bootstrap replicates over models of each curve member (0: no interval).
    confidence
        Two-sided interval level.
    seed
        Seed or generator of the bootstraps.

    Attributes
    ----------
    weights_ : pandas.Series
        The weight of each member (non-negative, summing to one).
    validation_ : pandas.DataFrame
        The one-size-down backtest the weights were learnt from: one row per held-out
        (model, task) with each member's prediction, the ensemble's and the observed score.
    errors_ : numpy.ndarray
        The ensemble's errors (prediction minus observed) in that backtest.
    laws_ : dict
        The curve members, fitted on every model given to :meth:`fit`.

    Notes
    -----
    The weights are learnt only from families that keep :data:`MIN_SIZES` sizes once
    their largest model is held out (a family needs ``MIN_SIZES + 1`` sizes to take part);
    when none can, the members get equal weights with a
    :class:`~assay.errors.DegenerateDataWarning`. Intervals: each bootstrap replicate of
    the members is combined with the weights, and one held-out error of the weight-learning
    backtest, drawn at random, is subtracted (assay's choice: a bootstrap over models for
    the curves' uncertainty plus an out-of-sample error for what extrapolating adds; the
    errors are pooled over tasks). Without held-out errors the curve members' in-sample
    residuals stand in.

    References
    ----------
    Breiman, L. (1996). Stacked regressions. *Machine Learning* 24(1), 49-64.
    Wolpert, D. H. (1992). Stacked generalization. *Neural Networks* 5(2), 241-259.
    Efron, B. & Tibshirani, R. (1993). *An Introduction to the Bootstrap*, ch. 17
    (prediction error estimated on held-out cases).
    """

    def __init__(
        self,
        members: Sequence[Member] = MEMBERS,
        *,
        chance: float | Mapping[str, float] = 0.0,
        axis: Axis = "compute",
        resamples: int = 1000,
        confidence: float = 0.95,
        seed: int | np.random.Generator = 0,
    ) -> None:
        self.members = members
        self.chance = chance
        self.axis = axis
        self.resamples = resamples
        self.confidence = confidence
        self.seed = seed

    def _validate(self) -> list[Member]:
        members = [] if isinstance(self.members, str) else list(dict.fromkeys(self.members))
        bad = [m for m in members if m not in MEMBERS]
        if bad or not members:
            raise InputError(
                f"the 'members' parameter of StackedEnsemble must be a list of values of "
                f"{list(MEMBERS)}; got {self.members!r}"
            )
        check_confidence(self.confidence, "StackedEnsemble")
        check_number(
            self.resamples, "resamples", "StackedEnsemble", low=0, strict=False, integer=True
        )
        check_chance(self.chance, "StackedEnsemble")
        resolve_rng(self.seed, "StackedEnsemble")  # refuses a seed numpy cannot use, up front
        return members

    def fit(self, frame: pd.DataFrame) -> StackedEnsemble:
        """Learn the weights one size down, then fit every member on all of ``frame``."""
        members = self._validate()
        check_frame(frame, "StackedEnsemble.fit")
        valid, skipped = check_ladders(
            frame, axis=self.axis, on_invalid="skip", caller="StackedEnsemble.fit"
        )
        if valid.empty:
            raise InputError("no family is left to fit: " + "; ".join(s.reason for s in skipped))
        self.doubts_ = doubtful_ladders(valid)
        warn_doubtful(self.doubts_)
        rng = resolve_rng(self.seed)
        inner_train, inner_held, _ = hold_out_largest(valid)
        validation = pd.DataFrame()
        if len(inner_held):
            truth = valid[valid["model_id"].isin(inner_held["model_id"])]
            validation = truth[["model_id", "family", "task", "score"]].rename(
                columns={"score": "observed"}
            )
            targets = _targets(truth)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DegenerateDataWarning)
                for m in members:
                    p = self._member_points(m, inner_train, targets)
                    validation = validation.merge(
                        p.rename(columns={"prediction": m}), on=["model_id", "task"], how="inner"
                    )
        if len(validation):
            w = stack_weights(validation[members].to_numpy(), validation["observed"].to_numpy())
            validation["ensemble"] = validation[members].to_numpy() @ w
            errors = (validation["ensemble"] - validation["observed"]).to_numpy()
        else:
            warnings.warn(
                f"no family has {MIN_SIZES + 1} sizes to learn the ensemble's weights from; "
                "its members are weighted equally",
                DegenerateDataWarning,
                stacklevel=2,
            )
            w = np.full(len(members), 1.0 / len(members))
            errors = np.array([])
        self.weights_ = pd.Series(w, index=members, name="weight")
        self.validation_ = validation.reset_index(drop=True)
        self.errors_ = errors
        self.skipped_ = skipped
        self.laws_: dict[str, ScalingLaw] = {}
        with warnings.catch_warnings():
            # the members' doubts about the ladders were warned above, once
            warnings.simplefilter("ignore", DegenerateDataWarning)
            for m in members:
                if m != "last":
                    self.laws_[m] = ScalingLaw(
                        m,
                        chance=self.chance,
                        axis=self.axis,
                        resamples=self.resamples,
                        confidence=self.confidence,
                        on_invalid="skip",
                        seed=rng,
                    ).fit(valid)
        self.data_ = valid
        self.noise_rng_ = rng
        return self

    def _member_points(
        self, member: Member, train: pd.DataFrame, targets: pd.DataFrame
    ) -> pd.DataFrame:
        if member == "last":
            return last_scores(train, targets)[["model_id", "task", "prediction"]]
        law = ScalingLaw(member, chance=self.chance, axis=self.axis, resamples=0).fit(train)
        return law.predict(targets).to_pandas()[["model_id", "task", "prediction"]]

    def predict(self, targets: pd.DataFrame) -> ScalingPrediction:
        """Predict every task of each target's family (``family`` and size columns, as for
        :meth:`ScalingLaw.predict`)."""
        if not hasattr(self, "weights_"):
            raise NotFittedError("this StackedEnsemble is not fitted yet; call fit first")
        check_frame(targets, "StackedEnsemble.predict", name="targets")
        t = place_targets(targets, self.axis, "StackedEnsemble.predict")
        alpha = (1 - self.confidence) / 2
        fam_rows = self.data_.groupby("family")
        rows: list[PredictedScore] = []
        far: list[str] = []
        for _, tr in t.iterrows():
            fam = str(tr["family"])
            if fam not in fam_rows.groups:
                raise InputError(
                    f"no curve was fitted for family {fam!r}; families: {sorted(str(g) for g in fam_rows.groups)}"
                )
            own = fam_rows.get_group(fam)
            mid = str(tr.get("model_id", f"log10 C = {tr['x']:.2f}"))
            x = float(tr["x"])
            top = own.loc[own["x"] == own["x"].max()].groupby("task")["score"].mean()
            for task in sorted(own["task"].unique()):
                point, draws, resid = self._combine(str(task), fam, x, top)
                lo = hi = float("nan")
                if draws is not None:
                    noise = self.errors_ if len(self.errors_) else -resid
                    sim = draws - self.noise_rng_.choice(noise, size=len(draws))
                    lo, hi = (float(v) for v in np.quantile(sim, [alpha, 1 - alpha]))
                factor = float(10 ** (x - own["x"].max()))
                note = prediction_note(factor, fam in self.doubts_)
                if factor > EXTRAPOLATION_LIMIT:
                    far.append(f"{mid} on {task} ({factor:.0f}x)")
                rows.append(
                    PredictedScore(
                        task=str(task),
                        family=fam,
                        model_id=mid,
                        log10_compute=x,
                        prediction=point,
                        ci_low=lo,
                        ci_high=hi,
                        extrapolation=factor,
                        method="ensemble",
                        note=note,
                    )
                )
        warn_far_extrapolation(far)
        return ScalingPrediction(tuple(rows), self.signature())

    def _combine(
        self, task: str, family: str, x: float, top: pd.Series
    ) -> tuple[float, np.ndarray | None, np.ndarray]:
        """The weighted point, weighted bootstrap draws and pooled in-sample residuals of
        (task, family) at ``x``; members without a prediction there drop out (the others'
        weights are renormalised)."""
        points: list[float] = []
        draws: list[np.ndarray | None] = []
        weights: list[float] = []
        resid: list[np.ndarray] = []
        for m, w in self.weights_.items():
            if m == "last":
                if task not in top.index:
                    continue
                points.append(float(top[task]))
                draws.append(None)
            else:
                law = self.laws_[str(m)]
                i = law.index_.get((task, family))
                if i is None:
                    continue
                fit, d = law.curve_values(task, family, np.array([x]))
                points.append(float(fit[0]))
                draws.append(None if d is None else d[:, 0])
                r = law.residuals_[i]
                resid.append(r[~np.isnan(r)])
            weights.append(float(w))
        if not points:
            raise InputError(f"no member of the ensemble predicts task {task!r} for {family!r}")
        wa = np.array(weights)
        wa = wa / wa.sum() if wa.sum() > 0 else np.full(len(wa), 1.0 / len(wa))
        point = float(wa @ np.array(points))
        if self.resamples == 0:
            return point, None, np.array([0.0])
        combined = np.zeros(self.resamples)
        for wi, p, d in zip(wa, points, draws, strict=True):
            combined += wi * (d if d is not None else p)
        pooled = np.concatenate(resid) if resid else np.array([0.0])
        return point, combined, pooled

    def signature(self) -> dict[str, Any]:
        """Method, members and weights, version and bootstrap settings."""
        weights = getattr(self, "weights_", None)
        return {
            "method": "stacked ensemble of scaling curves, weights from a one-size-down backtest",
            "params": {
                "members": list(self.members),
                "weights": None
                if weights is None
                else {str(k): float(v) for k, v in weights.items()},
                "chance": dict(self.chance) if isinstance(self.chance, Mapping) else self.chance,
                "axis": self.axis,
            },
            "assay_version": __version__,
            "n": len(self.data_) if hasattr(self, "data_") else 0,
            "resamples": self.resamples,
            "confidence": self.confidence,
            "seed": self.seed if isinstance(self.seed, int) else "generator",
        }


def _targets(rows: pd.DataFrame) -> pd.DataFrame:
    cols = ["model_id", "family", "parameters", "training_tokens", "training_flops"]
    return rows.drop_duplicates("model_id")[[c for c in cols if c in rows.columns]]
