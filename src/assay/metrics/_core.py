"""The metric contract: per-item sufficient statistics, aggregation, signature, registry.

Grading and aggregating are separate. A *scorer* grades one item: it takes one prediction
and one reference and returns a number (or a short row of numbers). A *metric* turns a
set of items into one value in two steps:

1. :meth:`Metric.stats` maps the items to a float array of shape ``(n_items, k)``: the
   per-item *sufficient statistics* (for a mean, the item score; for corpus BLEU, the
   n-gram match and total counts; for AUROC, the label and the score).
2. :meth:`Metric.aggregate` turns any such array, or any subset or resample of its rows,
   into the value: a float, or a ``dict[str, float]`` for multi-valued metrics.

Because the value depends on the items only through the rows of ``stats``, a bootstrap
interval resamples rows and re-aggregates without grading anything again
(:meth:`MetricResult.confidence_interval`), and the value does not depend on item order.

Writing a metric (the whole contract)
-------------------------------------
A metric is a frozen dataclass that subclasses :class:`Metric` (or :class:`MeanMetric`
when the value is the mean of one per-item score, :class:`DefinedMeanMetric` when that
score is undefined on some items by its definition and the source skips them), whose
dataclass fields are its *options*, decorated with :func:`register`::

    @register
    @dataclass(frozen=True)
    class TokenF1(MeanMetric):
        name: ClassVar[str] = "token_f1"
        ignore_case: bool = True

        def score(self, prediction, reference) -> float: ...

- ``name`` (class variable): the registry key, lower-case ``snake_case``, unique.
- options: dataclass fields with defaults, JSON-serialisable values only (str, int,
  float, bool, None, tuples of those), validated in ``__post_init__`` with
  :func:`check_option` so that a bad option fails when the metric is built.
- ``stats(predictions, references)``: must return one row per item, in item order. Items
  that cannot be graded (a missing prediction, ``None``, NaN) give a row of NaN; the
  ``nan_policy`` of :meth:`Metric.compute` then decides. Raise :class:`InputError` for
  input that is wrong rather than missing (a label outside the declared set).
- ``aggregate(stats)``: a pure function of the rows; must accept any number of rows >= 1.
  When the value is undefined on those rows (one class only for AUROC), return NaN and
  warn with :class:`~assay.errors.DegenerateDataWarning`.
- ``columns`` (class variable, optional): names of the ``k`` statistics, shown in docs
  and kept in the signature.
- Heavy libraries are imported inside the methods through :func:`require`, which raises
  :class:`~assay.errors.PrerequisiteError` naming the extra.

Families live in one module each (``_text``, ``_code``, ``_classification``, ...); the
package ``__init__`` imports them, so every metric is registered once
``assay.metrics`` is imported.

References
----------
Post, M. (2018). A call for clarity in reporting BLEU scores. *WMT* (sufficient
statistics and signatures, as in sacrebleu).
Efron, B. & Tibshirani, R. (1993). *An Introduction to the Bootstrap*, ch. 13
(percentile intervals).
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.util
import math
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, ClassVar, Literal, NamedTuple, Protocol, TypeVar

import numpy as np
from numpy.typing import NDArray

from assay._display import TableView
from assay._version import __version__
from assay.errors import DegenerateDataWarning, InputError, PrerequisiteError

__all__ = [
    "ConfidenceInterval",
    "DefinedMeanMetric",
    "MeanMetric",
    "Metric",
    "MetricResult",
    "NanPolicy",
    "Scorer",
    "check_option",
    "get_metric",
    "list_metrics",
    "metric_from_signature",
    "register",
    "require",
    "warn_degenerate",
]

NanPolicy = Literal["propagate", "omit", "raise"]
_NAN_POLICIES = ("propagate", "omit", "raise")

Value = float | dict[str, float]


class Scorer(Protocol):
    """Grades one item: ``(prediction, reference) -> float``."""

    def __call__(self, prediction: Any, reference: Any, /) -> float: ...


class ConfidenceInterval(NamedTuple):
    """A two-sided interval."""

    low: float
    high: float


def as_floats(value: Any, owner: str, what: str) -> NDArray[np.float64]:
    """``value`` as a float array; :class:`InputError` naming ``owner`` and ``what`` when
    it holds something other than numbers or is ragged (shape checks are the caller's)."""
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        shown = repr(value)
        shown = shown if len(shown) <= 60 else shown[:57] + "..."
        raise InputError(
            f"{owner}: {what} must be numbers (a number, a vector or a regular matrix); got {shown}"
        ) from None


def check_number(value: Any, owner: str, what: str) -> float:
    """``value`` as a float; :class:`InputError` naming ``owner`` and ``what`` when it is
    not a finite-or-NaN real number (a bool is not a number here)."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise InputError(f"{owner}: {what} must be a number; got {value!r}")
    if math.isinf(value):
        raise InputError(f"{owner}: {what} is infinite")
    return float(value)


def check_option(owner: str, name: str, value: object, allowed: Iterable[object] | str) -> None:
    """Raise :class:`InputError` unless ``value`` is one of ``allowed``.

    ``allowed`` is either the allowed values or a description of them; in the latter case
    the caller has already decided that ``value`` is wrong and this only raises.
    """
    if isinstance(allowed, str):
        raise InputError(f"the {name!r} parameter of {owner} must be {allowed}; got {value!r}")
    options = tuple(allowed)
    if value not in options:
        shown = ", ".join(repr(o) for o in options)
        raise InputError(f"the {name!r} parameter of {owner} must be one of {shown}; got {value!r}")


def require(module: str, extra: str = "metrics") -> ModuleType:
    """Import ``module`` or raise :class:`PrerequisiteError` naming the extra to install."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise PrerequisiteError(
            f"this metric needs the {module.split('.')[0]!r} package: pip install 'assay[{extra}]'"
        ) from exc


def warn_degenerate(metric: str, why: str) -> float:
    """Warn with :class:`DegenerateDataWarning` that ``metric`` is undefined, return NaN.

    For :meth:`Metric.aggregate` when the definition allows no value on the given rows
    (one class only for AUROC, no positive at all for recall).
    """
    warnings.warn(f"{metric}: {why}; the value is NaN", DegenerateDataWarning, stacklevel=3)
    return math.nan


@dataclass(frozen=True)
class Metric:
    """Base of every metric: a frozen dataclass whose fields are its options.

    Subclasses set ``name`` and implement :meth:`stats` and :meth:`aggregate` (see the
    module docstring for the full contract).
    """

    name: ClassVar[str] = ""
    #: names of the per-item statistics (the columns of :meth:`stats`)
    columns: ClassVar[tuple[str, ...]] = ("score",)
    #: whether a larger value is better (for reports)
    higher_is_better: ClassVar[bool] = True
    #: whether it grades a text prediction against a text reference, as stored responses
    #: are (``assay score`` offers only these and the trial metrics)
    grades_text: ClassVar[bool] = False

    @property
    def options(self) -> dict[str, Any]:
        """The options as a plain dict (tuples become lists, as they would in JSON)."""
        return {f.name: _plain(getattr(self, f.name)) for f in dataclasses.fields(self)}

    def stats(self, predictions: Sequence[Any], references: Sequence[Any]) -> NDArray[np.float64]:
        """Per-item sufficient statistics, shape ``(n_items, len(columns))``."""
        raise NotImplementedError

    def aggregate(self, stats: NDArray[np.float64]) -> Value:
        """The metric value from rows of :meth:`stats`."""
        raise NotImplementedError

    def aggregate_resamples(
        self, stats: NDArray[np.float64], indices: NDArray[np.intp]
    ) -> list[Value]:
        """:meth:`aggregate` of ``stats[row]`` for each row of ``indices``.

        Override for a vectorised bootstrap; the default loops.
        """
        return [self.aggregate(stats[idx]) for idx in indices]

    def compute(
        self,
        predictions: Sequence[Any],
        references: Sequence[Any] | None = None,
        *,
        nan_policy: NanPolicy = "propagate",
    ) -> MetricResult:
        """Grade the items and aggregate them.

        Parameters
        ----------
        predictions, references
            One entry per item, of equal length. ``references`` may be omitted by
            metrics that need none (pass@k over trial outcomes): each item then gets
            ``None``.
        nan_policy
            What to do with items whose statistics are NaN (ungradable items):
            ``"propagate"`` aggregates them as they are (the value is usually NaN),
            ``"omit"`` leaves them out and counts them in ``n_omitted``, ``"raise"``
            raises :class:`InputError`.

        Returns
        -------
        MetricResult
            The value, the per-item statistics and the signature. With no items (or
            none left after ``"omit"``) the value is NaN and a
            :class:`~assay.errors.DegenerateDataWarning` is emitted.
        """
        check_option(f"{type(self).__name__}.compute", "nan_policy", nan_policy, _NAN_POLICIES)
        n_pred = _length(predictions, "predictions")
        if references is None:
            references = [None] * n_pred
        n_ref = _length(references, "references")
        if n_pred != n_ref:
            raise InputError(
                f"{self.name}: predictions and references must have the same length; "
                f"got {n_pred} predictions and {n_ref} references"
            )
        stats = np.asarray(self.stats(predictions, references), dtype=np.float64)
        if stats.ndim != 2 or stats.shape[0] != n_pred:
            raise RuntimeError(  # a bug in the metric, not in the caller's input
                f"{type(self).__name__}.stats returned shape {stats.shape}; expected ({n_pred}, k)"
            )
        return self.from_stats(stats, nan_policy=nan_policy)

    def from_stats(
        self, stats: NDArray[np.float64], *, nan_policy: NanPolicy = "propagate"
    ) -> MetricResult:
        """Aggregate already computed statistics (for instance read back from a store)."""
        check_option(f"{type(self).__name__}.from_stats", "nan_policy", nan_policy, _NAN_POLICIES)
        stats = np.asarray(stats, dtype=np.float64)
        if stats.ndim == 1:
            stats = stats[:, None]
        bad = np.isnan(stats).any(axis=1)
        n_omitted = 0
        if bad.any():
            if nan_policy == "raise":
                first = int(np.flatnonzero(bad)[0])
                raise InputError(
                    f"{self.name}: {int(bad.sum())} item(s) could not be graded (NaN), "
                    f"the first at position {first}; pass nan_policy='omit' to leave them out"
                )
            if nan_policy == "omit":
                n_omitted = int(bad.sum())
                stats = stats[~bad]
        if stats.shape[0] == 0:
            warnings.warn(
                f"{self.name}: no items to aggregate"
                + (f" ({n_omitted} omitted as NaN)" if n_omitted else "")
                + "; the value is NaN",
                DegenerateDataWarning,
                stacklevel=3,
            )
            value: Value = self._nan_value()
        else:
            value = self.aggregate(stats)
        signature = {
            "metric": self.name,
            "options": self.options,
            "version": __version__,
            "n": int(stats.shape[0]),
            "n_omitted": n_omitted,
            "nan_policy": nan_policy,
        }
        return MetricResult(self, value, stats, n_omitted, signature)

    def _nan_value(self) -> Value:
        return math.nan


@dataclass(frozen=True)
class MeanMetric(Metric):
    """A metric whose value is the mean of one per-item score.

    Subclasses implement :meth:`score` (the scorer of one item); ``stats`` applies it to
    every item and ``aggregate`` is the mean. Items whose prediction is ``None`` or NaN
    score NaN (left to ``nan_policy``).
    """

    def score(self, prediction: Any, reference: Any) -> float:
        """The score of one item."""
        raise NotImplementedError

    def stats(self, predictions: Sequence[Any], references: Sequence[Any]) -> NDArray[np.float64]:
        out = np.empty((len(predictions), 1), dtype=np.float64)
        for i, (p, r) in enumerate(zip(predictions, references, strict=True)):
            out[i, 0] = math.nan if _missing(p) or _missing(r) else self.score(p, r)
        return out

    def aggregate(self, stats: NDArray[np.float64]) -> float:
        return float(stats[:, 0].mean())

    def aggregate_resamples(
        self, stats: NDArray[np.float64], indices: NDArray[np.intp]
    ) -> list[Value]:
        return [float(v) for v in stats[:, 0][indices].mean(axis=1)]


@dataclass(frozen=True)
class DefinedMeanMetric(Metric):
    """A metric whose value is the mean of one per-item score over the items on which
    that score is defined.

    Some per-item scores are undefined by their definition, not because the item could
    not be graded: the cross-sectional correlation on a date whose factor is constant,
    the transfer between two tasks whose performances sum to 0. The sources of those
    metrics leave such items out of the mean; a NaN would instead be treated as an
    ungradable item by ``nan_policy`` (and, by default, make the value NaN). So the
    per-item statistics are ``(score, defined)``: ``defined`` is 1 or 0 and ``score`` is
    0 where undefined, and the value is ``sum(score * defined) / sum(defined)``. The
    ``defined`` column records which items were left out; the value is NaN with a
    :class:`~assay.errors.DegenerateDataWarning` when no item is defined.

    Subclasses implement :meth:`score`, returning ``None`` where the score is undefined
    (or override :meth:`stats` to compute the rows in bulk). A missing prediction (or a
    missing reference, when ``uses_reference``) gives a row of NaN, left to
    ``nan_policy`` as for every metric.
    """

    columns: ClassVar[tuple[str, ...]] = ("score", "defined")
    #: whether a missing reference makes an item ungradable (False: references unused)
    uses_reference: ClassVar[bool] = True
    #: why the value is undefined when no item is defined (for the warning)
    undefined_reason: ClassVar[str] = "the score is undefined on every item"

    def score(self, prediction: Any, reference: Any) -> float | None:
        """The score of one item, ``None`` where undefined."""
        raise NotImplementedError

    def stats(self, predictions: Sequence[Any], references: Sequence[Any]) -> NDArray[np.float64]:
        out = np.empty((len(predictions), 2), dtype=np.float64)
        for i, (p, r) in enumerate(zip(predictions, references, strict=True)):
            if _missing(p) or (self.uses_reference and _missing(r)):
                out[i] = math.nan
                continue
            value = self.score(p, r)
            out[i] = (0.0, 0.0) if value is None else (value, 1.0)
        return out

    def aggregate(self, stats: NDArray[np.float64]) -> float:
        defined = stats[:, 1]
        count = float(defined.sum())
        if count == 0:  # a NaN count (nan_policy="propagate") falls through to NaN
            return warn_degenerate(self.name, self.undefined_reason)
        return float((stats[:, 0] * defined).sum() / count)

    def aggregate_resamples(
        self, stats: NDArray[np.float64], indices: NDArray[np.intp]
    ) -> list[Value]:
        if np.isnan(stats).any():
            return [self.aggregate(stats[idx]) for idx in indices]
        defined = stats[:, 1]
        totals = (stats[:, 0] * defined)[indices].sum(axis=1)
        counts = defined[indices].sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            values = np.where(counts > 0, totals / counts, np.nan)
        return [float(v) for v in values]


@dataclass(frozen=True)
class MetricResult(TableView):
    """The value of a metric on a set of items, with what is needed to reproduce it.

    Attributes
    ----------
    metric
        The metric object (with its options) that produced the value.
    value
        The value: a float, or a dict of floats for multi-valued metrics.
    stats
        Per-item sufficient statistics actually aggregated (omitted items removed).
    n_omitted
        Items left out under ``nan_policy="omit"``.
    signature
        Metric name, options, assay version, number of items, NaN handling; a stored
        signature rebuilds the metric through :func:`metric_from_signature`.
    """

    metric: Metric
    value: Value
    stats: NDArray[np.float64] = field(repr=False)
    n_omitted: int
    signature: dict[str, Any]

    @property
    def n(self) -> int:
        """Number of items aggregated."""
        return int(self.stats.shape[0])

    def __float__(self) -> float:
        if isinstance(self.value, dict):
            raise TypeError(f"{self.metric.name} has several values: {sorted(self.value)}")
        return float(self.value)

    def confidence_interval(
        self,
        resamples: int = 1000,
        seed: int | np.random.Generator | None = None,
        level: float = 0.95,
    ) -> ConfidenceInterval | dict[str, ConfidenceInterval]:
        """Percentile bootstrap interval over items (rows of ``stats`` resampled).

        Parameters
        ----------
        resamples
            Number of bootstrap resamples (>= 1).
        seed
            Seed or generator; the same seed gives the same interval.
        level
            Two-sided confidence level in (0, 1).

        Returns
        -------
        ConfidenceInterval or dict of them
            One interval per value key for multi-valued metrics. Resamples whose value
            is NaN (a resample with one class only, for AUROC) are ignored; if all are
            NaN the interval is (NaN, NaN).

        References
        ----------
        Efron, B. & Tibshirani, R. (1993). *An Introduction to the Bootstrap*, ch. 13.
        Koehn, P. (2004). Statistical significance tests for machine translation
        evaluation. *EMNLP* (bootstrap over segments of corpus-level metrics).
        """
        owner = "MetricResult.confidence_interval"
        if not isinstance(resamples, int) or resamples < 1:
            check_option(owner, "resamples", resamples, "an integer >= 1")
        if not 0.0 < level < 1.0:
            check_option(owner, "level", level, "in (0, 1)")
        if self.n == 0:
            nan = ConfidenceInterval(math.nan, math.nan)
            return {k: nan for k in self.value} if isinstance(self.value, dict) else nan
        rng = np.random.default_rng(seed)  # a Generator passes through unchanged
        indices = rng.integers(0, self.n, size=(resamples, self.n))
        with warnings.catch_warnings():
            # a resample may be degenerate (one class); its NaN is dropped below
            warnings.simplefilter("ignore", DegenerateDataWarning)
            values = self.metric.aggregate_resamples(self.stats, indices)
        alpha = (1.0 - level) / 2.0
        if isinstance(self.value, dict):
            return {
                key: _percentile_interval([v[key] for v in values if isinstance(v, dict)], alpha)
                for key in self.value
            }
        return _percentile_interval([float(v) for v in values if not isinstance(v, dict)], alpha)

    def to_dict(self) -> dict[str, Any]:
        """Value and signature as plain JSON-serialisable values."""
        value = dict(self.value) if isinstance(self.value, dict) else self.value
        return {"metric": self.metric.name, "value": value, "signature": dict(self.signature)}

    def to_rows(self) -> tuple[list[str], list[list[Any]]]:
        """Column names and rows for display: one row per value."""
        opts = ", ".join(f"{k}={v}" for k, v in self.signature["options"].items())
        items = self.value.items() if isinstance(self.value, dict) else [("", self.value)]
        rows = [
            [self.metric.name + (f".{k}" if k else ""), v, self.n, self.n_omitted, opts]
            for k, v in items
        ]
        return ["metric", "value", "n", "omitted", "options"], rows

    @property
    def title(self) -> str:
        return f"assay {self.signature['version']}"


# --------------------------------------------------------------------------- registry

_REGISTRY: dict[str, type[Metric]] = {}
M = TypeVar("M", bound=type[Metric])

#: the family modules of ``assay.metrics``; each registers its metrics on import. The
#: registry imports them on first use, so a family registers even before the package
#: ``__init__`` re-exports its names (a family module that is absent is skipped).
FAMILIES: tuple[str, ...] = (
    "_text", "_code", "_classification", "_ranking", "_timeseries", "_forecast", "_tpp",
    "_domain",
)  # fmt: skip
_loaded = False


def _load_families() -> None:
    global _loaded
    if _loaded:
        return
    for family in FAMILIES:
        module = f"assay.metrics.{family}"
        if importlib.util.find_spec(module) is not None:
            importlib.import_module(module)
    _loaded = True


def register(cls: M) -> M:
    """Class decorator: make a metric available by its ``name``."""
    name = getattr(cls, "name", "")
    if not name or not isinstance(name, str):
        raise TypeError(f"{cls.__name__} needs a non-empty class attribute 'name'")
    params = cls.__dict__.get("__dataclass_params__")  # its own, not a base class's
    if params is None or not params.frozen:
        raise TypeError(f"{cls.__name__} must be decorated with @dataclass(frozen=True)")
    known = _REGISTRY.get(name)
    if known is not None and known.__qualname__ != cls.__qualname__:
        raise TypeError(f"metric name {name!r} is taken by {known.__module__}.{known.__name__}")
    _REGISTRY[name] = cls
    return cls


def list_metrics() -> list[str]:
    """Names of every registered metric, sorted."""
    _load_families()
    return sorted(_REGISTRY)


def get_metric(name: str, **options: Any) -> Metric:
    """The registered metric ``name`` built with ``options``.

    Raises
    ------
    InputError
        Unknown name, unknown option, or an option value the metric rejects.
    """
    _load_families()
    cls = _REGISTRY.get(name)
    if cls is None:
        raise InputError(
            f"the 'name' parameter of get_metric must be a registered metric; got {name!r} "
            f"(known: {', '.join(list_metrics())})"
        )
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(options) - set(fields))
    if unknown:
        raise InputError(
            f"metric {name!r} has no option(s) {unknown}; its options are {sorted(fields)}"
        )
    try:
        metric = cls(**{k: _from_plain(v, fields[k]) for k, v in options.items()})
    except TypeError as exc:  # a wrongly typed option surfacing in __post_init__
        raise InputError(f"metric {name!r}: {exc}") from exc
    return metric


def metric_from_signature(signature: Mapping[str, Any]) -> Metric:
    """Rebuild the metric that produced ``signature`` (from :attr:`MetricResult.signature`)."""
    if "metric" not in signature:
        raise InputError(f"a metric signature needs a 'metric' key; got keys {sorted(signature)}")
    return get_metric(str(signature["metric"]), **dict(signature.get("options", {})))


# --------------------------------------------------------------------------- helpers


def _percentile_interval(values: Sequence[float], alpha: float) -> ConfidenceInterval:
    arr = np.asarray(values, dtype=np.float64)
    arr = arr[~np.isnan(arr)]
    if arr.size == 0:
        return ConfidenceInterval(math.nan, math.nan)
    low, high = np.quantile(arr, [alpha, 1.0 - alpha])
    return ConfidenceInterval(float(low), float(high))


def _length(values: object, what: str) -> int:
    try:
        return len(values)  # type: ignore[arg-type]
    except TypeError:
        raise InputError(
            f"{what} must be a sequence (list, tuple, array); got {type(values).__name__}"
        ) from None


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


def _from_plain(value: Any, spec: dataclasses.Field[Any]) -> Any:
    # signatures store tuples as lists (JSON); options typed as tuples get them back
    if isinstance(value, list) and (
        isinstance(spec.default, tuple) or str(spec.type).startswith("tuple")
    ):
        return tuple(value)
    return value
