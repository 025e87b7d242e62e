"""Importing lm-evaluation-harness output: v0.4 results and samples files, legacy v0.3 results.

lm-eval v0.4 writes, per run, ``<dir>/results_<date_id>.json`` (aggregates, configuration)
and, with ``--log_samples``, one ``<dir>/samples_<task>_<date_id>.jsonl`` per task (one
line per document and filter). The run's files share the date id. Legacy v0.3 files are a
single ``{"results", "versions", "config"}`` JSON holding aggregates only.

Layout notes (``lm_eval/evaluator.py``, ``lm_eval/loggers/evaluation_tracker.py``):

- metric keys are ``"<metric>,<filter>"``; stderrs ``"<metric>_stderr,<filter>"``, possibly
  the string ``"N/A"``; group entries may hold no metric at all (``{" ": " "}``);
- samples files of harness versions before about 0.4.3 have no ``filter`` and ``metrics``
  fields: with several filters, each document appears once per filter, the filters in the
  order of the task's ``filter_list`` (all documents of the first filter, then the next);
- log-likelihood responses are ``[logprob, is_greedy]`` pairs, sometimes as strings.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final, Literal

from assay.errors import FormatError
from assay.io._base import ImportBatch, content_hash, read_bytes, stem
from assay.io._lm_eval_samples import (
    _SAMPLE_FIELDS,
    _ModelInfo,
    _number,
    _read_samples,
    _Tables,
    _task_version,
)
from assay.io._sniff import json_keys, peek
from assay.schema import to_json

__all__ = ["LmEvalImporter"]

_DATE: Final = r"\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}(?:\.\d+)?"
_SAMPLES_NAME: Final = re.compile(rf"^samples_(?P<task>.+)_(?P<date>{_DATE})\.jsonl(?:\.gz)?$")
_DATE_SUFFIX: Final = re.compile(rf"_(?P<date>{_DATE})$")
_PEEK_BYTES: Final = 8192

#: top-level keys of results files (v0.4 ``EvalResults`` and v0.3)
_RESULTS_KEYS: Final = frozenset(
    {
        "results", "groups", "group_subtasks", "configs", "versions", "n-shot",
        "higher_is_better", "n-samples", "config", "git_hash", "date", "pretty_env_info",
        "transformers_version", "lm_eval_version", "upper_git_hash", "tokenizer_pad_token",
        "tokenizer_eos_token", "tokenizer_bos_token", "eot_token_id", "max_length",
        "task_hashes", "model_source", "model_name", "model_name_sanitized",
        "system_instruction", "system_instruction_sha", "fewshot_as_multiturn",
        "chat_template", "chat_template_sha", "start_time", "end_time",
        "total_evaluation_time_seconds",
    }
)  # fmt: skip
#: keys only v0.4 results files have (v0.3 files hold results, versions and config)
_V04_MARKERS: Final = frozenset(
    {"configs", "n-shot", "n-samples", "higher_is_better", "group_subtasks", "groups"}
)
#: header fields kept in the run's config (besides the results file's ``config``)
_CONFIG_FIELDS: Final = (
    "n-shot", "system_instruction", "system_instruction_sha", "fewshot_as_multiturn",
    "chat_template", "chat_template_sha", "max_length", "configs",
)  # fmt: skip
#: header fields kept in the run's metadata
_META_FIELDS: Final = (
    "lm_eval_version", "git_hash", "upper_git_hash", "transformers_version", "versions",
    "n-samples", "higher_is_better", "group_subtasks", "task_hashes", "model_source",
    "model_name", "model_name_sanitized", "date", "start_time", "end_time",
    "total_evaluation_time_seconds",
)  # fmt: skip
#: ``model_args`` keys naming the model, in order of preference
_MODEL_ARG_KEYS: Final = ("pretrained", "model", "peft", "delta", "path", "engine")
_SIZE: Final = re.compile(
    r"(?<![A-Za-z0-9.])(?P<int>\d+)(?:\.(?P<frac>\d+))?(?P<unit>[kmbt])(?P<tail>\d+)?(?![A-Za-z0-9])",
    re.IGNORECASE,
)
_UNITS: Final = {"k": 1e3, "m": 1e6, "b": 1e9, "t": 1e12}
_STEP: Final = re.compile(r"(?:^|[^A-Za-z0-9])(?:global_)?step[_-]?(?P<step>\d+)", re.IGNORECASE)


class LmEvalImporter:
    """Reads lm-evaluation-harness output (v0.4 results + samples files, legacy v0.3).

    A v0.4 run is one ``results_<date_id>.json`` and the ``samples_<task>_<date_id>.jsonl``
    files beside it with the same date id; it gives item rows (items, responses, scores)
    from the samples files and the reported aggregates from the results file. Samples files
    without a results file are a run of their own (item rows only); a results file without
    samples files and a legacy v0.3 file give aggregates only.
    """

    name = "lm-eval"

    def claims(self, path: Path) -> bool:
        """True for lm-eval samples files and results files (decided from the name and
        the first few KB: a results file's first key is ``"results"`` holding one object
        per task; Inspect logs begin with ``"version"`` and HELM files are lists or begin
        with other keys)."""
        name = path.name
        if _SAMPLES_NAME.match(name):
            keys = json_keys(peek(path, _PEEK_BYTES))
            return bool(keys) and keys[0][0] == 1 and keys[0][1] in _SAMPLE_FIELDS
        if not (name.endswith(".json") or name.endswith(".json.gz")):
            return False
        return _looks_like_results(json_keys(peek(path, _PEEK_BYTES)))

    def group(self, paths: Sequence[Path]) -> list[tuple[Path, ...]]:
        """One group per results file (with the samples files of the same directory and
        date id) and one per set of samples files whose results file is missing."""
        samples: dict[tuple[Path, str], list[Path]] = {}
        results: list[Path] = []
        for p in sorted(paths):
            m = _SAMPLES_NAME.match(p.name)
            if m:
                samples.setdefault((p.parent, m["date"]), []).append(p)
            else:
                results.append(p)
        groups: list[tuple[Path, ...]] = []
        for r in results:
            m = _DATE_SUFFIX.search(stem(r))
            mine = samples.pop((r.parent, m["date"]), []) if m else []
            groups.append((r, *mine))
        groups.extend(tuple(files) for _, files in sorted(samples.items()))
        return groups

    def read(self, files: tuple[Path, ...]) -> ImportBatch:
        """Read one run into a batch (nothing is returned if any file is malformed).

        Raises
        ------
        FormatError
            A file is not valid JSON/JSONL, has an unknown layout or version, or a samples
            file holds the same document and filter twice.
        """
        if not files:
            raise FormatError("<none>", "an lm-eval group needs at least one file")
        sample_files = [f for f in files if _SAMPLES_NAME.match(f.name)]
        result_files = [f for f in files if f not in sample_files]
        if len(result_files) > 1:
            raise FormatError(
                result_files[1],
                f"a run has one results file; {result_files[0].name} is already in this group",
            )
        run_id = "lm-eval-" + content_hash(files)
        notes: list[str] = []
        results: dict[str, Any] = {}
        version: Literal["0.3", "0.4"] = "0.4"
        if result_files:
            results = _load_results(result_files[0])
            version = _results_version(result_files[0], results)
            if version == "0.3" and sample_files:
                raise FormatError(
                    sample_files[0], "a legacy v0.3 results file has no samples files"
                )
        model = _model(results, files[0].parent)
        tables = _Tables(run_id, model.model_id)

        if version == "0.3":
            _aggregates_v03(result_files[0], results, tables)
            notes.append("legacy v0.3 file: aggregates only")
        elif result_files:
            _aggregates_v04(result_files[0], results, tables)
        versions, configs = _obj(results.get("versions")), _obj(results.get("configs"))
        for sf in sample_files:
            task = _task_of(sf)
            if result_files and task not in results["results"] and task not in configs:
                notes.append(f"{sf.name}: task {task!r} is not in the results file")
            version_of = _task_version(versions.get(task, ""), _obj(configs.get(task)))
            _read_samples(sf, task, version_of, _obj(configs.get(task)), tables, notes)
        if result_files and not sample_files and version == "0.4":
            notes.append("results file without samples files: aggregates only")
        if sample_files and not result_files:
            notes.append("samples files without a results file: item rows only, no aggregates")
        elif result_files and sample_files:
            tasks = {_task_of(f) for f in sample_files}
            missing = sorted(t for t in results.get("results", {}) if t not in tasks)
            leaves = [t for t in missing if t not in _obj(results.get("group_subtasks"))]
            if leaves:
                notes.append(f"tasks without a samples file (aggregates only): {', '.join(leaves)}")

        granularity = "item" if sample_files else "aggregate"
        tables.run(
            _run_row(run_id, version, results, files, granularity, result_files, sample_files)
        )
        tables.model(model)
        return ImportBatch(
            source=self.name,
            files=tuple(str(f) for f in files),
            run_id=run_id,
            tables=tables.finish(),
            notes=tuple(dict.fromkeys(notes)),
        )


# --------------------------------------------------------------------------- detection


def _obj(value: Any) -> dict[str, Any]:
    """``value`` when it is a JSON object, else an empty one."""
    return value if isinstance(value, dict) else {}


def _task_of(samples_file: Path) -> str:
    m = _SAMPLES_NAME.match(samples_file.name)
    if m is None:
        raise FormatError(samples_file, "expected a name samples_<task>_<date_id>.jsonl")
    return m["task"]


def _looks_like_results(keys: list[tuple[int, str, str]]) -> bool:
    top = [k for d, k, _ in keys if d == 1]
    if not top:
        return False
    if top[0] == "results":
        # the first task entry must be an object of metrics (v0.3: "acc": 0.5; v0.4:
        # "alias" or "acc,none"); Inspect, HELM and lighteval files never start so
        after = keys[1:]
        if not after:
            return True
        depth, _, first = after[0]
        if depth == 1:  # an empty "results" object: the other keys must be lm-eval's
            return all(k in _RESULTS_KEYS for k in top)
        return depth == 2 and first == "{"
    # a results file re-serialised with sorted keys: every key known, some v0.4-only
    return all(k in _RESULTS_KEYS for k in top) and bool(_V04_MARKERS.intersection(top))


# --------------------------------------------------------------------------- results file


def _load_results(path: Path) -> dict[str, Any]:
    try:
        doc = json.loads(read_bytes(path))
    except json.JSONDecodeError as exc:
        raise FormatError(
            path, f"not valid JSON: {exc.msg} (column {exc.colno})", line=exc.lineno
        ) from exc
    except UnicodeDecodeError as exc:
        raise FormatError(path, "not UTF-8 text") from exc
    if not isinstance(doc, dict):
        raise FormatError(
            path, f"expected a JSON object (an lm-eval results file); got {type(doc).__name__}"
        )
    res = doc.get("results")
    if not isinstance(res, dict):
        raise FormatError(
            path,
            "expected a top-level 'results' object mapping each task to its metrics",
            field="results",
        )
    for task, entry in res.items():
        if not isinstance(entry, dict):
            raise FormatError(
                path,
                f"expected an object of metrics for task {task!r}; got {type(entry).__name__}",
                field=f"results.{task}",
            )
    for key in ("config", "versions", "configs", "n-samples", "groups"):
        if key in doc and doc[key] is not None and not isinstance(doc[key], dict):
            raise FormatError(path, f"expected an object; got {type(doc[key]).__name__}", field=key)
    return doc


def _results_version(path: Path, doc: Mapping[str, Any]) -> Literal["0.3", "0.4"]:
    declared = doc.get("lm_eval_version")
    if declared is not None and not str(declared).startswith("0.4"):
        raise FormatError(
            path,
            f"lm-eval version {declared!r} is not one this importer knows "
            "(0.4.x results files, legacy 0.3 files)",
            field="lm_eval_version",
        )
    entries = list(doc["results"].values())
    if isinstance(doc.get("groups"), dict):
        entries += [e for e in doc["groups"].values() if isinstance(e, dict)]
    has_filter = any("," in k for e in entries for k in e)
    if has_filter or declared is not None or _V04_MARKERS.intersection(doc):
        return "0.4"
    unknown = sorted(k for k in doc if k not in {"results", "versions", "config"})
    if unknown:
        raise FormatError(
            path,
            "unknown results layout: neither v0.4 ('<metric>,<filter>' keys, 'configs', "
            "'n-samples', ...) nor legacy v0.3 ('results', 'versions', 'config' only)",
            field=unknown[0],
        )
    return "0.3"


def _aggregates_v04(path: Path, doc: Mapping[str, Any], tables: _Tables) -> None:
    n_samples = doc.get("n-samples") or {}
    entries: dict[str, Mapping[str, Any]] = dict(doc["results"])
    for task, entry in (doc.get("groups") or {}).items():
        if isinstance(entry, dict) and task not in entries:
            entries[task] = entry
    for task, entry in entries.items():
        ns = n_samples.get(task)
        n = ns.get("effective") if isinstance(ns, dict) else None
        if n is None:
            n = entry.get("sample_len", entry.get("sample_count"))
        for key, raw in entry.items():
            if "," not in key:
                continue
            metric, filt = key.rsplit(",", 1)
            if metric.endswith("_stderr") or isinstance(raw, dict | list):
                continue
            _add_aggregate(
                path,
                tables,
                task,
                key,
                raw,
                stderr=entry.get(f"{metric}_stderr,{filt}"),
                n=int(n) if isinstance(n, int | float) and not isinstance(n, bool) else None,
            )


def _aggregates_v03(path: Path, doc: Mapping[str, Any], tables: _Tables) -> None:
    for task, entry in doc["results"].items():
        for metric, raw in entry.items():
            if metric.endswith("_stderr"):
                continue
            _add_aggregate(
                path, tables, task, metric, raw, stderr=entry.get(f"{metric}_stderr"), n=None
            )


def _add_aggregate(
    path: Path, tables: _Tables, task: str, metric: str, raw: Any, stderr: Any, n: int | None
) -> None:
    """Add one reported metric of ``task``: ``raw`` must be a number, null or ``"N/A"``
    (a stderr that is not a number is stored as null)."""
    value = _number(raw)
    if value is None and raw not in (None, "N/A"):
        raise FormatError(
            path,
            f"expected a number for metric {metric!r} of task {task!r}; got {raw!r}",
            field=f"results.{task}.{metric}",
        )
    tables.aggregates.add(task=task, metric=metric, value=value, stderr=_number(stderr), n=n)


def _run_row(
    run_id: str,
    version: str,
    doc: Mapping[str, Any],
    files: Sequence[Path],
    granularity: str,
    result_files: Sequence[Path],
    sample_files: Sequence[Path],
) -> dict[str, Any]:
    config: dict[str, Any] = dict(doc.get("config") or {})
    for key in _CONFIG_FIELDS:
        if doc.get(key) is not None:
            config[key] = doc[key]
    meta: dict[str, Any] = {"format": f"lm-eval v{version}"}
    for key in _META_FIELDS:
        if doc.get(key) is not None:
            meta[key] = doc[key]
    if version == "0.3" and isinstance(doc.get("config"), dict):
        meta["num_fewshot"] = doc["config"].get("num_fewshot")
    created_at, source = _created_at(doc, result_files or sample_files)
    if created_at is not None:
        meta["created_at_from"] = source
    meta["files"] = [f.name for f in files]
    seed = config.get("random_seed")
    return {
        "run_id": run_id,
        "created_at": created_at,
        "source": "lm-eval",
        "source_path": str(files[0].parent),
        "granularity": granularity,
        "status": "complete",
        "config": to_json(config) if config else None,
        "seed": seed if isinstance(seed, int) and not isinstance(seed, bool) else None,
        "metadata": to_json(meta),
    }


def _created_at(doc: Mapping[str, Any], files: Sequence[Path]) -> tuple[dt.datetime | None, str]:
    date = doc.get("date")
    if isinstance(date, int | float) and not isinstance(date, bool) and math.isfinite(date):
        try:
            return dt.datetime.fromtimestamp(float(date), tz=dt.UTC), "date (UNIX time)"
        except (OverflowError, OSError, ValueError):
            pass
    for f in files:
        m = _DATE_SUFFIX.search(stem(f))
        if m:
            fmt = "%Y-%m-%dT%H-%M-%S.%f" if "." in m["date"] else "%Y-%m-%dT%H-%M-%S"
            try:
                naive = dt.datetime.strptime(m["date"], fmt)
            except ValueError:
                continue
            source = "date id in the file name (local time, read as UTC)"
            return naive.replace(tzinfo=dt.UTC), source
    return None, ""


# --------------------------------------------------------------------------- models


def _model_args(raw: Any) -> dict[str, str]:
    if isinstance(raw, dict):
        return {str(k): str(v) for k, v in raw.items() if v is not None}
    if not isinstance(raw, str):
        return {}
    out: dict[str, str] = {}
    for part in raw.split(","):
        if "=" in part:
            k, v = part.split("=", 1)
            out.setdefault(k.strip(), v.strip())
    return out


def _model(doc: Mapping[str, Any], directory: Path) -> _ModelInfo:
    config = _obj(doc.get("config"))
    args = _model_args(config.get("model_args"))
    meta: dict[str, Any] = {}
    base: str | None = None
    name = doc.get("model_name")
    if isinstance(name, str) and name.strip():
        base, meta["model_id_from"] = name.strip(), "model_name"
    else:
        for key in _MODEL_ARG_KEYS:
            if args.get(key):
                base, meta["model_id_from"] = args[key], f"model_args {key}="
                break
    if base is None:
        dirname = directory.name or "unknown-model"
        # lm-eval names the output directory after the model, '/' sanitised to '__'
        base = dirname.replace("__", "/") if "__" in dirname else dirname
        meta["model_id_from"] = "directory name"
    revision = args.get("revision") or config.get("model_revision")
    revision = str(revision) if revision not in (None, "", "main") else None
    model_id = f"{base}@{revision}" if revision else base
    for key in ("model", "model_args", "model_dtype", "model_sha"):
        if config.get(key) not in (None, ""):
            meta[key if key != "model" else "model_type"] = config[key]
    if revision:
        meta["revision"] = revision
    short = base.rstrip("/").rsplit("/", 1)[-1]
    parameters: float | None = None
    n_params = config.get("model_num_parameters")
    if isinstance(n_params, int | float) and not isinstance(n_params, bool) and n_params > 0:
        parameters, meta["parameters_from"] = float(n_params), "model_num_parameters"
    size = _SIZE.search(short)
    if parameters is None and size:
        parameters, meta["parameters_from"] = _size(size), "model name (nominal size)"
    family = _family(short, size)
    step_match = _STEP.search(revision) if revision else None
    step = int(step_match["step"]) if step_match else None
    return _ModelInfo(model_id, family, parameters, step, meta)


def _size(m: re.Match[str]) -> float:
    """'1.4b' -> 1.4e9; BLOOM-style '1b7' -> 1.7e9."""
    frac = m["frac"] or m["tail"] or ""
    number = float(f"{m['int']}.{frac}") if frac else float(m["int"])
    return number * _UNITS[m["unit"].lower()]


def _family(short: str, size: re.Match[str] | None) -> str | None:
    """The name before the size ('pythia-v1.1-1.4b-deduped' -> 'pythia-deduped')."""
    if size is None:
        return None
    prefix = short[: size.start()].lower().rstrip("-_. ")
    prefix = re.sub(r"[-_]v\d+(?:\.\d+)*$", "", prefix).rstrip("-_. ")
    if not prefix:
        return None
    return f"{prefix}-deduped" if "deduped" in short.lower() else prefix
