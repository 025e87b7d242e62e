"""Skill diagnosis: which skills each model has, from item-level scores and skill tags.

::

    from assay.analysis.diagnosis import DINA, FinCDM, q_matrix
    from assay.analysis.irt import item_matrix

    Y = item_matrix(store, task="arithmetic", metric="exact_match")
    Q = q_matrix(store, task="arithmetic", key="subskill")
    dina = DINA().fit(Y, Q)
    dina.mastery_                        # models x skills, P(skill mastered)
    dina.mastery_.lacking_report()       # {model: [skills it lacks]}
    FinCDM(seed=0).fit(Y, Q).mastery_    # factor-based mastery with bootstrap intervals
"""

from assay.analysis.diagnosis._dina import DINA
from assay.analysis.diagnosis._fincdm import FinCDM
from assay.analysis.diagnosis._mastery import LackingSkill, SkillMastery
from assay.analysis.diagnosis._qmatrix import QMatrix, q_matrix

__all__ = ["DINA", "FinCDM", "LackingSkill", "QMatrix", "SkillMastery", "q_matrix"]
