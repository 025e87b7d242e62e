"""Model judges against humans, and the position bias of a judge that saw both orders.

Both read pairwise verdicts (the store's ``comparisons`` rows: ``task``, ``item_id``,
``model_a``, ``model_b``, ``judge``, ``judge_kind``, ``winner``, ``position``,
``replicate``). A verdict is put in a canonical orientation (the pair's models in name
order) so that a judge who saw ``(b, a)`` and humans who saw ``(a, b)`` are compared on
the same question: which model won, or a tie. A ``both_bad`` verdict counts as a tie, as
everywhere in :mod:`assay.analysis.ranking`.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Generic, Literal, TypeVar, get_args

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy.stats import binomtest

from assay._display import TableView
from assay._version import __version__
from assay.analysis.ranking._battles import _to_arrow, read_battles
from assay.analysis.stats._bootstrap import resolve_rng
from assay.errors import InputError
from assay.judge._agreement import (
    Agreement,
    _kappa_from_table,
    _unit_weights,
    check_resampling,
    krippendorff_alpha,
)
from assay.schema import Position

__all__ = [
    "JudgeAgreement",
    "JudgeAgreementRow",
    "PositionBias",
    "PositionBiasRow",
    "judge_agreement",
    "position_bias",
]

UnknownPosition = Literal["model_a_first", "raise"]

#: canonical labels: the first model (by name) of the pair won, the second won, a tie
_LO, _HI, _TIE = 0, 1, 2


def _frame(data: Any, where: str, *, need_item: bool) -> pd.DataFrame:
    """Validated verdicts as pandas with canonical pair columns."""
    read_battles(data, where=where)  # winners, self-pairs, nulls: the ranking messages
    frame: pd.DataFrame = _to_arrow(data, where).to_pandas()
    if need_item and "item_id" not in frame.columns:
        raise InputError(
            f"{where}: the verdicts have no 'item_id' column; verdicts are matched per item "
            f"(the store's comparisons columns); got {list(frame.columns)}"
        )
    if "position" in frame.columns:
        position = frame["position"].fillna("").astype(str)
        bad = ~position.isin(get_args(Position))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InputError(
                f"{where}: row {i} (0-based) has position {position.iloc[i]!r}; a position must "
                "be 'ab' (model_a shown first), 'ba' or empty"
            )
    if "replicate" in frame.columns:
        replicate = pd.to_numeric(frame["replicate"].fillna(0), errors="coerce")
        bad = ~(np.isfinite(replicate) & (replicate == np.round(replicate)))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InputError(
                f"{where}: row {i} (0-based) has replicate {frame['replicate'].iloc[i]!r}; a "
                "replicate must be an integer"
            )
    out = pd.DataFrame(
        {
            "task": frame["task"].astype(str) if "task" in frame.columns else "",
            "item_id": frame["item_id"].astype(str) if "item_id" in frame.columns else "-",
            "model_a": frame["model_a"].astype(str),
            "model_b": frame["model_b"].astype(str),
            "winner": frame["winner"].astype(str),
            "judge": frame["judge"].astype(str) if "judge" in frame.columns else "unknown",
            "position": (
                frame["position"].fillna("").astype(str) if "position" in frame.columns else ""
            ),
            "replicate": (
                pd.to_numeric(frame["replicate"].fillna(0)).astype(int)
                if "replicate" in frame.columns
                else 0
            ),
        }
    )
    if "judge_kind" in frame.columns:
        kind = frame["judge_kind"].fillna("").astype(str)
    else:
        kind = pd.Series("", index=frame.index)
    # an empty kind: "human" for a judge named human(s), "model" otherwise
    named_human = out["judge"].str.lower().isin(["human", "humans"])
    out["judge_kind"] = np.where(kind != "", kind, np.where(named_human, "human", "model"))
    lo = np.minimum(out["model_a"], out["model_b"])
    hi = np.maximum(out["model_a"], out["model_b"])
    flipped = (out["model_a"] != lo).to_numpy()
    w = out["winner"].to_numpy()
    label = np.full(len(out), _TIE)
    label[(w == "a") & ~flipped] = _LO
    label[(w == "b") & flipped] = _LO
    label[(w == "a") & flipped] = _HI
    label[(w == "b") & ~flipped] = _HI
    out["lo"], out["hi"], out["label"] = lo, hi, label
    return out


def _judges(judges: Any, where: str) -> list[str]:
    """The 'judges' parameter as a list of names (a single string is not a list of them)."""
    if isinstance(judges, str) or not isinstance(judges, Iterable):
        raise InputError(
            f"the 'judges' parameter of {where} must be a list of judge names; got {judges!r}"
        )
    return list(judges)


def _interval(draws: NDArray[np.float64], confidence: float) -> tuple[float, float] | None:
    finite = draws[np.isfinite(draws)]
    if not len(finite):
        return None
    lo, hi = np.quantile(finite, [(1 - confidence) / 2, (1 + confidence) / 2])
    return float(lo), float(hi)


def _ci_text(ci: tuple[float, float] | None) -> str | None:
    return f"[{ci[0]:.3f}, {ci[1]:.3f}]" if ci is not None else None


_Row = TypeVar("_Row", "JudgeAgreementRow", "PositionBiasRow")


class _PerJudge(TableView, ABC, Generic[_Row]):
    """The read-out shared by the per-judge results: one row per judge in ``rows``; the
    subclass (a frozen dataclass) gives ``to_dict``, ``to_rows`` and ``title``."""

    rows: tuple[_Row, ...]

    def row(self, judge: str) -> _Row:
        """The row of ``judge``."""
        for r in self.rows:
            if r.judge == judge:
                return r
        raise InputError(f"no judge {judge!r}; judges are {[r.judge for r in self.rows]}")

    def to_pandas(self) -> pd.DataFrame:
        """One row per judge."""
        return pd.DataFrame([asdict(r) for r in self.rows])

    @abstractmethod
    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-serialisable values."""

    def to_json(self) -> str:
        """:meth:`to_dict` as JSON text."""
        return json.dumps(self.to_dict(), indent=2, sort_keys=True, default=list)

    @abstractmethod
    def to_rows(self) -> tuple[list[str], list[list[object]]]:
        """Column names and rows for display."""

    @property
    @abstractmethod
    def title(self) -> str:
        """The title of the displayed table."""


# ----------------------------------------------------------------------------- agreement


@dataclass(frozen=True, slots=True)
class JudgeAgreementRow:
    """One judge against the reference (human) verdicts.

    ``agreement``: the share of (judge verdict, human vote) pairs on the same unit that
    agree (three classes: either model won, or a tie), as in MT-Bench's "with tie";
    ``agreement_no_tie``: the same over pairs where neither said tie. ``kappa``: Cohen's
    kappa between the judge's verdicts and the human majority of each unit (units without
    a unique majority are left out). Intervals: percentile bootstrap over items. For the
    reference row (``judge`` = the reference kind), pairs are two distinct human votes on
    the same unit and ``kappa`` is ``None`` (see :attr:`JudgeAgreement.reference_alpha`).
    """

    judge: str
    n_units: int
    n_items: int
    n_pairs: int
    agreement: float
    agreement_ci: tuple[float, float] | None
    agreement_no_tie: float
    agreement_no_tie_ci: tuple[float, float] | None
    kappa: float | None
    kappa_ci: tuple[float, float] | None
    n_kappa: int


@dataclass(frozen=True)
class JudgeAgreement(_PerJudge[JudgeAgreementRow]):
    """Agreement of each model judge with the reference judges (humans).

    Attributes
    ----------
    rows
        One :class:`JudgeAgreementRow` per judge, the reference row first.
    reference_alpha
        Krippendorff's nominal alpha among the reference votes (units with >= 2 votes;
        votes are unlinked across units, which alpha allows).
    confidence
        Level of the intervals.
    signature
        Method, reference, resamples, seed, assay version.
    """

    rows: tuple[JudgeAgreementRow, ...]
    reference_alpha: Agreement | None
    confidence: float
    signature: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-serialisable values."""
        return {
            "rows": [asdict(r) for r in self.rows],
            "reference_alpha": self.reference_alpha.to_dict() if self.reference_alpha else None,
            "confidence": self.confidence,
            "signature": self.signature,
        }

    def to_rows(self) -> tuple[list[str], list[list[object]]]:
        """Column names and rows for display."""
        level = f"{self.confidence:.0%} CI"
        cols = [
            "judge",
            "units",
            "agreement",
            level,
            "w/o ties",
            level,
            "kappa vs majority",
            level,
        ]
        rows: list[list[object]] = [
            [
                r.judge,
                r.n_units,
                r.agreement,
                _ci_text(r.agreement_ci),
                r.agreement_no_tie,
                _ci_text(r.agreement_no_tie_ci),
                r.kappa,
                _ci_text(r.kappa_ci),
            ]
            for r in self.rows
        ]
        return cols, rows

    @property
    def title(self) -> str:
        ref = self.signature.get("reference", "human")
        return f"judge agreement with {ref} votes (bootstrap over items)"


def _unit_counts(frame: pd.DataFrame) -> pd.DataFrame:
    """Label counts ``c0, c1, c2`` per unit (task, item_id, lo, hi)."""
    keys = ["task", "item_id", "lo", "hi"]
    counts = (
        pd.crosstab([frame[k] for k in keys], frame["label"])
        .reindex(columns=[_LO, _HI, _TIE], fill_value=0)
        .rename(columns={_LO: "c0", _HI: "c1", _TIE: "c2"})
    )
    return counts.reset_index()


def _ratio_draws(
    per_item: NDArray[np.float64], weights: NDArray[np.float64] | None
) -> tuple[float, NDArray[np.float64]]:
    """``sum(num) / sum(den)`` of item columns ``(num, den)`` and its bootstrap draws."""
    with np.errstate(invalid="ignore", divide="ignore"):
        point = float(per_item[:, 0].sum() / per_item[:, 1].sum())
        if weights is None:
            return point, np.empty(0)
        draws = (weights @ per_item[:, 0]) / (weights @ per_item[:, 1])
    return point, draws


def judge_agreement(
    comparisons: Any,
    *,
    reference: str = "human",
    judges: Sequence[str] | None = None,
    resamples: int = 1000,
    confidence: float = 0.95,
    seed: int | np.random.Generator | None = 0,
) -> JudgeAgreement:
    """How often each model judge agrees with human votes on the same items and pairs.

    A *unit* is one item and one unordered pair of models. Each judge verdict on a unit
    (one per answer order the judge saw) is compared with every human vote on it.

    Parameters
    ----------
    comparisons
        Verdicts from humans and model judges (the store's ``comparisons`` rows, or any
        frame with ``item_id``, ``model_a``, ``model_b``, ``judge``, ``winner`` and
        ``judge_kind``; without ``judge_kind`` a judge named ``human`` is human).
    reference
        The ``judge_kind`` of the reference verdicts.
    judges
        The judges to compare (default: every judge whose kind is not ``reference``).
    resamples, confidence, seed
        Percentile bootstrap over items (task, item_id), the unit of sampling.

    Returns
    -------
    JudgeAgreement

    References
    ----------
    Zheng, L. et al. (2023). Judging LLM-as-a-judge with MT-Bench and Chatbot Arena.
    NeurIPS Datasets and Benchmarks (agreement with and without ties).
    Cohen, J. (1960). A coefficient of agreement for nominal scales. *Educational and
    Psychological Measurement* 20, 37-46.
    """
    where = "judge_agreement"
    check_resampling(resamples, confidence, where)
    frame = _frame(comparisons, where, need_item=True)
    ref = frame[frame["judge_kind"] == reference]
    if not len(ref):
        raise InputError(
            f"{where}: no verdicts with judge_kind {reference!r}; kinds present are "
            f"{sorted(frame['judge_kind'].unique())}"
        )
    others = frame[frame["judge_kind"] != reference]
    names = sorted(others["judge"].unique()) if judges is None else _judges(judges, where)
    unknown = [j for j in names if j not in set(others["judge"])]
    if unknown:
        raise InputError(
            f"{where}: unknown judges {unknown}; non-{reference} judges are "
            f"{sorted(others['judge'].unique())}"
        )
    rng = resolve_rng(seed)
    human = _unit_counts(ref)
    items = sorted(set(zip(human["task"], human["item_id"], strict=True)))
    item_index = {k: i for i, k in enumerate(items)}
    weights = _unit_weights(rng, len(items), resamples) if resamples else None
    rows = [_reference_row(human, item_index, weights, confidence, reference)]
    for name in names:
        rows.append(
            _judge_row(
                name, others[others["judge"] == name], human, item_index, weights, confidence
            )
        )
    alpha = _reference_alpha(human, resamples, confidence, rng)
    return JudgeAgreement(
        rows=tuple(rows),
        reference_alpha=alpha,
        confidence=float(confidence),
        signature={
            "method": "judge-reference agreement",
            "reference": reference,
            "unit": "item x unordered model pair",
            "both_bad": "counted as a tie",
            "kappa": "Cohen's kappa vs the unique plurality of reference votes",
            "interval": "percentile bootstrap over items" if resamples else None,
            "resamples": int(resamples),
            "confidence": float(confidence),
            "seed": int(seed) if isinstance(seed, int | np.integer) else None,
            "assay_version": __version__,
        },
    )


def _per_item(
    units: pd.DataFrame, values: pd.DataFrame, item_index: dict[tuple[str, str], int]
) -> NDArray[np.float64]:
    idx = np.array(
        [item_index[k] for k in zip(units["task"], units["item_id"], strict=True)], dtype=np.intp
    )
    out = np.zeros((len(item_index), values.shape[1]))
    np.add.at(out, idx, values.to_numpy(dtype=float))
    return out


def _reference_row(
    human: pd.DataFrame,
    item_index: dict[tuple[str, str], int],
    weights: NDArray[np.float64] | None,
    confidence: float,
    reference: str,
) -> JudgeAgreementRow:
    h = human[["c0", "c1", "c2"]].to_numpy(dtype=float)
    m = h.sum(1)
    d = h[:, :2].sum(1)
    stats = pd.DataFrame(
        {
            "agree": (h * (h - 1)).sum(1),
            "total": m * (m - 1),
            "agree_nt": (h[:, :2] * (h[:, :2] - 1)).sum(1),
            "total_nt": d * (d - 1),
        }
    )
    per_item = _per_item(human, stats, item_index)
    agree, agree_draws = _ratio_draws(per_item[:, :2], weights)
    nt, nt_draws = _ratio_draws(per_item[:, 2:], weights)
    return JudgeAgreementRow(
        judge=reference,
        n_units=int((m >= 2).sum()),
        n_items=int((per_item[:, 1] > 0).sum()),
        n_pairs=int(stats["total"].sum()),
        agreement=agree,
        agreement_ci=_interval(agree_draws, confidence),
        agreement_no_tie=nt,
        agreement_no_tie_ci=_interval(nt_draws, confidence),
        kappa=None,
        kappa_ci=None,
        n_kappa=0,
    )


def _judge_row(
    name: str,
    verdicts: pd.DataFrame,
    human: pd.DataFrame,
    item_index: dict[tuple[str, str], int],
    weights: NDArray[np.float64] | None,
    confidence: float,
) -> JudgeAgreementRow:
    judge = _unit_counts(verdicts).rename(columns={"c0": "j0", "c1": "j1", "c2": "j2"})
    both = judge.merge(human, on=["task", "item_id", "lo", "hi"], how="inner")
    if not len(both):
        raise InputError(
            f"judge_agreement: judge {name!r} shares no (item, model pair) with the reference "
            "votes; nothing to compare"
        )
    j = both[["j0", "j1", "j2"]].to_numpy(dtype=float)
    h = both[["c0", "c1", "c2"]].to_numpy(dtype=float)
    stats = pd.DataFrame(
        {
            "agree": (j * h).sum(1),
            "total": j.sum(1) * h.sum(1),
            "agree_nt": (j[:, :2] * h[:, :2]).sum(1),
            "total_nt": j[:, :2].sum(1) * h[:, :2].sum(1),
        }
    )
    # confusion of (human majority, judge verdict), 9 cells per unit
    top = h.max(1, keepdims=True)
    unique = (h == top).sum(1) == 1
    majority = h.argmax(1)
    conf = np.zeros((len(both), 9))
    for c in range(3):
        conf[np.arange(len(both)), majority * 3 + c] = j[:, c]
    conf[~unique] = 0.0
    conf_frame = pd.DataFrame(conf)
    per_item = _per_item(both, pd.concat([stats, conf_frame], axis=1), item_index)
    agree, agree_draws = _ratio_draws(per_item[:, 0:2], weights)
    nt, nt_draws = _ratio_draws(per_item[:, 2:4], weights)
    w = 1.0 - np.eye(3)
    table = per_item[:, 4:].sum(0).reshape(3, 3)
    kappa = float(_kappa_from_table(table, w))
    kappa_ci = None
    if weights is not None:
        kappa_ci = _interval(
            _kappa_from_table((weights @ per_item[:, 4:]).reshape(-1, 3, 3), w), confidence
        )
    return JudgeAgreementRow(
        judge=name,
        n_units=len(both),
        n_items=len({(t, i) for t, i in zip(both["task"], both["item_id"], strict=True)}),
        n_pairs=int(stats["total"].sum()),
        agreement=agree,
        agreement_ci=_interval(agree_draws, confidence),
        agreement_no_tie=nt,
        agreement_no_tie_ci=_interval(nt_draws, confidence),
        kappa=kappa,
        kappa_ci=kappa_ci,
        n_kappa=int(unique.sum()),
    )


def _reference_alpha(
    human: pd.DataFrame, resamples: int, confidence: float, rng: np.random.Generator
) -> Agreement | None:
    h = human[["c0", "c1", "c2"]].to_numpy(dtype=int)
    h = h[h.sum(1) >= 2]
    if not len(h):
        return None
    width = int(h.sum(1).max())
    data = np.full((len(h), width), np.nan)
    for i, row in enumerate(h):
        labels = np.repeat([_LO, _HI, _TIE], row)
        data[i, : len(labels)] = labels
    if len(np.unique(data[np.isfinite(data)])) < 2:
        return None
    return krippendorff_alpha(
        data, level="nominal", resamples=resamples, confidence=confidence, seed=rng
    )


# ----------------------------------------------------------------------------- position


@dataclass(frozen=True, slots=True)
class PositionBiasRow:
    """Position bias of one judge over the units it judged in both answer orders.

    ``consistency``: share of units where the judge preferred the same model (or a tie)
    in both orders, with a Wilson interval. ``first_bias`` / ``second_bias``: share of
    units where the answer shown first (second) won more often over the two orders.
    ``first_share``: share of decisive verdicts won by the answer shown first.
    ``statistic``/``pvalue``: two-sided sign test of ``first_bias`` against
    ``second_bias`` (units favouring first vs second position, binomial with p = 1/2).
    """

    judge: str
    n_units: int
    n_single_order: int
    consistency: float
    consistency_ci: tuple[float, float]
    first_bias: float
    second_bias: float
    first_share: float
    statistic: int
    pvalue: float
    method: str = "sign test"


@dataclass(frozen=True)
class PositionBias(_PerJudge[PositionBiasRow]):
    """Position bias of each judge that saw both answer orders (see
    :class:`PositionBiasRow`)."""

    rows: tuple[PositionBiasRow, ...]
    confidence: float
    signature: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-serialisable values."""
        return {
            "rows": [asdict(r) for r in self.rows],
            "confidence": self.confidence,
            "signature": self.signature,
        }

    def to_rows(self) -> tuple[list[str], list[list[object]]]:
        """Column names and rows for display."""
        cols = [
            "judge",
            "units",
            "consistency",
            f"{self.confidence:.0%} CI",
            "favours 1st",
            "favours 2nd",
            "1st-position wins",
            "sign-test p",
        ]
        rows: list[list[object]] = [
            [
                r.judge,
                r.n_units,
                r.consistency,
                _ci_text(r.consistency_ci),
                r.first_bias,
                r.second_bias,
                r.first_share,
                f"{r.pvalue:.2g}",
            ]
            for r in self.rows
        ]
        return cols, rows

    @property
    def title(self) -> str:
        return "position bias of judges that saw both answer orders"


def position_bias(
    comparisons: Any,
    *,
    judges: Sequence[str] | None = None,
    unknown_position: UnknownPosition = "model_a_first",
    confidence: float = 0.95,
) -> PositionBias:
    """Consistency and first-position preference of judges that saw both answer orders.

    A unit is one item, one unordered pair and one replicate judged in both orders. The
    answer shown first is ``model_a`` when ``position`` is ``"ab"`` and ``model_b`` when
    it is ``"ba"``.

    Parameters
    ----------
    comparisons
        Verdicts (the store's ``comparisons`` rows or a frame with ``item_id``,
        ``model_a``, ``model_b``, ``judge``, ``winner`` and optionally ``position``,
        ``replicate``, ``judge_kind``).
    judges
        The judges to analyse (default: every judge whose ``judge_kind`` is not
        ``"human"``; human votes are rarely from one annotator across orders).
    unknown_position
        What an empty ``position`` means: ``"model_a_first"`` (the convention of pairwise
        CSVs such as MT-Bench's and PRD's, where model_a is "Assistant 1"; recorded in
        the signature) or ``"raise"``.
    confidence
        Level of the Wilson interval of the consistency.

    Returns
    -------
    PositionBias

    References
    ----------
    Zheng, L. et al. (2023). Judging LLM-as-a-judge with MT-Bench and Chatbot Arena
    (position bias: consistency when the answer order is swapped).
    Wang, P. et al. (2023). Large language models are not fair evaluators.
    arXiv:2305.17926.
    Wilson, E. B. (1927). Probable inference, the law of succession, and statistical
    inference. *JASA* 22, 209-212.
    """
    where = "position_bias"
    if unknown_position not in get_args(UnknownPosition):
        raise InputError(
            f"the 'unknown_position' parameter of {where} must be 'model_a_first' or "
            f"'raise'; got {unknown_position!r}"
        )
    check_resampling(0, confidence, where)
    frame = _frame(comparisons, where, need_item=True)
    if unknown_position == "raise" and (frame["position"] == "").any():
        i = int(np.flatnonzero(frame["position"] == "")[0])
        raise InputError(
            f"{where}: row {i} (0-based) has no position; pass unknown_position="
            "'model_a_first' if model_a was shown first"
        )
    pool = frame[frame["judge_kind"] != "human"] if judges is None else frame
    names = sorted(pool["judge"].unique()) if judges is None else _judges(judges, where)
    unknown = [j for j in names if j not in set(frame["judge"])]
    if unknown:
        raise InputError(
            f"{where}: unknown judges {unknown}; judges are {sorted(frame['judge'].unique())}"
        )
    rows = [_bias_row(name, frame[frame["judge"] == name], confidence, where) for name in names]
    return PositionBias(
        rows=tuple(rows),
        confidence=float(confidence),
        signature={
            "method": "position bias: swap consistency and sign test",
            "unit": "item x unordered pair x replicate, judged in both orders",
            "unknown_position": unknown_position,
            "interval": "Wilson",
            "confidence": float(confidence),
            "assay_version": __version__,
        },
    )


def _bias_row(name: str, v: pd.DataFrame, confidence: float, where: str) -> PositionBiasRow:
    first = np.where(v["position"] == "ba", v["model_b"], v["model_a"])
    v = v.assign(lo_first=first == v["lo"].to_numpy())
    keys = ["task", "item_id", "lo", "hi", "replicate", "lo_first"]
    dup = v.duplicated(keys)
    if dup.any():
        r = v[dup].iloc[0]
        raise InputError(
            f"{where}: judge {name!r} has more than one verdict on item {r['item_id']!r} for "
            f"{r['model_a']!r} vs {r['model_b']!r} in the same order and replicate; give "
            "repeated verdicts distinct replicate numbers"
        )
    wide = v.pivot_table(
        index=["task", "item_id", "lo", "hi", "replicate"],
        columns="lo_first",
        values="label",
        aggfunc="first",
    )
    if True not in wide.columns or False not in wide.columns:
        n_units = 0
        paired = wide.iloc[0:0]
    else:
        paired = wide.dropna(subset=[True, False])
        n_units = len(paired)
    n_single = len(wide) - n_units
    if n_units == 0:
        raise InputError(
            f"{where}: judge {name!r} never judged the same item and pair in both orders; "
            "position bias needs both orders"
        )
    lab_lo_first = paired[True].to_numpy(dtype=int)  # lo shown first
    lab_hi_first = paired[False].to_numpy(dtype=int)  # hi shown first
    consistent = lab_lo_first == lab_hi_first
    # position outcome of each verdict: +1 first shown won, -1 second won, 0 tie
    pos1 = np.select([lab_lo_first == _LO, lab_lo_first == _HI], [1, -1], 0)
    pos2 = np.select([lab_hi_first == _HI, lab_hi_first == _LO], [1, -1], 0)
    net = pos1 + pos2
    k_first = int((net > 0).sum())
    k_second = int((net < 0).sum())
    decisive = int((pos1 != 0).sum() + (pos2 != 0).sum())
    first_wins = int((pos1 > 0).sum() + (pos2 > 0).sum())
    n_cons = int(consistent.sum())
    ci = binomtest(n_cons, n_units).proportion_ci(confidence, method="wilson")
    pvalue = (
        float(binomtest(k_first, k_first + k_second, 0.5).pvalue) if k_first + k_second else 1.0
    )
    return PositionBiasRow(
        judge=name,
        n_units=n_units,
        n_single_order=n_single,
        consistency=n_cons / n_units,
        consistency_ci=(float(ci.low), float(ci.high)),
        first_bias=k_first / n_units,
        second_bias=k_second / n_units,
        first_share=first_wins / decisive if decisive else float("nan"),
        statistic=k_first,
        pvalue=pvalue,
    )
