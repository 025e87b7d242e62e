"""What every command shares: the store option, the consoles, output formats."""

from __future__ import annotations

import functools
import inspect
import os
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Literal, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from assay.errors import AssayError
from assay.harness.models import AsyncModelAdapter, ModelAdapter
from assay.store import DEFAULT_STORE, Store

__all__ = [
    "OutputFormat",
    "StoreOption",
    "command",
    "err",
    "fail",
    "load_model_spec",
    "open_store",
    "out",
    "store_path",
]

P = ParamSpec("P")
R = TypeVar("R")

#: data goes to stdout, diagnostics (progress, summaries of what was done) to stderr
out = Console(highlight=False, soft_wrap=False)
err = Console(stderr=True, highlight=False)

OutputFormat = Literal["table", "csv", "json"]

StoreOption = Annotated[
    Path | None,
    typer.Option(
        "--store",
        "-s",
        help=f"The store file (default: $ASSAY_STORE or ./{DEFAULT_STORE}).",
        show_default=False,
    ),
]


def store_path(store: Path | None) -> Path:
    """The store path from the option, else ``$ASSAY_STORE``, else the default."""
    if store is not None:
        return store
    return Path(os.environ.get("ASSAY_STORE", DEFAULT_STORE))


def open_store(store: Path | None, *, read_only: bool) -> Store:
    """Open the store the user named (read-only commands never create one)."""
    return Store(store_path(store), read_only=read_only)


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print ``message`` as an error on stderr and return the exit to raise."""
    err.print(f"[bold red]error:[/] {escape(message)}")
    return typer.Exit(code)


def progress_bar() -> Progress:
    """The CLI's progress bar on stderr (description, bar, done/total, elapsed), shown only
    on a terminal (no bar in logs and pipes) and cleared when done."""
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    )


def command(fn: Callable[P, R]) -> Callable[P, R]:
    """Wrap a command so that assay errors and the operating system's refusals exit with 1
    (one line on stderr, no traceback) and Ctrl-C with 130, and reflow its docstring (the
    ``--help`` text): typer keeps a docstring's line breaks, which would break sentences at
    the source's line width."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except AssayError as exc:
            raise fail(str(exc)) from None
        except OSError as exc:
            # the file system or the network refused (no such directory, permission
            # denied, disk full, connection refused): the user's to fix, not a bug
            where = f"{exc.filename}: " if exc.filename else ""
            raise fail(f"{where}{exc.strerror or exc}") from None
        except KeyboardInterrupt:
            err.print("interrupted; everything already stored is kept")
            raise typer.Exit(130) from None

    if fn.__doc__:
        paragraphs = inspect.cleandoc(fn.__doc__).split("\n\n")
        wrapper.__doc__ = "\n\n".join(" ".join(p.split()) for p in paragraphs)
    return wrapper


def load_model_spec(spec: str) -> ModelAdapter | AsyncModelAdapter:
    """The model adapter for ``spec``; the OpenAI-compatible adapter's bearer token comes
    from ``$OPENAI_API_KEY`` (environment variables are read only in the CLI)."""
    from assay.harness.models import load_model

    return load_model(spec, api_key=os.environ.get("OPENAI_API_KEY"))
