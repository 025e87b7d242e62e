"""Item response theory on model x item scores: Rasch, 2PL and multidimensional 2PL.

::

    from assay.analysis.irt import IRT, irt_diagnostics, item_matrix

    Y = item_matrix(store, task="chembench")      # models x items, NaN = not run
    irt = IRT(model="2pl").fit(Y)
    irt.ability_, irt.difficulty_, irt.discrimination_
    irt.estimate_ability(scores, items)           # a new model from a few items
    irt_diagnostics(irt, Y)                       # item fit, local dependence, bad items

``P(correct) = sigmoid(a_i . theta_m - b_i)`` (slope-intercept form, as tinyBenchmarks).
"""

from assay.analysis.irt._diagnostics import (
    IRTDiagnostics,
    ItemDiagnostic,
    LocalDependence,
    irt_diagnostics,
)
from assay.analysis.irt._matrix import ItemMatrix, item_matrix
from assay.analysis.irt._model import IRT, AbilityEstimate

__all__ = [
    "IRT",
    "AbilityEstimate",
    "IRTDiagnostics",
    "ItemDiagnostic",
    "ItemMatrix",
    "LocalDependence",
    "irt_diagnostics",
    "item_matrix",
]
