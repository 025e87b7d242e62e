"""Importers for other evaluation tools' files (lm-eval, Inspect, HELM, CSV/Parquet)."""

from assay.io._api import (
    ImportFormat,
    ImportOutcome,
    ImportReport,
    import_paths,
    importers,
    plan_import,
)
from assay.io._base import ImportBatch, Importer

__all__ = [
    "ImportBatch",
    "ImportFormat",
    "ImportOutcome",
    "ImportReport",
    "Importer",
    "import_paths",
    "importers",
    "plan_import",
]
