"""Observational scaling: a capability space fitted from many models' benchmark scores.

Ruan, Maddison & Hashimoto (2024) observe that a few principal components of a models x
benchmarks score matrix ("capabilities") are linear in log-compute within a model family,
each family with its own compute efficiency, and that every benchmark is a sigmoid of a
linear combination of the capabilities. :class:`ObservationalScaling` fits the three
pieces on every model it is given (families of any size help the capability space and the
benchmark maps), then predicts a target model of a family from its compute: capabilities
from the family's line, benchmarks from the capabilities.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy.optimize import least_squares
from scipy.special import expit

from assay._version import __version__
from assay.analysis.predict._inputs import check_chance, check_frame, name_list, numeric_column
from assay.analysis.predict._ladder import (
    MIN_SIZES,
    Axis,
    check_ladders,
    doubtful_ladders,
    resolve_compute,
    warn_doubtful,
)
from assay.analysis.predict._scaling import (
    EXTRAPOLATION_LIMIT,
    PredictedScore,
    ScalingPrediction,
    prediction_note,
)
from assay.analysis.stats._bootstrap import resolve_rng
from assay.analysis.stats._inputs import check_confidence, check_number
from assay.errors import DegenerateDataWarning, InputError, NotFittedError

__all__ = ["ObservationalScaling"]

Slopes = Literal["shared", "family"]


class ObservationalScaling:
    """Predict benchmark scores from a low-dimensional capability space.

    Parameters
    ----------
    n_components
        Principal components of the standardised score matrix kept as capabilities.
    chance
        Floor of each benchmark's sigmoid: one value or ``{task: value}`` (0 otherwise).
    slopes
        ``"shared"``: capabilities grow with log-compute at one rate for every family,
        each family with its own offset (its compute efficiency; assay's default, which
        needs fewer points per family); ``"family"``: a slope per family as well.
    axis
        ``"compute"`` (FLOPs, else 6ND) or ``"parameters"``.
    resamples
        Bootstrap replicates over models for the intervals (0: none).
    confidence
        Two-sided interval level.
    seed
        Seed or generator of the bootstrap.

    Attributes
    ----------
    components_ : numpy.ndarray
        ``(n_components, n_tasks)`` loadings on the standardised scores.
    tasks_ : list of str
        The benchmarks, in column order.
    efficiency_ : pandas.DataFrame
        Per family: the slope and offset of the first capability on log-compute (a
        higher offset is more capability for the same compute) and the models used.
    capabilities_ : pandas.DataFrame
        The capabilities of every fitted model.

    References
    ----------
    Ruan, Y., Maddison, C. J. & Hashimoto, T. (2024). Observational scaling laws and the
    predictability of language model performance. arXiv:2405.10938.
    """

    def __init__(
        self,
        n_components: int = 3,
        *,
        chance: float | Mapping[str, float] = 0.0,
        slopes: Slopes = "shared",
        axis: Axis = "compute",
        resamples: int = 200,
        confidence: float = 0.95,
        seed: int | np.random.Generator = 0,
    ) -> None:
        self.n_components = n_components
        self.chance = chance
        self.slopes = slopes
        self.axis = axis
        self.resamples = resamples
        self.confidence = confidence
        self.seed = seed

    def _chance(self, task: str) -> float:
        if isinstance(self.chance, Mapping):
            return float(self.chance.get(task, 0.0))
        return float(self.chance)

    def fit(self, frame: pd.DataFrame) -> ObservationalScaling:
        """Fit the capability space, the family lines and the benchmark maps.

        ``frame`` is a tidy scaling frame; every model contributes to the capability space
        and the benchmark maps, and families with at least three sizes of known compute
        get a line (others are listed in ``skipped_`` with the reason).
        """
        if self.slopes not in ("shared", "family"):
            raise InputError(
                "the 'slopes' parameter of ObservationalScaling must be 'shared' or 'family'; "
                f"got {self.slopes!r}"
            )
        check_confidence(self.confidence, "ObservationalScaling")
        check_number(
            self.resamples, "resamples", "ObservationalScaling", low=0, strict=False, integer=True
        )
        check_number(
            self.n_components,
            "n_components",
            "ObservationalScaling",
            low=1,
            strict=False,
            integer=True,
        )
        check_chance(self.chance, "ObservationalScaling")
        resolve_rng(self.seed, "ObservationalScaling")  # refuses a seed numpy cannot use, up front
        if self.axis not in ("compute", "parameters"):
            raise InputError(
                "the 'axis' parameter of ObservationalScaling must be 'compute' or 'parameters'; "
                f"got {self.axis!r}"
            )
        check_frame(frame, "ObservationalScaling.fit", columns=("model_id", "task", "score"))
        frame = frame.assign(score=numeric_column(frame, "score", "ObservationalScaling.fit"))
        wide = frame.pivot_table(index="model_id", columns="task", values="score", aggfunc="mean")
        if wide.shape[1] < 2:
            raise InputError(
                f"observational scaling needs scores on at least two tasks; got {list(wide.columns)}"
            )
        k = int(self.n_components)
        if not 1 <= k <= wide.shape[1]:
            raise InputError(
                f"the 'n_components' parameter of ObservationalScaling must be between 1 and "
                f"the number of tasks ({wide.shape[1]}); got {self.n_components!r}"
            )
        meta = frame.drop_duplicates("model_id").set_index("model_id")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            ladders, skipped = check_ladders(
                frame.assign(task="-"),
                axis=self.axis,
                on_invalid="skip",
                caller="ObservationalScaling.fit",
            )
        self.skipped_ = skipped
        if skipped:
            warnings.warn(
                "no capability line for: "
                + "; ".join(s.reason for s in skipped)
                + " (their models still inform the capability space)",
                DegenerateDataWarning,
                stacklevel=2,
            )
        del caught
        if ladders.empty:
            raise InputError("no family has three sizes of known compute to fit a line on")
        self.tasks_ = [str(c) for c in wide.columns]
        self.models_ = [str(m) for m in wide.index]
        self.family_of_ = {
            str(m): str(meta.loc[m, "family"]) if pd.notna(meta.loc[m].get("family")) else "-"
            for m in wide.index
        }
        self.x_of_ = dict(zip(ladders["model_id"], ladders["x"], strict=False))
        placed = frame[frame["model_id"].isin(self.x_of_)]
        family_of = dict(zip(ladders["model_id"], ladders["family"], strict=True))
        self.doubts_ = doubtful_ladders(
            placed.assign(
                family=placed["model_id"].map(family_of), x=placed["model_id"].map(self.x_of_)
            )
        )
        warn_doubtful(self.doubts_)
        self.floor_ = np.array([self._chance(t) for t in self.tasks_])
        self.y_ = wide.to_numpy(dtype=float)
        self.point_ = _fit_all(
            self.y_,
            self.floor_,
            np.arange(len(self.models_)),
            k,
            self.models_,
            self.family_of_,
            self.x_of_,
            self.slopes,
        )
        self.boot_: list[dict[str, Any]] = []
        rng = resolve_rng(self.seed)
        n = len(self.models_)
        for _ in range(self.resamples):
            idx = rng.integers(0, n, n)
            fit = _fit_all(
                self.y_,
                self.floor_,
                idx,
                k,
                self.models_,
                self.family_of_,
                self.x_of_,
                self.slopes,
            )
            self.boot_.append(fit)
        self.noise_rng_ = rng
        caps = self.point_["caps"]
        self.capabilities_ = pd.DataFrame(
            caps, index=self.models_, columns=[f"PC{i + 1}" for i in range(k)]
        )
        self.components_ = self.point_["components"]
        lines = self.point_["lines"]
        self.efficiency_ = pd.DataFrame(
            [
                {
                    "family": f,
                    "slope": float(v["slope"][0]),
                    "offset": float(v["offset"][0]),
                    "models": int(v["n"]),
                    "log10_compute_max": float(v["xmax"]),
                }
                for f, v in sorted(lines.items())
            ]
        )
        return self

    def predict(
        self, targets: pd.DataFrame, tasks: Sequence[str] | None = None
    ) -> ScalingPrediction:
        """Predict every task (or ``tasks``) for each target row (``model_id``, ``family``
        and size columns, as for :meth:`ScalingLaw.predict`)."""
        if not hasattr(self, "point_"):
            raise NotFittedError("this ObservationalScaling is not fitted yet; call fit first")
        check_frame(targets, "ObservationalScaling.predict", name="targets")
        t = targets.copy()
        t["x"] = resolve_compute(t, self.axis)
        want = (
            name_list(tasks, "tasks", "ObservationalScaling.predict")
            if tasks is not None
            else self.tasks_
        )
        unknown = [x for x in want if x not in self.tasks_]
        if unknown:
            raise InputError(f"tasks {unknown} were not fitted; fitted tasks are {self.tasks_}")
        alpha = (1 - self.confidence) / 2
        rows: list[PredictedScore] = []
        far: list[str] = []
        lines = self.point_["lines"]
        for _, tr in t.iterrows():
            fam = str(tr.get("family", "-"))
            if fam not in lines:
                raise InputError(
                    f"family {fam!r} has no capability line (it needs {MIN_SIZES} sizes of "
                    f"known compute); families with lines: {sorted(lines)}"
                )
            if pd.isna(tr["x"]):
                raise InputError(
                    f"cannot place target {tr.get('model_id')!r} on the {self.axis} axis"
                )
            x = float(tr["x"])
            point = _predict(self.point_, fam, x)
            draws = np.array([_predict(b, fam, x) for b in self.boot_ if fam in b["lines"]])
            factor = float(10 ** (x - lines[fam]["xmax"]))
            mid = str(tr.get("model_id", f"log10 C = {x:.2f}"))
            for task in want:
                j = self.tasks_.index(task)
                lo = hi = float("nan")
                if len(draws):
                    res = self.point_["resid"][j]
                    sim = draws[:, j] + self.noise_rng_.choice(res, size=len(draws))
                    lo, hi = (float(v) for v in np.quantile(sim, [alpha, 1 - alpha]))
                note = prediction_note(
                    factor, fam in self.doubts_, beyond="the family's largest compute"
                )
                if factor > EXTRAPOLATION_LIMIT:
                    far.append(f"{mid} ({factor:.0f}x)")
                rows.append(
                    PredictedScore(
                        task=task,
                        family=fam,
                        model_id=mid,
                        log10_compute=x,
                        prediction=float(point[j]),
                        ci_low=lo,
                        ci_high=hi,
                        extrapolation=factor,
                        method="observational",
                        note=note,
                    )
                )
        if far:
            warnings.warn(
                f"extrapolating more than {EXTRAPOLATION_LIMIT:.0f}x beyond a family's fitted "
                f"compute: {', '.join(sorted(set(far)))}; such predictions are unreliable",
                DegenerateDataWarning,
                stacklevel=2,
            )
        return ScalingPrediction(tuple(rows), self.signature())

    def signature(self) -> dict[str, Any]:
        return {
            "method": "observational scaling (PCA capabilities, family lines, sigmoid maps)",
            "params": {
                "n_components": self.n_components,
                "slopes": self.slopes,
                "axis": self.axis,
                "chance": dict(self.chance) if isinstance(self.chance, Mapping) else self.chance,
            },
            "assay_version": __version__,
            "n": len(getattr(self, "models_", [])),
            "resamples": self.resamples,
            "confidence": self.confidence,
            "seed": self.seed if isinstance(self.seed, int) else "generator",
        }


def _impute_pca(z: np.ndarray, k: int, iterations: int = 30) -> tuple[np.ndarray, np.ndarray]:
    """Low-rank imputation of the NaNs of a standardised matrix, then its top-k loadings."""
    miss = np.isnan(z)
    filled = np.where(miss, 0.0, z)
    for _ in range(iterations if miss.any() else 1):
        _, _, vt = np.linalg.svd(filled - filled.mean(axis=0), full_matrices=False)
        comp = vt[:k]
        centred = filled - filled.mean(axis=0)
        recon = centred @ comp.T @ comp + filled.mean(axis=0)
        filled = np.where(miss, recon, z)
    # sign convention: the first loading of each component is positive on average
    signs = np.sign(comp.sum(axis=1))
    signs[signs == 0] = 1
    return filled, comp * signs[:, None]


def _fit_all(
    y: np.ndarray,
    floor: np.ndarray,
    idx: np.ndarray,
    k: int,
    models: list[str],
    family_of: dict[str, str],
    x_of: dict[str, float],
    slopes: Slopes,
) -> dict[str, Any]:
    """Capability space, family lines and benchmark maps on the models ``idx`` (a
    bootstrap draw may repeat models)."""
    ys = y[idx]
    mu = np.nanmean(ys, axis=0)
    sd = np.nanstd(ys, axis=0)
    sd = np.where(sd > 1e-9, sd, 1.0)
    z = (ys - mu) / sd
    filled, comp = _impute_pca(z, k)
    center = filled.mean(axis=0)
    caps = (filled - center) @ comp.T

    # capability lines per family: shared or per-family slopes
    fam = np.array([family_of[models[i]] for i in idx])
    xs = np.array([x_of.get(models[i], np.nan) for i in idx])
    ok = ~np.isnan(xs)
    lines: dict[str, dict[str, Any]] = {}
    fams = [
        f for f in sorted(set(fam[ok])) if len(set(np.round(xs[ok & (fam == f)], 9))) >= MIN_SIZES
    ]
    if fams:
        if slopes == "shared":
            rows = ok & np.isin(fam, fams)
            design = np.column_stack([xs[rows]] + [(fam[rows] == f).astype(float) for f in fams])
            coef, *_ = np.linalg.lstsq(design, caps[rows], rcond=None)
            for j, f in enumerate(fams):
                sel = rows & (fam == f)
                lines[f] = {
                    "slope": coef[0],
                    "offset": coef[1 + j],
                    "n": int(sel.sum()),
                    "xmax": float(xs[sel].max()),
                }
        else:
            for f in fams:
                sel = ok & (fam == f)
                design = np.column_stack([xs[sel], np.ones(sel.sum())])
                coef, *_ = np.linalg.lstsq(design, caps[sel], rcond=None)
                lines[f] = {
                    "slope": coef[0],
                    "offset": coef[1],
                    "n": int(sel.sum()),
                    "xmax": float(xs[sel].max()),
                }

    # benchmark maps: y = floor + (1 - floor) * sigmoid(b . caps + a), on observed cells
    maps = []
    resid = []
    for j in range(y.shape[1]):
        obs = ~np.isnan(ys[:, j])
        fl = floor[j]
        c, target = caps[obs], ys[obs, j]

        def res(
            p: np.ndarray, c: np.ndarray = c, target: np.ndarray = target, fl: float = fl
        ) -> np.ndarray:
            out: np.ndarray = fl + (1 - fl) * expit(c @ p[:-1] + p[-1]) - target
            return out

        sol = least_squares(res, np.zeros(k + 1), method="lm" if obs.sum() > k + 1 else "trf")
        maps.append(sol.x)
        r = sol.fun * np.sqrt(obs.sum() / max(obs.sum() - k - 1, 1))
        resid.append(r)
    return {
        "mu": mu,
        "sd": sd,
        "components": comp,
        "center": center,
        "caps": caps,
        "lines": lines,
        "maps": maps,
        "floor": floor,
        "resid": resid,
    }


def _predict(fit: dict[str, Any], family: str, x: float) -> np.ndarray:
    """Every benchmark's prediction for a model of ``family`` at log-compute ``x``."""
    line = fit["lines"][family]
    caps = line["slope"] * x + line["offset"]
    out = np.empty(len(fit["maps"]))
    for j, p in enumerate(fit["maps"]):
        fl = fit["floor"][j]
        out[j] = fl + (1 - fl) * expit(caps @ p[:-1] + p[-1])
    return out
