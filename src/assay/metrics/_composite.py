"""Composite scores: weighted metric trees (LoCoBench's LCBS as one instance) and
weighted rubric scores (PRBench).

Registered metrics and their items: ``weighted_score`` and ``lcbs``, one node value of
the tree per item (prediction = the value, reference = the node's name); ``rubric_score``,
one task per item (prediction = the judged 0/1 criteria, reference = their weights).

References
----------
Qiu, J. et al. (2025). LoCoBench: a benchmark for long-context large language models in
complex software engineering. arXiv:2509.09614. Akyürek, A. F. et al. (2025). PRBench:
large-scale expert rubrics for evaluating high-stakes professional reasoning.
arXiv:2511.11562.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, cast

import numpy as np
from numpy.typing import NDArray

from assay.errors import InputError
from assay.metrics._core import (
    MeanMetric,
    Metric,
    _missing,
    as_floats,
    check_number,
    check_option,
    register,
    warn_degenerate,
)

__all__ = [
    "LCBS",
    "LOCOBENCH_TREE",
    "RubricScore",
    "WeightedScore",
    "lcbs",
    "lcbs_band",
    "rubric_score",
    "weighted_score",
]

FloatArray = NDArray[np.float64]


# --------------------------------------------------------------------------- composite scores

Tree = Mapping[str, "float | tuple[float, Tree]"]

#: LoCoBench's LCBS dimensions and metrics with their weights (Qiu et al. 2025)
LOCOBENCH_TREE: Tree = {
    "software_engineering": (
        0.4,
        {m: 0.125 for m in ("acs", "dta", "cfrd", "sts", "rs", "cs", "is", "ses")},
    ),
    "functional_correctness": (
        0.3,
        {m: 0.25 for m in ("compilation", "unit_tests", "integration_tests", "idc")},
    ),
    "code_quality": (0.2, {m: 1.0 / 3.0 for m in ("security", "issues_found", "style")}),
    "long_context_utilization": (0.1, {"icu": 0.5, "mmr": 0.5}),
}


def weighted_score(tree: Tree, scores: Mapping[str, float]) -> float:
    """Value of a weighted metric tree.

    ``tree`` maps a node name to its weight (a leaf) or to ``(weight, subtree)``. A
    node's value is ``scores[name]`` when given (a dimension score supplied directly),
    else the weighted mean of its children; weights are renormalised to sum to 1 at each
    level, over the children that have a value. A leaf without a score is an error.
    """
    total, weight_sum = 0.0, 0.0
    for name, spec in tree.items():
        weight, sub = (spec[0], spec[1]) if isinstance(spec, tuple) else (spec, None)
        weight = float(weight)
        if weight < 0 or math.isnan(weight):
            raise InputError(
                f"weighted_score: node {name!r} has weight {weight}; weights must be >= 0"
            )
        if name in scores:
            value = float(scores[name])
            if math.isnan(value):
                raise InputError(f"weighted_score: score {name!r} is NaN")
        elif sub is not None:
            value = weighted_score(sub, scores)
        else:
            raise InputError(f"weighted_score: no score for leaf {name!r}")
        total += weight * value
        weight_sum += weight
    if weight_sum == 0:
        raise InputError("weighted_score: the weights of a level sum to 0")
    return total / weight_sum


def lcbs(scores: Mapping[str, float]) -> tuple[float, str]:
    """LoCoBench score ``5 * weighted_score(LOCOBENCH_TREE, scores)`` on 0-5 (scores in
    [0, 1]: dimension names or metric names) and its band: excellent (>= 4), good (>= 3),
    fair (>= 2), poor.

    References
    ----------
    Qiu et al. (2025), LoCoBench.
    """
    value = 5.0 * weighted_score(LOCOBENCH_TREE, scores)
    return value, lcbs_band(value)


def lcbs_band(value: float) -> str:
    """LoCoBench's band of an LCBS value on 0-5: excellent (>= 4), good (>= 3), fair
    (>= 2), poor; ``"nan"`` for NaN."""
    if math.isnan(value):
        return "nan"
    return "excellent" if value >= 4 else "good" if value >= 3 else "fair" if value >= 2 else "poor"


FlatTree = tuple[tuple[str, str, float], ...]


def _flatten(tree: Tree, parent: str) -> list[tuple[Any, Any, Any]]:
    out: list[tuple[Any, Any, Any]] = []
    for name, spec in tree.items():
        weight, sub = (spec[0], spec[1]) if isinstance(spec, tuple) else (spec, None)
        out.append((name, parent, weight))
        if sub is not None:
            out.extend(_flatten(sub, name))
    return out


def _canonical_tree(tree: Any, owner: str) -> FlatTree:
    """The tree as ``(name, parent, weight)`` triples, parents before children (parent
    ``""`` at the top level): the form kept in signatures."""
    if isinstance(tree, Mapping):
        triples = _flatten(tree, "")
    elif isinstance(tree, Sequence) and not isinstance(tree, str):
        triples = [
            tuple(t) if isinstance(t, Sequence) and not isinstance(t, str) else t for t in tree
        ]
    else:
        triples = []
    what = (
        "a non-empty tree: a mapping of node name to weight or (weight, subtree), or "
        "(name, parent, weight) triples with parents first"
    )
    if not triples or any(not isinstance(t, tuple) or len(t) != 3 for t in triples):
        check_option(owner, "tree", tree, what)
    seen: set[str] = set()
    sums: dict[str, float] = {}
    out: list[tuple[str, str, float]] = []
    for name, parent, weight in triples:
        if not isinstance(name, str) or not name or name in seen:
            check_option(owner, "tree", tree, f"{what} (node {name!r} is empty or repeated)")
        if not isinstance(parent, str) or (parent and parent not in seen):
            check_option(
                owner,
                "tree",
                tree,
                f"{what} (parent {parent!r} of {name!r} comes later or is unknown)",
            )
        if (
            isinstance(weight, bool)
            or not isinstance(weight, int | float)
            or not (math.isfinite(weight) and weight >= 0)
        ):
            raise InputError(f"{owner}: node {name!r} has weight {weight!r}; weights must be >= 0")
        seen.add(name)
        sums[parent] = sums.get(parent, 0.0) + float(weight)
        out.append((name, parent, float(weight)))
    if any(total == 0 for total in sums.values()):
        raise InputError(f"{owner}: the weights of a level sum to 0")
    return tuple(out)


@register
@dataclass(frozen=True)
class WeightedScore(Metric):
    """Value of a weighted metric tree, times ``scale``.

    ``tree`` maps a node name to its weight (a leaf) or to ``(weight, subtree)``, as for
    :func:`weighted_score`; it is kept (and accepted) as ``(name, parent, weight)``
    triples, parents first, ``parent = ""`` at the top level. Node names are unique.

    An item is one node value: prediction = the value, reference = the node's name (a
    leaf metric, or an inner node such as a dimension whose score is given directly).
    A node's value is the mean of its items when it has any, else the weighted mean of
    its children that have a value, the weights renormalised over those children; a
    node with neither is left out. Every leaf needs an item for itself or for a node
    above it (:class:`InputError` otherwise, as :func:`weighted_score`); leaves left
    out by a bootstrap resample or ``nan_policy="omit"`` renormalise their siblings
    (assay's choice). With one item per node this is :func:`weighted_score`; with one
    item per (scenario, node) and complete scenarios it is the mean over scenarios.

    References
    ----------
    Qiu, J. et al. (2025). LoCoBench. arXiv:2509.09614 (weighted dimensions, renormalised
    when the weights do not sum to 1).
    """

    name: ClassVar[str] = "weighted_score"
    columns: ClassVar[tuple[str, ...]] = ("node", "value")
    tree: FlatTree | Tree = ()
    scale: float = 1.0

    def __post_init__(self) -> None:
        owner = type(self).__name__
        object.__setattr__(self, "tree", _canonical_tree(self.tree, owner))
        if (
            isinstance(self.scale, bool)
            or not isinstance(self.scale, int | float)
            or not (math.isfinite(self.scale) and self.scale > 0)
        ):
            check_option(owner, "scale", self.scale, "a finite number > 0")

    @property
    def _nodes(self) -> FlatTree:
        return cast(FlatTree, self.tree)

    def stats(self, predictions: Sequence[Any], references: Sequence[Any]) -> FloatArray:
        nodes = self._nodes
        index = {name: i for i, (name, _, _) in enumerate(nodes)}
        out = np.full((len(predictions), 2), np.nan)
        given: set[str] = set()
        for i, (p, r) in enumerate(zip(predictions, references, strict=True)):
            if not isinstance(r, str) or r not in index:
                raise InputError(
                    f"{self.name}: item {i} names node {r!r}, which is not in the tree "
                    f"(nodes: {', '.join(index)})"
                )
            given.add(r)
            out[i, 0] = index[r]
            if not _missing(p):
                out[i, 1] = check_number(p, self.name, f"the value of item {i} ({r!r})")
        parents = {name: parent for name, parent, _ in nodes}
        inner = set(parents.values())
        for leaf in (name for name in parents if name not in inner):
            node = leaf
            while node and node not in given:
                node = parents[node]
            if not node:
                raise InputError(
                    f"{self.name}: no score for leaf {leaf!r} (nor for a node above it)"
                )
        return out

    def aggregate(self, stats: FloatArray) -> float:
        if np.isnan(stats).any():
            return math.nan
        nodes = self._nodes
        n = len(nodes)
        idx = stats[:, 0].astype(np.intp)
        if (idx != stats[:, 0]).any() or (idx < 0).any() or (idx >= n).any():
            raise InputError(f"{self.name}: the node column must hold node indices in [0, {n})")
        sums = np.bincount(idx, weights=stats[:, 1], minlength=n)
        counts = np.bincount(idx, minlength=n)
        position = {name: i for i, (name, _, _) in enumerate(nodes)}
        acc_w = [0.0] * (n + 1)  # slot n: the root
        acc_v = [0.0] * (n + 1)
        for i in range(n - 1, -1, -1):  # children come after their parent
            if counts[i]:
                value = sums[i] / counts[i]
            elif acc_w[i] > 0:
                value = acc_v[i] / acc_w[i]
            else:
                continue
            _, parent, weight = nodes[i]
            slot = position[parent] if parent else n
            acc_w[slot] += weight
            acc_v[slot] += weight * value
        if acc_w[n] == 0:
            return warn_degenerate(self.name, "no node of the tree has a value")
        return float(self.scale * acc_v[n] / acc_w[n])


_LOCOBENCH_FLAT = _canonical_tree(LOCOBENCH_TREE, "LOCOBENCH_TREE")


@register
@dataclass(frozen=True)
class LCBS(WeightedScore):
    """LoCoBench score: :class:`WeightedScore` over :data:`LOCOBENCH_TREE` on 0-5
    (``scale`` 5; node values in [0, 1]: dimension or metric names). The band of a
    value is :func:`lcbs_band`.

    References
    ----------
    Qiu, J. et al. (2025). LoCoBench. arXiv:2509.09614.
    """

    name: ClassVar[str] = "lcbs"
    tree: FlatTree | Tree = _LOCOBENCH_FLAT
    scale: float = 5.0


# --------------------------------------------------------------------------- rubrics


def rubric_score(weights: Any, met: Any) -> dict[str, float]:
    """Weighted rubric score (PRBench).

    ``points = sum_i w_i met_i``; ``clipped = points / sum_{w>0} w`` clipped to [0, 1]
    (the paper's headline; its code does not clip, assay clips as the paper states);
    ``normalized = (points - sum_{w<0} w) / (sum_{w>0} w - sum_{w<0} w)``. Negative
    weights are detrimental criteria (met = the undesirable trait is present).

    References
    ----------
    Akyürek et al. (2025), PRBench.
    """
    w = as_floats(weights, "rubric_score", "weights")
    m = as_floats(met, "rubric_score", "met")
    if w.ndim != 1 or w.shape != m.shape or w.size == 0:
        raise InputError(
            f"rubric_score: weights and met must be non-empty vectors of equal length; got {w.shape} and {m.shape}"
        )
    if not np.isfinite(w).all() or not np.isin(m, (0.0, 1.0)).all():
        raise InputError("rubric_score: weights must be finite and met must be 0/1")
    pos, neg = w[w > 0].sum(), w[w < 0].sum()
    if pos == 0:
        raise InputError("rubric_score: no criterion has a positive weight")
    points = float(w @ m)
    return {
        "points": points,
        "clipped": float(np.clip(points / pos, 0.0, 1.0)),
        "normalized": float((points - neg) / (pos - neg)),
    }


@register
@dataclass(frozen=True)
class RubricScore(MeanMetric):
    """Mean clipped rubric score over tasks (items): prediction = the 0/1 ``met`` vector
    judged for a response, reference = the criteria weights. See :func:`rubric_score`."""

    name: ClassVar[str] = "rubric_score"
    kind: Literal["clipped", "normalized"] = "clipped"

    def __post_init__(self) -> None:
        check_option("RubricScore", "kind", self.kind, ("clipped", "normalized"))

    def score(self, prediction: Any, reference: Any) -> float:
        return rubric_score(reference, prediction)[self.kind]
