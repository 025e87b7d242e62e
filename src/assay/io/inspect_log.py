"""Importing Inspect AI evaluation logs: ``.eval`` archives and ``.json`` logs.

An Inspect log holds one task evaluated with one model: the eval spec (task, model,
generate config, dataset, epochs), the plan, the reported results and, per sample and
epoch, the input, the messages, the model output and the scores. One log becomes one
:class:`~assay.io.ImportBatch` (one run). Nothing from ``inspect_ai`` is imported: the
files are read as plain JSON.

Files
-----
``*.eval``
    A zip archive. ``header.json`` holds the log without its samples, written when the
    evaluation ends; ``samples/<id>_epoch_<n>.json`` one sample each; ``_journal/start.json``
    the spec and plan, written first. Since inspect_ai 0.3.206 the members are compressed
    with zstd (zip method 93), which :mod:`zipfile` before Python 3.14 cannot
    decompress: such members are read from their local header and decompressed with
    ``zstandard`` (size and CRC-32 checked); stored, deflate, bzip2 and lzma members go
    through :mod:`zipfile`. A cancelled or crashed run may lack ``header.json``; the spec
    is then taken from ``_journal/start.json`` and the run's status is ``"partial"``
    (the log cannot say whether the run was cancelled, crashed or is still going).
``*.json`` / ``*.json.gz``
    One JSON document with the same content (``version``, ``status``, ``eval``, ``plan``,
    ``results``, ``stats``, ``samples``, ...). Claimed only when its top-level keys
    include ``version`` and ``eval``, so lm-evaluation-harness results are left alone.

Log format versions 1 and 2 are read (version 1 samples have one ``score`` instead of
``scores``; version 1 results one ``scorer``); any other version raises
:class:`~assay.errors.FormatError` naming the field ``version``.

Mapping
-------
runs
    ``run_id`` is ``"inspect-" + eval.eval_id``. Logs written before Inspect stored an
    ``eval_id`` get the id Inspect itself derives when it reads them (a base-57 BLAKE2s
    hash of ``run_id + task_id + created``), or a content hash when those are missing.
    ``status`` maps Inspect's ``success``/``cancelled``/``error``/``started`` to
    ``complete``/``cancelled``/``error``/``partial``. ``code_hash`` is the git commit of
    the task code (``eval.revision``), ``data_hash`` a hash of the dataset description
    with the sample selection (``limit``, ``sample_id``).
models
    ``model_id`` is ``eval.model`` as given (``"openai/gpt-4o"``); the provider prefix
    is not a family, so ``family`` stays null.
items
    ``task`` is ``eval.task``; ``task_version`` the text of ``eval.task_version`` (``""``
    when absent); ``item_id`` the text of the sample id. A chat-message input is stored
    as the text of its messages joined by blank lines (the messages are kept in
    ``metadata.input_messages``); a target list of several strings as a JSON array.
responses
    One per (sample, epoch), with ``sample_index = epoch - 1``. ``output`` is the
    completion (or the text of the last assistant message); tokens and cost are those
    of ``eval.model`` in the sample's ``model_usage`` (else the output's usage; the full
    usage, cache tokens included, is in ``metadata.usage``); ``latency_s`` is the
    sample's ``total_time`` (else ``working_time``). A sample with an ``error`` has
    status ``"error"`` and the error message. ``attachment://<hash>`` references are
    replaced by the sample's attachments.
scores
    One row per scorer (``metric`` = the scorer's name), or per key of a dict value
    (``"<scorer>/<key>"``) or per position of a list value (``"<scorer>/<i>"``).
    Values are converted as Inspect's ``value_to_float()`` does by default:

    ==================================  ==========
    value                               stored
    ==================================  ==========
    ``"C"`` (correct)                   1.0
    ``"I"`` (incorrect)                 0.0
    ``"P"`` (partial)                   0.5
    ``"N"`` (no answer)                 0.0
    ``"yes"``/``"true"`` (any case)     1.0
    ``"no"``/``"false"`` (any case)     0.0
    a number, or a string of a number   the number
    ``true`` / ``false``                1.0 / 0.0
    ``NaN`` (unscored), ``null``        null
    any other string                    null, with a note
    ==================================  ==========

    (Inspect turns an unconvertible string into 0 with a warning; assay keeps it
    unscored and says so in the batch notes. The raw values are kept in the response's
    ``metadata.scores``.)
aggregates
    Each metric of ``results.scores``, named ``"<scorer>/<metric>"`` (``"match/accuracy"``;
    ``"<scorer>/<key>/<metric>"`` for a dict-valued scorer, ``"...@<reducer>"`` after the
    scorer when one scorer is reduced several ways). A ``stderr`` metric goes into the
    ``stderr`` column of the scorer's ``accuracy`` row (else its ``mean`` row, else its
    only other metric) and stays a row of its own only when no such row exists.
    ``n`` is the scorer's ``scored_samples`` when reported, else ``completed_samples``.
traces
    One row per message: kind ``"message"`` for system, user and assistant messages,
    ``"observation"`` for tool results (``tool`` = the function); each tool call of an
    assistant message adds a row of kind ``"action"`` (``tool``, ``arguments``).
    ``trial = epoch - 1``; ``step`` counts from 0; ``timestamp`` comes from the model
    and tool events when the messages carry ids that the events name.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final

from assay.errors import FormatError
from assay.io._base import ImportBatch, read_bytes
from assay.io._inspect_convert import _SOURCE, _Converter, _Log
from assay.io._sniff import json_keys, peek
from assay.io._zip import ZipArchive

__all__ = ["InspectImporter"]

_LOG_VERSIONS: Final[tuple[int, ...]] = (1, 2)
"""The Inspect log format versions this importer reads."""

_PEEK_BYTES: Final = 4096


class InspectImporter:
    """Reads Inspect AI logs (``.eval`` archives and ``.json`` logs), one run per file."""

    name = _SOURCE

    def claims(self, path: Path) -> bool:
        """True for a zip archive named ``*.eval`` and for a ``*.json``/``*.json.gz`` file
        whose top-level keys include ``version`` and ``eval`` (from its first bytes)."""
        name = path.name
        if name.endswith(".eval"):
            try:
                return path.is_file() and zipfile.is_zipfile(path)
            except OSError:
                return False
        if name.endswith((".json", ".json.gz")) and path.is_file():
            keys = _top_level_keys(peek(path, _PEEK_BYTES))
            return {"version", "eval"} <= keys
        return False

    def group(self, paths: Sequence[Path]) -> list[tuple[Path, ...]]:
        """Each log is its own group."""
        return [(p,) for p in paths]

    def read(self, files: tuple[Path, ...]) -> ImportBatch:
        """Parse one log into a batch; raises :class:`~assay.errors.FormatError` when the
        log is malformed or of an unknown version (nothing is returned then)."""
        if len(files) != 1:
            raise FormatError(
                files[0] if files else "-", "an Inspect log is imported one file at a time"
            )
        path = files[0]
        log = _read_eval(path) if path.name.endswith(".eval") else _read_json(path)
        return _Converter(log).batch()


# --------------------------------------------------------------------------- detection


def _top_level_keys(text: str) -> set[str]:
    """Keys of the top-level JSON object that appear in ``text`` (a prefix of a file)."""
    body = text.lstrip("\ufeff \t\r\n")
    if not body.startswith("{"):
        return set()
    return {key for depth, key, _ in json_keys(body) if depth == 1}


# --------------------------------------------------------------------------- reading


def _parse_json(path: Path, data: bytes, field: str | None) -> Any:
    try:
        return json.loads(data)
    except json.JSONDecodeError as exc:
        what = "the archive member" if field else "the file"
        raise FormatError(
            path,
            f"{what} is not valid JSON: {exc.msg} (column {exc.colno})",
            line=exc.lineno,
            field=field,
        ) from exc
    except UnicodeDecodeError as exc:
        raise FormatError(path, f"not UTF-8 text: {exc.reason}", field=field) from exc


def _read_eval(path: Path) -> _Log:
    with ZipArchive(path) as archive:
        names = list(archive.members)
        if "header.json" in names:
            source = "header.json"
        elif "_journal/start.json" in names:
            source = "_journal/start.json"
        else:
            raise FormatError(
                path,
                "neither header.json nor _journal/start.json is in the archive; "
                "not an Inspect .eval log",
                field="header.json",
            )
        header = _parse_json(path, archive.read(source), source)
        if not isinstance(header, dict):
            raise FormatError(path, "expected a JSON object", field=source)
        if source != "header.json":
            header = {**header, "status": "started"}
        _check_version(path, header, source)
        samples = [
            (name, _parse_json(path, archive.read(name), name))
            for name in names
            if name.startswith("samples/") and name.endswith(".json")
        ]
    return _Log(path, header, samples, source)


def _read_json(path: Path) -> _Log:
    doc = _parse_json(path, read_bytes(path), None)
    if not isinstance(doc, dict) or "eval" not in doc:
        raise FormatError(path, "not an Inspect log: the top level has no 'eval' object")
    _check_version(path, doc, None)
    samples = doc.get("samples")
    if samples is None:
        samples = []
    if not isinstance(samples, list):
        raise FormatError(path, "expected a list of samples", field="samples")
    header = {k: v for k, v in doc.items() if k != "samples"}
    return _Log(path, header, [(f"samples[{i}]", s) for i, s in enumerate(samples)], "document")


def _check_version(path: Path, doc: Mapping[str, Any], member: str | None) -> None:
    version = doc.get("version")
    where = f" (in {member})" if member else ""
    expected = " and ".join(str(v) for v in _LOG_VERSIONS)
    if isinstance(version, bool) or not isinstance(version, int):
        raise FormatError(
            path,
            f"the log has no integer format version{where} (got {version!r}); "
            f"assay reads Inspect log versions {expected}",
            field="version",
        )
    if version not in _LOG_VERSIONS:
        raise FormatError(
            path,
            f"unknown Inspect log format version {version}{where}; assay reads versions "
            f"{expected} (convert the log with a current inspect_ai to one of these)",
            field="version",
        )
