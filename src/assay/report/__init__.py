"""Reports: the web leaderboard, its static export, plots, cards and leaderboard smells.

::

    from assay.report import ReportSource, create_app, export_site, leaderboard

    board = leaderboard(store)                 # models x tasks, intervals, separability
    export_site(ReportSource("assay.duckdb"), "site/")   # pages that open from disk
    app = create_app(ReportSource("assay.duckdb"))       # FastAPI, read-only

The web app and the static export render the same views with the same templates; the
numbers are recomputed from the stored item rows and cached until the store changes.
"""

from assay.report._cards import (
    DATA_CARD_FIELDS,
    MODEL_CARD_FIELDS,
    DataCard,
    ModelCard,
    data_card,
    load_card_file,
    model_card,
)
from assay.report._export import export_site
from assay.report._leaderboard import (
    Leaderboard,
    LeaderboardRow,
    Separability,
    TaskColumn,
    adjacent_separability,
    leaderboard,
    task_groups,
)
from assay.report._plots import Plot
from assay.report._smells import SMELLS, LintReport, Smell, lint_leaderboard
from assay.report._source import AnalysisView, ReportSource
from assay.report._web import create_app

__all__ = [
    "DATA_CARD_FIELDS",
    "MODEL_CARD_FIELDS",
    "SMELLS",
    "AnalysisView",
    "DataCard",
    "Leaderboard",
    "LeaderboardRow",
    "LintReport",
    "ModelCard",
    "Plot",
    "ReportSource",
    "Separability",
    "Smell",
    "TaskColumn",
    "adjacent_separability",
    "create_app",
    "data_card",
    "export_site",
    "leaderboard",
    "lint_leaderboard",
    "load_card_file",
    "model_card",
    "task_groups",
]
