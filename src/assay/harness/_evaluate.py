"""One unit of work: an item under one prompt variant and one sample index.

Building the request and grading the answer are pure functions shared by every executor;
only the model call differs (in-process, awaited over HTTP, or in a Ray worker). Any
failure of one unit becomes that unit's explicit error row with a null score per metric.
"""

from __future__ import annotations

import asyncio
import time
import traceback
from dataclasses import dataclass
from typing import Any

from assay.errors import ModelError
from assay.harness.models._base import (
    AsyncModelAdapter,
    ChoiceScores,
    Generation,
    GenerationRequest,
    LoglikelihoodRequest,
    ModelAdapter,
)
from assay.harness.tasks._spec import Task, TaskItem, item_metric
from assay.metrics import choice_accuracy, exact_match, extract_answer
from assay.schema import Response, Score

__all__ = ["Unit", "UnitResult", "aevaluate", "evaluate", "metrics_of"]


@dataclass(frozen=True)
class Unit:
    """An item under one prompt variant and one sample index."""

    item: TaskItem
    variant: str
    sample: int

    @property
    def key(self) -> tuple[str, str, int]:
        return (self.item.item_id, self.variant, self.sample)


@dataclass(frozen=True)
class UnitResult:
    """The rows one unit adds to the store, and the tokens the model evaluated for it."""

    response: Response
    scores: tuple[Score, ...]
    tokens_evaluated: int

    @property
    def failed(self) -> bool:
        return self.response.status == "error"


def metrics_of(task: Task) -> tuple[str, ...]:
    """The metrics every unit of ``task`` is scored with."""
    return ("acc", "acc_norm") if task.kind == "multiple_choice" else (task.metric,)


def _request(
    task: Task, model: ModelAdapter | AsyncModelAdapter, unit: Unit, seed: int
) -> LoglikelihoodRequest | GenerationRequest:
    prompt = task.prompt(unit.item, unit.variant)
    if task.kind == "multiple_choice":
        if task.prompt_format == "chat":
            chat_prompt = getattr(model, "chat_prompt", None)
            if chat_prompt is None:
                raise ModelError(f"the {model.name} adapter cannot format chat prompts")
            prompt = chat_prompt(prompt)
        return LoglikelihoodRequest(prompt, task.continuations(unit.item))
    return GenerationRequest(
        prompt=prompt,
        max_tokens=task.max_tokens,
        stop=task.stop,
        temperature=task.temperature,
        seed=seed + unit.sample,
        chat=task.prompt_format == "chat",
    )


def _key(task: Task, model_id: str, run_id: str, unit: Unit) -> dict[str, Any]:
    return {
        "run_id": run_id,
        "model_id": model_id,
        "task": task.name,
        "item_id": unit.item.item_id,
        "sample_index": unit.sample,
        "prompt_variant": unit.variant,
    }


def _grade(
    task: Task,
    model_id: str,
    run_id: str,
    unit: Unit,
    result: ChoiceScores | Generation,
    latency: float,
) -> UnitResult:
    key = _key(task, model_id, run_id, unit)
    item = unit.item
    if isinstance(result, ChoiceScores):
        choices = item.choices or ()
        values = choice_accuracy(result.logprobs, choices, item.gold)
        best = max(range(len(choices)), key=result.logprobs.__getitem__)
        response = Response(
            **key,
            task_version=task.version,
            output=choices[best],
            choice_logprobs=result.logprobs,
            choice_greedy=result.greedy,
            input_tokens=result.context_tokens,
            output_tokens=sum(result.continuation_tokens),
            latency_s=latency,
            metadata={
                "tokens_evaluated": result.tokens_evaluated,
                "continuation_tokens": list(result.continuation_tokens),
            },
        )
        evaluated = result.tokens_evaluated
    else:
        answer = extract_answer(result.text, task.answer_pattern)
        metadata: dict[str, Any] = {"answer": answer, "finish_reason": result.finish_reason}
        if task.metric == "pass":  # code: the completion's tests run in the sandbox
            from assay.harness.tasks.humaneval import grade_code

            passed, graded = grade_code(item, result.text)
            values = {"pass": passed}
            metadata.update(graded)
        elif task.metric == "exact_match":
            values = {"exact_match": exact_match(answer, item.target)}
        else:  # a per-item metric of the registry, checked when the task was built
            values = {task.metric: item_metric(task.metric).score(answer, item.target)}
        response = Response(
            **key,
            task_version=task.version,
            output=result.text,
            input_tokens=result.input_tokens,
            output_tokens=result.output_tokens,
            latency_s=latency,
            metadata=metadata,
        )
        evaluated = result.input_tokens + result.output_tokens
    scores = tuple(Score(**key, metric=m, value=v) for m, v in values.items())
    return UnitResult(response, scores, evaluated)


def _failed(
    task: Task, model_id: str, run_id: str, unit: Unit, exc: BaseException, latency: float
) -> UnitResult:
    key = _key(task, model_id, run_id, unit)
    response = Response(
        **key,
        task_version=task.version,
        status="error",
        error=f"{type(exc).__name__}: {exc}",
        latency_s=latency,
        metadata={"traceback": "".join(traceback.format_exception(exc, limit=5))},
    )
    scores = tuple(Score(**key, metric=m, value=None) for m in metrics_of(task))
    return UnitResult(response, scores, 0)


def evaluate(task: Task, model: ModelAdapter, run_id: str, unit: Unit, seed: int) -> UnitResult:
    """Run one unit on an in-process model and grade it (errors become error rows)."""
    t0 = time.perf_counter()
    try:
        request = _request(task, model, unit, seed)
        result: ChoiceScores | Generation = (
            model.loglikelihood(request)
            if isinstance(request, LoglikelihoodRequest)
            else model.generate(request)
        )
        return _grade(task, model.model_id, run_id, unit, result, time.perf_counter() - t0)
    except (KeyboardInterrupt, SystemExit):
        raise
    except Exception as exc:  # any failure of one unit becomes its error row
        return _failed(task, model.model_id, run_id, unit, exc, time.perf_counter() - t0)


async def aevaluate(
    task: Task, model: AsyncModelAdapter, run_id: str, unit: Unit, seed: int
) -> UnitResult:
    """Run one unit on a model reached asynchronously and grade it."""
    t0 = time.perf_counter()
    try:
        request = _request(task, model, unit, seed)
        result: ChoiceScores | Generation = (
            await model.aloglikelihood(request)
            if isinstance(request, LoglikelihoodRequest)
            else await model.agenerate(request)
        )
        latency = time.perf_counter() - t0
        if task.metric == "pass":  # code runs in the sandbox: keep the event loop free
            return await asyncio.to_thread(
                _grade, task, model.model_id, run_id, unit, result, latency
            )
        return _grade(task, model.model_id, run_id, unit, result, latency)
    except Exception as exc:  # CancelledError is a BaseException and propagates
        return _failed(task, model.model_id, run_id, unit, exc, time.perf_counter() - t0)
