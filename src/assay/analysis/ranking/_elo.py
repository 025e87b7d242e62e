"""Online Elo ratings, Chatbot Arena's original leaderboard method."""

from __future__ import annotations

import math
from typing import Any, Literal, Self, get_args

import numpy as np
from numpy.typing import NDArray

from assay._version import __version__
from assay.analysis.ranking._base import (
    RatingEstimator,
    check_bootstrap,
    check_number,
    seed_record,
    warn_if_disconnected,
)
from assay.analysis.ranking._battles import Battles, read_battles
from assay.analysis.ranking._result import build_ratings
from assay.analysis.stats._bootstrap import resolve_rng
from assay.errors import InputError

__all__ = ["EloRating"]

Order = Literal["given", "shuffled"]

#: the score of side a for outcome codes a, b, tie, both_bad
_SCORE = np.array([1.0, 0.0, 0.5, 0.5])
#: battles per block of pre-drawn bootstrap indices
_BLOCK = 2048


class EloRating(RatingEstimator):
    """Online Elo ratings: one update per battle, in order.

    Every model starts at ``base``. For a battle of ``a`` against ``b`` with score
    ``s_a`` (1 win, 0 loss, 0.5 tie or both_bad), the expected score is
    ``e_a = 1 / (1 + 10 ** ((r_b - r_a) / scale))`` and ``r_a += k (s_a - e_a)``,
    ``r_b -= k (s_a - e_a)``. Updates are zero-sum, so each component of the comparison
    graph keeps mean rating ``base``.

    Online Elo depends on the order of the battles and, with a small ``k``, on the
    early battles for a long time; Chatbot Arena moved to Bradley-Terry
    (:class:`BradleyTerry`) for that reason. Use it to reproduce Elo leaderboards.

    Parameters
    ----------
    k
        The update step (Chatbot Arena: 4).
    scale, base
        ``scale`` points of gap are 10:1 odds; initial rating ``base``.
    order
        ``"given"``: the battles' row order (put them in time order). ``"shuffled"``: a
        random permutation drawn from ``fit``'s seed.

    Attributes
    ----------
    ratings_ : Ratings
        The online ratings (in the chosen order), bootstrap intervals and ranks.
    models_ : tuple of str
        Model names (sorted).
    n_battles_ : int
        Battles fitted.

    Notes
    -----
    The bootstrap follows Chatbot Arena: each round replays ``n`` battles drawn with
    replacement, in random order. Because the point rating is the online value in the
    given order while the rounds are in random order, an interval need not contain its
    point rating when the order matters (ratings drifted over time).

    References
    ----------
    Elo, A. E. (1978). *The Rating of Chessplayers, Past and Present*. Arco.
    Zheng, L. et al. (2023). Chatbot Arena leaderboard (lm-sys/FastChat
    ``elo_analysis.py``, ``compute_elo``).
    """

    def __init__(
        self, *, k: float = 4.0, scale: float = 400.0, base: float = 1000.0, order: Order = "given"
    ) -> None:
        self.k = k
        self.scale = scale
        self.base = base
        self.order = order

    def _validate(self) -> None:
        where = "EloRating"
        check_number(self.k, "k", where, low=0)
        check_number(self.scale, "scale", where, low=0)
        check_number(self.base, "base", where, low=-math.inf)
        if self.order not in get_args(Order):
            raise InputError(
                f"the 'order' parameter of {where} must be 'given' or 'shuffled'; "
                f"got {self.order!r}"
            )

    def fit(
        self,
        data: Any,
        *,
        bootstrap: int = 1000,
        confidence: float = 0.95,
        seed: int | np.random.Generator | None = 0,
    ) -> Self:
        """Replay the battles; bootstrap rounds replay resampled battles.

        Parameters
        ----------
        data
            Battles with ``model_a``, ``model_b``, ``winner`` in {a, b, tie, both_bad}
            (frames, a mapping of columns or Comparison records), in the order to replay.
        bootstrap
            Rounds of ``n`` battles drawn with replacement in random order; 0 for none.
            A round costs one vectorised pass over ``n`` battles for all rounds at once.
        confidence
            Two-sided level of the intervals.
        seed
            Seed or generator of the shuffle and the resampling.

        Returns
        -------
        self
        """
        self._validate()
        check_bootstrap(bootstrap, confidence, "EloRating.fit")
        rng = resolve_rng(seed, "EloRating.fit")
        battles = read_battles(data, where="EloRating.fit")
        labels = battles.components()
        warn_if_disconnected(battles, labels, None)
        order = rng.permutation(battles.n) if self.order == "shuffled" else np.arange(battles.n)
        ratings = self._online(battles, order)
        draws = self._bootstrap(battles, bootstrap, rng) if bootstrap else None
        self.models_ = battles.models
        self.n_battles_ = battles.n
        self.ratings_ = build_ratings(
            models=battles.models,
            ratings=ratings,
            draws=draws,
            labels=labels,
            record=battles.model_counts(),
            method="elo",
            ties="half",
            scale=float(self.scale),
            base=float(self.base),
            confidence=float(confidence),
            signature={
                "method": "elo",
                "k": float(self.k),
                "scale": float(self.scale),
                "base": float(self.base),
                "order": self.order,
                "ties": "half",
                "both_bad": "counted as a tie",
                "anchor": None,
                "bootstrap": int(bootstrap),
                "interval": "percentile, battles resampled and replayed in random order",
                "confidence": float(confidence),
                "seed": seed_record(seed),
                "assay_version": __version__,
                "data_hash": battles.data_hash(),
                "n_battles": battles.n,
                "n_models": battles.n_models,
                "n_both_bad": int((battles.outcome == 3).sum()),
            },
        )
        return self

    def _online(self, battles: Battles, order: NDArray[np.intp]) -> NDArray[np.float64]:
        r = [float(self.base)] * battles.n_models
        k = float(self.k)
        scale = float(self.scale)
        scores = _SCORE[battles.outcome[order]].tolist()
        for a, b, s in zip(
            battles.ia[order].tolist(), battles.ib[order].tolist(), scores, strict=True
        ):
            ra, rb = r[a], r[b]
            delta = k * (s - 1.0 / (1.0 + 10.0 ** ((rb - ra) / scale)))
            r[a] = ra + delta
            r[b] = rb - delta
        return np.array(r)

    def _bootstrap(
        self, battles: Battles, rounds: int, rng: np.random.Generator
    ) -> NDArray[np.float64]:
        """All rounds at once: step ``t`` of every round draws its own battle index."""
        n, m = battles.n, battles.n_models
        r = np.full((rounds, m), float(self.base))
        seen = np.zeros(rounds * m, dtype=np.int64)
        rows = np.arange(rounds)
        offset = (rows * m)[:, None]
        score = _SCORE[battles.outcome]
        k, scale = float(self.k), float(self.scale)
        for start in range(0, n, _BLOCK):
            width = min(_BLOCK, n - start)
            idx = rng.integers(0, n, size=(rounds, width))
            a_blk, b_blk, s_blk = battles.ia[idx], battles.ib[idx], score[idx]
            seen += np.bincount((offset + a_blk).ravel(), minlength=rounds * m)
            seen += np.bincount((offset + b_blk).ravel(), minlength=rounds * m)
            for t in range(width):
                a = a_blk[:, t]
                b = b_blk[:, t]
                ra = r[rows, a]
                rb = r[rows, b]
                delta = k * (s_blk[:, t] - 1.0 / (1.0 + 10.0 ** ((rb - ra) / scale)))
                r[rows, a] = ra + delta
                r[rows, b] = rb - delta
        r[seen.reshape(rounds, m) == 0] = np.nan
        return r

    def predict_proba(self, data: Any) -> NDArray[np.float64]:
        """P(a wins), P(b wins), P(tie) (always 0) from the fitted ratings.

        Parameters
        ----------
        data
            Battles with ``model_a`` and ``model_b``.

        Returns
        -------
        numpy.ndarray
            Shape ``(battles, 3)``.
        """
        self._check_fitted("predict_proba")
        battles = read_battles(data, where="EloRating.predict_proba", require_winner=False)
        lookup = {e.model: e.rating for e in self.ratings_.entries}
        unknown = [m for m in battles.models if m not in lookup]
        if unknown:
            raise InputError(
                f"EloRating.predict_proba: unknown models {unknown[:8]}; the fit rated "
                f"{list(self.models_)[:20]}"
            )
        r = np.array([lookup[m] for m in battles.models])
        pa = 1.0 / (1.0 + 10.0 ** ((r[battles.ib] - r[battles.ia]) / self.scale))
        return np.column_stack([pa, 1.0 - pa, np.zeros_like(pa)])
