"""Web benchmark: the leaderboard and the item explorer served from a store of 1,000 models
x 50 tasks x 200 items (10,000,000 score rows and as many responses).

Targets (issue 7): the leaderboard page in <= 1 s after the first request (the aggregate
is cached until the store changes) and one item-explorer page of a task in <= 300 ms.
The server is uvicorn on 127.0.0.1 in this process; timings are full HTTP round trips.
There is no peer tool that serves a leaderboard from item rows to compare against.

    .venv/bin/python benchmarks/bench_web.py [--models 1000] [--tasks 50] [--items 200]
        [--workdir DIR]

The store is generated with DuckDB SQL straight into the tables (bypassing the store's
row validation, which is not what is measured here).
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "report"))


def make_store(path: Path, models: int, tasks: int, items: int) -> None:
    from assay.store import Store

    with Store(path) as st:
        con = st.connection
        con.execute(
            f"""INSERT INTO runs (run_id, created_at, source, granularity, status, assay_version,
                                  code_hash, data_hash)
                SELECT 'run' || m, TIMESTAMP '2026-01-01' + INTERVAL (m) MINUTE, 'bench', 'item',
                       'complete', 'bench', 'c0de', 'da7a'
                FROM range({models}) t(m)"""
        )
        con.execute(
            f"""INSERT INTO models (model_id, family)
                SELECT 'model-' || lpad(CAST(m AS VARCHAR), 4, '0'), 'fam' || (m % 7)
                FROM range({models}) t(m)"""
        )
        con.execute(
            f"""INSERT INTO items (task, task_version, item_id, input, target)
                SELECT 'g' || (t % 5) || '_task' || lpad(CAST(t AS VARCHAR), 2, '0'), '1',
                       lpad(CAST(i AS VARCHAR), 4, '0'),
                       'Question ' || i || ' of task ' || t || ': what is ' || i || ' + ' || t || '?',
                       CAST(i + t AS VARCHAR)
                FROM range({tasks}) a(t), range({items}) b(i)"""
        )
        # ability per model, difficulty per item: P(correct) = sigmoid(ability - difficulty)
        con.execute(
            f"""CREATE TEMP TABLE gen AS
                SELECT 'model-' || lpad(CAST(m AS VARCHAR), 4, '0') AS model_id,
                       'run' || m AS run_id,
                       'g' || (t % 5) || '_task' || lpad(CAST(t AS VARCHAR), 2, '0') AS task,
                       lpad(CAST(i AS VARCHAR), 4, '0') AS item_id,
                       CASE WHEN random() < 1 / (1 + exp(-((m / {models}.0) * 4 - 2
                            - ((hash(t * 100003 + i) % 1000) / 500.0 - 1))))
                            THEN 1.0 ELSE 0.0 END AS value
                FROM range({tasks}) a(t), range({items}) b(i), range({models}) c(m)
                ORDER BY task, item_id, model_id"""
        )
        con.execute(
            """INSERT INTO scores (run_id, model_id, task, item_id, sample_index, prompt_variant,
                                   metric, value)
               SELECT run_id, model_id, task, item_id, 0, '', 'acc', value FROM gen"""
        )
        con.execute(
            """INSERT INTO responses (run_id, model_id, task, item_id, sample_index,
                                      prompt_variant, task_version, output, status)
               SELECT run_id, model_id, task, item_id, 0, '', '1',
                      CASE WHEN value = 1 THEN 'the answer is right' ELSE 'a wrong answer' END,
                      'ok'
               FROM gen"""
        )
        con.execute("DROP TABLE gen")
        con.execute("CHECKPOINT")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", type=int, default=1000)
    parser.add_argument("--tasks", type=int, default=50)
    parser.add_argument("--items", type=int, default=200)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    import httpx

    from assay.report import ReportSource, create_app
    from assay.report._source import slug
    from conftest import LiveServer  # the tests' uvicorn-in-a-thread server

    work = args.workdir or Path(tempfile.mkdtemp(prefix="bench_web_"))
    work.mkdir(parents=True, exist_ok=True)
    path = work / "web.duckdb"
    rows = args.models * args.tasks * args.items
    if not path.exists():
        t = time.perf_counter()
        make_store(path, args.models, args.tasks, args.items)
        print(f"generated {rows:,} score rows and responses in {time.perf_counter() - t:.1f} s")
    source = ReportSource(path, resamples=1000)
    task = "g0_task00"
    with (
        LiveServer(create_app(source)) as server,
        httpx.Client(base_url=server.url, timeout=600) as client,
    ):

        def timed(url: str) -> tuple[float, int]:
            t = time.perf_counter()
            r = client.get(url)
            r.raise_for_status()
            return time.perf_counter() - t, len(r.content)

        first, size = timed("/")
        warm = [timed("/")[0] for _ in range(args.repeats)]
        group_first, _ = timed("/?group=g1")
        items_url = f"/tasks/{slug(task)}/items?page=3"
        items = [timed(items_url)[0] for _ in range(args.repeats)]
        items_size = timed(items_url)[1]
        other = [timed(f"/tasks/{slug(task)}/items?page={p}")[0] for p in (1, 5, 9, 17)]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\n{args.models} models x {args.tasks} tasks x {args.items} items = {rows:,} rows\n")
    print("| request | seconds | page size (kB) | target |")
    print("|---|---:|---:|---|")
    print(
        f"| leaderboard, first request (bootstrap + separability) | {first:.2f} | {size / 1024:.0f} | - |"
    )
    print(
        f"| leaderboard, after the first (median / max of {args.repeats}) | "
        f"{statistics.median(warm):.3f} / {max(warm):.3f} | {size / 1024:.0f} | <= 1 s |"
    )
    print(f"| leaderboard of one task group, first request | {group_first:.2f} | - | - |")
    print(
        f"| item explorer page of one task (median / max of {args.repeats}) | "
        f"{statistics.median(items):.3f} / {max(items):.3f} | {items_size / 1024:.0f} | <= 0.3 s |"
    )
    print(f"| item explorer, other pages (max of 4) | {max(other):.3f} | - | <= 0.3 s |")
    print(f"\npeak RSS {peak:.0f} MB")


if __name__ == "__main__":
    main()
