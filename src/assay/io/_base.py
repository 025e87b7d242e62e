"""What every importer shares: the batch it produces, the protocol it follows, file reading."""

from __future__ import annotations

import gzip
import hashlib
import io
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Protocol

import pyarrow as pa

from assay.errors import FormatError
from assay.schema import TableName

__all__ = [
    "ImportBatch",
    "Importer",
    "content_hash",
    "iter_lines",
    "open_text",
    "read_bytes",
    "stem",
]


@dataclass(frozen=True)
class ImportBatch:
    """Everything one imported unit (normally one run) contributes to the store.

    The store writes a batch in one transaction: all of it or nothing.

    Attributes
    ----------
    source
        The importer's name (``"lm-eval"``, ``"inspect"``, ...).
    files
        The files the batch was read from.
    run_id
        The run the rows belong to (a comparisons-only batch may hold several).
    tables
        Arrow tables keyed by table name, with the columns of :mod:`assay.schema`.
    notes
        Things the importer handled explicitly and the user should know (a results file
        with no samples file, a legacy file holding aggregates only, ...).
    """

    source: str
    files: tuple[str, ...]
    run_id: str
    tables: dict[TableName, pa.Table]
    notes: tuple[str, ...] = field(default_factory=tuple)

    def rows(self) -> dict[str, int]:
        """Row count per table."""
        return {name: t.num_rows for name, t in self.tables.items()}


class Importer(Protocol):
    """An importer for one family of files.

    ``claims`` decides cheaply (from the name and at most the first bytes) whether a file
    is of this importer's format; ``group`` gathers the claimed files into units that
    belong together (a results file and its samples files); ``read`` parses one unit
    into a batch, touching no store, and raises :class:`~assay.errors.FormatError`
    naming the file, line and field when the input is malformed or of an unknown
    version.
    """

    name: str

    def claims(self, path: Path) -> bool: ...

    def group(self, paths: Sequence[Path]) -> list[tuple[Path, ...]]: ...

    def read(self, files: tuple[Path, ...]) -> ImportBatch: ...


def read_bytes(path: Path) -> bytes:
    """The bytes of ``path``, gunzipped when it ends in ``.gz``."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise FormatError(path, f"cannot read the file: {exc.strerror}") from exc
    if path.suffix == ".gz":
        try:
            return gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as exc:
            raise FormatError(path, f"not a valid gzip file: {exc}") from exc
    return data


def open_text(path: Path) -> IO[str]:
    """Open ``path`` as UTF-8 text, gunzipping ``.gz`` files."""
    return io.TextIOWrapper(io.BytesIO(read_bytes(path)), encoding="utf-8", newline="")


def iter_lines(path: Path) -> Iterator[tuple[int, str]]:
    """Physical lines of a text file (1-based numbers), without their line ends."""
    with open_text(path) as fh:
        for number, line in enumerate(fh, start=1):
            yield number, line.rstrip("\r\n")


def content_hash(paths: Sequence[Path], *, length: int = 16) -> str:
    """A short SHA-256 over the contents of ``paths`` (in name order, decompressed), so
    that the same files always give the same run id and a re-import is an upsert."""
    h = hashlib.sha256()
    for p in sorted(paths, key=lambda x: x.name):
        h.update(p.name.removesuffix(".gz").encode())
        h.update(b"\0")
        h.update(read_bytes(p))
        h.update(b"\0")
    return h.hexdigest()[:length]


def stem(path: Path) -> str:
    """The file name without ``.gz`` and without its last real suffix."""
    name = path.name.removesuffix(".gz")
    return name.rsplit(".", 1)[0] if "." in name else name
