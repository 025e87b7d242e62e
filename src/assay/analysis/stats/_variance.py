"""How much of a score's variance comes from the items and how much from seeds or prompts.

Scores of one model on one task, with several samples per item (``sample_index``: seeds
or trials) or several prompt variants (``prompt_variant``), split into variance
components by the method of moments (ANOVA estimators):

* ``"nested"``: the replicates of an item are exchangeable draws (sampling seeds). One-way
  random effects: ``y_ij = mu + item_i + e_ij``; components ``item`` and ``within``
  (seed-to-seed variation of the same item). Unbalanced data use Searle's ``n0``.
* ``"crossed"``: the same replicate labels recur on every item (prompt variants, fixed
  seeds shared across items). Two-way random effects without interaction on a complete
  items x variants table: components ``item``, ``variant`` and ``residual``.

Negative moment estimates are set to 0 (the usual truncation), and the standard error of
the benchmark mean implied by the components is reported.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from assay._display import TableView
from assay.analysis.stats._inputs import check_choice, float_vector
from assay.analysis.stats._interval import signature
from assay.errors import InputError

__all__ = ["VarianceComponents", "variance_components"]

Design = Literal["nested", "crossed"]


@dataclass(frozen=True)
class VarianceComponents(TableView):
    """Variance components of item scores.

    Attributes
    ----------
    components
        Component name -> variance (``item`` and ``within`` for a nested design;
        ``item``, ``variant`` and ``residual`` for a crossed one).
    mean
        Grand mean (mean of item means for nested data).
    se
        Standard error of the benchmark mean implied by the components:
        ``sqrt(item/I + within/N)`` (nested) or ``sqrt(item/I + variant/J + residual/(I J))``
        (crossed).
    mean_squares
        The ANOVA mean squares the components come from.
    """

    components: dict[str, float]
    mean: float
    se: float
    design: str
    n_items: int
    n_replicates: int
    n_rows: int
    mean_squares: dict[str, float]
    signature: dict[str, Any] = field(default_factory=dict)

    @property
    def shares(self) -> dict[str, float]:
        """Each component's share of the total variance."""
        total = sum(self.components.values())
        return {k: (v / total if total > 0 else float("nan")) for k, v in self.components.items()}

    def to_dict(self) -> dict[str, Any]:
        return {
            "components": dict(self.components),
            "shares": self.shares,
            "mean": self.mean,
            "se": self.se,
            "design": self.design,
            "n_items": self.n_items,
            "n_replicates": self.n_replicates,
            "n_rows": self.n_rows,
            "mean_squares": dict(self.mean_squares),
            "signature": self.signature,
        }

    def to_rows(self) -> tuple[list[str], list[list[object]]]:
        shares = self.shares
        rows: list[list[object]] = [
            [k, v, shares[k], float(np.sqrt(v))] for k, v in self.components.items()
        ]
        return ["component", "variance", "share", "sd"], rows

    @property
    def title(self) -> str:
        return (
            f"variance components ({self.design}), mean {self.mean:.4f} +- {self.se:.4f} "
            f"over {self.n_items} items x {self.n_replicates} replicates"
        )


def _labels(labels: Sequence[object] | ArrayLike, name: str, func: str) -> NDArray[np.str_]:
    """One text label per row from ``labels`` (a scalar or a table is refused)."""
    arr = np.asarray(labels, dtype=object)
    if arr.ndim != 1:
        raise InputError(
            f"the {name!r} parameter of {func} must hold one label per row (a list); got "
            f"{labels!r}"[:300]
        )
    return arr.astype(str)


def variance_components(
    values: ArrayLike,
    items: Sequence[object] | ArrayLike,
    replicates: Sequence[object] | ArrayLike,
    *,
    design: Design = "nested",
) -> VarianceComponents:
    """Split the variance of item scores into item and seed / prompt-variant components.

    Parameters
    ----------
    values
        One score per row (one response of one item under one replicate).
    items
        The item of each row.
    replicates
        The replicate of each row: a sample index (seed, trial) or a prompt variant.
    design
        ``"nested"`` when replicates are exchangeable within an item (seeds);
        ``"crossed"`` when a replicate label means the same thing on every item (a prompt
        variant) and every item has every variant exactly once.

    Returns
    -------
    VarianceComponents

    References
    ----------
    Searle, S. R., Casella, G. & McCulloch, C. E. (1992). *Variance Components*, ch. 3-4
    (ANOVA estimators, balanced and unbalanced one-way and two-way classifications).
    Madaan, L. et al. (2024). Quantifying variance in evaluation benchmarks.
    arXiv:2406.10229 (seed variance of benchmark scores).
    """
    func = "variance_components"
    check_choice(design, Design, "design", func)
    y = float_vector(values, "values", func)
    it = _labels(items, "items", func)
    rep = _labels(replicates, "replicates", func)
    if not (len(it) == len(rep) == len(y)):
        raise InputError(
            f"{func}: 'values', 'items' and 'replicates' must have one entry per row; got "
            f"{len(y)}, {len(it)} and {len(rep)}"
        )
    keep = ~np.isnan(y)
    y, it, rep = y[keep], it[keep], rep[keep]
    _, ii = np.unique(it, return_inverse=True)
    _, jj = np.unique(rep, return_inverse=True)
    n_i, n_j, n = int(ii.max(initial=-1)) + 1, int(jj.max(initial=-1)) + 1, len(y)
    if n_i < 2:
        raise InputError(f"{func}: need at least two items with a value; got {n_i}")
    params = {"design": design}
    if design == "nested":
        sizes = np.bincount(ii).astype(float)
        if sizes.max() < 2:
            raise InputError(f"{func}: every item has one replicate; nothing varies within items")
        item_means = np.bincount(ii, weights=y) / sizes
        grand = float(y.mean())
        ss_b = float((sizes * (item_means - grand) ** 2).sum())
        ss_w = float(((y - item_means[ii]) ** 2).sum())
        ms_b, ms_w = ss_b / (n_i - 1), ss_w / (n - n_i)
        n0 = (n - (sizes**2).sum() / n) / (n_i - 1)
        s_item = max(0.0, (ms_b - ms_w) / n0)
        comps = {"item": s_item, "within": ms_w}
        mean = float(item_means.mean())
        se = float(np.sqrt(s_item / n_i + ms_w / n))
        ms = {"between_items": ms_b, "within_items": ms_w}
    else:
        table = np.full((n_i, n_j), np.nan)
        counts = np.zeros((n_i, n_j), dtype=np.int64)
        np.add.at(counts, (ii, jj), 1)
        if (counts != 1).any():
            bad = np.argwhere(counts != 1)[0]
            raise InputError(
                f"{func}: a crossed design needs every item under every variant exactly once; "
                f"item {str(np.unique(it)[bad[0]])!r} has {counts[tuple(bad)]} rows for variant "
                f"{str(np.unique(rep)[bad[1]])!r}"
            )
        if n_j < 2:
            raise InputError(f"{func}: a crossed design needs at least two variants")
        table[ii, jj] = y
        grand = float(table.mean())
        r = table.mean(axis=1)
        c = table.mean(axis=0)
        ms_item = n_j * float(((r - grand) ** 2).sum()) / (n_i - 1)
        ms_var = n_i * float(((c - grand) ** 2).sum()) / (n_j - 1)
        resid = table - r[:, None] - c[None, :] + grand
        ms_e = float((resid**2).sum()) / ((n_i - 1) * (n_j - 1))
        comps = {
            "item": max(0.0, (ms_item - ms_e) / n_j),
            "variant": max(0.0, (ms_var - ms_e) / n_i),
            "residual": ms_e,
        }
        mean = grand
        se = float(np.sqrt(comps["item"] / n_i + comps["variant"] / n_j + ms_e / (n_i * n_j)))
        ms = {"items": ms_item, "variants": ms_var, "residual": ms_e}
    return VarianceComponents(
        components=comps,
        mean=mean,
        se=se,
        design=design,
        n_items=n_i,
        n_replicates=n_j,
        n_rows=n,
        mean_squares=ms,
        signature=signature(
            f"ANOVA variance components ({design})", n=n, resamples=None, seed=None, params=params
        ),
    )
