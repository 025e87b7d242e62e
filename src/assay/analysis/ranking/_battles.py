"""Reading pairwise verdicts: validation, model codes, the comparison graph, count cells.

A *battle* is one verdict: ``model_a`` against ``model_b`` with ``winner`` one of
``"a"``, ``"b"``, ``"tie"`` or ``"both_bad"`` (the values of the store's ``comparisons``
table). Both kinds of tie count as a tie everywhere in this package: a ``both_bad``
verdict says neither answer was better, which is what a tie says about the *difference*
between two models (Chatbot Arena treats ``tie (bothbad)`` the same way).

Rating models see the data only through *cells*: the distinct (model_a, model_b[, style
values]) combinations with their counts of a-wins, b-wins and ties. Without style
covariates the orientation of a pair does not matter to a Bradley-Terry likelihood, so a
cell is an unordered pair and 1 million battles among 100 models become at most 4,950
cells: fits and bootstrap refits cost the same whatever the number of battles.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from assay.errors import InputError
from assay.schema import Comparison, records_to_table

__all__ = ["WINNERS", "Battles", "Cells", "describe_components", "names_text", "read_battles"]

#: the accepted ``winner`` values, in outcome-code order (0, 1, 2, 3)
WINNERS: Final = ("a", "b", "tie", "both_bad")

A_WINS: Final = 0
B_WINS: Final = 1
TIE: Final = 2
BOTH_BAD: Final = 3

#: how many model names a message lists before it says "and N more"
_SHOW: Final = 8


def names_text(models: Sequence[str]) -> str:
    """``{'a', 'b', ... and N more}`` for messages."""
    shown = ", ".join(repr(m) for m in models[:_SHOW])
    more = len(models) - _SHOW
    return "{" + shown + (f", ... and {more} more" if more > 0 else "") + "}"


def _to_arrow(data: Any, where: str) -> pa.Table:
    if isinstance(data, pa.Table):
        return data
    if isinstance(data, pa.RecordBatch):
        return pa.Table.from_batches([data])
    if isinstance(data, pl.DataFrame):
        return data.to_arrow()
    if isinstance(data, pd.DataFrame):
        return pa.Table.from_pandas(data, preserve_index=False)
    if isinstance(data, Mapping):
        scalar = [str(k) for k, v in data.items() if isinstance(v, str | bytes)]
        if scalar:
            raise InputError(
                f"the 'data' parameter of {where}: a mapping of columns needs a list of values "
                f"per column; column {scalar[0]!r} is one text value"
            )
        return _arrow_from(lambda: pa.table({str(k): v for k, v in data.items()}), where)
    if isinstance(data, Iterable) and not isinstance(data, str | bytes):
        rows = list(data)
        if rows and all(isinstance(r, Comparison) for r in rows):
            return records_to_table("comparisons", rows)
        if all(isinstance(r, Mapping) for r in rows):
            return _arrow_from(lambda: pa.Table.from_pylist([dict(r) for r in rows]), where)
    raise InputError(
        f"the 'data' parameter of {where} must be a pandas, polars or Arrow frame, a mapping "
        f"of columns, or a sequence of Comparison records or dicts; got {type(data).__name__}"
    )


def _arrow_from(build: Callable[[], pa.Table], where: str) -> pa.Table:
    """``build()``, with Arrow's complaint about the columns (unequal lengths, mixed
    types, values that are not columns) raised as an :class:`InputError`."""
    try:
        return build()
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError) as exc:
        raise InputError(
            f"the 'data' parameter of {where} cannot be read as battle columns "
            f"(model_a, model_b, winner of equal length, one type per column): {exc}"
        ) from None


def _row(index: int, count: int) -> str:
    return f"row {index}" + (f" (and {count - 1} more rows)" if count > 1 else "")


def _text_column(table: pa.Table, name: str, where: str) -> pa.Array:
    if name not in table.column_names:
        raise InputError(
            f"{where}: the battles have no column {name!r}; expected model_a, model_b and "
            f"winner (the columns of the store's comparisons table); got {table.column_names}"
        )
    col = table.column(name)
    try:
        arr = pc.cast(col, pa.string()).combine_chunks()
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise InputError(f"{where}: column {name!r} must hold text; got {col.type}") from exc
    nulls = np.flatnonzero(arr.is_null().to_numpy(zero_copy_only=False))
    if len(nulls):
        raise InputError(
            f"{where}: {_row(int(nulls[0]), len(nulls))} (0-based) has no {name}; every "
            "battle needs model_a, model_b and winner"
        )
    return arr


@dataclass(frozen=True)
class Cells:
    """Distinct battle configurations with their outcome counts.

    Attributes
    ----------
    ia, ib
        Model codes of side a and side b of each cell.
    x
        Style covariates of each cell, shape ``(cells, features)``.
    counts
        Outcome counts, shape ``(cells, 3)``: a wins, b wins, ties (``both_bad`` included).
    """

    ia: NDArray[np.intp]
    ib: NDArray[np.intp]
    x: NDArray[np.float64]
    counts: NDArray[np.int64]

    def __len__(self) -> int:
        return len(self.ia)


@dataclass(frozen=True)
class Battles:
    """Validated battles as model codes, outcome codes and normalised style covariates.

    Attributes
    ----------
    models
        Model names, sorted; codes index this tuple.
    ia, ib
        Model codes of each battle, in input order.
    outcome
        0 a wins, 1 b wins, 2 tie, 3 both_bad.
    x
        Normalised style differences per battle, shape ``(battles, features)``.
    style
        The style feature names (columns of ``x``).
    style_mean, style_std
        The mean and standard deviation (over battles) used to normalise each feature.
    """

    models: tuple[str, ...]
    ia: NDArray[np.intp]
    ib: NDArray[np.intp]
    outcome: NDArray[np.int8]
    x: NDArray[np.float64]
    style: tuple[str, ...]
    style_mean: NDArray[np.float64]
    style_std: NDArray[np.float64]

    @property
    def n(self) -> int:
        return len(self.ia)

    @property
    def n_models(self) -> int:
        return len(self.models)

    def index(self, model: str, where: str) -> int:
        """The code of ``model`` (an InputError naming the known models if unknown)."""
        try:
            return self.models.index(model)
        except ValueError:
            raise InputError(
                f"{where}: unknown model {model!r}; the battles compare {names_text(self.models)}"
            ) from None

    def model_counts(self) -> NDArray[np.int64]:
        """Per model: battles, wins, losses, ties (shape ``(models, 4)``)."""
        m = self.n_models
        out = np.zeros((m, 4), dtype=np.int64)
        out[:, 0] = np.bincount(self.ia, minlength=m) + np.bincount(self.ib, minlength=m)
        a_win = self.outcome == A_WINS
        b_win = self.outcome == B_WINS
        tie = ~(a_win | b_win)
        out[:, 1] = np.bincount(self.ia[a_win], minlength=m) + np.bincount(
            self.ib[b_win], minlength=m
        )
        out[:, 2] = np.bincount(self.ia[b_win], minlength=m) + np.bincount(
            self.ib[a_win], minlength=m
        )
        out[:, 3] = np.bincount(self.ia[tie], minlength=m) + np.bincount(self.ib[tie], minlength=m)
        return out

    def components(self) -> NDArray[np.intp]:
        """Component label of each model in the comparison graph (0 = the largest)."""
        m = self.n_models
        graph = coo_matrix((np.ones(self.n), (self.ia, self.ib)), shape=(m, m))
        _, labels = connected_components(graph, directed=False)
        return _relabel(labels, self.models)

    def strong_components(self) -> NDArray[np.intp]:
        """Components of the "beat or tied" graph: an edge i -> j when i beat or tied j.

        The Bradley-Terry maximum-likelihood estimate is finite only when this graph is
        strongly connected within each component of the comparison graph (Ford, 1957).
        """
        m = self.n_models
        a_win = self.outcome == A_WINS
        b_win = self.outcome == B_WINS
        tie = ~(a_win | b_win)
        src = np.concatenate([self.ia[a_win], self.ib[b_win], self.ia[tie], self.ib[tie]])
        dst = np.concatenate([self.ib[a_win], self.ia[b_win], self.ib[tie], self.ia[tie]])
        graph = coo_matrix((np.ones(len(src)), (src, dst)), shape=(m, m))
        _, labels = connected_components(graph, directed=True, connection="strong")
        return _relabel(labels, self.models)

    def cells(self) -> Cells:
        """The battles aggregated into cells (unordered pairs when there is no style)."""
        outcome = np.minimum(self.outcome, TIE).astype(np.int64)
        m = self.n_models
        if not self.style:
            swap = self.ia > self.ib
            lo = np.where(swap, self.ib, self.ia)
            hi = np.where(swap, self.ia, self.ib)
            # a swapped battle's a-win is a win of the lower code's opponent
            outcome = np.where(swap & (outcome < TIE), 1 - outcome, outcome)
            key = lo.astype(np.int64) * m + hi
            uniq, inv = np.unique(key, return_inverse=True)
            counts = np.bincount(inv * 3 + outcome, minlength=3 * len(uniq)).reshape(-1, 3)
            return Cells(
                ia=(uniq // m).astype(np.intp),
                ib=(uniq % m).astype(np.intp),
                x=np.zeros((len(uniq), 0)),
                counts=counts.astype(np.int64),
            )
        keys = np.column_stack([self.ia.astype(np.float64), self.ib.astype(np.float64), self.x])
        uniq_rows, inv = np.unique(keys, axis=0, return_inverse=True)
        inv = inv.reshape(-1)
        counts = np.bincount(inv * 3 + outcome, minlength=3 * len(uniq_rows)).reshape(-1, 3)
        return Cells(
            ia=uniq_rows[:, 0].astype(np.intp),
            ib=uniq_rows[:, 1].astype(np.intp),
            x=np.ascontiguousarray(uniq_rows[:, 2:]),
            counts=counts.astype(np.int64),
        )

    def data_hash(self) -> str:
        """A short SHA-256 of the battles (models, codes, outcomes, style values)."""
        h = hashlib.sha256()
        h.update("\0".join(self.models).encode())
        for arr in (self.ia.astype(np.int64), self.ib.astype(np.int64), self.outcome, self.x):
            h.update(np.ascontiguousarray(arr).tobytes())
        return h.hexdigest()[:16]

    def component_names(self, labels: NDArray[np.intp]) -> list[list[str]]:
        """The model names of each component label, in label order."""
        return [
            [self.models[i] for i in np.flatnonzero(labels == c)] for c in range(labels.max() + 1)
        ]


def _relabel(labels: NDArray[Any], models: Sequence[str]) -> NDArray[np.intp]:
    """Relabel components: largest first, then by first model name."""
    groups = [np.flatnonzero(labels == c) for c in np.unique(labels)]
    groups.sort(key=lambda g: (-len(g), models[g[0]]))
    out = np.empty(len(labels), dtype=np.intp)
    for new, g in enumerate(groups):
        out[g] = new
    return out


def describe_components(battles: Battles, labels: NDArray[np.intp]) -> str:
    """``{'a', 'b'} and {'c'}``-style text naming every component."""
    parts = [names_text(g) for g in battles.component_names(labels)]
    shown = parts[:_SHOW]
    text = ", ".join(shown[:-1]) + (" and " if len(shown) > 1 else "") + shown[-1]
    if len(parts) > _SHOW:
        text += f" (and {len(parts) - _SHOW} more components)"
    return text


def _style_values(table: pa.Table, name: str, side: str, where: str) -> NDArray[np.float64]:
    col = f"{name}_{side}"
    if col in table.column_names:
        try:
            arr = pc.cast(table.column(col), pa.float64()).combine_chunks()
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
            raise InputError(f"{where}: style column {col!r} must hold numbers") from exc
        values = arr.to_numpy(zero_copy_only=False).astype(np.float64)
        values[arr.is_null().to_numpy(zero_copy_only=False)] = np.nan
    elif "metadata" in table.column_names:
        values = np.full(table.num_rows, np.nan)
        for i, meta in enumerate(table.column("metadata").to_pylist()):
            if meta is None:
                continue
            try:
                obj = json.loads(meta) if isinstance(meta, str) else meta
            except json.JSONDecodeError as exc:
                raise InputError(
                    f"{where}: row {i} (0-based): the metadata column is not JSON ({exc})"
                ) from None
            if isinstance(obj, Mapping) and obj.get(col) is not None:
                try:
                    values[i] = float(obj[col])
                except (TypeError, ValueError):
                    raise InputError(
                        f"{where}: row {i} (0-based): metadata {col!r} is {obj[col]!r}, not a "
                        "number"
                    ) from None
    else:
        raise InputError(
            f"{where}: style feature {name!r} needs columns {name + '_a'!r} and "
            f"{name + '_b'!r} (or those keys in the metadata column); got {table.column_names}"
        )
    bad = np.flatnonzero(~np.isfinite(values) | (values < 0))
    if len(bad):
        raise InputError(
            f"{where}: {_row(int(bad[0]), len(bad))} (0-based): style value {col!r} is "
            f"{float(values[bad[0]])!r}; style features must be finite numbers >= 0 (a length, a "
            "count)"
        )
    return np.asarray(values, dtype=np.float64)


def read_battles(
    data: Any,
    *,
    style: Sequence[str] = (),
    where: str,
    require_winner: bool = True,
    normalisation: tuple[NDArray[np.float64], NDArray[np.float64]] | None = None,
) -> Battles:
    """Validate battles and encode them.

    Parameters
    ----------
    data
        A pandas, polars or Arrow frame (for example the store's ``comparisons`` rows), a
        mapping of columns, or a sequence of :class:`assay.schema.Comparison` records.
        Needs ``model_a``, ``model_b`` and ``winner``; other columns are ignored except
        the style columns.
    style
        Style feature names; feature ``f`` is read from columns ``f_a`` and ``f_b`` (or
        those keys of a JSON ``metadata`` column). Each becomes
        ``d = (f_a - f_b) / (f_a + f_b + 1)``, standardised over the battles.
    where
        The caller's name, for messages.
    require_winner
        ``False`` for prediction, where only the pairs are needed.
    normalisation
        The (mean, std) of each style feature to use instead of the battles' own (for
        prediction with a fitted model).

    Raises
    ------
    InputError
        No rows, a missing column, a null cell, a winner outside {a, b, tie, both_bad}
        or a model compared with itself; each message names the first offending row.
    """
    table = _to_arrow(data, where)
    if table.num_rows == 0:
        raise InputError(f"{where}: no battles: the input has no rows")
    a = _text_column(table, "model_a", where)
    b = _text_column(table, "model_b", where)
    same = np.flatnonzero(pc.equal(a, b).to_numpy(zero_copy_only=False))
    if len(same):
        i = int(same[0])
        raise InputError(
            f"{where}: {_row(i, len(same))} (0-based) compares model {a[i].as_py()!r} with "
            "itself (model_a == model_b); a self-pair says nothing about a rating: drop it"
        )
    if require_winner:
        w = _text_column(table, "winner", where)
        known = pc.is_in(w, value_set=pa.array(WINNERS)).to_numpy(zero_copy_only=False)
        bad = np.flatnonzero(~known)
        if len(bad):
            i = int(bad[0])
            raise InputError(
                f"{where}: {_row(i, len(bad))} (0-based) has winner {w[i].as_py()!r}; a winner "
                "must be one of 'a', 'b', 'tie', 'both_bad' (the store's comparisons values; "
                "the pairwise CSV importer maps model_a/model_b/tie (bothbad) to them)"
            )
        wd = w.dictionary_encode()
        code_of = np.array([WINNERS.index(v) for v in wd.dictionary.to_pylist()], dtype=np.int8)
        outcome = code_of[wd.indices.to_numpy(zero_copy_only=False)]
    else:
        outcome = np.zeros(table.num_rows, dtype=np.int8)

    both = pa.concat_arrays([a, b]).dictionary_encode()
    names = both.dictionary.to_pylist()
    order = sorted(range(len(names)), key=lambda k: names[k])
    remap = np.empty(len(names), dtype=np.intp)
    remap[order] = np.arange(len(names))
    codes = remap[both.indices.to_numpy(zero_copy_only=False)]
    n = table.num_rows

    feats = tuple(style)
    x = np.zeros((n, len(feats)))
    mean = np.zeros(len(feats))
    std = np.ones(len(feats))
    for k, f in enumerate(feats):
        fa = _style_values(table, f, "a", where)
        fb = _style_values(table, f, "b", where)
        d = (fa - fb) / (fa + fb + 1.0)
        if normalisation is not None:
            mean[k], std[k] = normalisation[0][k], normalisation[1][k]
        else:
            mean[k], std[k] = d.mean(), d.std()
        if not std[k] > 0 or not math.isfinite(std[k]):
            raise InputError(
                f"{where}: style feature {f!r} has the same normalised difference in every "
                "battle; its coefficient cannot be estimated: leave it out of 'style'"
            )
        x[:, k] = (d - mean[k]) / std[k]

    return Battles(
        models=tuple(names[k] for k in order),
        ia=codes[:n],
        ib=codes[n:],
        outcome=outcome,
        x=x,
        style=feats,
        style_mean=mean,
        style_std=std,
    )
