"""Importing HELM run directories (``benchmark_output/runs/<suite>/<run_name>/``).

A HELM run directory holds, among other files:

``per_instance_stats.json``
    A list with one entry per (instance, train trial, perturbation): ``instance_id``,
    ``train_trial_index``, an optional ``perturbation`` (``{name, robustness, fairness,
    computed_on, ...}``) and ``stats``, a list of statistics ``{name: {name, split?,
    sub_split?, perturbation?}, count, sum, sum_squared, min, max, mean, variance,
    stddev}``. HELM omits fields whose value is ``None``.
``run_spec.json``
    The run specification: ``name`` (e.g.
    ``mmlu:subject=anatomy,method=multiple_choice_joint,model=openai_gpt2``),
    ``scenario_spec {class_name, args}``, ``adapter_spec`` (``method``, ``model``,
    ``model_deployment``, ...), ``metric_specs``, ``data_augmenter_spec``, ``groups``.
``scenario_state.json``
    ``{adapter_spec, request_states}``; each request state holds the ``instance``
    (``input.text``, ``references [{output.text, tags}]``, ``split``, ``id``,
    ``perturbation?``), the ``train_trial_index``, an optional ``output_mapping`` (``{"A":
    choice text}``), the ``request`` and its ``result`` (``success``, ``completions
    [{text, logprob, tokens}]``, ``request_time``, ``error?``).

How the rows are made
---------------------
- task: the scenario name of the run name plus the run-name arguments that are arguments
  of the scenario (``scenario_spec.args``), in run-name order, so
  ``mmlu:subject=anatomy,method=multiple_choice_joint,model=openai_gpt2`` gives
  ``mmlu:subject=anatomy``; without a scenario spec, every argument but the adaptation
  ones (``model``, ``model_deployment``, ``method``, ``data_augmentation``) is kept.
- model: ``adapter_spec.model`` (``openai/gpt2``), else ``adapter_spec.model_deployment``,
  else the run name's ``model=`` argument (``openai_gpt2``).
- scores: one row per statistic: item = ``instance_id``, sample = ``train_trial_index``,
  prompt variant = the perturbation's name (``""`` for the original instance;
  ``name:original``/``name:worst`` when the statistic is computed on the original or the
  worst case), metric = the statistic's name, value = ``mean`` (``sum / count`` when the
  mean is absent; null when ``count`` is 0). When one instance carries the same metric
  name under different splits, the metric becomes ``name@split`` (``name@split/sub_split``).
- responses: one per (instance, trial, variant) with the first completion's text from
  ``scenario_state.json`` when present (null otherwise), status ``error`` when the request
  failed, tokens from the ``num_prompt_tokens``/``num_output_tokens`` statistics and the
  latency from ``inference_runtime`` or the request time.
- items: from the unperturbed instance in ``scenario_state.json`` (input, first correct
  reference as target, the references as choices for multiple-choice methods, the split
  in metadata); without it, only the item id and its split.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from assay.errors import FormatError
from assay.io._base import ImportBatch, content_hash, read_bytes
from assay.schema import Item, Model, Response, Run, Score, TableName, records_to_table

__all__ = ["HelmImporter", "parse_run_name"]

STATS_FILE = "per_instance_stats.json"
RUN_SPEC_FILE = "run_spec.json"
SCENARIO_STATE_FILE = "scenario_state.json"
_COMPANIONS = (RUN_SPEC_FILE, SCENARIO_STATE_FILE)

#: run-name arguments that describe the adaptation, not the task
_ADAPTATION_ARGS = frozenset({"model", "model_deployment", "method", "data_augmentation"})
_CORRECT_TAG = "correct"


class HelmImporter:
    """Reads one HELM run directory (per-instance statistics, run spec, scenario state).

    ``per_instance_stats.json`` is what is claimed; ``run_spec.json`` and
    ``scenario_state.json`` are claimed only as its companions (when a
    ``per_instance_stats.json`` lies beside them) and are grouped with it.
    """

    name = "helm"

    def claims(self, path: Path) -> bool:
        if path.name == STATS_FILE:
            return path.is_file()
        if path.name in _COMPANIONS:
            return path.is_file() and (path.parent / STATS_FILE).is_file()
        return False

    def group(self, paths: Sequence[Path]) -> list[tuple[Path, ...]]:
        dirs: dict[Path, None] = {}
        for p in paths:
            if p.name == STATS_FILE or p.name in _COMPANIONS:
                dirs.setdefault(p.parent, None)
        groups: list[tuple[Path, ...]] = []
        for d in dirs:
            stats = d / STATS_FILE
            if not stats.is_file():
                continue
            companions = [d / c for c in _COMPANIONS if (d / c).is_file()]
            groups.append((stats, *companions))
        return groups

    def read(self, files: tuple[Path, ...]) -> ImportBatch:
        by_name = {f.name: f for f in files}
        unknown = [f for f in files if f.name not in (STATS_FILE, *_COMPANIONS)]
        if unknown:
            raise FormatError(
                unknown[0],
                f"not a HELM run file this importer reads; expected {STATS_FILE}, "
                f"{RUN_SPEC_FILE} or {SCENARIO_STATE_FILE}",
            )
        stats_path = by_name.get(STATS_FILE)
        if stats_path is None:
            raise FormatError(files[0], f"a HELM run needs its {STATS_FILE}")
        notes: list[str] = []
        spec_path = by_name.get(RUN_SPEC_FILE)
        state_path = by_name.get(SCENARIO_STATE_FILE)
        spec = _read_run_spec(spec_path) if spec_path else None
        if spec is None:
            notes.append(
                f"no {RUN_SPEC_FILE} beside {stats_path}: the task and model were taken "
                f"from the directory name {stats_path.parent.name!r}"
            )
        run_name = spec.name if spec else stats_path.parent.name
        scenario, args = parse_run_name(run_name)
        task = _task(scenario, args, spec)
        model_id = _model_id(spec, args, stats_path)
        entries = _read_per_instance_stats(stats_path)
        state = _read_scenario_state(state_path) if state_path else None
        if state is None:
            notes.append(
                f"no {SCENARIO_STATE_FILE} beside {stats_path}: items have no input or "
                "target and responses no output"
            )
        run_id = "helm-" + content_hash(list(files))
        batch_tables = _build(stats_path, run_id, model_id, task, entries, state, spec, notes)
        suite = (
            stats_path.parent.parent.name
            if stats_path.parent.parent.parent.name == "runs"
            else None
        )
        run = Run(
            run_id=run_id,
            source=self.name,
            source_path=str(stats_path.parent),
            granularity="item",
            status="complete",
            config=spec.raw if spec else None,
            metadata={
                "run_name": run_name,
                "scenario": scenario,
                "run_args": dict(args),
                "suite": suite,
                "model_deployment": spec.deployment if spec else None,
            },
        )
        models = Model(
            model_id=model_id,
            metadata={"helm_deployment": spec.deployment} if spec and spec.deployment else None,
        )
        tables: dict[TableName, pa.Table] = {
            "runs": records_to_table("runs", [run]),
            "models": records_to_table("models", [models]),
            **batch_tables,
        }
        return ImportBatch(
            source=self.name,
            files=tuple(str(f) for f in files),
            run_id=run_id,
            tables=tables,
            notes=tuple(notes),
        )


# --------------------------------------------------------------------------- run name


def parse_run_name(name: str) -> tuple[str, list[tuple[str, str]]]:
    """Split a HELM run name ``scenario:k1=v1,k2=v2`` into the scenario and its arguments.

    An argument without ``=`` is kept with an empty value.
    """
    scenario, _, rest = name.partition(":")
    args: list[tuple[str, str]] = []
    for part in rest.split(",") if rest else []:
        key, _, value = part.partition("=")
        args.append((key.strip(), value.strip()))
    return scenario.strip(), args


def _task(scenario: str, args: list[tuple[str, str]], spec: _RunSpec | None) -> str:
    if spec is not None and spec.scenario_args is not None:
        kept = [(k, v) for k, v in args if k in spec.scenario_args]
    else:
        kept = [(k, v) for k, v in args if k not in _ADAPTATION_ARGS]
    if not kept:
        return scenario
    return scenario + ":" + ",".join(f"{k}={v}" if v else k for k, v in kept)


def _model_id(spec: _RunSpec | None, args: list[tuple[str, str]], path: Path) -> str:
    if spec is not None and spec.model:
        return spec.model
    if spec is not None and spec.deployment:
        return spec.deployment
    for k, v in args:
        if k == "model" and v:
            return v
    raise FormatError(
        path,
        "cannot tell the model: no adapter_spec.model in run_spec.json and no model= "
        "argument in the run name",
        field="adapter_spec.model",
    )


# --------------------------------------------------------------------------- JSON reading


def _load_json(path: Path) -> Any:
    data = read_bytes(path)
    try:
        return json.loads(data)
    except UnicodeDecodeError as exc:
        raise FormatError(path, f"not UTF-8 text: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise FormatError(path, f"not valid JSON: {exc.msg}", line=exc.lineno) from exc


def _expect(value: Any, kind: type | tuple[type, ...], path: Path, where: str) -> Any:
    """``value`` when it is of ``kind`` (booleans are not numbers), else a FormatError."""
    kinds = kind if isinstance(kind, tuple) else (kind,)
    ok = isinstance(value, kinds) and not (
        isinstance(value, bool) and bool not in kinds and (int in kinds or float in kinds)
    )
    if not ok:
        names = " or ".join(_KIND_NAMES.get(k, k.__name__) for k in kinds)
        raise FormatError(path, f"expected {names}; got {_describe(value)}", field=where)
    return value


_KIND_NAMES: dict[type, str] = {
    dict: "an object",
    list: "a list",
    str: "a string",
    int: "an integer",
    float: "a number",
    bool: "true or false",
}


def _describe(value: Any) -> str:
    if value is None:
        return "null (or the field is missing)"
    text = json.dumps(value)
    return text if len(text) <= 60 else text[:57] + "..."


@dataclass(frozen=True)
class _RunSpec:
    name: str
    model: str | None
    deployment: str | None
    method: str | None
    scenario_args: frozenset[str] | None
    raw: Mapping[str, Any]


def _read_run_spec(path: Path) -> _RunSpec:
    obj = _expect(_load_json(path), dict, path, "(top level)")
    name = _expect(obj.get("name"), str, path, "name")
    adapter = _expect(obj.get("adapter_spec", {}), dict, path, "adapter_spec")
    model = _expect(adapter.get("model"), (str, type(None)), path, "adapter_spec.model")
    deployment = _expect(
        adapter.get("model_deployment"), (str, type(None)), path, "adapter_spec.model_deployment"
    )
    method = _expect(adapter.get("method"), (str, type(None)), path, "adapter_spec.method")
    scenario_args: frozenset[str] | None = None
    if "scenario_spec" in obj:
        sspec = _expect(obj["scenario_spec"], dict, path, "scenario_spec")
        sargs = _expect(sspec.get("args", {}), dict, path, "scenario_spec.args")
        scenario_args = frozenset(sargs)
    return _RunSpec(name, model or None, deployment or None, method, scenario_args, obj)


@dataclass
class _Entry:
    """One scored statistic, before metric names are made unique."""

    item_id: str
    trial: int
    variant: str
    name: str
    split: str | None
    sub_split: str | None
    value: float | None
    where: str


@dataclass
class _Stats:
    entries: list[_Entry] = field(default_factory=list)
    #: response keys in file order
    responses: dict[tuple[str, int, str], None] = field(default_factory=dict)
    #: the first split seen for each item
    splits: dict[str, str | None] = field(default_factory=dict)


def _variant(pert: Any, path: Path, where: str) -> str:
    if pert is None:
        return ""
    pert = _expect(pert, dict, path, where)
    name: str = _expect(pert.get("name"), str, path, where + ".name")
    computed_on = pert.get("computed_on", "perturbed")
    if computed_on in (None, "perturbed"):
        return name
    return f"{name}:{_expect(computed_on, str, path, where + '.computed_on')}"


def _number(value: Any, path: Path, where: str) -> float | None:
    if value is None:
        return None
    return float(_expect(value, (int, float), path, where))


def _read_per_instance_stats(path: Path) -> _Stats:
    data = _expect(_load_json(path), list, path, "(top level)")
    out = _Stats()
    for i, raw in enumerate(data):
        at = f"[{i}]"
        entry = _expect(raw, dict, path, at)
        item_id = _expect(entry.get("instance_id"), str, path, at + ".instance_id")
        trial = _expect(entry.get("train_trial_index", 0), int, path, at + ".train_trial_index")
        base_variant = _variant(entry.get("perturbation"), path, at + ".perturbation")
        stats = _expect(entry.get("stats"), list, path, at + ".stats")
        for j, raw_stat in enumerate(stats):
            sat = f"{at}.stats[{j}]"
            stat = _expect(raw_stat, dict, path, sat)
            mname = _expect(stat.get("name"), dict, path, sat + ".name")
            name = _expect(mname.get("name"), str, path, sat + ".name.name")
            split = _expect(mname.get("split"), (str, type(None)), path, sat + ".name.split")
            sub_split = _expect(
                mname.get("sub_split"), (str, type(None)), path, sat + ".name.sub_split"
            )
            variant = (
                _variant(mname["perturbation"], path, sat + ".name.perturbation")
                if mname.get("perturbation") is not None
                else base_variant
            )
            count = _number(stat.get("count"), path, sat + ".count")
            mean = _number(stat.get("mean"), path, sat + ".mean")
            total = _number(stat.get("sum"), path, sat + ".sum")
            if count == 0:
                value = None
            elif mean is not None:
                value = mean
            elif total is not None and count:
                value = total / count
            else:
                raise FormatError(
                    path, "a statistic needs a mean (or a sum and a count)", field=sat + ".mean"
                )
            if value is not None and math.isnan(value):
                value = None
            out.entries.append(_Entry(item_id, trial, variant, name, split, sub_split, value, sat))
            out.responses.setdefault((item_id, trial, variant), None)
            if out.splits.get(item_id) is None:
                out.splits[item_id] = split
    return out


@dataclass(frozen=True)
class _Request:
    output: str | None
    mapped: str | None
    error: str | None
    failed: bool
    latency: float | None
    n_tokens: int | None
    input_text: str | None


@dataclass
class _State:
    #: unperturbed instance (else the first seen) per instance id
    instances: dict[str, Mapping[str, Any]] = field(default_factory=dict)
    #: the generation request (no reference_index) per (instance, trial, variant)
    requests: dict[tuple[str, int, str], _Request] = field(default_factory=dict)
    #: instance ids with a request per reference only (separate multiple-choice methods)
    per_reference: set[str] = field(default_factory=set)
    #: instance ids whose requests map letters to choices
    mapped: set[str] = field(default_factory=set)
    method: str | None = None


def _read_scenario_state(path: Path) -> _State:
    obj = _expect(_load_json(path), dict, path, "(top level)")
    out = _State()
    adapter = _expect(obj.get("adapter_spec", {}), dict, path, "adapter_spec")
    out.method = _expect(adapter.get("method"), (str, type(None)), path, "adapter_spec.method")
    states = _expect(obj.get("request_states"), list, path, "request_states")
    for i, raw in enumerate(states):
        at = f"request_states[{i}]"
        rs = _expect(raw, dict, path, at)
        inst = _expect(rs.get("instance"), dict, path, at + ".instance")
        iid = _expect(inst.get("id"), str, path, at + ".instance.id")
        inp = _expect(inst.get("input", {}), dict, path, at + ".instance.input")
        text = _expect(inp.get("text"), (str, type(None)), path, at + ".instance.input.text")
        refs = _expect(inst.get("references", []), list, path, at + ".instance.references")
        for k, ref in enumerate(refs):
            rat = f"{at}.instance.references[{k}]"
            ref = _expect(ref, dict, path, rat)
            _expect(
                _expect(ref.get("output"), dict, path, rat + ".output").get("text"),
                str,
                path,
                rat + ".output.text",
            )
            _expect(ref.get("tags", []), list, path, rat + ".tags")
        variant = _variant(inst.get("perturbation"), path, at + ".instance.perturbation")
        if iid not in out.instances or (
            variant == "" and out.instances[iid].get("perturbation") is not None
        ):
            out.instances[iid] = inst  # the first unperturbed copy wins
        trial = _expect(rs.get("train_trial_index", 0), int, path, at + ".train_trial_index")
        mapping = _expect(
            rs.get("output_mapping"), (dict, type(None)), path, at + ".output_mapping"
        )
        if mapping:
            out.mapped.add(iid)
        if rs.get("reference_index") is not None:
            out.per_reference.add(iid)
            continue
        key = (iid, trial, variant)
        if key in out.requests:
            continue
        out.requests[key] = _request(rs, mapping, text, path, at)
    return out


def _request(
    rs: Mapping[str, Any], mapping: Mapping[str, Any] | None, text: str | None, path: Path, at: str
) -> _Request:
    result = _expect(rs.get("result"), (dict, type(None)), path, at + ".result")
    if result is None:
        return _Request(None, None, "the request has no result", True, None, None, text)
    success = _expect(result.get("success", True), bool, path, at + ".result.success")
    error = _expect(result.get("error"), (str, type(None)), path, at + ".result.error")
    latency = _number(result.get("request_time"), path, at + ".result.request_time")
    completions = _expect(result.get("completions", []), list, path, at + ".result.completions")
    output: str | None = None
    n_tokens: int | None = None
    if completions:
        first = _expect(completions[0], dict, path, at + ".result.completions[0]")
        output = _expect(first.get("text"), str, path, at + ".result.completions[0].text")
        tokens = first.get("tokens")
        if tokens is not None:
            n_tokens = len(_expect(tokens, list, path, at + ".result.completions[0].tokens"))
    mapped = None
    if mapping and output is not None:
        value = mapping.get(output.strip())
        mapped = value if isinstance(value, str) else None
    return _Request(
        output, mapped, error if not success else None, not success, latency, n_tokens, text
    )


# --------------------------------------------------------------------------- tables


def _build(
    path: Path,
    run_id: str,
    model_id: str,
    task: str,
    stats: _Stats,
    state: _State | None,
    spec: _RunSpec | None,
    notes: list[str],
) -> dict[TableName, pa.Table]:
    # metric names: suffix the split when one (instance, trial, variant, name) has several
    splits_of: dict[tuple[str, int, str, str], set[tuple[str | None, str | None]]] = {}
    for e in stats.entries:
        splits_of.setdefault((e.item_id, e.trial, e.variant, e.name), set()).add(
            (e.split, e.sub_split)
        )
    scores: list[Score] = []
    seen: dict[tuple[str, int, str, str], str] = {}
    by_response: dict[tuple[str, int, str], dict[str, float | None]] = {}
    for e in stats.entries:
        metric = e.name
        if len(splits_of[(e.item_id, e.trial, e.variant, e.name)]) > 1:
            metric = f"{e.name}@{e.split or ''}" + (f"/{e.sub_split}" if e.sub_split else "")
        key = (e.item_id, e.trial, e.variant, metric)
        if key in seen:
            raise FormatError(
                path,
                f"the statistic {metric!r} of instance {e.item_id!r} (trial {e.trial}"
                + (f", perturbation {e.variant!r}" if e.variant else "")
                + f") appears twice (first at {seen[key]})",
                field=e.where + ".name",
            )
        seen[key] = e.where
        scores.append(Score(run_id, model_id, task, e.item_id, metric, e.value, e.trial, e.variant))
        by_response.setdefault((e.item_id, e.trial, e.variant), {})[metric] = e.value

    method = (spec.method if spec else None) or (state.method if state else None)
    responses: list[Response] = []
    missing = 0
    for item_id, trial, variant in stats.responses:
        values = by_response.get((item_id, trial, variant), {})
        req = state.requests.get((item_id, trial, variant)) if state else None
        if state is not None and req is None and item_id not in state.per_reference:
            missing += 1
        meta: dict[str, Any] = {}
        if req is not None and req.mapped is not None:
            meta["mapped_output"] = req.mapped
        if req is not None and variant and req.input_text is not None:
            meta["input"] = req.input_text
        latency = values.get("inference_runtime")
        responses.append(
            Response(
                run_id=run_id,
                model_id=model_id,
                task=task,
                item_id=item_id,
                sample_index=trial,
                prompt_variant=variant,
                task_version="",
                output=req.output if req else None,
                input_tokens=_int(values.get("num_prompt_tokens")),
                output_tokens=_int(values.get("num_output_tokens"))
                if values.get("num_output_tokens") is not None
                else (req.n_tokens if req else None),
                latency_s=latency if latency is not None else (req.latency if req else None),
                status="error" if req is not None and req.failed else "ok",
                error=req.error if req is not None and req.failed else None,
                metadata=meta or None,
            )
        )
    if missing:
        notes.append(
            f"{missing} scored (instance, trial, perturbation) keys have no request in "
            f"{SCENARIO_STATE_FILE}; their responses have no output"
        )
    if state is not None and state.per_reference:
        notes.append(
            f"{len(state.per_reference)} instances were asked one request per reference "
            f"(method {method!r}); their responses have no single output"
        )

    items: list[Item] = []
    for item_id, split in stats.splits.items():
        inst = state.instances.get(item_id) if state else None
        if inst is None:
            items.append(Item(task, item_id, metadata={"split": split} if split else None))
            continue
        refs = [(r["output"]["text"], r.get("tags", [])) for r in inst.get("references", [])]
        correct = [t for t, tags in refs if _CORRECT_TAG in tags]
        multiple_choice = (method or "").startswith("multiple_choice") or (
            state is not None and item_id in state.mapped
        )
        meta = {"split": inst.get("split", split)}
        if inst.get("sub_split") is not None:
            meta["sub_split"] = inst["sub_split"]
        if len(correct) > 1:
            meta["targets"] = correct
        if not multiple_choice and refs and len(refs) > len(correct):
            meta["references"] = [{"text": t, "tags": tags} for t, tags in refs]
        items.append(
            Item(
                task=task,
                item_id=item_id,
                input=inst.get("input", {}).get("text"),
                target=correct[0] if correct else None,
                choices=[t for t, _ in refs] if multiple_choice and refs else None,
                metadata={k: v for k, v in meta.items() if v is not None} or None,
            )
        )
    return {
        "items": records_to_table("items", items),
        "responses": records_to_table("responses", responses),
        "scores": records_to_table("scores", scores),
    }


def _int(value: float | None) -> int | None:
    if value is None or not math.isfinite(value):
        return None
    return round(value)
