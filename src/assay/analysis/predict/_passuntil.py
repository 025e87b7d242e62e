"""PassUntil: sample each item until it passes, to measure tiny pass rates.

A small model's pass rate on a hard task can be 1e-4: a fixed budget of samples shows 0
and hides the trend. Sampling each item until its ``r``-th pass gives an estimate whose
relative error, about ``sqrt((1 - p) / r)``, does not grow as ``p`` shrinks. The number of
draws ``K`` until the ``r``-th pass is negative binomial; ``r / K`` (the maximum-likelihood
estimate) is biased upwards for small ``p`` (by a factor near ``r / (r - 1)``, and far
more for ``r = 1``), so the default is the unbiased ``(r - 1) / (K - 1)`` with ``r = 2``.
Items that reach the draw cap first are right-censored and reported as such.

:func:`pass_until` runs the loop on a model through the harness (and stores every sample
like ``assay run`` does); :func:`estimate_pass_until` turns draw counts into rates;
:class:`PassUntilScaling` fits the task scaling law ``PU(N) = exp(-c N^-alpha)``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy.stats import gamma

from assay._display import TableView
from assay._version import __version__
from assay.analysis.predict._inputs import name_list
from assay.analysis.stats._inputs import check_confidence, check_number, float_array
from assay.errors import InputError, NotFittedError

__all__ = [
    "Estimator",
    "PassUntilItem",
    "PassUntilResult",
    "PassUntilScaling",
    "estimate_pass_until",
    "pass_until",
]

Estimator = Literal["unbiased", "mle"]


@dataclass(frozen=True, slots=True)
class PassUntilItem:
    """One item's sampling: draws made, passes seen, whether the cap stopped it."""

    item_id: str
    draws: int
    passes: int
    censored: bool
    estimate: float
    upper: float


@dataclass(frozen=True)
class PassUntilResult(TableView):
    """The task's pass rate from sampling until pass, with its interval.

    ``statistic`` is the mean over items of each item's estimate, and the interval is for
    that same quantity, the mean of the items' pass rates: the gamma interval of Fay and
    Feuer (1997) for a weighted sum of Poisson counts, with each item's estimate written
    as a count over an exposure (``(r - 1) / (K - 1)``, ``r / K``, or ``passes / K`` when
    censored). It always contains the statistic, stays valid when items' rates differ by
    orders of magnitude, and gives an upper bound above 0 when nothing passed. Treating
    the stopped draws as Poisson exposure is assay's choice: conservative (simulated
    coverage 97-99% at nominal 95%, rates 1e-4 to 0.3, r = 2 and 3).
    """

    statistic: float
    ci_low: float
    ci_high: float
    n: int
    draws: int
    passes: int
    censored: int
    items: tuple[PassUntilItem, ...]
    method: str
    signature: dict[str, Any] = field(default_factory=dict)

    def confidence_interval(self) -> tuple[float, float]:
        return (self.ci_low, self.ci_high)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["items"] = [asdict(i) for i in self.items]
        return d

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, default=float)

    def to_rows(self) -> tuple[list[str], list[list[object]]]:
        conf = self.signature.get("confidence", 0.95)
        cols = ["pass rate", f"{conf:.0%} interval", "items", "draws", "passes", "censored"]
        return cols, [
            [
                self.statistic,
                f"[{self.ci_low:.3g}, {self.ci_high:.3g}]",
                self.n,
                self.draws,
                self.passes,
                self.censored,
            ]
        ]

    @property
    def title(self) -> str:
        return f"PassUntil ({self.method})"


def _item_estimate(draws: int, passes: int, r: int, estimator: Estimator) -> tuple[float, bool]:
    censored = passes < r
    if censored:  # the cap was hit first: the observed fraction (0 when nothing passed)
        return passes / draws if draws else 0.0, True
    if estimator == "unbiased":
        return (r - 1) / (draws - 1), False
    return r / draws, False


def _mean_rate_interval(
    k: np.ndarray, s: np.ndarray, r: int, estimator: Estimator, confidence: float
) -> tuple[float, float]:
    """Fay-Feuer gamma interval for the mean of the items' rates ``x_i / e_i``."""
    censored = s < r
    if estimator == "unbiased":
        x = np.where(censored, s, r - 1).astype(float)
        e = np.where(censored, k, k - 1).astype(float)
    else:
        x, e = s.astype(float), k.astype(float)
    w = 1.0 / (len(k) * e)
    y, v, w_max = float(w @ x), float((w * w) @ x), float(w.max())
    a = 1 - confidence
    low = 0.0 if y == 0 else float(gamma.ppf(a / 2, y * y / v, scale=v / y))
    hi_shape, hi_scale = (y + w_max) ** 2 / (v + w_max**2), (v + w_max**2) / (y + w_max)
    high = float(gamma.ppf(1 - a / 2, hi_shape, scale=hi_scale))
    return low, min(high, 1.0)


def estimate_pass_until(
    draws: Sequence[int],
    passes: Sequence[int],
    *,
    r: int = 2,
    estimator: Estimator = "unbiased",
    confidence: float = 0.95,
    item_ids: Sequence[str] | None = None,
) -> PassUntilResult:
    """The pass rate from per-item draw counts of a sample-until-``r``-passes loop.

    Parameters
    ----------
    draws
        Draws made for each item (up to and including its ``r``-th pass, or the cap).
    passes
        Passes seen for each item (``r``, or fewer when the cap stopped it).
    r
        Passes each item was sampled until.
    estimator
        ``"unbiased"``: ``(r - 1) / (K - 1)`` (needs ``r >= 2``); ``"mle"``: ``r / K``,
        biased upwards for small rates (``E[1/K] = -p ln p / (1 - p)`` when ``r = 1``).
    confidence
        Level of the interval on the mean of the items' rates (see
        :class:`PassUntilResult`).

    References
    ----------
    Hu, S. et al. (2024). Unlock predictable scaling from emergent abilities. ICLR 2024,
    arXiv:2310.03262. Haldane, J. B. S. (1945). On a method of estimating frequencies.
    *Biometrika* 33(3) (the unbiased (r-1)/(K-1)).
    Fay, M. P. & Feuer, E. J. (1997). Confidence intervals for directly standardized
    rates: a method based on the gamma distribution. *Statistics in Medicine* 16(7).
    """
    if estimator not in ("unbiased", "mle"):
        raise InputError(
            f"the 'estimator' parameter of estimate_pass_until must be 'unbiased' or 'mle'; "
            f"got {estimator!r}"
        )
    check_number(r, "r", "estimate_pass_until", low=1, strict=False, integer=True)
    if estimator == "unbiased" and r < 2:
        raise InputError(
            "the 'r' parameter of estimate_pass_until must be >= 2 for the unbiased estimator "
            f"(>= 1 for 'mle'); got {r}"
        )
    check_confidence(confidence, "estimate_pass_until")
    counts = []
    for name, value in (("draws", draws), ("passes", passes)):
        arr = float_array(value, name, "estimate_pass_until", ndim=1, finite=True)
        if (arr != np.round(arr)).any():
            raise InputError(
                f"the {name!r} parameter of estimate_pass_until must hold integer counts; "
                f"got {arr[arr != np.round(arr)][:5].tolist()}"
            )
        counts.append(arr.astype(int))
    k, s = counts
    if len(k) == 0 or len(k) != len(s):
        raise InputError(
            "estimate_pass_until: 'draws' and 'passes' must be non-empty sequences of the same "
            f"length; got {len(k)} and {len(s)}"
        )
    if (k < 1).any() or (s < 0).any() or (s > k).any() or (s > r).any():
        i = int(np.argmax((k < 1) | (s < 0) | (s > k) | (s > r)))
        raise InputError(
            "estimate_pass_until: each item needs draws >= 1 and 0 <= passes <= min(draws, r); "
            f"item {i} has draws {k[i]} and passes {s[i]} (r = {r})"
        )
    ids = (
        name_list(item_ids, "item_ids", "estimate_pass_until")
        if item_ids is not None
        else [str(i) for i in range(len(k))]
    )
    if len(ids) != len(k):
        raise InputError(
            f"the 'item_ids' parameter of estimate_pass_until must name each of the {len(k)} "
            f"items; got {len(ids)} names"
        )
    items = []
    for item_id, kk, ss in zip(ids, k, s, strict=True):
        est, cens = _item_estimate(int(kk), int(ss), r, estimator)
        upper = 3.0 / float(kk) if cens and ss == 0 else math.nan
        items.append(PassUntilItem(str(item_id), int(kk), int(ss), cens, est, upper))
    total_k, total_s = int(k.sum()), int(s.sum())
    low, high = _mean_rate_interval(k, s, r, estimator, confidence)
    method = f"sample until {r} pass{'es' if r > 1 else ''}, {estimator} estimator"
    return PassUntilResult(
        statistic=float(np.mean([i.estimate for i in items])),  # = the interval's centre
        ci_low=low,
        ci_high=high,
        n=len(items),
        draws=total_k,
        passes=total_s,
        censored=sum(i.censored for i in items),
        items=tuple(items),
        method=method,
        signature={
            "method": method,
            "params": {"r": r, "estimator": estimator},
            "assay_version": __version__,
            "n": len(items),
            "resamples": 0,
            "seed": None,
            "confidence": confidence,
        },
    )


def pass_until(
    task: Any,
    model: Any,
    *,
    max_samples: int,
    r: int = 2,
    estimator: Estimator = "unbiased",
    temperature: float | None = None,
    limit: int | None = None,
    variant: str | None = None,
    seed: int = 0,
    store: Any = None,
    confidence: float = 0.95,
) -> PassUntilResult:
    """Sample ``model`` on each item of ``task`` until ``r`` passes or ``max_samples`` draws.

    Parameters
    ----------
    task
        A generation :class:`~assay.harness.tasks.Task` (graded by its metric: a value of
        1 is a pass).
    model
        An in-process :class:`~assay.harness.models.ModelAdapter`.
    max_samples
        The per-item draw cap; items that reach it are right-censored.
    r, estimator, confidence
        See :func:`estimate_pass_until`.
    temperature
        Sampling temperature (default: the task's, or 1.0 when the task's is 0, since
        greedy decoding would repeat one answer).
    limit, variant
        Only the first ``limit`` items; the prompt variant (default: the first).
    seed
        Draw ``k`` of an item is generated with seed ``seed + k``.
    store
        When given, every draw is stored as a response with its scores under one run
        (``config.until_pass``), and a re-run resumes from the stored draws.
    """
    from assay.harness import Unit, evaluate, item_rows, run_id_for
    from assay.schema import Model, Run

    if max_samples < 1:
        raise InputError(
            f"the 'max_samples' parameter of pass_until must be >= 1; got {max_samples}"
        )
    if task.kind != "generation":
        raise InputError(
            f"pass_until samples generations; task {task.name!r} is {task.kind} "
            "(use its generation variant, e.g. builtin:arithmetic_gen)"
        )
    temp = temperature if temperature is not None else (task.temperature or 1.0)
    if temp <= 0:
        raise InputError(f"pass_until needs a sampling temperature > 0; got {temp}")
    task = replace(task, temperature=temp)
    chosen = variant or sorted(task.templates)[0]
    items = list(task.select(limit))
    identity = model.identity()
    run_id = run_id_for(
        task, identity, limit=limit, variants=[chosen], samples=max_samples, seed=seed
    )
    run_id = "until-" + hashlib.sha256(f"{run_id}:{r}".encode()).hexdigest()[:16]
    run_row = Run(
        run_id=run_id,
        source="assay",
        created_at=dt.datetime.now(dt.UTC),
        config={
            "task": task.name,
            "task_version": task.version,
            "limit": limit,
            "variants": [chosen],
            "temperature": temp,
            "model": identity,
            "until_pass": {"max_samples": max_samples, "r": r},
        },
        assay_version=__version__,
        data_hash=task.content_hash,
        seed=seed,
        status="running",
    )
    stored: dict[str, dict[int, bool]] = {}
    if store is not None:
        store.write(
            {
                "runs": [run_row],
                "models": [
                    Model(
                        model_id=model.model_id,
                        family=getattr(model, "family", None),
                        parameters=getattr(model, "parameters", None),
                    )
                ],
                "items": item_rows(task, items),
            }
        )
        rows = store.query(
            "SELECT item_id, sample_index, value FROM scores WHERE run_id = ? AND metric = ?",
            [run_id, task.metric],
        ).to_pylist()
        for row in rows:
            if row["value"] is not None:
                stored.setdefault(row["item_id"], {})[row["sample_index"]] = row["value"] >= 1
    draws: list[int] = []
    passes: list[int] = []
    for it in items:
        seen = stored.get(it.item_id, {})
        k = s = 0
        pending_resp: list[Any] = []
        pending_scores: list[Any] = []
        while k < max_samples and s < r:
            if k in seen:
                ok = seen[k]
            else:
                unit = evaluate(task, model, run_id, Unit(it, chosen, k), seed)
                if unit.failed:
                    raise InputError(
                        f"item {it.item_id!r}, draw {k}: the model failed: {unit.response.error}"
                    )
                ok = any(sc.metric == task.metric and (sc.value or 0) >= 1 for sc in unit.scores)
                pending_resp.append(unit.response)
                pending_scores.extend(unit.scores)
            k += 1
            s += int(ok)
        if store is not None and pending_resp:
            store.write({"responses": pending_resp, "scores": pending_scores})
        draws.append(k)
        passes.append(s)
    result = estimate_pass_until(
        draws,
        passes,
        r=r,
        estimator=estimator,
        confidence=confidence,
        item_ids=[it.item_id for it in items],
    )
    if store is not None:
        store.write(
            {
                "runs": [
                    replace(
                        run_row,
                        created_at=dt.datetime.now(dt.UTC),
                        status="complete",
                        metadata={
                            "pass_until": {
                                "statistic": result.statistic,
                                "ci": [result.ci_low, result.ci_high],
                            }
                        },
                    )
                ]
            }
        )
    sig = dict(result.signature)
    sig.update(
        {
            "run_id": run_id,
            "task": task.name,
            "model": model.model_id,
            "seed": seed,
            "max_samples": max_samples,
            "temperature": temp,
        }
    )
    return replace(result, signature=sig)


class PassUntilScaling:
    """The PassUntil task scaling law ``PU(N) = exp(-c * N ** -alpha)``.

    ``log(-log PU) = log c - alpha * log N`` is linear in ``log N``: fitted by least
    squares per item (``"instance"``: each item's prediction averaged) or on the mean rate
    (``"dataset"``). Rates of 0 (censored) are left out of an item's fit; rates of 1 are
    clipped to ``1 - 1e-6``.

    Parameters
    ----------
    level
        ``"instance"`` or ``"dataset"``.

    References
    ----------
    Hu, S. et al. (2024). Unlock predictable scaling from emergent abilities.
    arXiv:2310.03262.
    """

    def __init__(self, level: Literal["instance", "dataset"] = "instance") -> None:
        self.level = level

    def fit(self, rates: np.ndarray, sizes: Sequence[float]) -> PassUntilScaling:
        """Fit on ``rates`` (items x models, or one row) at model ``sizes``."""
        if self.level not in ("instance", "dataset"):
            raise InputError(
                f"the 'level' parameter of PassUntilScaling must be 'instance' or 'dataset'; "
                f"got {self.level!r}"
            )
        pr = np.atleast_2d(
            float_array(rates, "rates", "PassUntilScaling.fit", ndim=(1, 2), finite=True)
        )
        n = float_array(sizes, "sizes", "PassUntilScaling.fit", ndim=1, finite=True)
        if pr.ndim != 2 or len(pr) == 0:
            raise InputError(
                "the 'rates' parameter of PassUntilScaling.fit must be (items, sizes) with at "
                f"least one item; got shape {pr.shape}"
            )
        if (pr < 0).any() or (pr > 1).any():
            raise InputError(
                "the 'rates' parameter of PassUntilScaling.fit must hold pass rates in [0, 1]"
            )
        if (n <= 0).any():
            raise InputError(
                f"the 'sizes' parameter of PassUntilScaling.fit must be > 0; got {n.tolist()}"
            )
        if pr.shape[1] != len(n):
            raise InputError(f"rates need one column per size; got {pr.shape} for {len(n)} sizes")
        if len(np.unique(n)) < 3:
            raise InputError(
                f"a PassUntil scaling fit needs at least 3 model sizes; got {len(np.unique(n))}"
            )
        if self.level == "dataset":
            pr = pr.mean(axis=0, keepdims=True)
        logn = np.log(n)
        coefs = []
        for row in pr:
            ok = row > 0
            if ok.sum() < 2:
                coefs.append((np.nan, np.nan))
                continue
            f = np.log(-np.log(np.clip(row[ok], 1e-300, 1 - 1e-6)))
            slope, intercept = np.polyfit(logn[ok], f, 1)
            coefs.append((intercept, -slope))  # log c, alpha
        coef = np.array(coefs)
        if np.isnan(coef[:, 0]).all():
            raise InputError(
                "PassUntilScaling.fit: no item passes at two or more sizes (every item's rate "
                "is 0 at all but at most one size); nothing to fit"
            )
        self.coef_ = coef
        self.n_dropped_ = int(np.isnan(self.coef_[:, 0]).sum())
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "coef_"):
            raise NotFittedError("this PassUntilScaling is not fitted yet; call fit first")

    @property
    def alpha_(self) -> np.ndarray:
        self._check_fitted()
        return self.coef_[:, 1]

    def predict(self, size: float) -> float:
        """The task's predicted pass rate at ``size`` (mean over the fitted items)."""
        self._check_fitted()
        check_number(size, "size", "PassUntilScaling.predict", low=0)
        ok = ~np.isnan(self.coef_[:, 0])
        logc, alpha = self.coef_[ok, 0], self.coef_[ok, 1]
        return float(np.mean(np.exp(-np.exp(logc) * float(size) ** (-alpha))))

    def to_frame(self) -> pd.DataFrame:
        """The fitted ``log_c`` and ``alpha`` of each item (NaN where it was left out)."""
        self._check_fitted()
        return pd.DataFrame({"log_c": self.coef_[:, 0], "alpha": self.coef_[:, 1]})
