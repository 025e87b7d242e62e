"""Ratings from pairwise verdicts: online Elo and Bradley-Terry with intervals.

Both estimators take battles (the store's ``comparisons`` rows or any frame with
``model_a``, ``model_b`` and ``winner`` in {a, b, tie, both_bad}) and return a
:class:`Ratings` result with bootstrap intervals, rank intervals and a signature::

    from assay.analysis.ranking import BradleyTerry

    bt = BradleyTerry(ties="davidson").fit(store.read("comparisons"), seed=0)
    bt.ratings_                      # rich table / HTML in a notebook
    bt.ratings_.win_probability_matrix()
"""

from assay.analysis.ranking._bt import BradleyTerry
from assay.analysis.ranking._elo import EloRating
from assay.analysis.ranking._result import ModelRating, RatingInterval, Ratings, StyleCoefficient

__all__ = [
    "BradleyTerry",
    "EloRating",
    "ModelRating",
    "RatingInterval",
    "Ratings",
    "StyleCoefficient",
]
