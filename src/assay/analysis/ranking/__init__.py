"""Ratings from pairwise verdicts, tournaments, and aggregation across benchmarks.

Ratings: online Elo and Bradley-Terry take battles (the store's ``comparisons`` rows or
any frame with ``model_a``, ``model_b`` and ``winner`` in {a, b, tie, both_bad}) and
return a :class:`Ratings` result with bootstrap intervals, rank intervals and a
signature::

    from assay.analysis.ranking import BradleyTerry

    bt = BradleyTerry(ties="davidson").fit(store.read("comparisons"), seed=0)
    bt.ratings_                      # rich table / HTML in a notebook
    bt.ratings_.win_probability_matrix()

Across benchmarks (a models x benchmarks frame or ``scores_table(store)``):
:func:`aggregate_scores` (mean, HELM mean win rate, Borda, with intervals over benchmark
resamples), :func:`what_if` (drop a benchmark, zero a score), :func:`swiss_tournament`
and :func:`failure_sensitivity` (Competitive Swiss-System Dynamics).

Tournaments and annotation: :func:`varco_arena` (a knockout bracket per prompt decided
by a :class:`Judge`, rated by Bradley-Terry) and :func:`propose_pairs` (ProSkill: the next
pairs to judge, by Swiss pairing on Elo).
"""

from assay.analysis.ranking._aggregate import (
    AggregateEntry,
    BenchmarkAggregate,
    WhatIf,
    WhatIfRow,
    aggregate_scores,
    what_if,
)
from assay.analysis.ranking._bt import BradleyTerry
from assay.analysis.ranking._elo import EloRating
from assay.analysis.ranking._proskill import PairProposal, ProposedPair, propose_pairs
from assay.analysis.ranking._result import ModelRating, RatingInterval, Ratings, StyleCoefficient
from assay.analysis.ranking._swiss import (
    FailureSensitivity,
    SwissEntry,
    SwissResult,
    failure_sensitivity,
    swiss_tournament,
)
from assay.analysis.ranking._tournament import (
    Judge,
    StoredVerdicts,
    TournamentResult,
    varco_arena,
)

__all__ = [
    "AggregateEntry",
    "BenchmarkAggregate",
    "BradleyTerry",
    "EloRating",
    "FailureSensitivity",
    "Judge",
    "ModelRating",
    "PairProposal",
    "ProposedPair",
    "RatingInterval",
    "Ratings",
    "StoredVerdicts",
    "StyleCoefficient",
    "SwissEntry",
    "SwissResult",
    "TournamentResult",
    "WhatIf",
    "WhatIfRow",
    "aggregate_scores",
    "failure_sensitivity",
    "propose_pairs",
    "swiss_tournament",
    "varco_arena",
    "what_if",
]
