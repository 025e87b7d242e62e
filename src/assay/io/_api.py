"""Importing other tools' files into the store: detection, grouping, one transaction per run."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from dataclasses import replace as replace_field
from pathlib import Path
from typing import Literal, get_args

import pyarrow as pa

from assay._display import TableView
from assay.errors import AssayError, FormatError, InputError
from assay.io._base import ImportBatch, Importer, read_bytes
from assay.io.parquet_dataset import is_dataset_dir
from assay.schema import to_json
from assay.store import Store, WriteSummary

__all__ = [
    "ImportFormat",
    "ImportOutcome",
    "ImportReport",
    "import_paths",
    "importers",
    "plan_import",
]

ImportFormat = Literal[
    "auto", "lm-eval", "inspect", "helm", "long-table", "pairwise", "assay-parquet"
]
OutcomeStatus = Literal["stored", "unchanged", "failed", "skipped"]


def importers() -> list[Importer]:
    """The registered importers, in the order detection asks them."""
    from assay.io.helm import HelmImporter
    from assay.io.inspect_log import InspectImporter
    from assay.io.lm_eval import LmEvalImporter
    from assay.io.parquet_dataset import ParquetDatasetImporter
    from assay.io.tabular import LongTableImporter, PairwiseCsvImporter

    return [
        ParquetDatasetImporter(),
        InspectImporter(),
        LmEvalImporter(),
        HelmImporter(),
        PairwiseCsvImporter(),
        LongTableImporter(),
    ]


@dataclass(frozen=True)
class ImportOutcome:
    """What happened to one group of files (normally one run)."""

    files: tuple[str, ...]
    importer: str
    status: OutcomeStatus
    run_id: str | None = None
    summary: WriteSummary | None = None
    rows: dict[str, int] = field(default_factory=dict)
    error: str | None = None
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class ImportReport(TableView):
    """The outcome of :func:`import_paths`, one entry per group of files."""

    outcomes: tuple[ImportOutcome, ...]

    @property
    def failed(self) -> tuple[ImportOutcome, ...]:
        """Groups that could not be imported (nothing of them was stored)."""
        return tuple(o for o in self.outcomes if o.status == "failed")

    @property
    def ok(self) -> bool:
        """True when no group failed."""
        return not self.failed

    def totals(self) -> dict[str, int]:
        """Rows written per table over all stored groups."""
        out: dict[str, int] = {}
        for o in self.outcomes:
            for t, n in o.rows.items():
                out[t] = out.get(t, 0) + n
        return out

    def to_rows(self) -> tuple[list[str], list[list[object]]]:
        """Column names and one row per group, for display."""
        cols = ["status", "importer", "run", "rows", "files / error"]
        rows: list[list[object]] = []
        for o in self.outcomes:
            n_rows = ", ".join(f"{t} {n}" for t, n in o.rows.items() if n)
            what = o.error if o.error else _short_files(o.files)
            rows.append([o.status, o.importer, o.run_id or "-", n_rows or "-", what])
        return cols, rows

    @property
    def title(self) -> str:
        return "import"


def _short_files(files: Sequence[str]) -> str:
    names = [Path(f).name for f in files]
    return names[0] if len(names) == 1 else f"{names[0]} (+{len(names) - 1} files)"


def _expand(paths: Iterable[str | Path]) -> tuple[list[Path], list[Path]]:
    """Files named directly and files found under named directories (sorted)."""
    direct: list[Path] = []
    found: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if is_dataset_dir(p):
            direct.append(p)
        elif p.is_dir():
            found.extend(_walk(p))
        elif p.is_file():
            direct.append(p)
        else:
            raise InputError(f"{p}: no such file or directory")
    return direct, found


def _walk(root: Path) -> list[Path]:
    """Files under ``root`` (sorted), with each Parquet dataset inside as one entry."""
    out: list[Path] = []
    for entry in sorted(root.iterdir()):
        if entry.name.startswith(".") or entry.name.endswith(".partial"):
            continue
        if is_dataset_dir(entry):
            out.append(entry)
        elif entry.is_dir():
            out.extend(_walk(entry))
        elif entry.is_file():
            out.append(entry)
    return out


def plan_import(
    paths: Iterable[str | Path], *, format: ImportFormat = "auto"
) -> tuple[list[tuple[Importer, tuple[Path, ...]]], list[Path], list[Path]]:
    """Decide which importer reads which files, without reading them fully.

    Returns
    -------
    groups
        ``(importer, files)`` pairs, each imported in one transaction.
    unknown
        Files named directly that no importer recognises (reported as failures).
    skipped
        Files found under a directory that no importer recognises (READMEs and the like).
    """
    if format not in get_args(ImportFormat):
        raise InputError(
            f"the 'format' parameter of import_paths must be one of "
            f"{', '.join(get_args(ImportFormat))}; got {format!r}"
        )
    direct, found = _expand(paths)
    registry = importers()
    if format != "auto":
        registry = [imp for imp in registry if imp.name == format]
    claimed: dict[str, list[Path]] = {imp.name: [] for imp in registry}
    unknown: list[Path] = []
    skipped: list[Path] = []
    seen: set[Path] = set()
    for path, explicit in [(p, True) for p in direct] + [(p, False) for p in found]:
        key = path.resolve()
        if key in seen:
            continue
        seen.add(key)
        for imp in registry:
            if imp.claims(path):
                claimed[imp.name].append(path)
                break
        else:
            (unknown if explicit else skipped).append(path)
    groups = [(imp, group) for imp in registry for group in imp.group(claimed[imp.name]) if group]
    return groups, unknown, skipped


def import_paths(
    store: Store,
    paths: Iterable[str | Path],
    *,
    format: ImportFormat = "auto",
    replace: bool = False,
    on_progress: Callable[[ImportOutcome, int, int], None] | None = None,
) -> ImportReport:
    """Import files produced by other evaluation tools into ``store``.

    Directories are searched recursively. Each group of files that belongs together (an
    lm-eval results file and its samples files, one Inspect log, ...) is read completely
    and then written in one transaction, so a malformed file stores nothing and leaves
    the other groups unaffected.

    Parameters
    ----------
    store
        The store to write to.
    paths
        Files and directories.
    format
        ``"auto"`` detects each file's format; any other value forces one importer.
    replace
        Re-write runs already in the store. By default a group whose run id (a hash of
        the files' contents) is already stored is reported as ``"unchanged"``.
    on_progress
        Called after each group with its outcome, the number done and the total.

    Returns
    -------
    ImportReport
        One outcome per group; ``report.ok`` is False when any group failed.
    """
    groups, unknown, skipped = plan_import(paths, format=format)
    outcomes: list[ImportOutcome] = []
    total = len(groups) + len(unknown)
    for path in unknown:
        outcome = ImportOutcome(
            files=(str(path),),
            importer="-",
            status="failed",
            error=_unknown_reason(path),
        )
        outcomes.append(outcome)
        if on_progress:
            on_progress(outcome, len(outcomes), total)
    for imp, files in groups:
        outcome = _import_group(store, imp, files, replace=replace)
        outcomes.append(outcome)
        if on_progress:
            on_progress(outcome, len(outcomes), total)
    outcomes.extend(ImportOutcome(files=(str(p),), importer="-", status="skipped") for p in skipped)
    return ImportReport(tuple(outcomes))


def _import_group(
    store: Store, imp: Importer, files: tuple[Path, ...], *, replace: bool
) -> ImportOutcome:
    names = tuple(str(f) for f in files)
    try:
        batch = _stamp(imp.read(files), files)
    except AssayError as exc:
        return ImportOutcome(names, imp.name, "failed", error=str(exc))
    if not replace and _already_stored(store, batch):
        return ImportOutcome(names, imp.name, "unchanged", run_id=batch.run_id, notes=batch.notes)
    try:
        summary = store.write(batch.tables)
    except AssayError as exc:
        return ImportOutcome(names, imp.name, "failed", run_id=batch.run_id, error=str(exc))
    return ImportOutcome(
        names,
        imp.name,
        "stored",
        run_id=batch.run_id,
        summary=summary,
        rows=batch.rows(),
        notes=batch.notes,
    )


def _stamp(batch: ImportBatch, files: tuple[Path, ...]) -> ImportBatch:
    """Record in each run's metadata the hash of the files it was imported from, so a
    later import of changed files (a log that has since finished) is not skipped."""
    runs = batch.tables.get("runs")
    if runs is None or runs.num_rows == 0:
        return batch
    digest = _files_hash(files)
    metas = []
    for raw in runs.column("metadata").to_pylist():
        meta = json.loads(raw) if raw else {}
        if not isinstance(meta, dict):
            meta = {"source_metadata": meta}
        meta["import_hash"] = digest
        metas.append(to_json(meta))
    idx = runs.schema.get_field_index("metadata")
    stamped = runs.set_column(idx, "metadata", pa.array(metas, type=pa.string()))
    return replace_field(batch, tables={**batch.tables, "runs": stamped})


def _files_hash(files: tuple[Path, ...]) -> str:
    """A hash of the files' paths, sizes and contents (directories: their files)."""
    h = hashlib.sha256()
    for f in sorted(files):
        members = sorted(p for p in f.rglob("*") if p.is_file()) if f.is_dir() else [f]
        for m in members:
            h.update(str(m.relative_to(f) if f.is_dir() else m.name).encode())
            with m.open("rb") as fh:
                while block := fh.read(1 << 20):
                    h.update(block)
    return h.hexdigest()[:16]


def _already_stored(store: Store, batch: ImportBatch) -> bool:
    """True when every run of the batch is stored from the very same files."""
    runs = batch.tables.get("runs")
    if runs is None or runs.num_rows == 0:
        return False
    wanted = {
        r["run_id"]: json.loads(r["metadata"]).get("import_hash")
        for r in runs.select(["run_id", "metadata"]).to_pylist()
    }
    ids = sorted(wanted)
    placeholders = ", ".join("?" for _ in ids)
    stored = store.query(
        f"SELECT run_id, json_extract_string(metadata, '$.import_hash') AS h "
        f"FROM runs WHERE run_id IN ({placeholders})",
        ids,
    ).to_pylist()
    return len(stored) == len(ids) and all(wanted[r["run_id"]] == r["h"] for r in stored)


def _unknown_reason(path: Path) -> str:
    """Why no importer claims ``path``: an unreadable file or a broken gzip stream says
    so; otherwise the formats assay knows."""
    if path.is_file():
        try:
            read_bytes(path)
        except FormatError as exc:
            return str(exc)
    return (
        f"{path}: not a format assay recognises (lm-eval, inspect, helm, long-table "
        "CSV/Parquet, pairwise CSV, assay Parquet dataset)"
    )
