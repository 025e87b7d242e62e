"""ProSkill: Swiss pairing plus Elo to choose which pairs to annotate next.

Collecting pairwise judgements is the expensive part of a rating. ProSkill spends them
where they matter: after each round, models (or items) are sorted by their current Elo
rating and neighbours are paired, never repeating a pair, so comparisons concentrate
between close competitors, where a verdict is most informative about the order.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from assay._version import __version__
from assay.analysis.ranking._base import check_number, model_names, seed_record
from assay.analysis.ranking._battles import read_battles
from assay.analysis.ranking._elo import EloRating
from assay.analysis.ranking._table import TableResult
from assay.analysis.stats._bootstrap import resolve_rng
from assay.errors import DegenerateDataWarning, InputError

__all__ = ["PairProposal", "ProposedPair", "propose_pairs"]


@dataclass(frozen=True, slots=True)
class ProposedPair:
    """A pair to judge next, with both current ratings and the Elo-expected score of
    ``model_a`` (0.5 = a coin flip, the most informative verdict)."""

    model_a: str
    model_b: str
    rating_a: float
    rating_b: float
    expected_a: float


@dataclass(frozen=True)
class PairProposal(TableResult):
    """The next pairs to judge and the ratings they were chosen from.

    Attributes
    ----------
    pairs
        The proposed pairs, best-rated first.
    ratings
        The current Elo rating of every model (``base`` for one never judged).
    n_verdicts
        Verdicts the ratings were computed from.
    signature
        Options, seed and assay version.
    """

    pairs: tuple[ProposedPair, ...]
    ratings: dict[str, float]
    n_verdicts: int
    signature: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.pairs)

    def to_pandas(self) -> pd.DataFrame:
        """One row per pair (``model_a``, ``model_b``, ...): add a ``winner`` column after
        judging and append the rows to the verdicts."""
        return pd.DataFrame(
            [asdict(p) for p in self.pairs],
            columns=["model_a", "model_b", "rating_a", "rating_b", "expected_a"],
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-serialisable values."""
        return {
            "pairs": [asdict(p) for p in self.pairs],
            "ratings": self.ratings,
            "n_verdicts": self.n_verdicts,
            "signature": self.signature,
        }

    def to_rows(self) -> tuple[list[str], list[list[object]]]:
        """Column names and rows for display."""
        cols = ["model_a", "model_b", "rating a", "rating b", "P(a wins)"]
        rows: list[list[object]] = [
            [p.model_a, p.model_b, p.rating_a, p.rating_b, p.expected_a] for p in self.pairs
        ]
        return cols, rows

    @property
    def title(self) -> str:
        return f"next {len(self.pairs)} pairs to judge (Swiss pairing on Elo)"


def propose_pairs(
    comparisons: Any,
    models: Sequence[str],
    n: int,
    *,
    k: float = 32.0,
    base: float = 1500.0,
    scale: float = 400.0,
    allow_repeats: bool = False,
    seed: int | np.random.Generator | None = 0,
) -> PairProposal:
    """Propose the next ``n`` pairs to judge: Swiss pairing on current Elo ratings.

    The verdicts so far are replayed as online Elo (every model starts at ``base``).
    Models are sorted by rating (ties in random order, so the first round is a random
    pairing) and each unpaired model, from the top, is paired with the next unpaired
    model below it that it has not met yet. If fewer than ``n`` pairs come out of one
    pass (``n`` above half the models), further passes pair the remaining neighbours
    again, still without repeating a pair.

    Parameters
    ----------
    comparisons
        The verdicts so far (the store's ``comparisons`` rows or any frame with
        ``model_a``, ``model_b``, ``winner``), in the order they were collected; ``None``
        or an empty frame before the first round.
    models
        Every model (or item) to rank, including those never judged.
    n
        How many pairs to propose (fewer, with a warning, when not enough unmet pairs
        remain and ``allow_repeats`` is False).
    k, base, scale
        Elo update step, initial rating and scale (ProSkill's constants are not
        published: ``k=32``, ``base=1500`` are assay's choice).
    allow_repeats
        When every neighbour was already met, pair the closest-rated neighbours again
        rather than proposing fewer pairs.
    seed
        Seed or generator of the order among equal ratings.

    Returns
    -------
    PairProposal

    References
    ----------
    Mazzamuto, M., Di Mauro, D., Francesca, G., Farinella, G. M. & Furnari, A. (2026).
    ProSkill: segment-level skill assessment in procedural videos. WACV
    (arXiv:2601.20661): Swiss rounds, Elo aggregation.
    Elo, A. E. (1978). *The Rating of Chessplayers, Past and Present*. Arco.
    """
    where = "propose_pairs"
    names = model_names(models, where)
    check_number(n, "n", where, low=0, integer=True)
    check_number(k, "k", where, low=0)
    check_number(base, "base", where, low=-math.inf)
    check_number(scale, "scale", where, low=0)
    if not isinstance(allow_repeats, bool):
        raise InputError(f"the 'allow_repeats' parameter of {where} must be True or False")
    rng = resolve_rng(seed, where)
    ratings = dict.fromkeys(names, float(base))
    met: set[tuple[str, str]] = set()
    n_verdicts = 0
    if comparisons is not None and _has_rows(comparisons):
        battles = read_battles(comparisons, where=where)
        unknown = [m for m in battles.models if m not in ratings]
        if unknown:
            raise InputError(
                f"{where}: the verdicts compare models not in 'models': {unknown[:8]}; "
                "add them to 'models' or drop their verdicts"
            )
        with warnings.catch_warnings():
            # early Swiss rounds leave the comparison graph in pieces by design; online
            # Elo puts every model on one scale regardless
            warnings.filterwarnings(
                "ignore", "the comparison graph has", category=DegenerateDataWarning
            )
            elo = EloRating(k=k, scale=scale, base=base).fit(comparisons, bootstrap=0)
        for e in elo.ratings_.entries:
            ratings[e.model] = e.rating
        for a, b in zip(battles.ia.tolist(), battles.ib.tolist(), strict=True):
            met.add(_key(battles.models[a], battles.models[b]))
        n_verdicts = battles.n
    tiebreak = rng.random(len(names))
    order = sorted(range(len(names)), key=lambda i: (-ratings[names[i]], tiebreak[i]))
    ranked = [names[i] for i in order]
    pairs: list[tuple[str, str]] = []
    proposed: set[tuple[str, str]] = set()
    while len(pairs) < n:
        new = _one_pass(ranked, met | proposed, n - len(pairs))
        if not new and allow_repeats:
            new = _one_pass(ranked, proposed, n - len(pairs))
        if not new:
            break
        pairs.extend(new)
        proposed.update(_key(a, b) for a, b in new)
    if len(pairs) < n:
        warnings.warn(
            f"{where}: only {len(pairs)} of {n} pairs proposed: every other pair of the "
            f"{len(names)} models was already judged (pass allow_repeats=True to judge "
            "pairs again)",
            DegenerateDataWarning,
            stacklevel=2,
        )
    out = tuple(
        ProposedPair(
            model_a=a,
            model_b=b,
            rating_a=ratings[a],
            rating_b=ratings[b],
            expected_a=1.0 / (1.0 + 10.0 ** ((ratings[b] - ratings[a]) / scale)),
        )
        for a, b in pairs
    )
    return PairProposal(
        pairs=out,
        ratings={m: ratings[m] for m in ranked},
        n_verdicts=n_verdicts,
        signature={
            "method": "proskill: swiss pairing on online elo",
            "k": float(k),
            "base": float(base),
            "scale": float(scale),
            "allow_repeats": allow_repeats,
            "seed": seed_record(seed),
            "assay_version": __version__,
            "n_models": len(names),
            "n_verdicts": n_verdicts,
        },
    )


def _has_rows(data: Any) -> bool:
    try:
        return len(data) > 0
    except TypeError:
        return True


def _key(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a < b else (b, a)


def _one_pass(ranked: list[str], avoid: set[tuple[str, str]], limit: int) -> list[tuple[str, str]]:
    """Pair each unpaired model with the nearest unpaired model below it not in ``avoid``."""
    taken: set[str] = set()
    out: list[tuple[str, str]] = []
    for i, a in enumerate(ranked):
        if len(out) >= limit:
            break
        if a in taken:
            continue
        for b in ranked[i + 1 :]:
            if b not in taken and _key(a, b) not in avoid:
                out.append((a, b))
                taken.update((a, b))
                break
    return out
