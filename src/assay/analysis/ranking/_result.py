"""The result of a rating fit: ratings with intervals, ranks with intervals, a signature."""

from __future__ import annotations

import html
import math
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, NamedTuple, get_args

import numpy as np
import pandas as pd
import pyarrow as pa
from numpy.typing import NDArray
from rich.text import Text
from scipy.stats import rankdata

from assay._display import format_cell, html_table, rich_table
from assay.analysis.ranking._battles import names_text
from assay.analysis.ranking._likelihood import TieModel, outcome_probabilities
from assay.analysis.ranking._table import TableResult
from assay.errors import InputError

__all__ = [
    "ModelRating",
    "RatingInterval",
    "Ratings",
    "StyleCoefficient",
    "TieShare",
    "build_ratings",
    "to_rating_scale",
]

Method = Literal["elo", "bradley-terry"]
TieShare = Literal["half", "none"]

_TIE_TEXT = {
    "half": "ties as half wins",
    "rao-kupper": "Rao-Kupper ties",
    "davidson": "Davidson ties",
}


class RatingInterval(NamedTuple):
    """A two-sided interval."""

    low: float
    high: float


@dataclass(frozen=True, slots=True)
class ModelRating:
    """One model's rating, interval, rank and record.

    ``ci_low``/``ci_high`` and ``rank_low``/``rank_high`` are ``None`` without bootstrap.
    ``rank_low`` is the best (smallest) rank of the interval. ``component`` numbers the
    connected components of the comparison graph (0 = the largest): ratings and ranks
    compare only within a component.
    """

    model: str
    rating: float
    ci_low: float | None
    ci_high: float | None
    rank: int
    rank_low: int | None
    rank_high: int | None
    n_battles: int
    wins: int
    losses: int
    ties: int
    component: int


@dataclass(frozen=True, slots=True)
class StyleCoefficient:
    """The fitted effect of one style feature.

    ``coefficient`` is in natural log-odds of winning per standard deviation of the
    normalised difference ``(f_a - f_b) / (f_a + f_b + 1)``; ``mean`` and ``std`` are the
    normalisation used (over the fitted battles).
    """

    feature: str
    coefficient: float
    ci_low: float | None
    ci_high: float | None
    mean: float
    std: float


def to_rating_scale(
    strengths: NDArray[np.float64],
    labels: NDArray[np.intp],
    *,
    scale: float,
    base: float,
    anchor: int | None,
    present: NDArray[np.bool_] | None = None,
) -> NDArray[np.float64]:
    """Natural-log strengths ``(..., models)`` to ratings: ``base + scale * s / ln 10``.

    Each component is centred so that its mean rating is ``base``; the anchor's component
    is shifted instead so that the anchor's rating is ``base``. ``present`` (same shape)
    marks the models that count in the centring (models absent from a bootstrap resample
    get NaN).
    """
    s = np.array(strengths, dtype=np.float64, copy=True)
    if present is not None:
        s[~present] = np.nan
    out = np.empty_like(s)
    for c in range(int(labels.max()) + 1):
        idx = np.flatnonzero(labels == c)
        block = s[..., idx]
        if anchor is not None and labels[anchor] == c:
            centre = s[..., anchor : anchor + 1]
        else:
            # nanmean without its warning for a component absent from a whole resample
            known = np.isfinite(block)
            count = known.sum(axis=-1, keepdims=True)
            total = np.where(known, block, 0.0).sum(axis=-1, keepdims=True)
            with np.errstate(invalid="ignore", divide="ignore"):
                centre = np.where(count > 0, total / np.maximum(count, 1), np.nan)
        out[..., idx] = base + scale / math.log(10) * (block - centre)
    return out


def _ranks(ratings: NDArray[np.float64], labels: NDArray[np.intp]) -> NDArray[np.float64]:
    """Rank within each component (1 = best, equal ratings share the smallest rank)."""
    out = np.full(ratings.shape, np.nan)
    for c in range(int(labels.max()) + 1):
        idx = np.flatnonzero(labels == c)
        out[..., idx] = rankdata(-ratings[..., idx], method="min", axis=-1, nan_policy="omit")
    return out


def build_ratings(
    *,
    models: tuple[str, ...],
    ratings: NDArray[np.float64],
    draws: NDArray[np.float64] | None,
    labels: NDArray[np.intp],
    record: NDArray[np.int64],
    method: Method,
    ties: TieModel,
    scale: float,
    base: float,
    confidence: float,
    tie_parameter: float | None = None,
    tie_draws: NDArray[np.float64] | None = None,
    style: tuple[str, ...] = (),
    style_coef: NDArray[np.float64] | None = None,
    style_draws: NDArray[np.float64] | None = None,
    style_mean: NDArray[np.float64] | None = None,
    style_std: NDArray[np.float64] | None = None,
    signature: dict[str, Any],
) -> Ratings:
    """Assemble :class:`Ratings` from point ratings, bootstrap draws and per-model records."""
    q = np.array([(1 - confidence) / 2, (1 + confidence) / 2])
    rank = _ranks(ratings, labels)
    if draws is not None and len(draws):
        ci = np.full((2, len(models)), np.nan)
        rank_ci = np.full((2, len(models)), np.nan)
        rank_draws = _ranks(draws, labels)
        seen = np.isfinite(draws).any(axis=0)  # a model absent from every resample has none
        ci[:, seen] = np.nanquantile(draws[:, seen], q, axis=0)
        rank_ci[:, seen] = np.nanquantile(rank_draws[:, seen], q, axis=0, method="inverted_cdf")
    order = sorted(range(len(models)), key=lambda i: (labels[i], rank[i], models[i]))
    entries = []
    for i in order:
        with_ci = draws is not None and len(draws) > 0 and bool(np.isfinite(ci[:, i]).all())
        entries.append(
            ModelRating(
                model=models[i],
                rating=float(ratings[i]),
                ci_low=float(ci[0, i]) if with_ci else None,
                ci_high=float(ci[1, i]) if with_ci else None,
                rank=int(rank[i]),
                rank_low=int(rank_ci[0, i]) if with_ci else None,
                rank_high=int(rank_ci[1, i]) if with_ci else None,
                n_battles=int(record[i, 0]),
                wins=int(record[i, 1]),
                losses=int(record[i, 2]),
                ties=int(record[i, 3]),
                component=int(labels[i]),
            )
        )
    tie_interval = None
    if tie_draws is not None and len(tie_draws):
        lo, hi = np.quantile(tie_draws, q)
        tie_interval = RatingInterval(float(lo), float(hi))
    coefs: list[StyleCoefficient] = []
    for j, name in enumerate(style):
        assert style_coef is not None
        assert style_mean is not None
        assert style_std is not None
        lo_hi = (
            np.quantile(style_draws[:, j], q)
            if style_draws is not None and len(style_draws)
            else None
        )
        coefs.append(
            StyleCoefficient(
                feature=name,
                coefficient=float(style_coef[j]),
                ci_low=float(lo_hi[0]) if lo_hi is not None else None,
                ci_high=float(lo_hi[1]) if lo_hi is not None else None,
                mean=float(style_mean[j]),
                std=float(style_std[j]),
            )
        )
    return Ratings(
        entries=tuple(entries),
        method=method,
        ties=ties,
        scale=scale,
        base=base,
        confidence=confidence,
        tie_parameter=tie_parameter,
        tie_interval=tie_interval,
        style=tuple(coefs),
        signature=signature,
        draws=draws[:, order] if draws is not None and len(draws) else None,
    )


@dataclass(frozen=True)
class Ratings(TableResult):
    """Ratings of models from pairwise verdicts, with bootstrap intervals and ranks.

    Attributes
    ----------
    entries
        One :class:`ModelRating` per model, by component, then rank, then name.
    method
        ``"bradley-terry"`` or ``"elo"``.
    ties
        How ties entered the fit: ``"half"`` (half a win each), ``"rao-kupper"`` or
        ``"davidson"``.
    scale, base
        Ratings are ``base + scale * s / ln 10`` for natural-log strengths ``s``: a gap of
        ``scale`` points is 10:1 odds under ``"half"``.
    confidence
        Level of the intervals.
    tie_parameter, tie_interval
        Rao-Kupper ``theta >= 1`` or Davidson ``nu >= 0`` (``None`` for ``"half"``).
    style
        Style coefficients (empty without style control).
    signature
        What produced the numbers: method, options, bootstrap rounds, seed, assay
        version, data hash, numbers of battles and models.
    draws
        The bootstrap ratings, shape ``(rounds, models)`` with columns in ``entries``
        order (``None`` without bootstrap); NaN where a model was absent from a resample.
    """

    entries: tuple[ModelRating, ...]
    method: Method
    ties: TieModel
    scale: float
    base: float
    confidence: float
    tie_parameter: float | None = None
    tie_interval: RatingInterval | None = None
    style: tuple[StyleCoefficient, ...] = ()
    signature: dict[str, Any] = field(default_factory=dict)
    draws: NDArray[np.float64] | None = field(default=None, repr=False, compare=False)

    def __len__(self) -> int:
        return len(self.entries)

    @property
    def models(self) -> tuple[str, ...]:
        """Model names in ``entries`` order."""
        return tuple(e.model for e in self.entries)

    def entry(self, model: str) -> ModelRating:
        """The entry of ``model``."""
        for e in self.entries:
            if e.model == model:
                return e
        raise InputError(f"unknown model {model!r}; rated models are {names_text(self.models)}")

    def confidence_interval(self, model: str) -> RatingInterval:
        """The bootstrap interval of ``model``'s rating."""
        e = self.entry(model)
        if e.ci_low is None or e.ci_high is None:
            raise InputError(
                f"no interval for {model!r}: the ratings were fitted with bootstrap=0 "
                "(or the model was absent from the resamples); fit with bootstrap >= 1"
            )
        return RatingInterval(e.ci_low, e.ci_high)

    def win_probability_matrix(self, count_ties: TieShare = "half") -> pd.DataFrame:
        """Predicted probability that the row model beats the column model.

        Parameters
        ----------
        count_ties
            ``"half"``: ``P(win) + P(tie) / 2``, the expected score (equal to ``P(win)``
            for ``ties="half"`` and Elo, which predict no ties). ``"none"``: ``P(win)``.

        Returns
        -------
        pandas.DataFrame
            Models in ``entries`` order on both axes; the diagonal and pairs in different
            components of the comparison graph are NaN. With style control the
            probabilities are at the average style difference of the fitted battles.
        """
        if count_ties not in get_args(TieShare):
            raise InputError(
                "the 'count_ties' parameter of Ratings.win_probability_matrix must be "
                f"'half' or 'none'; got {count_ties!r}"
            )
        r = np.array([e.rating for e in self.entries])
        comp = np.array([e.component for e in self.entries])
        d = (r[:, None] - r[None, :]) * math.log(10) / self.scale
        pa_, _, pt = outcome_probabilities(self.ties, d, self.tie_parameter)
        p = pa_ + pt / 2 if count_ties == "half" else pa_
        p = np.where(comp[:, None] == comp[None, :], p, np.nan)
        np.fill_diagonal(p, np.nan)
        names = list(self.models)
        return pd.DataFrame(p, index=pd.Index(names, name="model"), columns=names)

    def to_arrow(self) -> pa.Table:
        """One row per model."""
        schema = pa.schema(
            [
                ("model", pa.string()),
                ("rating", pa.float64()),
                ("ci_low", pa.float64()),
                ("ci_high", pa.float64()),
                ("rank", pa.int64()),
                ("rank_low", pa.int64()),
                ("rank_high", pa.int64()),
                ("n_battles", pa.int64()),
                ("wins", pa.int64()),
                ("losses", pa.int64()),
                ("ties", pa.int64()),
                ("component", pa.int64()),
            ]
        )
        return pa.Table.from_pylist([asdict(e) for e in self.entries], schema=schema)

    def to_pandas(self) -> pd.DataFrame:
        """One row per model as a pandas DataFrame."""
        frame: pd.DataFrame = self.to_arrow().to_pandas()
        return frame

    def to_dict(self) -> dict[str, Any]:
        """Everything but the bootstrap draws, as plain JSON-serialisable values."""
        return {
            "ratings": [asdict(e) for e in self.entries],
            "method": self.method,
            "ties": self.ties,
            "scale": self.scale,
            "base": self.base,
            "confidence": self.confidence,
            "tie_parameter": self.tie_parameter,
            "tie_interval": list(self.tie_interval) if self.tie_interval else None,
            "style": [asdict(c) for c in self.style],
            "signature": self.signature,
        }

    def to_rows(self) -> tuple[list[str], list[list[object]]]:
        """Column names and rows for display."""
        several = len({e.component for e in self.entries}) > 1
        level = f"{self.confidence:.0%} CI"
        cols = ["rank", "model", "rating", level, "rank range", "battles", "W-L-T"]
        if several:
            cols.append("component")
        rows: list[list[object]] = []
        for e in self.entries:
            ci = (
                f"[{e.ci_low:.1f}, {e.ci_high:.1f}]"
                if e.ci_low is not None and e.ci_high is not None
                else None
            )
            ranks = f"{e.rank_low}-{e.rank_high}" if e.rank_low is not None else None
            row: list[object] = [
                e.rank,
                e.model,
                f"{e.rating:.1f}",
                ci,
                ranks,
                e.n_battles,
                f"{e.wins}-{e.losses}-{e.ties}",
            ]
            if several:
                row.append(e.component)
            rows.append(row)
        return cols, rows

    @property
    def title(self) -> str:
        name = "Bradley-Terry" if self.method == "bradley-terry" else "Online Elo"
        rounds = self.signature.get("bootstrap", 0)
        text = f"{name} ratings ({_TIE_TEXT[self.ties]}, scale {self.scale:g}, base {self.base:g})"
        if rounds:
            text += f", {self.confidence:.0%} bootstrap intervals ({rounds} rounds)"
        return text

    @property
    def notes(self) -> list[str]:
        """Tie parameter and style coefficients as short lines of text."""
        lines = []
        if self.signature.get("anchor") is not None:
            lines.append(f"anchor {self.signature['anchor']} = {self.base:g}")
        if self.tie_parameter is not None:
            symbol = "theta" if self.ties == "rao-kupper" else "nu"
            ci = (
                f" [{self.tie_interval.low:.3f}, {self.tie_interval.high:.3f}]"
                if self.tie_interval
                else ""
            )
            lines.append(f"tie parameter {symbol} = {self.tie_parameter:.3f}{ci}")
        for c in self.style:
            ci = (
                f" [{format_cell(c.ci_low)}, {format_cell(c.ci_high)}]"
                if c.ci_low is not None
                else ""
            )
            lines.append(f"style {c.feature}: {format_cell(c.coefficient)}{ci} log-odds per sd")
        return lines

    def __rich__(self) -> object:
        cols, rows = self.to_rows()
        table = rich_table(cols, rows, title=self.title)
        if self.notes:
            table.caption = Text("; ".join(self.notes))
        return table

    def _repr_html_(self) -> str:
        cols, rows = self.to_rows()
        out = html_table(cols, rows, title=self.title)
        if self.notes:
            out += "<p>" + html.escape("; ".join(self.notes)) + "</p>"
        return out
