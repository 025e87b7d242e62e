"""Bradley-Terry ratings by maximum likelihood, with ties, anchoring, style control and a
fast bootstrap."""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any, Self, get_args

import numpy as np
from numpy.typing import NDArray

from assay._version import __version__
from assay.analysis.ranking._base import (
    RatingEstimator,
    check_bootstrap,
    check_number,
    seed_record,
    style_names,
    warn_if_disconnected,
)
from assay.analysis.ranking._battles import Battles, names_text, read_battles
from assay.analysis.ranking._likelihood import (
    TIE_MODELS,
    Design,
    TieModel,
    make_design,
    newton,
    outcome_probabilities,
    refit,
    starting_point,
    tie_value,
)
from assay.analysis.ranking._result import build_ratings, to_rating_scale
from assay.analysis.stats._bootstrap import resolve_rng
from assay.errors import ConvergenceWarning, DegenerateDataWarning, InputError

__all__ = ["BradleyTerry"]


class BradleyTerry(RatingEstimator):
    """Bradley-Terry ratings from pairwise verdicts, as Chatbot Arena computes them.

    The probability that model ``a`` beats model ``b`` is ``sigmoid(s_a - s_b)`` for
    natural-log strengths ``s``, reported as ratings ``base + scale * s / ln 10`` (a gap of
    ``scale`` points is 10:1 odds, Elo's convention). Strengths are the maximum-likelihood
    estimate, found by Newton's method on the battles aggregated into cells (distinct
    pairs with counts of a-wins, b-wins and ties), so the cost of a fit, and of each
    bootstrap refit, does not grow with the number of battles.

    Parameters
    ----------
    ties
        ``"half"``: a tie is half a win for each side (Chatbot Arena). ``"rao-kupper"``:
        ``P(a) = sigmoid(s_a - s_b - eta)``, ``P(tie)`` the rest, ``theta = exp(eta) >= 1``
        estimated. ``"davidson"``: ``P(a) : P(b) : P(tie) = sqrt(pi_a/pi_b) :
        sqrt(pi_b/pi_a) : nu`` with ``nu`` estimated. A ``both_bad`` verdict counts as a
        tie in all three.
    scale, base
        The rating scale: ``base + scale * s / ln 10``.
    anchor
        ``None``: ratings are centred so their mean is ``base`` (per connected component).
        A model name: that model gets ``base`` (Chatbot Arena anchors
        ``mixtral-8x7b-instruct-v0.1`` at 1114: ``anchor=..., base=1114``); its interval
        is then a single point and the others' intervals are intervals of the gap to it.
    style
        ``None``, or style features to control for, e.g. ``["length"]`` (Chatbot Arena's
        style control): feature ``f`` is read from columns ``f_a`` and ``f_b`` (or those
        keys of a JSON ``metadata`` column), turned into ``(f_a - f_b) / (f_a + f_b + 1)``
        and standardised over the battles; ``d = s_a - s_b + sum_k beta_k x_k`` and the
        coefficients ``beta`` are reported (natural log-odds per standard deviation).
    alpha
        Ridge ``alpha / 2 * sum(s**2)`` on the strengths (a Gaussian prior of variance
        ``1 / alpha``, choix's convention). The default is negligible against any real
        data but keeps ratings finite when a model won or lost every battle (then a
        DegenerateDataWarning says so); ``0`` gives the plain maximum-likelihood estimate.
    max_iter, tol
        At most ``max_iter`` Newton steps per fit; converged when no parameter (natural
        scale) moved by more than ``tol``.

    Attributes
    ----------
    ratings_ : Ratings
        Ratings, intervals, ranks and the signature.
    models_ : tuple of str
        Model names (sorted); the order of ``strengths_``.
    strengths_ : numpy.ndarray
        Natural-log strengths, centred as the ratings are.
    tie_parameter_ : float or None
        Rao-Kupper ``theta`` or Davidson ``nu``.
    style_coef_ : dict of str to float
        Style coefficients by feature.
    n_battles_ : int
        Battles fitted.
    n_iter_ : int
        Newton steps of the point fit.

    Notes
    -----
    Disconnected comparison graphs get a DegenerateDataWarning that names the components;
    each component is then centred on ``base`` separately (the anchor, if any, fixes its
    own component only), ranks are within components, and predicted probabilities across
    components are NaN.

    The bootstrap resamples battles with replacement, exactly: the number of times each
    cell's outcome is drawn is multinomial over the distinct (pair, outcome[, style
    values]) cells, which is the distribution that drawing battle rows gives; each refit
    starts from the point estimate. Intervals are percentile intervals; rank intervals
    are percentiles of each model's bootstrap rank.

    References
    ----------
    Bradley, R. A. & Terry, M. E. (1952). Rank analysis of incomplete block designs: I.
    The method of paired comparisons. *Biometrika* 39, 324-345.
    Rao, P. V. & Kupper, L. L. (1967). Ties in paired-comparison experiments: a
    generalization of the Bradley-Terry model. *JASA* 62, 194-204.
    Davidson, R. R. (1970). On extending the Bradley-Terry model to accommodate ties in
    paired comparison experiments. *JASA* 65, 317-328.
    Ford, L. R. (1957). Solution of a ranking problem from binary comparisons. *American
    Mathematical Monthly* 64, 28-33.
    Chiang, W.-L. et al. (2024). Chatbot Arena: an open platform for evaluating LLMs by
    human preference. arXiv:2403.04132 (and lm-sys/FastChat ``elo_analysis.py``).
    """

    def __init__(
        self,
        *,
        ties: TieModel = "half",
        scale: float = 400.0,
        base: float = 1000.0,
        anchor: str | None = None,
        style: Sequence[str] | None = None,
        alpha: float = 1e-6,
        max_iter: int = 100,
        tol: float = 1e-8,
    ) -> None:
        self.ties = ties
        self.scale = scale
        self.base = base
        self.anchor = anchor
        self.style = style
        self.alpha = alpha
        self.max_iter = max_iter
        self.tol = tol

    def _validate(self) -> tuple[str, ...]:
        where = "BradleyTerry"
        if self.ties not in get_args(TieModel):
            raise InputError(
                f"the 'ties' parameter of {where} must be one of "
                f"{', '.join(repr(t) for t in TIE_MODELS)}; got {self.ties!r}"
            )
        check_number(self.scale, "scale", where, low=0)
        check_number(self.base, "base", where, low=-math.inf)
        check_number(self.alpha, "alpha", where, low=0, strict=False)
        check_number(self.max_iter, "max_iter", where, low=0, integer=True)
        check_number(self.tol, "tol", where, low=0)
        if self.anchor is not None and not isinstance(self.anchor, str):
            raise InputError(
                f"the 'anchor' parameter of {where} must be None or a model name; "
                f"got {self.anchor!r}"
            )
        return style_names(self.style, where)

    def fit(
        self,
        data: Any,
        *,
        bootstrap: int = 1000,
        confidence: float = 0.95,
        seed: int | np.random.Generator | None = 0,
    ) -> Self:
        """Fit the ratings, and bootstrap intervals unless ``bootstrap=0``.

        Parameters
        ----------
        data
            Battles: a pandas, polars or Arrow frame with ``model_a``, ``model_b`` and
            ``winner`` in {a, b, tie, both_bad} (the store's ``comparisons`` rows), a
            mapping of columns, or a sequence of Comparison records; plus the style
            columns when ``style`` is set. Filter judges before (e.g. human votes only).
        bootstrap
            Bootstrap rounds (battles resampled with replacement); 0 for none.
        confidence
            Two-sided level of the intervals.
        seed
            Seed or generator of the resampling.

        Returns
        -------
        self
        """
        style = self._validate()
        check_bootstrap(bootstrap, confidence, "BradleyTerry.fit")
        rng = resolve_rng(seed, "BradleyTerry.fit")
        ties: TieModel = self.ties
        battles = read_battles(data, style=style, where="BradleyTerry.fit")
        labels = battles.components()
        anchor = battles.index(self.anchor, "BradleyTerry anchor") if self.anchor else None
        warn_if_disconnected(battles, labels, self.anchor)
        self._warn_if_unbounded(battles, labels)

        cells = battles.cells()
        design = make_design(cells, battles.n_models, ties, labels)
        n_ties = int(cells.counts[:, 2].sum())
        if ties != "half" and n_ties == 0:
            warnings.warn(
                f"ties={ties!r} but the battles hold no tie: the tie parameter sits at its "
                "boundary (no ties predicted) and the strengths are those of ties='half'",
                DegenerateDataWarning,
                stacklevel=2,
            )
        theta0 = starting_point(design, cells.counts)[None]
        counts = cells.counts.astype(np.float64)[None]
        point = newton(
            design, counts, theta0, alpha=self.alpha, max_iter=self.max_iter, tol=self.tol
        )
        if not point.converged[0]:
            warnings.warn(
                f"BradleyTerry.fit did not converge in max_iter={self.max_iter} Newton steps; "
                "the ratings may be inaccurate (with alpha=0, a model that won or lost every "
                "battle has no finite rating)",
                ConvergenceWarning,
                stacklevel=2,
            )
        theta_hat = point.theta[0]

        boot = self._bootstrap(design, cells.counts, theta_hat, bootstrap, rng)

        m, k = design.n_models, design.n_style
        ratings = to_rating_scale(
            theta_hat[:m], labels, scale=self.scale, base=self.base, anchor=anchor
        )
        draws = tie_draws = style_draws = None
        if boot is not None:
            theta_b, present = boot
            draws = to_rating_scale(
                theta_b[:, :m],
                labels,
                scale=self.scale,
                base=self.base,
                anchor=anchor,
                present=present,
            )
            style_draws = theta_b[:, m : m + k]
            if design.n_tie:
                tie_draws = tie_value(ties, theta_b[:, -1])
        tie_param = float(tie_value(ties, theta_hat[-1:])[0]) if design.n_tie else None
        self.models_ = battles.models
        self.strengths_ = (ratings - self.base) * math.log(10) / self.scale
        self.tie_parameter_ = tie_param
        self.style_coef_ = {f: float(theta_hat[m + j]) for j, f in enumerate(style)}
        self.n_battles_ = battles.n
        self.n_iter_ = int(point.n_iter[0])
        self._style_norm = (battles.style_mean, battles.style_std)
        self._labels = labels
        self.ratings_ = build_ratings(
            models=battles.models,
            ratings=ratings,
            draws=draws,
            labels=labels,
            record=battles.model_counts(),
            method="bradley-terry",
            ties=ties,
            scale=float(self.scale),
            base=float(self.base),
            confidence=float(confidence),
            tie_parameter=tie_param,
            tie_draws=tie_draws,
            style=style,
            style_coef=theta_hat[m : m + k],
            style_draws=style_draws,
            style_mean=battles.style_mean,
            style_std=battles.style_std,
            signature=self._signature(battles, bootstrap, confidence, seed, len(cells)),
        )
        return self

    def _warn_if_unbounded(self, battles: Battles, labels: NDArray[np.intp]) -> None:
        strong = battles.strong_components()
        split = [
            np.unique(strong[labels == c])
            for c in range(int(labels.max()) + 1)
            if len(np.unique(strong[labels == c])) > 1
        ]
        if not split:
            return
        groups = "; ".join(
            " and ".join(
                names_text([battles.models[i] for i in np.flatnonzero(strong == g)]) for g in gs
            )
            for gs in split
        )
        warnings.warn(
            "no finite maximum-likelihood ratings: the battles split into groups of models "
            f"of which one won (or tied) every battle against another: {groups}; the gaps "
            f"between these groups are held finite only by the penalty alpha={self.alpha:g} "
            "and are not estimates. Add battles that the leading group lost, or drop the "
            "models that never lost or never won.",
            DegenerateDataWarning,
            stacklevel=3,
        )

    def _bootstrap(
        self,
        design: Design,
        counts: NDArray[np.int64],
        theta_hat: NDArray[np.float64],
        rounds: int,
        rng: np.random.Generator,
    ) -> tuple[NDArray[np.float64], NDArray[np.bool_]] | None:
        """Refits on multinomial resamples of the cells' outcome counts."""
        if rounds == 0:
            return None
        n = int(counts.sum())
        flat = counts.ravel().astype(np.float64)
        pvals = flat / flat.sum()

        def draw(b: int) -> NDArray[np.float64]:
            return rng.multinomial(n, pvals, size=b).astype(np.float64).reshape(b, -1, 3)

        thetas, present, failed = refit(
            design,
            draw,
            theta_hat,
            rounds,
            alpha=self.alpha,
            max_iter=self.max_iter,
            tol=self.tol,
        )
        if failed:
            warnings.warn(
                f"{failed} of {rounds} bootstrap refits did not converge in "
                f"max_iter={self.max_iter} Newton steps; the intervals may be too wide",
                ConvergenceWarning,
                stacklevel=3,
            )
        return thetas, present

    def _signature(
        self,
        battles: Battles,
        bootstrap: int,
        confidence: float,
        seed: int | np.random.Generator | None,
        n_cells: int,
    ) -> dict[str, Any]:
        return {
            "method": "bradley-terry",
            "estimator": "maximum likelihood (Newton), ridge alpha on strengths",
            "ties": self.ties,
            "both_bad": "counted as a tie",
            "scale": float(self.scale),
            "base": float(self.base),
            "anchor": self.anchor,
            "alpha": float(self.alpha),
            "style": list(battles.style),
            "style_normalisation": {
                f: {"mean": float(battles.style_mean[j]), "std": float(battles.style_std[j])}
                for j, f in enumerate(battles.style)
            },
            "bootstrap": int(bootstrap),
            "interval": "percentile, battles resampled (multinomial over cells)",
            "confidence": float(confidence),
            "seed": seed_record(seed),
            "assay_version": __version__,
            "data_hash": battles.data_hash(),
            "n_battles": battles.n,
            "n_models": battles.n_models,
            "n_cells": n_cells,
            "n_both_bad": int((battles.outcome == 3).sum()),
        }

    def predict_proba(self, data: Any) -> NDArray[np.float64]:
        """Predicted outcome probabilities of battles.

        Parameters
        ----------
        data
            Battles with ``model_a`` and ``model_b`` (``winner`` is not needed), plus the
            style columns for a style-controlled fit.

        Returns
        -------
        numpy.ndarray
            Shape ``(battles, 3)``: P(a wins), P(b wins), P(tie) (0 for ``ties="half"``).
        """
        self._check_fitted("predict_proba")
        style = tuple(self.ratings_.signature["style"])
        battles = read_battles(
            data,
            style=style,
            where="BradleyTerry.predict_proba",
            require_winner=False,
            normalisation=self._style_norm if style else None,
        )
        idx = np.array([self.models_.index(m) if m in self.models_ else -1 for m in battles.models])
        unknown = [m for m, i in zip(battles.models, idx, strict=True) if i < 0]
        if unknown:
            raise InputError(
                f"BradleyTerry.predict_proba: unknown models {unknown[:8]}; the fit rated "
                f"{list(self.models_)[:20]}"
            )
        s = self.strengths_
        d = s[idx[battles.ia]] - s[idx[battles.ib]]
        if style:
            d = d + battles.x @ np.array([self.style_coef_[f] for f in style])
        pa, pb, pt = outcome_probabilities(self.ratings_.ties, d, self.tie_parameter_)
        out = np.column_stack([pa, pb, pt])
        # strengths in different components of the comparison graph are not comparable
        out[self._labels[idx[battles.ia]] != self._labels[idx[battles.ib]]] = np.nan
        return out
