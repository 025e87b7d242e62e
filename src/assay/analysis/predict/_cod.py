"""COD: cluster items by difficulty trajectory, extrapolate the predictable clusters.

Items whose pass rates move alike across a ladder of small models are grouped (a mean
shift with a bound on the cluster spread and a minimum size); a curve is fitted to each
cluster's mean pass rate against compute; clusters whose curves rise at a usable rate are
kept; their size-weighted prediction at the target compute is the predictable subset's
score, mapped to the full benchmark by a monotone function calibrated on models whose
subset and full scores are both known.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy.optimize import least_squares

from assay._display import TableView
from assay._version import __version__
from assay.analysis.stats._inputs import check_number, float_array
from assay.errors import DegenerateDataWarning, InputError, NotFittedError

__all__ = ["COD", "CODPrediction", "cod_curve", "mean_shift"]

Mapping = Literal["pchip", "poly", "isotonic"]


def cod_curve(c: np.ndarray, a: float, b: float, cc: float, g: float) -> np.ndarray:
    """``g + (1 - g) * exp(-a * c**(-b) - cc)`` (compute ``c`` in ladder units, > 0)."""
    try:
        arr = np.asarray(c, dtype=float)
    except (TypeError, ValueError):
        raise InputError(f"the 'c' parameter of cod_curve must be numbers; got {c!r}") from None
    if not (arr > 0).all():
        raise InputError(f"the 'c' parameter of cod_curve must be compute values > 0; got {c!r}")
    c = arr
    return g + (1 - g) * np.exp(-a * np.power(c, -b) - cc)  # type: ignore[no-any-return]


def _bandwidth(x: np.ndarray, quantile: float = 0.2) -> float:
    """Mean distance of each point to its ``quantile * n``-th nearest neighbour."""
    d = np.sqrt(((x[:, None, :] - x[None, :, :]) ** 2).sum(-1))
    k = max(1, int(quantile * len(x)))
    return float(np.sort(d, axis=1)[:, min(k, len(x) - 1)].mean())


def mean_shift(x: np.ndarray, bandwidth: float, iterations: int = 100) -> np.ndarray:
    """Flat-kernel mean shift: each point's label (modes closer than ``bandwidth`` merged).

    References
    ----------
    Comaniciu, D. & Meer, P. (2002). Mean shift: a robust approach toward feature space
    analysis. *IEEE TPAMI* 24(5).
    """
    x = float_array(x, "x", "mean_shift", ndim=2, finite=True)
    if len(x) == 0:
        raise InputError("the 'x' parameter of mean_shift must hold at least one point; got none")
    check_number(bandwidth, "bandwidth", "mean_shift", low=0, strict=False)
    check_number(iterations, "iterations", "mean_shift", low=1, strict=False, integer=True)
    seeds = x.copy()
    for _ in range(iterations):
        d2 = ((seeds[:, None, :] - x[None, :, :]) ** 2).sum(-1)
        inside = d2 <= bandwidth**2
        counts = inside.sum(1, keepdims=True)
        new = np.where(counts > 0, (inside @ x) / np.maximum(counts, 1), seeds)
        moved = np.abs(new - seeds).max()
        seeds = new
        if moved < 1e-6 * bandwidth:
            break
    # merge modes: densest first, drop modes within the bandwidth of a kept one
    density = (((seeds[:, None, :] - x[None, :, :]) ** 2).sum(-1) <= bandwidth**2).sum(1)
    centers: list[np.ndarray] = []
    for i in np.argsort(-density, kind="stable"):
        if all(np.sum((seeds[i] - c) ** 2) > bandwidth**2 for c in centers):
            centers.append(seeds[i])
    cent = np.array(centers)
    return np.argmin(((x[:, None, :] - cent[None, :, :]) ** 2).sum(-1), axis=1)  # type: ignore[no-any-return]


@dataclass(frozen=True)
class CODPrediction(TableView):
    """The full-benchmark prediction at a target compute, and what it came from."""

    prediction: float
    subset_prediction: float
    subset_fraction: float
    compute: float
    clusters: pd.DataFrame
    signature: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "prediction": self.prediction,
            "subset_prediction": self.subset_prediction,
            "subset_fraction": self.subset_fraction,
            "compute": self.compute,
            "clusters": self.clusters.to_dict(orient="records"),
            "signature": self.signature,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, default=float)

    def to_rows(self) -> tuple[list[str], list[list[object]]]:
        cols = ["cluster", "items", "kept", "reason", "a", "b", "c", "g", "at target"]
        rows: list[list[object]] = [
            [
                r.cluster,
                r.size,
                "yes" if r.kept else "no",
                r.reason,
                r.a,
                r.b,
                r.c,
                r.g,
                r.prediction,
            ]
            for r in self.clusters.itertuples()
        ]
        return cols, rows

    @property
    def title(self) -> str:
        return (
            f"COD: predicted full score {self.prediction:.4f} (subset {self.subset_prediction:.4f}"
            f", {self.subset_fraction:.0%} of items) at compute {self.compute:.3g}"
        )


class COD:
    """Clustering-On-Difficulty downstream prediction.

    Parameters
    ----------
    bandwidth
        Mean-shift bandwidth on pass-rate trajectories (``None``: the mean distance to
        the 20%-quantile nearest neighbour, as ``sklearn.cluster.estimate_bandwidth``).
    max_spread
        Largest root-mean-square deviation of a cluster's members from its centre, per
        ladder model; wider clusters are split by a mean shift at half the bandwidth.
        The paper bounds a cluster's radius without publishing the value; 0.08 is assay's
        choice (just above the binomial noise of a pass rate from 100 samples). [RECON]
    min_cluster_size
        Smaller clusters are outliers and excluded (paper: about 10).
    a_min, b_min, c_max
        A cluster is kept when its fit has ``a > a_min``, ``b > b_min`` and
        ``0 <= c < c_max`` (paper: 1, 0.1, 1), with compute in units of the smallest
        ladder model's compute (assay's choice of unit; the thresholds depend on it).
    min_rise
        A kept cluster's fitted curve must also rise by at least this much across the
        ladder (assay's choice: with a free floor ``g`` a flat cluster can pass the three
        thresholds with ``y = g``; the paper keeps only clusters that increase).
    mapping
        Subset-to-full map through the calibration points and (0, 0), (1, 1):
        ``"pchip"`` (assay's default: the isotonic fit of the points joined by a monotone
        cubic interpolant, standing in for the later paper version's smoothing spline
        refined until its RMSE is under 0.005), ``"poly"`` (the first version's quartic,
        replaced by the isotonic map when not monotone) or ``"isotonic"`` (piecewise
        linear).

    Attributes
    ----------
    labels_ : numpy.ndarray
        Cluster of each item (-1: outlier).
    clusters_ : pandas.DataFrame
        Per cluster: size, fitted ``a, b, c, g``, kept or not and why.

    References
    ----------
    Xu, C. et al. (2025). Unveiling downstream performance scaling of LLMs: a
    clustering-based perspective. arXiv:2502.17262.
    """

    def __init__(
        self,
        *,
        bandwidth: float | None = None,
        max_spread: float = 0.08,
        min_cluster_size: int = 10,
        a_min: float = 1.0,
        b_min: float = 0.1,
        c_max: float = 1.0,
        min_rise: float = 0.05,
        mapping: Mapping = "pchip",
    ) -> None:
        self.bandwidth = bandwidth
        self.max_spread = max_spread
        self.min_cluster_size = min_cluster_size
        self.a_min = a_min
        self.b_min = b_min
        self.c_max = c_max
        self.min_rise = min_rise
        self.mapping = mapping

    def fit(
        self,
        pass_rates: np.ndarray,
        compute: np.ndarray,
        *,
        anchors: np.ndarray | None = None,
    ) -> COD:
        """Cluster items, fit and filter clusters, calibrate the subset-to-full map.

        Parameters
        ----------
        pass_rates
            ``(items, models)`` pass rates in [0, 1] of the ladder models.
        compute
            ``(models,)`` training compute of the ladder models (strictly increasing once
            sorted; at least three models).
        anchors
            ``(items, k)`` pass rates of further reference models (larger ones are best)
            used only to calibrate the subset-to-full map.
        """
        if self.mapping not in ("pchip", "poly", "isotonic"):
            raise InputError(
                "the 'mapping' parameter of COD must be 'pchip', 'poly' or 'isotonic'; "
                f"got {self.mapping!r}"
            )
        if self.bandwidth is not None:
            check_number(self.bandwidth, "bandwidth", "COD", low=0)
        check_number(self.max_spread, "max_spread", "COD", low=0)
        check_number(
            self.min_cluster_size, "min_cluster_size", "COD", low=1, strict=False, integer=True
        )
        for name in ("a_min", "b_min", "c_max", "min_rise"):
            check_number(getattr(self, name), name, "COD", low=-math.inf)
        p = float_array(pass_rates, "pass_rates", "COD.fit", ndim=2)
        c = float_array(compute, "compute", "COD.fit", ndim=1)
        if len(p) == 0:
            raise InputError("the 'pass_rates' parameter of COD.fit holds no item (no rows)")
        if not np.isfinite(c).all():
            raise InputError(
                f"the 'compute' parameter of COD.fit must hold finite numbers; got {c.tolist()}"
            )
        if p.shape[1] != len(c):
            raise InputError(
                f"the 'pass_rates' parameter of COD.fit must be (items, models) with one column "
                f"per compute value; got "
                f"shape {p.shape} for {len(c)} compute values"
            )
        if len(c) < 3:
            raise InputError(f"COD.fit needs a ladder of at least 3 models; got {len(c)}")
        if np.isnan(p).any() or (p < 0).any() or (p > 1).any():
            raise InputError(
                "the 'pass_rates' parameter of COD.fit must hold pass rates in [0, 1] without "
                "missing values"
            )
        order = np.argsort(c)
        c, p = c[order], p[:, order]
        if not (np.diff(c) > 0).all() or (c <= 0).any():
            raise InputError(
                f"the 'compute' parameter of COD.fit must be positive and distinct across the "
                f"ladder; got {c.tolist()}"
            )
        self.unit_ = float(c[0])
        cu = c / self.unit_
        h = self.bandwidth if self.bandwidth is not None else _bandwidth(p)
        labels = self._cluster(p, h, self.max_spread)
        rows = []
        for k in sorted(set(labels) - {-1}):
            members = labels == k
            rows.append(self._fit_cluster(int(k), p[members].mean(0), cu, int(members.sum())))
        n_out = int((labels == -1).sum())
        if n_out:
            rows.append(
                {
                    "cluster": -1,
                    "size": n_out,
                    "kept": False,
                    "reason": f"outliers (clusters under {self.min_cluster_size} items)",
                    "a": np.nan,
                    "b": np.nan,
                    "c": np.nan,
                    "g": np.nan,
                }
            )
        self.labels_ = labels
        self.clusters_ = pd.DataFrame(rows)
        self.compute_ = c
        self.pass_rates_ = p
        kept = self.clusters_.loc[self.clusters_["kept"], "cluster"].to_numpy()
        self.subset_ = np.isin(labels, kept)
        if not self.subset_.any():
            raise InputError(
                "no cluster is predictable (every cluster is flat, non-monotone or an outlier); "
                "see clusters_ for the reasons"
            )
        sub = p[self.subset_].mean(0)
        full = p.mean(0)
        if anchors is not None:
            a = float_array(anchors, "anchors", "COD.fit", ndim=2, finite=True)
            if a.shape[0] != p.shape[0]:
                raise InputError(
                    f"the 'anchors' parameter of COD.fit must be (items, k) with {p.shape[0]} "
                    f"items; got shape {a.shape}"
                )
            if (a < 0).any() or (a > 1).any():
                raise InputError(
                    "the 'anchors' parameter of COD.fit must hold pass rates in [0, 1]"
                )
            sub = np.concatenate([sub, a[self.subset_].mean(0)])
            full = np.concatenate([full, a.mean(0)])
        self.calibration_ = (sub, full)
        self.map_, self.map_kind_ = _monotone_map(sub, full, self.mapping)
        return self

    def _cluster(self, p: np.ndarray, h: float, max_spread: float) -> np.ndarray:
        labels = np.full(len(p), -1)
        next_label = 0
        stack = [(np.arange(len(p)), h)]
        while stack:
            idx, bw = stack.pop()
            sub = mean_shift(p[idx], bw)
            for k in np.unique(sub):
                members = idx[sub == k]
                if len(members) < self.min_cluster_size:
                    continue
                centre = p[members].mean(0)
                spread = float(np.sqrt(((p[members] - centre) ** 2).mean()))
                if spread > max_spread and bw > 1e-3 and len(members) >= 2 * self.min_cluster_size:
                    stack.append((members, bw / 2))
                    continue
                labels[members] = next_label
                next_label += 1
        return labels

    def _fit_cluster(self, k: int, y: np.ndarray, cu: np.ndarray, size: int) -> dict[str, Any]:
        lo = np.array([0.0, 0.0, 0.0, 0.0])
        hi = np.array([1e3, 5.0, 20.0, 0.99])
        best = None
        for a0 in (0.5, 3.0, 20.0):
            for b0 in (0.2, 0.8):
                for g0 in (0.0, float(min(y.min(), 0.9))):
                    sol = least_squares(
                        lambda t: cod_curve(cu, *t) - y,
                        np.clip([a0, b0, 0.1, g0], lo + 1e-9, hi - 1e-9),
                        bounds=(lo, hi),
                    )
                    if best is None or sol.cost < best.cost:
                        best = sol
        assert best is not None
        a, b, c, g = (float(v) for v in best.x)
        reasons = []
        if not a > self.a_min:
            reasons.append(f"a={a:.3g} <= {self.a_min} (flat)")
        if not b > self.b_min:
            reasons.append(f"b={b:.3g} <= {self.b_min} (no usable rate)")
        if not 0 <= c < self.c_max:
            reasons.append(f"c={c:.3g} >= {self.c_max} (ceiling near the floor)")
        rise = float(cod_curve(cu[-1:], a, b, c, g)[0] - cod_curve(cu[:1], a, b, c, g)[0])
        if not rise >= self.min_rise:
            reasons.append(f"rises {rise:.3g} < {self.min_rise} across the ladder (flat)")
        rmse = float(np.sqrt(np.mean(best.fun**2)))
        if rmse > 0.05:
            reasons.append(f"rmse={rmse:.3g} > 0.05 (not a monotone curve)")
        return {
            "cluster": k,
            "size": size,
            "kept": not reasons,
            "reason": "; ".join(reasons),
            "a": a,
            "b": b,
            "c": c,
            "g": g,
        }

    def predict(self, compute: float) -> CODPrediction:
        """The predicted full-benchmark score at ``compute`` (same unit as in ``fit``)."""
        if not hasattr(self, "labels_"):
            raise NotFittedError("this COD is not fitted yet; call fit first")
        check_number(compute, "compute", "COD.predict", low=0)
        cu = float(compute) / self.unit_
        clusters = self.clusters_.copy()
        fitted = clusters[["cluster", "a", "b", "c", "g"]].to_numpy(dtype=float)
        preds = [
            float(cod_curve(np.array([cu]), a, b, c, g)[0]) if k >= 0 else np.nan
            for k, a, b, c, g in fitted
        ]
        clusters["prediction"] = preds
        kept = clusters[clusters["kept"]]
        subset = float((kept["prediction"] * kept["size"]).sum() / kept["size"].sum())
        full = float(self.map_(np.array([subset]))[0])
        if subset > self.calibration_[0].max() + 1e-9:
            import warnings

            warnings.warn(
                f"the predicted subset score {subset:.3f} is beyond the largest calibration "
                f"point {self.calibration_[0].max():.3f}: the subset-to-full map extrapolates "
                "(add larger anchor models)",
                DegenerateDataWarning,
                stacklevel=2,
            )
        return CODPrediction(
            prediction=full,
            subset_prediction=subset,
            subset_fraction=float(self.subset_.mean()),
            compute=float(compute),
            clusters=clusters,
            signature={
                "method": "COD (mean shift with max radius, per-cluster fit, filter, map)",
                "params": {
                    "bandwidth": self.bandwidth,
                    "max_spread": self.max_spread,
                    "min_cluster_size": self.min_cluster_size,
                    "a_min": self.a_min,
                    "b_min": self.b_min,
                    "c_max": self.c_max,
                    "min_rise": self.min_rise,
                    "mapping": self.map_kind_,
                    "compute_unit": self.unit_,
                },
                "assay_version": __version__,
                "n": int(self.pass_rates_.shape[0]),
                "resamples": 0,
                "seed": None,
            },
        )


def _monotone_map(sub: np.ndarray, full: np.ndarray, kind: Mapping) -> tuple[Any, str]:
    """f with f(0)=0, f(1)=1 through (sub, full): a quartic when monotone, else isotonic."""
    x = np.concatenate([[0.0], sub, [1.0]])
    y = np.concatenate([[0.0], full, [1.0]])
    if kind == "poly":
        # f(x) = x + x(1-x)(c0 + c1 x + c2 x^2): boundary conditions hold for any c
        basis = np.column_stack([sub * (1 - sub) * sub**j for j in range(min(3, len(sub)))])
        coef, *_ = np.linalg.lstsq(basis, full - sub, rcond=None)

        def poly(v: np.ndarray) -> np.ndarray:
            return v + sum(c * v * (1 - v) * v**j for j, c in enumerate(coef))  # type: ignore[no-any-return]

        grid = np.linspace(0, 1, 201)
        if (np.diff(poly(grid)) >= -1e-9).all():
            return poly, "poly"
    order = np.argsort(x, kind="stable")
    xs, ys = x[order], _isotonic(y[order])
    ux, inv = np.unique(xs, return_inverse=True)
    uy = np.bincount(inv, weights=ys) / np.bincount(inv)
    if kind == "pchip" and len(ux) >= 3:
        from scipy.interpolate import PchipInterpolator

        spline = PchipInterpolator(ux, uy, extrapolate=True)
        return (lambda v: np.clip(spline(v), 0.0, 1.0)), "pchip"
    return (lambda v: np.interp(v, ux, uy)), "isotonic"


def _isotonic(y: np.ndarray) -> np.ndarray:
    """Pool-adjacent-violators fit of a non-decreasing sequence."""
    blocks: list[list[float]] = []
    for v in y:
        blocks.append([float(v), 1.0])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            v2, w2 = blocks.pop()
            v1, w1 = blocks.pop()
            blocks.append([(v1 * w1 + v2 * w2) / (w1 + w2), w1 + w2])
    return np.concatenate([[v] * int(w) for v, w in blocks])
