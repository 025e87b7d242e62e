"""Importing a Parquet dataset written by ``assay export --parquet`` (another team's store)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from assay.errors import FormatError
from assay.io._base import ImportBatch
from assay.schema import TABLES
from assay.store._parquet import FORMAT_NAME, check_manifest, read_dataset_table

__all__ = ["ParquetDatasetImporter", "is_dataset_dir"]


def is_dataset_dir(path: Path) -> bool:
    """True when ``path`` is a directory holding an assay Parquet dataset's manifest."""
    manifest = path / "manifest.json"
    if not (path.is_dir() and manifest.is_file()):
        return False
    try:
        return bool(json.loads(manifest.read_text()).get("format") == FORMAT_NAME)
    except (OSError, ValueError, AttributeError):
        return False


class ParquetDatasetImporter:
    """Reads a whole exported dataset as one batch (written in one transaction)."""

    name = "assay-parquet"

    def claims(self, path: Path) -> bool:
        return is_dataset_dir(path)

    def group(self, paths: Sequence[Path]) -> list[tuple[Path, ...]]:
        return [(p,) for p in paths]

    def read(self, files: tuple[Path, ...]) -> ImportBatch:
        if len(files) != 1:
            raise FormatError(
                files[0], "an assay Parquet dataset is imported one directory at a time"
            )
        root = files[0]
        check_manifest(root)
        tables = {t: read_dataset_table(root, t) for t in TABLES}
        check_manifest(root, {t: a.num_rows for t, a in tables.items()})
        run_ids = tables["runs"].column("run_id").to_pylist()
        return ImportBatch(
            source=self.name,
            files=(str(root),),
            run_id=",".join(sorted(run_ids)) if len(run_ids) <= 3 else f"{len(run_ids)} runs",
            tables={t: a for t, a in tables.items() if a.num_rows},
        )
