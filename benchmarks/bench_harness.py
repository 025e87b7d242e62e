"""Harness benchmark: assay vs lm-evaluation-harness on the same items, side by side.

(a) Multiple choice with the bundled SmolLM2-135M-Instruct: 200 four-choice built-in
    items (67 arithmetic, 67 string_ops, 66 logic), prompt "Question: {input}\\nAnswer:"
    and each choice scored as the continuation " " + choice.
    - assay: ``run_task`` with ``llamacpp:smollm2`` (the Q4_1 GGUF) into a temporary store;
    - lm-evaluation-harness: its ``hf`` backend on the same weights dequantised to float32
      (``benchmarks/_dequantise.py``), the same 200 items as a custom YAML task over a
      local JSONL file (the identical prompt and continuation texts);
    - assay's ``transformers`` adapter on the dequantised weights too, whose accuracy
      should equal lm-eval's (same weights, same arithmetic), separating the Q4 vs float
      difference from any harness difference.
    Reported: wall time, accuracy, and assay's tokens evaluated per item against the
    minimum (context + every choice's tokens, from the tokenizer).
(b) Generation against a local OpenAI-compatible server (aiohttp, in its own process)
    that answers every request after a fixed 50 ms: 2,000 requests, assay (``run_task``
    with the ``openai`` adapter, ``max_concurrency=C``) vs lm-evaluation-harness
    ``local-completions`` with ``num_concurrent=C``, both on the same 2,000 prompts.
    Reported: requests per second end to end and while requests were in flight (seen by
    the server), and the fraction of the server's ceiling C / 50 ms.

Each side runs in its own process, so its peak memory (ru_maxrss) is its own.

    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/bench_harness.py [--part mc|gen|all]
        [--items 200] [--requests 2000] [--concurrency 32 8] [--lmeval-batch-sizes 1 32]

Needs the benchmark-only packages: torch (CPU build), transformers, accelerate, gguf,
lm-eval[api] (which brings aiohttp). Results go to stdout as Markdown.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DELAY_S = 0.05
SKILLS = ("arithmetic", "string_ops", "logic")
LMEVAL_MC = "assay_bench_mc"
LMEVAL_GEN = "assay_bench_gen"


# ---------------------------------------------------------------------- inputs
def mc_task(n_items: int) -> Any:
    """``n_items`` four-choice built-in items, split evenly over the three skills."""
    from assay.harness.tasks._spec import Task
    from assay.harness.tasks.builtin import builtin_task

    per = [n_items // 3 + (1 if i < n_items % 3 else 0) for i in range(3)]
    items: list[Any] = []
    template = ""
    for skill, n in zip(SKILLS, per, strict=True):
        task = builtin_task(skill, n_items=n)
        template = task.templates["default"]
        items.extend(task.items[:n])
    return Task(
        name="bench-mc",
        version="1",
        kind="multiple_choice",
        items=tuple(items),
        templates={"default": template},
        choice_prefix=" ",
    )


def gen_task(n_items: int) -> Any:
    """``n_items`` generation items (built-in arithmetic, answered by exact match)."""
    from assay.harness.tasks._spec import Task
    from assay.harness.tasks.builtin import builtin_task

    task = builtin_task("arithmetic_gen", n_items=n_items)
    return Task(
        name="bench-gen",
        version="1",
        kind="generation",
        items=task.items,
        templates={"default": task.templates["default"]},
        stop=("\n",),
        max_tokens=16,
    )


def write_lmeval_tasks(root: Path, n_mc: int, n_gen: int) -> None:
    """The same items as lm-eval custom tasks: YAML configs over local JSONL files."""
    mc, gen = mc_task(n_mc), gen_task(n_gen)
    tasks = root / "lmeval_tasks"
    tasks.mkdir(parents=True, exist_ok=True)
    with open(root / "mc.jsonl", "w") as fh:
        for item in mc.items:
            # lm-eval puts target_delimiter (default " ") between the prompt and a choice:
            # the continuations are " " + choice, exactly assay's choice_prefix + choice
            row = {
                "item_id": item.item_id,
                "prompt": mc.prompt(item, "default"),
                "choices": list(item.choices),
                "gold": item.gold,
            }
            fh.write(json.dumps(row) + "\n")
    with open(root / "gen.jsonl", "w") as fh:
        for item in gen.items:
            row = {"item_id": item.item_id, "prompt": gen.prompt(item, "default")}
            # `id`/`input` are the names assay's item files use: both tools read this file
            row |= {"id": item.item_id, "input": row["prompt"], "target": item.target}
            fh.write(json.dumps(row) + "\n")
    (root / "gen-assay.yaml").write_text(
        f"""name: bench-gen
version: "1"
kind: generation
items_file: gen.jsonl
templates:
  default: "{{input}}"
stop: ["\\n"]
max_tokens: {gen.max_tokens}
"""
    )
    (tasks / f"{LMEVAL_MC}.yaml").write_text(
        f"""task: {LMEVAL_MC}
dataset_path: json
dataset_kwargs:
  data_files:
    test: {root / "mc.jsonl"}
test_split: test
output_type: multiple_choice
doc_to_text: prompt
doc_to_choice: choices
doc_to_target: gold
target_delimiter: " "
metric_list:
  - metric: acc
    aggregation: mean
    higher_is_better: true
metadata:
  version: 1.0
"""
    )
    (tasks / f"{LMEVAL_GEN}.yaml").write_text(
        f"""task: {LMEVAL_GEN}
dataset_path: json
dataset_kwargs:
  data_files:
    test: {root / "gen.jsonl"}
test_split: test
output_type: generate_until
doc_to_text: prompt
doc_to_target: target
generation_kwargs:
  until: ["\\n"]
  max_gen_toks: {gen.max_tokens}
  do_sample: false
  temperature: 0
metric_list:
  - metric: exact_match
    aggregation: mean
    higher_is_better: true
metadata:
  version: 1.0
"""
    )


# ---------------------------------------------------------------------- (a) phases
def _assay_mc(root: Path, spec: str, n_items: int) -> dict[str, Any]:
    from assay.harness.models import load_model
    from assay.harness.runner import run_task
    from assay.store import Store

    store_path = root / f"mc-{spec.partition(':')[0]}.duckdb"
    store_path.unlink(missing_ok=True)
    with Store(store_path) as st:
        t0 = time.perf_counter()
        model = load_model(spec)
        task = mc_task(n_items)
        outcome = run_task(st, task, model, variants=["default"], progress=False)
        seconds = time.perf_counter() - t0
        rows = st.query(
            "SELECT r.item_id, r.choice_logprobs, r.input_tokens, r.output_tokens, "
            "r.metadata, s.value FROM responses r JOIN scores s USING "
            "(run_id, item_id, prompt_variant, sample_index) "
            "WHERE r.run_id = ? AND s.metric = 'acc' ORDER BY r.item_id",
            [outcome.run_id],
        ).to_pylist()
    preds: dict[str, int] = {}
    per_item_eval: list[int] = []
    per_item_min: list[int] = []
    one_pass_each = 0  # what scoring each choice in its own pass over context + choice runs
    for r in rows:
        lps = list(r["choice_logprobs"])
        preds[r["item_id"]] = max(range(len(lps)), key=lps.__getitem__)
        meta = r["metadata"]
        meta = json.loads(meta) if isinstance(meta, str) else meta
        per_item_eval.append(int(meta["tokens_evaluated"]))
        # the tokenizer's counts: the context, and every choice's tokens after it
        per_item_min.append(int(r["input_tokens"]) + int(r["output_tokens"]))
        conts = meta["continuation_tokens"]
        one_pass_each += sum(int(r["input_tokens"]) + c - 1 for c in conts)
    return {
        "seconds": seconds,
        "items": len(rows),
        "errors": outcome.errors,
        "acc": sum(float(r["value"]) for r in rows) / len(rows),
        "preds": preds,
        "tokens_evaluated": outcome.tokens_evaluated,
        "tokens_evaluated_items": sum(per_item_eval),
        "tokens_minimum": sum(per_item_min),
        "tokens_one_pass_each": one_pass_each,
    }


def phase_mc_assay(root: Path, args: argparse.Namespace) -> dict[str, Any]:
    return _assay_mc(root, "llamacpp:smollm2", args.items)


def phase_mc_assay_hf(root: Path, args: argparse.Namespace) -> dict[str, Any]:
    return _assay_mc(root, f"transformers:{args.checkpoint}", args.items)


def phase_mc_lmeval(root: Path, args: argparse.Namespace) -> dict[str, Any]:
    import lm_eval
    from lm_eval.tasks import TaskManager

    t0 = time.perf_counter()
    manager = TaskManager(include_path=str(root / "lmeval_tasks"))
    out = lm_eval.simple_evaluate(
        model="hf",
        model_args={"pretrained": str(args.checkpoint), "dtype": "float32", "device": "cpu"},
        tasks=[LMEVAL_MC],
        task_manager=manager,
        batch_size=args.batch_size,
        log_samples=True,
        bootstrap_iters=0,
    )
    seconds = time.perf_counter() - t0
    assert out is not None
    samples = out["samples"][LMEVAL_MC]
    preds = {}
    for s in samples:
        scores = [float(r[0]) for r in s["filtered_resps"]]
        preds[s["doc"]["item_id"]] = max(range(len(scores)), key=scores.__getitem__)
    return {
        "seconds": seconds,
        "items": len(samples),
        "acc": float(out["results"][LMEVAL_MC]["acc,none"]),
        "preds": preds,
    }


# ---------------------------------------------------------------------- (b) server
def serve(port: int, delay: float) -> None:
    """An OpenAI-compatible completions server answering after ``delay`` seconds."""
    import asyncio

    from aiohttp import web

    state = {"count": 0, "inflight": 0, "max_inflight": 0, "first": 0.0, "last": 0.0}

    async def completions(request: web.Request) -> web.Response:
        body = await request.json()
        now = time.time()
        if state["count"] == 0:
            state["first"] = now
        state["count"] += 1
        state["inflight"] += 1
        state["max_inflight"] = max(state["max_inflight"], state["inflight"])
        try:
            await asyncio.sleep(delay)
        finally:
            state["inflight"] -= 1
        state["last"] = time.time()
        prompt = body.get("prompt", "")
        n_prompt = len(prompt) if isinstance(prompt, list) else len(str(prompt).split())
        return web.json_response(
            {
                "id": f"cmpl-{state['count']}",
                "object": "text_completion",
                "created": int(now),
                "model": body.get("model", "bench"),
                "choices": [{"index": 0, "text": " 42", "logprobs": None, "finish_reason": "stop"}],
                "usage": {
                    "prompt_tokens": n_prompt,
                    "completion_tokens": 1,
                    "total_tokens": n_prompt + 1,
                },
            }
        )

    async def stats(request: web.Request) -> web.Response:
        return web.json_response(state)

    async def reset(request: web.Request) -> web.Response:
        state.update(count=0, inflight=0, max_inflight=0, first=0.0, last=0.0)
        return web.json_response(state)

    app = web.Application()
    app.router.add_post("/v1/completions", completions)
    app.router.add_get("/stats", stats)
    app.router.add_post("/reset", reset)
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None, backlog=1024)


def _server_call(port: int, path: str, method: str = "GET") -> dict[str, Any]:
    import urllib.request

    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method)
    with urllib.request.urlopen(req, timeout=5) as resp:
        result: dict[str, Any] = json.loads(resp.read())
        return result


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


# ---------------------------------------------------------------------- (b) phases
def phase_gen_assay(root: Path, args: argparse.Namespace) -> dict[str, Any]:
    from assay.harness.models.openai import OpenAIModel
    from assay.harness.runner import run_task
    from assay.harness.tasks import load_task
    from assay.store import Store

    store_path = root / f"gen-assay-{args.concurrency}.duckdb"
    store_path.unlink(missing_ok=True)
    with Store(store_path) as st:
        started_at = time.time()
        t0 = time.perf_counter()
        model = OpenAIModel(
            "bench", f"http://127.0.0.1:{args.port}/v1", max_concurrency=args.concurrency
        )
        task = load_task(str(root / "gen-assay.yaml"))  # the items file lm-eval reads
        outcome = run_task(st, task, model, variants=["default"], progress=False)
        seconds = time.perf_counter() - t0
        stored = st.count("responses")
    return {
        "seconds": seconds,
        "started_at": started_at,
        "done": outcome.done,
        "errors": outcome.errors,
        "stored": stored,
        "requests": model.stats.requests,
        "attempts": model.stats.attempts,
    }


def phase_gen_lmeval(root: Path, args: argparse.Namespace) -> dict[str, Any]:
    import lm_eval
    from lm_eval.tasks import TaskManager

    started_at = time.time()
    t0 = time.perf_counter()
    manager = TaskManager(include_path=str(root / "lmeval_tasks"))
    out = lm_eval.simple_evaluate(
        model="local-completions",
        model_args={
            "model": "bench",
            "base_url": f"http://127.0.0.1:{args.port}/v1/completions",
            "num_concurrent": args.concurrency,
            "max_retries": 3,
            # prompts go as text: no tokenizer to load (the lightest configuration)
            "tokenizer_backend": "none",
            "tokenized_requests": False,
        },
        tasks=[LMEVAL_GEN],
        task_manager=manager,
        log_samples=False,
        bootstrap_iters=0,
    )
    seconds = time.perf_counter() - t0
    assert out is not None
    n = int(out["n-samples"][LMEVAL_GEN]["effective"])
    return {"seconds": seconds, "started_at": started_at, "n": n}


PHASES = {
    "mc-assay": phase_mc_assay,
    "mc-assay-hf": phase_mc_assay_hf,
    "mc-lmeval": phase_mc_lmeval,
    "gen-assay": phase_gen_assay,
    "gen-lmeval": phase_gen_lmeval,
}


def run_phase(name: str, root: Path, args: argparse.Namespace, **extra: Any) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--phase", name, "--workdir", str(root)]
    cmd += ["--items", str(args.items), "--requests", str(args.requests)]
    cmd += ["--checkpoint", str(args.checkpoint)]
    for key, value in extra.items():
        cmd += [f"--{key.replace('_', '-')}", str(value)]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr[-5000:])
        raise SystemExit(f"phase {name} failed ({proc.returncode})")
    (root / f"{name}-{'-'.join(map(str, extra.values()))}.log").write_text(proc.stderr)
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    result["process_seconds"] = wall
    print(f"  {name} {extra or ''}: {result['seconds']:.1f} s", file=sys.stderr)
    return result


# ---------------------------------------------------------------------- report
def versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for pkg in ("assay", "llama_cpp_python", "torch", "transformers", "lm_eval", "aiohttp"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = "absent"
    out["python"] = sys.version.split()[0]
    return out


def report_mc(res: dict[str, Any], lm: dict[int, dict[str, Any]], n: int) -> None:
    a, h = res["assay"], res["assay_hf"]
    best_bs = min(lm, key=lambda b: lm[b]["seconds"])
    best = lm[best_bs]
    print(f"### (a) multiple choice: {n} four-choice items\n")
    print("| tool | weights | seconds | process s | accuracy | peak RSS (MB) |")
    print("|---|---|---:|---:|---:|---:|")
    print(
        f"| assay `run_task`, `llamacpp:smollm2` | Q4_1 GGUF | {a['seconds']:.1f} | "
        f"{a['process_seconds']:.1f} | {a['acc']:.3f} | {a['peak_rss_mb']:.0f} |"
    )
    for bs, r in sorted(lm.items()):
        print(
            f"| lm-eval `hf`, batch size {bs} | float32 (dequantised) | {r['seconds']:.1f} | "
            f"{r['process_seconds']:.1f} | {r['acc']:.3f} | {r['peak_rss_mb']:.0f} |"
        )
    print(
        f"| assay `run_task`, `transformers:` adapter | float32 (dequantised) | "
        f"{h['seconds']:.1f} | {h['process_seconds']:.1f} | {h['acc']:.3f} | "
        f"{h['peak_rss_mb']:.0f} |"
    )
    print()
    print(
        f"- wall time, assay / lm-eval (fastest, batch size {best_bs}): "
        f"{a['seconds'] / best['seconds']:.2f}x in-process, "
        f"{a['process_seconds'] / best['process_seconds']:.2f}x whole process (target <= 0.5x)"
    )
    for bs, r in sorted(lm.items()):
        print(
            f"- wall time, assay / lm-eval batch size {bs}: {a['seconds'] / r['seconds']:.2f}x "
            f"in-process, {a['process_seconds'] / r['process_seconds']:.2f}x whole process"
        )
    correct_a = round(a["acc"] * n)
    correct_l = round(best["acc"] * n)
    correct_h = round(h["acc"] * n)
    same_lh = sum(h["preds"][k] == best["preds"].get(k) for k in h["preds"])
    same_al = sum(a["preds"][k] == best["preds"].get(k) for k in a["preds"])
    print(
        f"- correct items: assay Q4_1 {correct_a}, lm-eval hf {correct_l}, assay transformers "
        f"{correct_h}; |assay Q4_1 - lm-eval| = {abs(correct_a - correct_l)} items (target <= 2)"
    )
    print(
        f"- same choice per item: assay transformers vs lm-eval hf {same_lh}/{n}; "
        f"assay Q4_1 vs lm-eval hf {same_al}/{n}"
    )
    per_item = a["tokens_evaluated"] / n
    minimum = a["tokens_minimum"] / n
    print(
        f"- assay (llama.cpp) tokens evaluated per item: {per_item:.1f} vs minimum "
        f"(context + every choice) {minimum:.1f}: {per_item / minimum:.2f}x (target <= 1.2x); "
        f"transformers adapter {h['tokens_evaluated'] / n:.1f} "
        f"({h['tokens_evaluated'] / h['tokens_minimum']:.2f}x); one pass per choice over "
        f"context + choice (lm-eval `hf`, before padding) {a['tokens_one_pass_each'] / n:.1f}"
    )
    print()


def report_gen(res: dict[int, dict[str, Any]], n: int) -> None:
    print(f"### (b) generation: {n:,} requests, server answers after {DELAY_S * 1000:.0f} ms\n")
    print(
        "| tool | concurrency | seconds | requests/s | in-flight req/s | % of ceiling "
        "| max in flight | first request after (s) | peak RSS (MB) |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for c, pair in sorted(res.items(), reverse=True):
        ceiling = c / DELAY_S
        for label, r in (
            ("assay `run_task`, `openai:`", pair["assay"]),
            ("lm-eval `local-completions`", pair["lmeval"]),
        ):
            rps = n / r["seconds"]
            print(
                f"| {label} | {c} | {r['seconds']:.2f} | {rps:.0f} | {r['server_rps']:.0f} | "
                f"{100 * rps / ceiling:.0f}% | {r['max_inflight']} | {r['first_request_s']:.2f} "
                f"| {r['peak_rss_mb']:.0f} |"
            )
    print()
    for c, pair in sorted(res.items(), reverse=True):
        a, lm = pair["assay"], pair["lmeval"]
        print(
            f"- C = {c}: ceiling {c / DELAY_S:.0f} req/s; assay / lm-eval throughput "
            f"{lm['seconds'] / a['seconds']:.2f}x end to end (target >= 3x), "
            f"{a['server_rps'] / lm['server_rps']:.2f}x while in flight; assay at "
            f"{100 * n / a['seconds'] / (c / DELAY_S):.0f}% of the ceiling (target >= 80%)"
        )
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--part", choices=("mc", "gen", "all"), default="all")
    parser.add_argument("--items", type=int, default=200)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[32, 8])
    parser.add_argument("--lmeval-batch-sizes", type=int, nargs="+", default=[1, 32])
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--checkpoint", type=Path, default=None)
    parser.add_argument("--phase", choices=sorted(PHASES), default=None)
    parser.add_argument("--serve", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--batch-size", type=int, default=1)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

    if args.serve is not None:
        serve(args.serve, DELAY_S)
        return
    if args.phase:
        args.concurrency = args.concurrency[0]  # a phase runs at one concurrency
        result = PHASES[args.phase](args.workdir, args)
        result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(result))
        return

    root = args.workdir or Path(tempfile.mkdtemp(prefix="assay-bench-harness-"))
    root.mkdir(parents=True, exist_ok=True)
    # lm-eval's datasets cache goes into the work directory, not the user's home
    os.environ["HF_DATASETS_CACHE"] = str(root / "hf-datasets")
    if args.checkpoint is None:
        sys.path.insert(0, str(HERE))
        from _dequantise import dequantise

        args.checkpoint = dequantise()
    write_lmeval_tasks(root, args.items, args.requests)
    print("versions: " + json.dumps(versions()), file=sys.stderr)
    try:
        mc: dict[str, Any] = {}
        lm: dict[int, dict[str, Any]] = {}
        gen: dict[int, dict[str, Any]] = {}
        if args.part in ("mc", "all"):
            mc["assay"] = run_phase("mc-assay", root, args)
            for bs in args.lmeval_batch_sizes:
                lm[bs] = run_phase("mc-lmeval", root, args, batch_size=bs)
            mc["assay_hf"] = run_phase("mc-assay-hf", root, args)
        if args.part in ("gen", "all"):
            port = _free_port()
            server = subprocess.Popen(
                [sys.executable, __file__, "--serve", str(port)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            try:
                for _ in range(100):
                    try:
                        _server_call(port, "/stats")
                        break
                    except OSError:
                        time.sleep(0.1)
                for c in args.concurrency:
                    gen[c] = {}
                    for side, phase in (("assay", "gen-assay"), ("lmeval", "gen-lmeval")):
                        _server_call(port, "/reset", "POST")
                        r = run_phase(phase, root, args, concurrency=c, port=port)
                        st = _server_call(port, "/stats")
                        if st["count"] != args.requests:
                            print(
                                f"  warning: the server saw {st['count']} requests", file=sys.stderr
                            )
                        r["server_count"] = st["count"]
                        r["max_inflight"] = st["max_inflight"]
                        r["server_rps"] = st["count"] / max(st["last"] - st["first"], 1e-9)
                        r["first_request_s"] = st["first"] - r["started_at"]
                        gen[c][side] = r
            finally:
                server.terminate()
                server.wait(timeout=10)
    finally:
        if args.workdir is None:
            shutil.rmtree(root, ignore_errors=True)
    print(f"versions: {', '.join(f'{k} {v}' for k, v in versions().items())}\n")
    if mc:
        report_mc(mc, lm, args.items)
    if gen:
        report_gen(gen, args.requests)
    (Path(tempfile.gettempdir()) / "assay-bench-harness.json").write_text(
        json.dumps({"mc": mc, "lmeval_mc": lm, "gen": gen}, default=str, indent=1)
    )


if __name__ == "__main__":
    main()
