"""Leave-one-model-out backtests of subset selectors and score estimators.

For each model in turn: the selector and the estimator are fitted on the other models
only, the held-out model's full-benchmark mean is estimated from its scores on the
selected items, and the absolute error and interval coverage are recorded. Random
sampling with the same budget, over many seeds, is the yardstick.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, cast, get_args

import numpy as np
import pandas as pd

from assay._display import TableView
from assay._version import __version__
from assay.analysis.stats._bootstrap import resolve_rng
from assay.analysis.stats._inputs import check_confidence, check_number
from assay.analysis.subset._estimate import EstimatorMethod, ScoreEstimator
from assay.analysis.subset._selection import as_matrix
from assay.analysis.subset._selectors import AnchorSelector, RandomSelector, StratifiedSelector
from assay.errors import DegenerateDataWarning, InputError

__all__ = ["BacktestRow", "SubsetBacktest", "subset_backtest"]

#: selector names the backtest understands
SELECTORS = ("random", "stratified", "anchor", "anchor-irt")
DEFAULT_METHODS: tuple[tuple[str, str], ...] = (
    ("stratified", "mean"),
    ("anchor", "mean"),
    ("random", "pirt"),
    ("random", "gpirt"),
    ("anchor", "gpirt"),
    ("anchor-irt", "mean"),
    ("anchor-irt", "gpirt"),
)


@dataclass(frozen=True, slots=True)
class BacktestRow:
    """One selector x estimator at one budget: errors over held-out models and seeds."""

    budget: int
    selector: str
    estimator: str
    mae: float
    ratio_to_random: float
    coverage: float
    n_estimates: int


@dataclass(frozen=True)
class SubsetBacktest(TableView):
    """MAE of each selector x estimator beside random sampling, per budget."""

    rows: tuple[BacktestRow, ...]
    random_mae: dict[int, float]
    signature: dict[str, Any] = field(default_factory=dict)

    def mae(self, budget: int, selector: str, estimator: str) -> float:
        """The MAE of one combination (``selector="random", estimator="mean"`` for the
        many-seed random baseline)."""
        if selector == "random" and estimator == "mean" and budget in self.random_mae:
            return self.random_mae[budget]
        for r in self.rows:
            if (r.budget, r.selector, r.estimator) == (budget, selector, estimator):
                return r.mae
        raise InputError(
            f"no backtest row for budget {budget}, {selector} + {estimator}; budgets are "
            f"{sorted(self.random_mae)}"
        )

    def best(self, budget: int) -> BacktestRow:
        """The row with the lowest MAE at ``budget``."""
        rows = [r for r in self.rows if r.budget == budget]
        if not rows:
            raise InputError(f"no backtest rows at budget {budget}")
        return min(rows, key=lambda r: r.mae)

    def to_pandas(self) -> pd.DataFrame:
        """One row per budget, selector and estimator (random baseline included)."""
        base = [
            {
                "budget": b,
                "selector": "random",
                "estimator": "mean",
                "mae": m,
                "ratio_to_random": 1.0,
                "coverage": float("nan"),
                "n_estimates": self.signature.get("random_estimates", 0),
            }
            for b, m in self.random_mae.items()
        ]
        return pd.DataFrame(base + [asdict(r) for r in self.rows])

    def to_dict(self) -> dict[str, Any]:
        """Rows, random baseline and signature as plain values."""
        return {
            "rows": [asdict(r) for r in self.rows],
            "random_mae": {str(k): v for k, v in self.random_mae.items()},
            "signature": self.signature,
        }

    def to_rows(self) -> tuple[list[str], list[list[object]]]:
        """Column names and rows for display."""
        df = self.to_pandas().sort_values(["budget", "mae"])
        cols = ["budget", "selector", "estimator", "MAE", "x random", "coverage", "estimates"]
        return cols, [
            [int(cast(int, r.budget)), r.selector, r.estimator, r.mae, r.ratio_to_random,
             r.coverage, int(cast(int, r.n_estimates))]
            for r in df.itertuples()
        ]  # fmt: skip

    @property
    def title(self) -> str:
        return "subset backtest (leave one model out)"


def _selector(name: str, budget: int, seed: int, irt: Any) -> Any:
    if name == "random":
        return RandomSelector(budget, seed=seed)
    if name == "stratified":
        return StratifiedSelector(budget, seed=seed)
    if name == "anchor":
        return AnchorSelector(budget, seed=seed, n_init=1)
    return AnchorSelector(budget, embedding="irt", irt=irt, seed=seed, n_init=1)


def _methods(methods: Any) -> list[tuple[str, str]]:
    """The ``(selector, estimator)`` pairs, checked."""
    known = f"selectors are {list(SELECTORS)}, estimators {list(get_args(EstimatorMethod))}"
    if isinstance(methods, str) or not isinstance(methods, Iterable):
        raise InputError(
            f"the 'methods' parameter of subset_backtest must be a list of (selector, "
            f"estimator) pairs; got {methods!r}; {known}"
        )
    out = []
    for pair in methods:
        ok = isinstance(pair, Sequence) and not isinstance(pair, str) and len(pair) == 2
        if not ok or pair[0] not in SELECTORS or pair[1] not in get_args(EstimatorMethod):
            raise InputError(
                f"the 'methods' parameter of subset_backtest holds an unknown backtest method "
                f"{pair!r}; {known}"
            )
        out.append((str(pair[0]), str(pair[1])))
    if not out:
        raise InputError(f"the 'methods' parameter of subset_backtest is empty; {known}")
    return out


def _integers(values: Any, name: str) -> list[int]:
    """A non-empty list of integers."""
    ok = isinstance(values, Iterable) and not isinstance(values, str)
    out = list(values) if ok else []
    if not out or not all(isinstance(v, int | np.integer) and not isinstance(v, bool) for v in out):
        raise InputError(
            f"the {name!r} parameter of subset_backtest must be a non-empty list of integers; "
            f"got {values!r}"
        )
    return [int(v) for v in out]


def subset_backtest(
    Y: Any,
    *,
    budgets: Sequence[int] = (25, 50, 100),
    methods: Sequence[tuple[str, str]] = DEFAULT_METHODS,
    seeds: Sequence[int] = (0, 1),
    random_seeds: int = 500,
    irt_dims: int = 1,
    confidence: float = 0.95,
    seed: int | np.random.Generator | None = 0,
) -> SubsetBacktest:
    """Leave-one-model-out backtest of selector x estimator combinations.

    Parameters
    ----------
    Y
        Models x items scores in [0, 1] (``ItemMatrix`` or array, NaN = missing).
    budgets
        Subset sizes.
    methods
        ``(selector, estimator)`` pairs; selectors ``"random"``, ``"stratified"``,
        ``"anchor"``, ``"anchor-irt"``; estimators ``"mean"``, ``"pirt"``, ``"gpirt"``.
    seeds
        Seeds of the selectors (each combination runs once per seed and held-out model).
    random_seeds
        Random subsets per held-out model and budget for the random-sampling baseline.
    irt_dims
        Dimensions of the 2PL fitted per fold for the IRT-based methods.
    confidence
        Level of the estimators' intervals (coverage is reported).
    seed
        Seed of the random baseline.

    References
    ----------
    Polo, F. M. et al. (2024). tinyBenchmarks: evaluating LLMs with fewer examples.
    *ICML*. arXiv:2402.14992 (the evaluation protocol: held-out models, MAE vs random).
    """
    arr, _ = as_matrix(Y, caller="subset_backtest")
    n_models, n_items = arr.shape
    if n_models < 3:
        raise InputError(f"subset_backtest needs at least 3 models; got {n_models}")
    methods = _methods(methods)
    budgets = _integers(budgets, "budgets")
    if any(b < 1 or b >= n_items for b in budgets):
        raise InputError(
            f"the 'budgets' parameter of subset_backtest must lie in 1..{n_items - 1}; "
            f"got {budgets}"
        )
    seeds = _integers(seeds, "seeds")
    check_number(random_seeds, "random_seeds", "subset_backtest", low=1, strict=False, integer=True)
    check_number(irt_dims, "irt_dims", "subset_backtest", low=1, strict=False, integer=True)
    check_confidence(confidence, "subset_backtest")
    rng = resolve_rng(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        truth = np.nanmean(arr, axis=1)
    needs_irt = any(est != "mean" or sel == "anchor-irt" for sel, est in methods)

    random_err: dict[int, list[float]] = {b: [] for b in budgets}
    errors: dict[tuple[int, str, str], list[tuple[float, bool]]] = {}
    n_partial = 0
    for m in range(n_models):
        train = np.delete(arr, m, axis=0)
        y_all = arr[m]
        observed = np.flatnonzero(np.isfinite(y_all))
        for b in budgets:
            keys = rng.random((random_seeds, observed.size)).argsort(axis=1)[:, :b]
            est = y_all[observed][keys].mean(axis=1)
            random_err[b].extend(np.abs(est - truth[m]).tolist())
        irt = None
        if needs_irt:
            from assay.analysis.irt import IRT

            irt = IRT(model="2pl", dims=irt_dims, seed=0).fit(train)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", DegenerateDataWarning)
            for b in budgets:
                for s in seeds:
                    fitted: dict[str, Any] = {}
                    for sel_name, est_name in methods:
                        if sel_name not in fitted:
                            fitted[sel_name] = _selector(sel_name, b, s, irt).fit(train)
                        selection = fitted[sel_name].selection_
                        estimator = ScoreEstimator(
                            cast(EstimatorMethod, est_name), irt=irt, confidence=confidence
                        ).fit(train, selection)
                        e = estimator.estimate(y_all[selection.indices])
                        errors.setdefault((b, sel_name, est_name), []).append(
                            (abs(e.estimate - truth[m]), e.low <= truth[m] <= e.high)
                        )
        n_partial += sum(issubclass(w.category, DegenerateDataWarning) for w in caught)

    random_mae = {b: float(np.mean(v)) for b, v in random_err.items()}
    rows = []
    for (b, sel_name, est_name), errs in errors.items():
        mae = float(np.mean([e for e, _ in errs]))
        rows.append(
            BacktestRow(
                budget=b,
                selector=sel_name,
                estimator=est_name,
                mae=mae,
                ratio_to_random=mae / random_mae[b] if random_mae[b] > 0 else float("nan"),
                coverage=float(np.mean([c for _, c in errs])),
                n_estimates=len(errs),
            )
        )
    return SubsetBacktest(
        rows=tuple(rows),
        random_mae=random_mae,
        signature={
            "method": "leave-one-model-out subset backtest",
            "budgets": budgets,
            "methods": [list(x) for x in methods],
            "seeds": list(seeds),
            "random_seeds": random_seeds,
            "random_estimates": random_seeds * n_models,
            "irt_dims": irt_dims,
            "confidence": confidence,
            "n": n_models,
            "n_items": n_items,
            "warnings": n_partial,
            "seed": seed if isinstance(seed, int) else None,
            "assay_version": __version__,
        },
    )
