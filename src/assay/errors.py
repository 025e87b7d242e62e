"""The one error tree and the one warning tree of assay.

::

    AssayError                  every error assay raises on purpose
    ├── InputError              a file, row or argument is not what was expected
    │   └── FormatError         a file of another tool is malformed or of an unknown version
    ├── StoreError              the store cannot be opened, read, written or migrated
    ├── ModelError              a model adapter failed (server, weights, template)
    ├── NotFittedError          a fitted object was used before ``fit``
    └── PrerequisiteError       an optional dependency (an extra) is missing

    AssayWarning
    ├── DegenerateDataWarning   the data allow an answer only with a caveat (NaN, empty group)
    └── ConvergenceWarning      an iterative fit stopped before converging

Messages name the offending file, line, field or value and say what was expected.
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "AssayError",
    "AssayWarning",
    "ConvergenceWarning",
    "DegenerateDataWarning",
    "FormatError",
    "InputError",
    "ModelError",
    "NotFittedError",
    "PrerequisiteError",
    "StoreError",
]


class AssayError(Exception):
    """Root of every error assay raises on purpose."""


class InputError(AssayError, ValueError):
    """A file, row or argument is not what was expected."""


class FormatError(InputError):
    """A file written by another tool is malformed or of an unknown format version.

    Parameters
    ----------
    path
        The file.
    message
        What was wrong and what was expected.
    line
        1-based line number (or record number) where the problem was found, when known.
    field
        The field (JSON key, column, archive member) at fault, when known.
    """

    def __init__(
        self,
        path: str | Path,
        message: str,
        *,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        self.path = str(path)
        self.line = line
        self.field = field
        self.reason = message
        where = self.path
        if line is not None:
            where += f", line {line}"
        if field is not None:
            where += f", field {field!r}"
        super().__init__(f"{where}: {message}")


class StoreError(AssayError):
    """The store cannot be opened, read, written or migrated."""


class ModelError(AssayError):
    """A model adapter failed."""


class NotFittedError(AssayError, AttributeError):
    """A fitted object was used before ``fit`` was called."""


class PrerequisiteError(AssayError, ImportError):
    """An optional dependency is missing; the message names the extra to install."""


class AssayWarning(UserWarning):
    """Root of every warning assay emits."""


class DegenerateDataWarning(AssayWarning):
    """The data allow an answer only with a caveat (an empty group, a constant column)."""


class ConvergenceWarning(AssayWarning):
    """An iterative fit stopped before converging."""
