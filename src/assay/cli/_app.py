"""The typer application and the entry point that maps failures to exit codes."""

from __future__ import annotations

import sys

import typer

from assay._version import __version__
from assay.cli import agreement as agreement_cmd
from assay.cli import card as card_cmd
from assay.cli import check_model as check_model_cmd
from assay.cli import compare as compare_cmd
from assay.cli import demo as demo_cmd
from assay.cli import diagnose as diagnose_cmd
from assay.cli import export as export_cmd
from assay.cli import import_ as import_cmd
from assay.cli import irt as irt_cmd
from assay.cli import lint_leaderboard as lint_leaderboard_cmd
from assay.cli import ls as ls_cmd
from assay.cli import monitor as monitor_cmd
from assay.cli import predict as predict_cmd
from assay.cli import rank as rank_cmd
from assay.cli import report as report_cmd
from assay.cli import run as run_cmd
from assay.cli import score as score_cmd
from assay.cli import scores as scores_cmd
from assay.cli import serve as serve_cmd
from assay.cli import show as show_cmd
from assay.cli import subset as subset_cmd

__all__ = ["app", "main"]

app = typer.Typer(
    name="assay",
    help="Evaluation science for machine-learning models: run, store, analyse, publish.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"assay {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """assay: scores with intervals, rankings, predictions and reports from one store."""


app.command("run")(run_cmd.run)
app.command("demo")(demo_cmd.demo)
app.command("check-model")(check_model_cmd.check_model)
app.command("import")(import_cmd.import_)
app.add_typer(ls_cmd.app, name="ls")
app.command("show")(show_cmd.show)
app.command("export")(export_cmd.export)
app.command("scores")(scores_cmd.scores)
app.command("score")(score_cmd.score)
app.add_typer(subset_cmd.app, name="subset")
app.add_typer(irt_cmd.app, name="irt")
app.command("diagnose")(diagnose_cmd.diagnose)
app.command("compare")(compare_cmd.compare)
app.command("rank")(rank_cmd.rank)
app.command("agreement")(agreement_cmd.agreement)
app.command("predict")(predict_cmd.predict)
app.command("monitor")(monitor_cmd.monitor)
app.command("serve")(serve_cmd.serve)
app.command("report")(report_cmd.report)
app.command("lint-leaderboard")(lint_leaderboard_cmd.lint_leaderboard)
app.command("card")(card_cmd.card)


def main(argv: list[str] | None = None) -> int:
    """Run the command line and return its exit code (see :mod:`assay.cli`)."""
    try:
        app(args=argv, prog_name="assay")
    except SystemExit as exc:
        code = exc.code
        if code is None:
            return 0
        return code if isinstance(code, int) else 1
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
