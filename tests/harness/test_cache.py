"""The request cache: a second identical request never reaches the model."""

from __future__ import annotations

from pathlib import Path

from assay.harness import run_task
from assay.harness.cache import RequestCache, cached
from assay.harness.models import GenerationRequest, LoglikelihoodRequest
from assay.harness.models.mock import MockModel
from assay.harness.tasks import builtin_task
from assay.store import Store


def test_cached_answers_equal_fresh_ones(tmp_path: Path) -> None:
    inner = MockModel()
    model = cached(inner, RequestCache(tmp_path / "cache.sqlite"))
    req = LoglikelihoodRequest("Q: 1+1\nA:", (" 2", " 3"))
    first = model.loglikelihood(req)  # type: ignore[union-attr]
    second = model.loglikelihood(req)  # type: ignore[union-attr]
    assert first.logprobs == second.logprobs
    assert second.tokens_evaluated == 0
    assert inner.calls == 1
    gen = GenerationRequest("say 1", seed=3)
    assert model.generate(gen).text == model.generate(gen).text  # type: ignore[union-attr]
    assert inner.calls == 2
    # another seed is another request
    model.generate(GenerationRequest("say 1", seed=4))  # type: ignore[union-attr]
    assert inner.calls == 3


def test_cache_is_shared_across_runs_and_processes(tmp_path: Path) -> None:
    task = builtin_task("logic", n_items=30)
    path = tmp_path / "cache.sqlite"
    with Store(tmp_path / "a.duckdb") as a:
        inner = MockModel()
        run_task(a, task, cached(inner, RequestCache(path)), limit=20, progress=False)  # type: ignore[arg-type]
        assert inner.calls == 40
        # a different run (all 30 items) asks the model only for the 10 new items
        inner2 = MockModel()
        outcome = run_task(a, task, cached(inner2, RequestCache(path)), progress=False)  # type: ignore[arg-type]
        assert outcome.done == 60
        assert inner2.calls == 20
        rows = a.query(
            "SELECT run_id, item_id, prompt_variant, metric, value FROM scores ORDER BY ALL"
        ).to_pylist()
    by_run: dict[str, dict[tuple[str, str, str], float]] = {}
    for r in rows:
        by_run.setdefault(r["run_id"], {})[(r["item_id"], r["prompt_variant"], r["metric"])] = r[
            "value"
        ]
    small, big = sorted(by_run.values(), key=len)
    assert all(big[k] == v for k, v in small.items())
