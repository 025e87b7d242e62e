"""A run killed with SIGKILL at random points and resumed ends exactly as an
uninterrupted run: one row per unit, the same values (issue: reliability)."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
from pathlib import Path

from assay.harness import run_task
from assay.harness.models.mock import MockModel
from assay.harness.tasks import builtin_task
from assay.store import Store

SCRIPT = """
import sys
from assay.harness import run_task
from assay.harness.models.mock import MockModel
from assay.harness.tasks import builtin_task
from assay.store import Store


class Talking(MockModel):
    def loglikelihood(self, request):
        result = super().loglikelihood(request)
        print(f"call {self.calls}", flush=True)  # the parent kills us at a chosen call
        return result


with Store(sys.argv[1]) as st:
    run_task(st, builtin_task("arithmetic", n_items=120), Talking(), flush_every=3,
             progress=False)
"""


def _rows(store: Store) -> list[tuple[object, ...]]:
    return sorted(
        tuple(r.values())
        for r in store.query(
            "SELECT item_id, prompt_variant, sample_index, metric, value FROM scores"
        ).to_pylist()
    )


def test_sigkill_at_random_points_then_resume(tmp_path: Path) -> None:
    task = builtin_task("arithmetic", n_items=120)
    with Store(tmp_path / "ref.duckdb") as ref:
        run_task(ref, task, MockModel(), progress=False)
        expected = _rows(ref)
        units = ref.count("responses")
    script = tmp_path / "run.py"
    script.write_text(SCRIPT)
    store_path = tmp_path / "killed.duckdb"
    rng = random.Random(7)
    kills = 0
    progress: list[int] = []
    for _ in range(6):
        # kill after a random number of model calls: mid-run whatever the machine's load
        target = f"call {rng.randint(5, 40)}"
        with subprocess.Popen(
            [sys.executable, str(script), str(store_path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        ) as proc:
            assert proc.stdout is not None
            for line in proc.stdout:
                if line.strip() == target:
                    proc.send_signal(signal.SIGKILL)
                    kills += 1
                    break
            proc.wait(timeout=120)
        with Store(store_path, read_only=True) as st:
            progress.append(st.count("responses"))
    assert kills >= 5, f"only {kills} kills landed before the run finished: {progress}"
    midway = {p for p in progress if 0 < p < units}
    assert len(midway) >= 3, f"kills should land mid-run: {progress}"
    with Store(store_path) as st:
        outcome = run_task(st, task, MockModel(), progress=False)
        assert outcome.status == "complete"
        assert st.count("responses") == units
        dupes = (
            st.query(
                "SELECT count(*) AS n FROM (SELECT item_id, prompt_variant, sample_index "
                "FROM responses GROUP BY ALL HAVING count(*) > 1)"
            )
            .column("n")[0]
            .as_py()
        )
        assert dupes == 0
        assert _rows(st) == expected
    # work done before each kill was kept (progress never went backwards)
    assert progress == sorted(progress)
