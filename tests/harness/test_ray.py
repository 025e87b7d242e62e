"""The Ray executor on a real local Ray instance: the same rows as a local run."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from assay.errors import InputError
from assay.harness import run_task
from assay.harness.models.mock import MockModel
from assay.harness.tasks import builtin_task
from assay.store import Store

ray = pytest.importorskip(
    "ray", reason="needs Ray (pip install 'assay[ray]'; `make test` installs it)"
)


@pytest.fixture
def ray_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("RAY_AUTH_MODE", "disabled")
    monkeypatch.setenv("RAY_USAGE_STATS_ENABLED", "0")
    # Ray's session directory must be short (unix socket paths are limited to 107 bytes)
    temp = Path("/tmp") / f"ray-{os.getpid()}-{tmp_path.name[-12:]}"
    yield temp
    if ray.is_initialized():
        ray.shutdown()
    shutil.rmtree(temp, ignore_errors=True)


def _rows(store: Store) -> list[tuple[object, ...]]:
    return sorted(
        tuple(r.values())
        for r in store.query(
            "SELECT model_id, task, item_id, prompt_variant, sample_index, metric, value FROM scores"
        ).to_pylist()
    )


def test_ray_run_equals_local_run(tmp_path: Path, ray_env: Path) -> None:
    task = builtin_task("string_ops", n_items=40)
    with Store(tmp_path / "local.duckdb") as local:
        local_outcome = run_task(local, task, MockModel(), progress=False)
        expected = _rows(local)
    with Store(tmp_path / "ray.duckdb") as st:
        outcome = run_task(
            st, task, "mock", executor="ray", workers=2, ray_temp_dir=ray_env, progress=False
        )
        assert outcome.status == "complete"
        assert outcome.run_id == local_outcome.run_id
        assert _rows(st) == expected
        assert st.count("responses") == 80


def test_ray_with_the_real_model(tmp_path: Path, ray_env: Path) -> None:
    pytest.importorskip("llama_cpp", reason="needs llama-cpp-python (`make test` installs it)")
    task = builtin_task("arithmetic", n_items=8)
    with Store(tmp_path / "ray.duckdb") as st:
        outcome = run_task(
            st,
            task,
            "llamacpp:smollm2",
            executor="ray",
            workers=2,
            variants=["default"],
            ray_temp_dir=ray_env,
            progress=False,
        )
        assert outcome.status == "complete"
        assert outcome.errors == 0
        logprobs = st.read("responses", columns=["item_id", "choice_logprobs"]).to_pylist()
    # the same numbers as the model in this process
    from assay.harness.models import LoglikelihoodRequest, load_model

    model = load_model("llamacpp:smollm2")
    for row in logprobs[:3]:
        item = next(i for i in task.items if i.item_id == row["item_id"])
        direct = model.loglikelihood(
            LoglikelihoodRequest(task.prompt(item, "default"), task.continuations(item))
        )
        assert row["choice_logprobs"] == pytest.approx(direct.logprobs, abs=1e-4)


def test_ray_needs_a_model_spec(tmp_path: Path) -> None:
    with Store(tmp_path / "s.duckdb") as st, pytest.raises(InputError, match="model spec"):
        run_task(st, builtin_task("logic", n_items=2), MockModel(), executor="ray", progress=False)
