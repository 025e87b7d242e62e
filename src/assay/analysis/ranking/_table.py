"""What the ranking results share as tables: JSON text, a rich table and HTML from
``to_rows``/``title``, and, for results with one entry per model, length, lookup and a
frame."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any, ClassVar, Generic, Protocol, TypeVar

import pandas as pd

from assay._display import TableView
from assay.analysis.ranking._battles import names_text
from assay.errors import InputError

__all__ = ["ModelTable", "TableResult"]


class _Dict(Protocol):
    def to_dict(self) -> dict[str, Any]: ...


class _Entry(Protocol):
    __dataclass_fields__: ClassVar[dict[str, Any]]

    @property
    def model(self) -> str: ...


E = TypeVar("E", bound=_Entry)


class TableResult(TableView):
    """JSON from ``to_dict``; terminal and notebook display (:class:`TableView`) from
    ``to_rows`` and ``title``."""

    def to_json(self: _Dict) -> str:
        """:meth:`to_dict` as JSON text."""
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)


class ModelTable(TableResult, Generic[E]):
    """A :class:`TableResult` whose ``entries`` hold one dataclass per model, best first."""

    entries: tuple[E, ...]

    def __len__(self) -> int:
        return len(self.entries)

    def entry(self, model: str) -> E:
        """The entry of ``model``."""
        for e in self.entries:
            if e.model == model:
                return e
        raise InputError(
            f"unknown model {model!r}; models are {names_text([e.model for e in self.entries])}"
        )

    def to_pandas(self) -> pd.DataFrame:
        """One row per model."""
        return pd.DataFrame([asdict(e) for e in self.entries])
