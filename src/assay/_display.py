"""How result objects show themselves: a rich table in the terminal, HTML in a notebook.

Every result object that is a table implements ``to_rows()`` (column names and rows of
plain values); the two renderers here turn that into a :class:`rich.table.Table` and into
an escaped HTML ``<table>``, and :class:`TableView` gives a class with ``to_rows()`` and
``title`` both displays. Cell text is always escaped: it may hold model output.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from typing import Any, Protocol

from rich.table import Table
from rich.text import Text

__all__ = ["TableView", "format_cell", "html_table", "rich_table"]


class _Rows(Protocol):
    @property
    def title(self) -> str: ...

    def to_rows(self) -> tuple[list[str], list[list[object]]]: ...


class TableView:
    """Terminal (``__rich__``) and notebook (``_repr_html_``) display of a result that
    implements ``to_rows()`` and ``title``."""

    def __rich__(self: _Rows) -> object:
        cols, rows = self.to_rows()
        return rich_table(cols, rows, title=self.title)

    def _repr_html_(self: _Rows) -> str:
        cols, rows = self.to_rows()
        return html_table(cols, rows, title=self.title)


def format_cell(value: Any, digits: int = 4) -> str:
    """A short text form of one cell: floats rounded, ``None``/NaN shown as ``-``."""
    if value is None:
        return "-"
    if isinstance(value, float):
        if math.isnan(value):
            return "-"
        return f"{value:.{digits}g}" if abs(value) >= 1e4 else f"{value:.{digits}f}"
    return str(value)


def rich_table(
    columns: Sequence[str], rows: Sequence[Sequence[Any]], *, title: str | None = None
) -> Table:
    """A rich table of ``rows`` (cells are not interpreted as markup)."""
    table = Table(title=title, show_lines=False)
    for col in columns:
        table.add_column(col, overflow="fold")
    for row in rows:
        # Text, not str: a cell holding "[red]" must not be read as rich markup
        table.add_row(*(Text(format_cell(v)) for v in row))
    return table


def html_table(
    columns: Sequence[str], rows: Sequence[Sequence[Any]], *, title: str | None = None
) -> str:
    """An HTML table of ``rows`` with every cell escaped."""
    parts = ["<table>"]
    if title:
        parts.append(f"<caption>{html.escape(title)}</caption>")
    parts.append("<thead><tr>")
    parts.extend(f"<th>{html.escape(str(c))}</th>" for c in columns)
    parts.append("</tr></thead><tbody>")
    for row in rows:
        parts.append("<tr>")
        parts.extend(f"<td>{html.escape(format_cell(v))}</td>" for v in row)
        parts.append("</tr>")
    parts.append("</tbody></table>")
    return "".join(parts)
