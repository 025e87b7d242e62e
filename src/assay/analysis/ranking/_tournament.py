"""Varco Arena: single-elimination tournaments over prompts, rated by Bradley-Terry.

For every prompt the models are shuffled into a knockout bracket and a judge decides each
match; the winners advance. Every match of every prompt is a battle, and Bradley-Terry
on all of them gives ratings. A bracket costs ``n - 1`` judgements per prompt, and the
stronger models, which play more rounds, get the most comparisons.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from assay._version import __version__
from assay.analysis.ranking._base import check_bootstrap, model_names, seed_record
from assay.analysis.ranking._battles import WINNERS, Battles, _to_arrow, names_text, read_battles
from assay.analysis.ranking._bt import BradleyTerry
from assay.analysis.ranking._likelihood import (
    TieModel,
    make_design,
    refit,
    starting_point,
    tie_value,
)
from assay.analysis.ranking._result import Ratings, build_ratings, to_rating_scale
from assay.analysis.stats._bootstrap import resolve_rng
from assay.errors import ConvergenceWarning, InputError

__all__ = ["Judge", "StoredVerdicts", "TournamentResult", "varco_arena"]

_FLIP = {"a": "b", "b": "a", "tie": "tie", "both_bad": "both_bad"}


@runtime_checkable
class Judge(Protocol):
    """Decides one match: ``judge(item, model_a, model_b)`` returns ``"a"``, ``"b"``,
    ``"tie"`` or ``"both_bad"``; ``model_a``'s answer is the one shown first."""

    def __call__(self, item: str, model_a: str, model_b: str) -> str: ...


class StoredVerdicts:
    """A :class:`Judge` that looks verdicts up in stored comparisons.

    A verdict stored for ``(item, b, a)`` answers a match ``(item, a, b)`` flipped. When
    several verdicts exist for a match (votes, replicates, both orders), the majority
    decides and a split is a tie (assay's choice).

    Parameters
    ----------
    comparisons
        The store's ``comparisons`` rows (or any frame with ``item_id``, ``model_a``,
        ``model_b``, ``winner``), already filtered to one judge or judge kind.
    """

    def __init__(self, comparisons: Any) -> None:
        read_battles(comparisons, where="StoredVerdicts")
        frame = _pandas(comparisons)
        if "item_id" not in frame.columns:
            raise InputError(
                f"StoredVerdicts: the comparisons have no 'item_id' column; got {list(frame)}"
            )
        self._votes: dict[tuple[str, str, str], list[str]] = {}
        for item, a, b, w in zip(
            frame["item_id"].astype(str),
            frame["model_a"].astype(str),
            frame["model_b"].astype(str),
            frame["winner"].astype(str),
            strict=True,
        ):
            if a < b:
                self._votes.setdefault((item, a, b), []).append(w)
            else:
                self._votes.setdefault((item, b, a), []).append(_FLIP[w])
        self.items: tuple[str, ...] = tuple(sorted({k[0] for k in self._votes}))
        self.models: tuple[str, ...] = tuple(
            sorted({k[1] for k in self._votes} | {k[2] for k in self._votes})
        )

    def __call__(self, item: str, model_a: str, model_b: str) -> str:
        lo, hi = sorted((model_a, model_b))
        votes = self._votes.get((item, lo, hi))
        if not votes:
            raise InputError(
                f"StoredVerdicts: no stored verdict on item {item!r} for {model_a!r} vs "
                f"{model_b!r}; a tournament needs every pair it draws to be judged on the item"
            )
        a_wins = votes.count("a")
        b_wins = votes.count("b")
        winner = "a" if a_wins > b_wins else "b" if b_wins > a_wins else "tie"
        return winner if model_a == lo else _FLIP[winner]


def _pandas(data: Any) -> pd.DataFrame:
    frame: pd.DataFrame = _to_arrow(data, "StoredVerdicts").to_pandas()
    return frame


@dataclass(frozen=True)
class TournamentResult:
    """The matches of the tournaments and the Bradley-Terry ratings they give.

    Attributes
    ----------
    matches
        One row per match: ``item_id``, ``round`` (1 = first), ``model_a`` (shown
        first), ``model_b``, ``winner``, ``advanced`` (the model that went on).
    ratings
        Bradley-Terry ratings of all matches; intervals from a bootstrap over prompts.
    champions
        How many prompts each model won outright.
    signature
        Options, prompts, matches, seed and assay version.
    """

    matches: pd.DataFrame = field(repr=False, compare=False)
    ratings: Ratings
    champions: dict[str, int]
    signature: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-serialisable values (without the matches)."""
        return {
            "ratings": self.ratings.to_dict(),
            "champions": self.champions,
            "signature": self.signature,
        }

    def to_json(self) -> str:
        """:meth:`to_dict` as JSON text."""
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    def __rich__(self) -> object:
        return self.ratings.__rich__()

    def _repr_html_(self) -> str:
        return self.ratings._repr_html_()


def _bracket(
    models: Sequence[str],
    item: str,
    judge: Judge,
    rng: np.random.Generator,
    both_orders: bool,
) -> tuple[list[dict[str, Any]], str]:
    """Play one knockout bracket; returns the matches and the champion."""
    alive: list[str | None] = [models[i] for i in rng.permutation(len(models))]
    size = 1 << (len(alive) - 1).bit_length()
    # byes are spread so that no two byes meet: the first size - n slots get one each
    byes = size - len(alive)
    slots: list[str | None] = []
    for i, m in enumerate(alive):
        slots.append(m)
        if i < byes:
            slots.append(None)
    matches: list[dict[str, Any]] = []
    rnd = 0
    while len(slots) > 1:
        rnd += 1
        nxt: list[str | None] = []
        for x, y in zip(slots[0::2], slots[1::2], strict=True):
            if x is None or y is None:
                nxt.append(x if y is None else y)
                continue
            a, b = (x, y) if rng.random() < 0.5 else (y, x)
            winner = _verdict(judge, item, a, b)
            if both_orders:
                swapped = _FLIP[_verdict(judge, item, b, a)]
                if swapped != winner:
                    winner = "tie"
            if winner == "a" or winner == "b":
                advanced = a if winner == "a" else b
            else:
                advanced = a if rng.random() < 0.5 else b
            matches.append(
                {
                    "item_id": item,
                    "round": rnd,
                    "model_a": a,
                    "model_b": b,
                    "winner": winner,
                    "advanced": advanced,
                }
            )
            nxt.append(advanced)
        slots = nxt
    champion = slots[0]
    assert champion is not None  # at least two models always play
    return matches, champion


def _verdict(judge: Judge, item: str, a: str, b: str) -> str:
    w = judge(item, a, b)
    if w not in WINNERS:
        raise InputError(
            f"the judge returned {w!r} for item {item!r}, {a!r} vs {b!r}; a judge must "
            "return 'a', 'b', 'tie' or 'both_bad'"
        )
    return str(w)


def varco_arena(
    models: Sequence[str],
    items: Sequence[str],
    judge: Judge,
    *,
    both_orders: bool = False,
    ties: TieModel = "half",
    scale: float = 400.0,
    base: float = 1000.0,
    anchor: str | None = None,
    bootstrap: int = 1000,
    confidence: float = 0.95,
    seed: int | np.random.Generator | None = 0,
) -> TournamentResult:
    """Single-elimination tournaments over prompts, then Bradley-Terry ratings.

    For each item (prompt) the models are put in a random bracket, padded with byes up
    to a power of two; each match shows the two answers in random order to ``judge``;
    the winner advances (after a tie, a coin decides who advances: assay's choice). All
    matches of all items are pooled and rated by :class:`BradleyTerry`.

    Parameters
    ----------
    models
        The models (at least two, distinct).
    items
        The prompts (item ids).
    judge
        A :class:`Judge`: a callable ``judge(item, model_a, model_b) -> winner`` (for
        example one that asks an LLM judge about the two stored responses), or
        :class:`StoredVerdicts` over stored comparisons.
    both_orders
        Judge every match in both answer orders and call it a tie when the two verdicts
        disagree (position-bias mitigation; assay's option).
    ties, scale, base, anchor
        As :class:`BradleyTerry`.
    bootstrap, confidence
        Rating intervals from resampling items (whole brackets) with replacement and
        refitting: matches within a bracket depend on each other, so the item is the
        resampling unit. 0 for none.
    seed
        Seed or generator of the brackets, answer orders, coin flips and resampling.

    Returns
    -------
    TournamentResult

    References
    ----------
    Son, S. et al. (2024). Varco Arena: a tournament approach to reference-free
    benchmarking large language models (Arena-Lite). arXiv:2411.01281.
    Bradley, R. A. & Terry, M. E. (1952). Rank analysis of incomplete block designs: I.
    *Biometrika* 39, 324-345.
    """
    where = "varco_arena"
    names = model_names(models, where)
    if isinstance(items, str | bytes) or not isinstance(items, Iterable):
        raise InputError(
            f"the 'items' parameter of {where} must be a list of item ids; got {items!r}"
        )
    prompts = [str(i) for i in items]
    if not prompts or len(set(prompts)) != len(prompts):
        raise InputError(
            f"the 'items' parameter of {where} must hold at least one item, without "
            f"repeats; got {len(prompts)} items ({len(set(prompts))} distinct)"
        )
    if not callable(judge):
        raise InputError(
            f"the 'judge' parameter of {where} must be a callable judge(item, model_a, "
            f"model_b) -> winner; got {type(judge).__name__}"
        )
    if not isinstance(both_orders, bool):
        raise InputError(f"the 'both_orders' parameter of {where} must be True or False")
    # every option is checked before the judge is asked anything (an LLM judge costs)
    estimator = BradleyTerry(ties=ties, scale=scale, base=base, anchor=anchor)
    estimator._validate()
    if anchor is not None and anchor not in names:
        raise InputError(
            f"the 'anchor' parameter of {where} must be one of the models "
            f"{names_text(names)}; got {anchor!r}"
        )
    check_bootstrap(bootstrap, confidence, where)
    rng = resolve_rng(seed, where)
    rows: list[dict[str, Any]] = []
    champions = dict.fromkeys(sorted(names), 0)
    for item in prompts:
        played, champion = _bracket(names, item, judge, rng, both_orders)
        rows.extend(played)
        champions[champion] += 1
    matches = pd.DataFrame(rows)
    estimator.fit(matches, bootstrap=0, confidence=confidence, seed=rng)
    ratings = estimator.ratings_
    if bootstrap:
        ratings = _item_bootstrap(estimator, matches, bootstrap, confidence, rng)
    return TournamentResult(
        matches=matches,
        ratings=ratings,
        champions=champions,
        signature={
            "method": "varco arena: single elimination per item, bradley-terry",
            "both_orders": both_orders,
            "tie_advance": "coin flip",
            "ties": ties,
            "anchor": anchor,
            "bootstrap": int(bootstrap),
            "interval": "percentile, items resampled" if bootstrap else None,
            "confidence": float(confidence),
            "seed": seed_record(seed),
            "assay_version": __version__,
            "n_items": len(prompts),
            "n_matches": len(matches),
            "n_models": len(names),
        },
    )


def _item_bootstrap(
    estimator: BradleyTerry,
    matches: pd.DataFrame,
    rounds: int,
    confidence: float,
    rng: np.random.Generator,
) -> Ratings:
    """Refit on resampled items: per-item cell counts weighted by resample counts."""
    battles: Battles = read_battles(matches, where="varco_arena")
    cells = battles.cells()
    m = battles.n_models
    key = np.minimum(battles.ia, battles.ib) * m + np.maximum(battles.ia, battles.ib)
    cell_of = np.searchsorted(cells.ia * m + cells.ib, key)
    swapped = battles.ia > battles.ib
    outcome = np.minimum(battles.outcome, 2).astype(np.intp)
    outcome = np.where(swapped & (outcome < 2), 1 - outcome, outcome)
    item_codes, item_of = np.unique(matches["item_id"].to_numpy(), return_inverse=True)
    n_items = len(item_codes)
    per_item = np.zeros((n_items, len(cells) * 3))
    np.add.at(per_item, (item_of, cell_of * 3 + outcome), 1.0)
    labels = battles.components()
    ties: TieModel = estimator.ties
    design = make_design(cells, m, ties, labels)

    def draw(b: int) -> NDArray[np.float64]:
        w = rng.multinomial(n_items, np.full(n_items, 1.0 / n_items), size=b).astype(float)
        counts: NDArray[np.float64] = (w @ per_item).reshape(b, len(cells), 3)
        return counts

    thetas, present, failed = refit(
        design,
        draw,
        starting_point(design, cells.counts),
        rounds,
        alpha=float(estimator.alpha),
        max_iter=int(estimator.max_iter),
        tol=float(estimator.tol),
    )
    anchor = battles.index(estimator.anchor, where="varco_arena") if estimator.anchor else None
    draws = to_rating_scale(
        thetas[:, :m],
        labels,
        scale=float(estimator.scale),
        base=float(estimator.base),
        anchor=anchor,
        present=present,
    )
    if failed:
        warnings.warn(
            f"{failed} of {rounds} bootstrap refits did not converge; the intervals may be "
            "too wide",
            ConvergenceWarning,
            stacklevel=3,
        )
    point = estimator.ratings_
    by_name = {e.model: e.rating for e in point.entries}
    ratings: NDArray[np.float64] = np.array([by_name[name] for name in battles.models])
    signature = dict(point.signature)
    signature.update(
        bootstrap=int(rounds),
        interval="percentile, items (whole brackets) resampled",
        confidence=float(confidence),
    )
    return build_ratings(
        models=battles.models,
        ratings=ratings,
        draws=draws,
        labels=labels,
        record=battles.model_counts(),
        method="bradley-terry",
        ties=ties,
        scale=float(estimator.scale),
        base=float(estimator.base),
        confidence=float(confidence),
        tie_parameter=point.tie_parameter,
        tie_draws=tie_value(ties, thetas[:, -1]) if design.n_tie else None,
        signature=signature,
    )
