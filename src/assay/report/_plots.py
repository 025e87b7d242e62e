"""Plots from one set of data: an interactive plotly figure and a matplotlib PNG.

A :class:`Plot` holds the data and the kind of chart; :meth:`Plot.plotly_json` gives the
figure for plotly.js (rendered in the page by ``app.js`` from a JSON data block, so no
inline script runs) and :meth:`Plot.png` the same chart drawn by matplotlib. Labels are
HTML-escaped for plotly, which reads a small subset of HTML in text.
"""

from __future__ import annotations

import html
import io
import json
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

import numpy as np

from assay.errors import InputError, PrerequisiteError

__all__ = ["Plot", "PlotKind", "plot_fragment", "plotly_js_path"]

PlotKind = Literal["histogram", "heatmap", "intervals", "lines"]


def _plotly() -> Any:
    try:
        import plotly.graph_objects as go
    except ImportError:
        raise PrerequisiteError("plots need plotly: pip install 'assay[web]'") from None
    return go


def plotly_js_path() -> str:
    """The plotly.js bundle shipped inside the plotly package (served locally, no CDN)."""
    try:
        import plotly
    except ImportError:
        raise PrerequisiteError("the web report needs plotly: pip install 'assay[web]'") from None
    from pathlib import Path

    return str(Path(plotly.__file__).parent / "package_data" / "plotly.min.js")


def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


@dataclass(frozen=True)
class Plot:
    """The data of one chart.

    Attributes
    ----------
    kind
        ``"histogram"`` (``values``), ``"heatmap"`` (``matrix`` with ``labels`` on both
        axes), ``"intervals"`` (``labels`` with ``estimates``, ``low``, ``high``) or
        ``"lines"`` (``series``: name to ``(x, y)``).
    title, xlabel, ylabel
        Text of the chart.
    """

    kind: PlotKind
    title: str
    xlabel: str = ""
    ylabel: str = ""
    values: tuple[float, ...] = ()
    labels: tuple[str, ...] = ()
    estimates: tuple[float, ...] = ()
    low: tuple[float, ...] = ()
    high: tuple[float, ...] = ()
    matrix: tuple[tuple[float | None, ...], ...] = ()
    series: Mapping[str, tuple[Sequence[str], Sequence[float]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in get_args(PlotKind):
            raise InputError(
                f"the 'kind' parameter of Plot must be one of {list(get_args(PlotKind))}; "
                f"got {self.kind!r}"
            )
        n = len(self.labels)
        if (
            self.kind == "intervals"
            and not len(self.estimates) == len(self.low) == len(self.high) == n
        ):
            raise InputError(
                "Plot: an 'intervals' plot needs as many estimates, low and high values as "
                f"labels; got {n} labels, {len(self.estimates)} estimates, {len(self.low)} "
                f"low and {len(self.high)} high"
            )
        if self.kind == "heatmap" and (
            len(self.matrix) != n or any(len(row) != n for row in self.matrix)
        ):
            raise InputError(
                f"Plot: a 'heatmap' plot needs a {n} x {n} matrix for its {n} labels; got "
                f"{len(self.matrix)} rows of lengths {sorted({len(r) for r in self.matrix})}"
            )

    # ----------------------------------------------------------------- plotly
    def plotly_json(self) -> dict[str, Any]:
        """The figure as plotly.js JSON (``data`` and ``layout``)."""
        go = _plotly()
        labels = [_esc(x) for x in self.labels]
        if self.kind == "histogram":
            fig = go.Figure(go.Histogram(x=list(self.values), nbinsx=20))
        elif self.kind == "heatmap":
            z = [[None if v is None else v for v in row] for row in self.matrix]
            fig = go.Figure(go.Heatmap(z=z, x=labels, y=labels, zmin=0, zmax=1, colorscale="RdBu"))
            fig.update_yaxes(autorange="reversed")
        elif self.kind == "intervals":
            est = np.array(self.estimates)
            fig = go.Figure(
                go.Scatter(
                    x=list(est),
                    y=labels,
                    mode="markers",
                    error_x={
                        "type": "data",
                        "symmetric": False,
                        "array": list(np.array(self.high) - est),
                        "arrayminus": list(est - np.array(self.low)),
                    },
                )
            )
            fig.update_yaxes(autorange="reversed")
        else:
            fig = go.Figure(
                [
                    go.Scatter(
                        x=[_esc(v) for v in x], y=list(y), mode="lines+markers", name=_esc(n)
                    )
                    for n, (x, y) in self.series.items()
                ]
            )
        fig.update_layout(
            title=_esc(self.title),
            xaxis_title=_esc(self.xlabel),
            yaxis_title=_esc(self.ylabel),
            margin={"l": 60, "r": 20, "t": 50, "b": 50},
            height=max(320, min(1200, 24 * len(self.labels) + 120))
            if self.kind in ("intervals", "heatmap")
            else 360,
        )
        out: dict[str, Any] = json.loads(fig.to_json())
        return out

    # ----------------------------------------------------------------- matplotlib
    def png(self) -> bytes:
        """The same chart drawn by matplotlib, as PNG bytes."""
        try:
            import matplotlib

            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
        except ImportError:
            raise PrerequisiteError("plots need matplotlib: pip install 'assay[web]'") from None
        n = len(self.labels)
        tall = self.kind in ("intervals", "heatmap")
        fig, ax = plt.subplots(figsize=(7, max(3.5, min(16, 0.3 * n + 1.5)) if tall else 3.5))
        try:
            if self.kind == "histogram":
                ax.hist(self.values, bins=20)
            elif self.kind == "heatmap":
                z = np.array([[np.nan if v is None else v for v in r] for r in self.matrix])
                im = ax.imshow(z, vmin=0, vmax=1, cmap="RdBu")
                ax.set_xticks(range(n), self.labels, rotation=90, fontsize=7)
                ax.set_yticks(range(n), self.labels, fontsize=7)
                fig.colorbar(im, ax=ax)
            elif self.kind == "intervals":
                est = np.array(self.estimates)
                err = np.vstack([est - np.array(self.low), np.array(self.high) - est])
                ax.errorbar(est, range(n), xerr=err, fmt="o")
                ax.set_yticks(range(n), self.labels, fontsize=7)
                ax.invert_yaxis()
            else:
                for name, (x, y) in self.series.items():
                    ax.plot(list(range(len(y))), list(y), marker="o", label=name)
                    ax.set_xticks(range(len(x)), [str(v) for v in x], rotation=30, fontsize=7)
                if self.series:
                    ax.legend(fontsize=7)
            # matplotlib reads $...$ as math: show labels literally
            ax.set_title(self.title.replace("$", r"\$"))
            ax.set_xlabel(self.xlabel.replace("$", r"\$"))
            ax.set_ylabel(self.ylabel.replace("$", r"\$"))
            with warnings.catch_warnings():
                # long model names may not fit: the figure is still drawn, only cramped
                warnings.simplefilter("ignore", UserWarning)
                fig.tight_layout()
            buf = io.BytesIO()
            fig.savefig(buf, format="png", dpi=90)
            return buf.getvalue()
        finally:
            plt.close(fig)


def _json_block(data: Any) -> str:
    """JSON safe inside a ``<script type="application/json">`` element."""
    text = json.dumps(data, separators=(",", ":"), allow_nan=False, default=str)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def plot_fragment(plot: Plot, plot_id: str, png_href: str | None) -> str:
    """The HTML of a plot: a div that ``app.js`` fills from a JSON data block, and a link to
    the PNG of the same data."""
    pid = _esc(plot_id)
    link = (
        f'<a class="png" href="{_esc(png_href)}" download>PNG</a>' if png_href is not None else ""
    )
    figure = _replace_nan(plot.plotly_json())
    return (
        f'<figure class="plot"><div class="plotly" data-plot="{pid}"></div>'
        f'<script type="application/json" id="{pid}">{_json_block(figure)}</script>'
        f"<figcaption>{_esc(plot.title)} {link}</figcaption></figure>"
    )


def _replace_nan(value: Any) -> Any:
    if isinstance(value, float) and not np.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _replace_nan(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_nan(v) for v in value]
    return value
