"""The OpenAI-compatible adapter against a real HTTP server on 127.0.0.1.

The server (stdlib ``ThreadingHTTPServer`` in a background thread) implements
``/v1/completions`` and ``/v1/chat/completions`` deterministically: tokens are
whitespace-led pieces of the text, a token's log-probability is a hash of it and the token
before it, and generated text is a hash of the prompt. Faults are injected per
(prompt, attempt) from a seeded hash, so every run sees the same faults whatever the
thread scheduling.
"""

from __future__ import annotations

import asyncio
import email.utils
import hashlib
import itertools
import json
import math
import re
import select
import socket
import struct
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from assay.errors import InputError, ModelError
from assay.harness.models import (
    ADAPTERS,
    AsyncModelAdapter,
    Generation,
    GenerationRequest,
    LoglikelihoodRequest,
    load_model,
)
from assay.harness.models.openai import OpenAIModel, _parse_retry_after

# ---------------------------------------------------------------------- the fake model


def _h(*parts: str) -> int:
    return int.from_bytes(hashlib.sha256("\x1f".join(parts).encode()).digest()[:8], "big")


def tokenize(text: str) -> list[tuple[int, str]]:
    """(offset, token) pieces: each token is a run of spaces and the word after it."""
    return [(m.start(), m.group()) for m in re.finditer(r"\s*\S+|\s+", text)]


def token_logprob(prev: str, token: str) -> float:
    return -((_h("lp", prev, token) % 997) + 1) / 97


def is_top(prev: str, token: str) -> bool:
    return _h("top", prev, token) % 2 == 0


ALT = "<alt>"


def top_logprobs(prev: str, token: str) -> dict[str, float]:
    return {token: token_logprob(prev, token)} if is_top(prev, token) else {ALT: -0.001}


def generate_text(prompt: str, max_tokens: int) -> str:
    return "".join(f" w{_h('gen', prompt, str(i)) % 10}" for i in range(max_tokens))


def cut_at_stop(text: str, stop: list[str]) -> tuple[str, bool]:
    cuts = [i for i in (text.find(s) for s in stop) if i >= 0]
    return (text[: min(cuts)], True) if cuts else (text, False)


# ---------------------------------------------------------------------- the server


@dataclass
class Arrival:
    key: str
    attempt: int
    t: float
    fault: str | None
    answered_at: float | None = None
    retry_after: float | None = None  # seconds asked for
    retry_at: float | None = None  # epoch second asked for (HTTP date)


class FakeServer:
    """An OpenAI-compatible server with fault injection and bookkeeping."""

    def __init__(
        self,
        *,
        fail_rate: float = 0.0,
        seed: int = 0,
        kinds: tuple[str, ...] = ("500", "429", "timeout", "malformed", "reset"),
        doomed: frozenset[str] = frozenset(),
        schedule: dict[str, list[str | None]] | None = None,
        modes: frozenset[str] = frozenset(),
        delay_s: float = 0.0,
        api_key: str | None = None,
        stall_s: float = 5.0,
    ) -> None:
        self.fail_rate, self.seed, self.kinds = fail_rate, seed, kinds
        self.doomed, self.schedule = doomed, schedule or {}
        self.modes, self.delay_s, self.api_key, self.stall_s = modes, delay_s, api_key, stall_s
        self.lock = threading.Lock()
        self.arrivals: list[Arrival] = []
        self.counts: Counter[str] = Counter()
        self.in_flight = 0
        self.max_in_flight = 0
        self.bodies: list[dict[str, Any]] = []
        outer = self

        class Handler(_Handler):
            server_ref = outer

        self.httpd = _HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def fault_for(self, key: str, attempt: int) -> str | None:
        if key in self.doomed:
            return "500"
        if key in self.schedule:
            planned = self.schedule[key]
            return planned[attempt] if attempt < len(planned) else None
        h = _h("fault", str(self.seed), key, str(attempt))
        if (h % 10_000) / 10_000 < self.fail_rate:
            return self.kinds[(h // 10_000) % len(self.kinds)]
        return None

    def attempts_of(self, key: str) -> list[Arrival]:
        return [a for a in self.arrivals if a.key == key]


class _HTTPServer(ThreadingHTTPServer):
    request_queue_size = 128  # the default backlog of 5 drops bursts of connections

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients that hang up (timeouts, resets) are part of the tests


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_ref: FakeServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    # ---- bookkeeping: a request is in flight from its arrival until it is answered
    def _done(self, arrival: Arrival) -> None:
        srv = self.server_ref
        with srv.lock:
            srv.in_flight -= 1
            arrival.answered_at = time.time()

    def _send(
        self,
        arrival: Arrival | None,
        status: int,
        payload: Any,
        headers: dict[str, str] | None = None,
        raw: bytes | None = None,
    ) -> None:
        if arrival is not None:
            self._done(arrival)
        data = raw if raw is not None else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        srv = self.server_ref
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
        chat = self.path.endswith("/chat/completions")
        key = body["messages"][-1]["content"] if chat else body["prompt"]
        with srv.lock:
            attempt = srv.counts[key]
            srv.counts[key] += 1
            fault = srv.fault_for(key, attempt)
            arrival = Arrival(key, attempt, time.time(), fault)
            srv.arrivals.append(arrival)
            srv.bodies.append(body)
            srv.in_flight += 1
            srv.max_in_flight = max(srv.max_in_flight, srv.in_flight)
        if srv.delay_s:
            time.sleep(srv.delay_s)
        if srv.api_key is not None:
            auth = self.headers.get("Authorization", "")
            if auth != f"Bearer {srv.api_key}":
                # a careless server that echoes the credentials it got
                self._send(arrival, 401, {"error": {"message": f"bad credentials: {auth}"}})
                return
        if fault is not None:
            self._fault(arrival, fault)
            return
        if chat:
            self._chat(arrival, body)
        elif body.get("echo"):
            self._echo(arrival, body)
        else:
            self._complete(arrival, body)

    def _fault(self, arrival: Arrival, fault: str) -> None:
        if fault == "500":
            self._send(arrival, 500, {"error": {"message": "internal error"}})
        elif fault == "429":
            arrival.retry_after = 0.05
            self._send(arrival, 429, {"error": "slow down"}, {"Retry-After": "0.05"})
        elif fault == "429date":
            arrival.retry_at = math.floor(time.time()) + 2
            date = email.utils.formatdate(arrival.retry_at, usegmt=True)
            self._send(arrival, 429, {"error": "slow down"}, {"Retry-After": date})
        elif fault == "429long":
            self._send(arrival, 429, {"error": "slow down"}, {"Retry-After": "120"})
        elif fault == "malformed":
            self._send(arrival, 200, None, raw=b'{"choices": [{"text": "trunc')
        elif fault == "timeout":  # hang until the client gives up and closes
            select.select([self.connection], [], [], self.server_ref.stall_s)
            self._done(arrival)
            self.close_connection = True
        elif fault == "reset":
            self._done(arrival)
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
        else:  # pragma: no cover - a typo in a test
            raise AssertionError(fault)

    def _usage(self, prompt_tokens: int, completion_tokens: int) -> dict[str, Any]:
        if "no_usage" in self.server_ref.modes:
            return {}
        return {
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            }
        }

    def _generation(self, prompt: str, body: dict[str, Any]) -> tuple[str, str]:
        text = generate_text(prompt, body["max_tokens"])
        if "keep_stop" not in self.server_ref.modes:
            text, stopped = cut_at_stop(text, body.get("stop") or [])
            return text, "stop" if stopped else "length"
        return text, "length"

    def _complete(self, arrival: Arrival, body: dict[str, Any]) -> None:
        text, finish = self._generation(body["prompt"], body)
        choice = {"index": 0, "text": text, "logprobs": None, "finish_reason": finish}
        out = {"model": body["model"], "choices": [choice]}
        out |= self._usage(len(tokenize(body["prompt"])), len(text.split()))
        self._send(arrival, 200, out)

    def _chat(self, arrival: Arrival, body: dict[str, Any]) -> None:
        content = body["messages"][-1]["content"]
        text, finish = self._generation("chat|" + content, body)
        message = {"role": "assistant", "content": text}
        out = {"model": body["model"], "choices": [{"message": message, "finish_reason": finish}]}
        out |= self._usage(len(tokenize(content)) + 5, len(text.split()))
        self._send(arrival, 200, out)

    def _echo(self, arrival: Arrival, body: dict[str, Any]) -> None:
        srv = self.server_ref
        prompt, max_tokens = body["prompt"], body["max_tokens"]
        if "min1" in srv.modes and max_tokens < 1:
            msg = f"max_tokens must be at least 1, got {max_tokens}."
            self._send(arrival, 400, {"object": "error", "message": msg})
            return
        pieces = tokenize(prompt)
        tokens = [t for _, t in pieces]
        offsets = [o for o, _ in pieces]
        lps: list[float | None] = [None]
        tops: list[dict[str, float] | None] = [None]
        for prev, tok in itertools.pairwise(tokens):
            lps.append(token_logprob(prev, tok))
            tops.append(top_logprobs(prev, tok))
        if "bos" in srv.modes:
            tokens, offsets = ["<s>", *tokens], [0] + [o + 3 for o in offsets]
            lps, tops = [None, None, *lps[1:]], [None, None, *tops[1:]]
        end = offsets[-1] + len(tokens[-1])
        text = prompt
        if max_tokens >= 1:
            tokens, offsets = [*tokens, " g"], [*offsets, end]
            lps, tops = [*lps, -0.5], [*tops, {" g": -0.5}]
            text += " g"
        logprobs: dict[str, Any] | None = {
            "tokens": tokens,
            "token_logprobs": lps,
            "text_offset": offsets,
            "top_logprobs": tops,
        }
        if "no_logprobs" in srv.modes:
            logprobs = None
        elif "no_echo" in srv.modes:  # llama.cpp: the generated token only
            text = " g"
            logprobs = {"tokens": [" g"], "token_logprobs": [-0.5], "text_offset": [0]}
        choice = {"index": 0, "text": text, "logprobs": logprobs, "finish_reason": "length"}
        out = {"model": body["model"], "choices": [choice]}
        out |= self._usage(len(tokens) - (max_tokens >= 1), max_tokens)
        self._send(arrival, 200, out)


@pytest.fixture
def make_server() -> Iterator[Any]:
    servers: list[FakeServer] = []

    def make(**kwargs: Any) -> FakeServer:
        srv = FakeServer(**kwargs)
        srv.thread.start()
        servers.append(srv)
        return srv

    yield make
    for srv in servers:
        srv.httpd.shutdown()
        srv.httpd.server_close()


def adapter_for(srv: FakeServer, **kwargs: Any) -> OpenAIModel:
    options: dict[str, Any] = {"backoff_base_s": 0.01, "backoff_max_s": 0.2, "timeout_s": 5}
    options.update(kwargs)
    return OpenAIModel("fake-model", srv.url, **options)


def run(coro: Any, model: OpenAIModel | None = None) -> Any:
    """Run ``coro`` in a new event loop, closing ``model``'s connections after it."""

    async def main() -> Any:
        try:
            return await coro
        finally:
            if model is not None:
                await model.aclose()

    return asyncio.run(main())


# ---------------------------------------------------------------------- normal operation


def test_is_an_async_adapter_and_registered(make_server: Any) -> None:
    srv = make_server()
    model = load_model(f"openai:fake-model@{srv.url}", api_key="k")
    assert isinstance(model, OpenAIModel)
    assert isinstance(model, AsyncModelAdapter)
    assert "openai" in ADAPTERS
    assert model.base_url == srv.url
    assert model.model_id == "fake-model"
    assert load_model("openai:m").base_url == "http://127.0.0.1:8000/v1"  # type: ignore[union-attr]
    with pytest.raises(InputError, match="needs a model name"):
        load_model("openai:@http://x/v1")
    assert model.identity() == {
        "adapter": "openai",
        "model": "fake-model",
        "base_url": srv.url,
        "endpoint": "completions",
    }


def test_generation_completions_and_chat(make_server: Any) -> None:
    srv = make_server()
    model = adapter_for(srv)
    prompt = "Count for me:"
    full = generate_text(prompt, 12)
    stop = full.split()[4]  # a word that occurs in the text
    want, _ = cut_at_stop(full, [stop])

    async def main() -> tuple[Generation, Generation, Generation]:
        try:
            plain = await model.agenerate(GenerationRequest(prompt, max_tokens=12))
            stopped = await model.agenerate(GenerationRequest(prompt, max_tokens=12, stop=(stop,)))
            chat = await model.agenerate(GenerationRequest(prompt, max_tokens=6, chat=True))
            return plain, stopped, chat
        finally:
            await model.aclose()

    plain, stopped, chat = run(main())
    assert plain.text == full
    assert plain.finish_reason == "length"
    assert plain.input_tokens == len(tokenize(prompt))
    assert plain.output_tokens == 12
    assert stopped.text == want
    assert stopped.finish_reason == "stop"
    assert chat.text == generate_text("chat|" + prompt, 6)
    assert chat.metadata["endpoint"] == "chat"
    assert "usage_estimated" not in chat.metadata
    completions = [b for b in srv.bodies if "prompt" in b]
    assert completions[0] == {
        "model": "fake-model",
        "max_tokens": 12,
        "temperature": 0.0,
        "seed": 0,
        "prompt": prompt,
    }
    assert completions[1]["stop"] == [stop]
    assert srv.bodies[2]["messages"] == [{"role": "user", "content": prompt}]
    assert model.stats.requests == 3
    assert model.stats.retries == 0

    # the same adapter works again in a new event loop (a second run)
    again = run(main())
    assert again[0] == plain


def test_chat_endpoint_missing_usage_and_stop_left_by_server(make_server: Any) -> None:
    srv = make_server(modes=frozenset({"no_usage", "keep_stop"}))
    model = adapter_for(srv, endpoint="chat")
    full = generate_text("chat|hi", 10)
    stop = full.split()[3]

    gen = run(model.agenerate(GenerationRequest("hi", max_tokens=10, stop=(stop,))), model)
    assert "messages" in srv.bodies[0]  # endpoint="chat" sends plain requests through chat
    assert gen.text == cut_at_stop(full, [stop])[0]
    assert gen.metadata["stop_cut_by_client"] is True
    assert gen.metadata["usage_estimated"] == "whitespace words"
    assert gen.input_tokens == 1
    assert gen.output_tokens == len(gen.text.split())
    assert model.stats.usage_estimated == 1


def _expected(context: str, continuation: str) -> tuple[float, bool, int]:
    """The server's own numbers for the tokens at or after the context's end."""
    pieces = tokenize(context + continuation)
    toks = [t for _, t in pieces]
    idx = [i for i, (o, t) in enumerate(pieces) if o + len(t) > len(context)]
    lps = [token_logprob(toks[i - 1], toks[i]) for i in idx]
    return math.fsum(lps), all(is_top(toks[i - 1], toks[i]) for i in idx), len(idx)


CONTEXT = "Question: which city is the capital of France? Answer:"
CHOICES = (" Paris", " Lyon", " Nice", " Lille", " Paris France", " Marseille is big")


@pytest.mark.parametrize("modes", [frozenset(), frozenset({"min1"}), frozenset({"bos"})])
def test_loglikelihood_matches_server(make_server: Any, modes: frozenset[str]) -> None:
    srv = make_server(modes=modes)
    model = adapter_for(srv)

    async def main() -> Any:
        try:
            first = await model.aloglikelihood(LoglikelihoodRequest(CONTEXT, CHOICES))
            second = await model.aloglikelihood(LoglikelihoodRequest(CONTEXT, CHOICES[:2]))
            return first, second
        finally:
            await model.aclose()

    scores, second = run(main())
    expected = [_expected(CONTEXT, c) for c in CHOICES]
    assert scores.logprobs == tuple(e[0] for e in expected)  # exactly
    assert scores.greedy == tuple(e[1] for e in expected)
    assert True in scores.greedy
    assert False in scores.greedy
    assert scores.continuation_tokens == (1, 1, 1, 1, 2, 3)
    n_ctx = len(tokenize(CONTEXT))
    bos = "bos" in modes
    assert scores.context_tokens == n_ctx + bos
    prompt_tokens = [len(tokenize(CONTEXT + c)) + bos for c in CHOICES]
    assert scores.tokens_evaluated == sum(prompt_tokens)
    assert second.logprobs == scores.logprobs[:2]
    echo = [b for b in srv.bodies if b.get("echo")]
    assert all(b["logprobs"] == 1 and b["temperature"] == 0 for b in echo)
    # always one generated token (ignored): servers disagree on max_tokens=0
    assert all(b["max_tokens"] == 1 for b in echo)
    assert model.stats.max_tokens_fallbacks == 0
    assert model.stats.offset_shifts == (len(CHOICES) + 2 if bos else 0)


def test_loglikelihood_token_straddling_the_boundary(make_server: Any) -> None:
    srv = make_server(modes=frozenset({"no_usage"}))
    model = adapter_for(srv)
    context, continuation = "hello big wor", "ld again"

    scores = run(model.aloglikelihood(LoglikelihoodRequest(context, (continuation,))), model)
    want = math.fsum([token_logprob(" big", " world"), token_logprob(" world", " again")])
    assert scores.logprobs == (want,)
    assert scores.continuation_tokens == (2,)
    assert scores.context_tokens == 2  # "hello", " big"; " world" belongs to the continuation
    assert scores.tokens_evaluated == 4  # counted: the server sent no usage
    assert model.stats.boundary_straddles == 1


def test_continuations_of_one_item_go_concurrently(make_server: Any) -> None:
    srv = make_server(delay_s=0.2)
    model = adapter_for(srv)

    run(model.aloglikelihood(LoglikelihoodRequest(CONTEXT, CHOICES[:4])), model)
    assert srv.max_in_flight == 4


# ---------------------------------------------------------------------- servers that cannot score


@pytest.mark.parametrize(
    ("modes", "message"),
    [
        (frozenset({"no_logprobs"}), "server returned no logprobs; use generation tasks"),
        (frozenset({"no_echo"}), "did not echo.*ignores echo=true"),
    ],
)
def test_no_logprobs_is_a_clear_error(
    make_server: Any, modes: frozenset[str], message: str
) -> None:
    srv = make_server(modes=modes)
    model = adapter_for(srv)

    with pytest.raises(ModelError, match=message):
        run(model.aloglikelihood(LoglikelihoodRequest(CONTEXT, CHOICES[:3])), model)
    assert model.stats.retries == 0  # retrying would not help


def test_chat_endpoint_cannot_score(make_server: Any) -> None:
    model = adapter_for(make_server(), endpoint="chat")
    with pytest.raises(ModelError, match="need the completions endpoint"):
        run(model.aloglikelihood(LoglikelihoodRequest(CONTEXT, CHOICES)), model)
    model = adapter_for(make_server())
    with pytest.raises(InputError, match="non-empty context"):
        run(model.aloglikelihood(LoglikelihoodRequest("", CHOICES)), model)


# ---------------------------------------------------------------------- faults


def test_thirty_percent_failures(make_server: Any) -> None:
    prompts = [f"request {i}: say something" for i in range(200)]
    doomed = frozenset(prompts[::40])  # these always fail: the budget must run out
    srv = make_server(fail_rate=0.3, seed=7, doomed=doomed, stall_s=3.0)
    model = adapter_for(srv, max_concurrency=16, timeout_s=0.5, max_retries=5, seed=1)

    async def main() -> list[Generation | BaseException]:
        try:
            return await asyncio.gather(
                *(model.agenerate(GenerationRequest(p, max_tokens=5)) for p in prompts),
                return_exceptions=True,
            )
        finally:
            await model.aclose()

    results = run(main())
    assert len(results) == len(prompts)
    budget = 1 + 5
    kinds = Counter(a.fault for a in srv.arrivals)
    assert {"500", "429", "timeout", "malformed", "reset"} <= set(kinds)
    ok = failed = 0
    for prompt, result in zip(prompts, results, strict=True):
        attempts = srv.attempts_of(prompt)
        answered = [a for a in attempts if a.fault is None]
        if isinstance(result, Generation):
            ok += 1
            assert prompt not in doomed
            assert result.text == generate_text(prompt, 5)
            # the last attempt was the one answer, and nothing was sent after it
            assert len(answered) == 1
            assert attempts[-1] is answered[0]
            assert len(attempts) <= budget
        else:
            failed += 1
            assert isinstance(result, ModelError), repr(result)
            assert "gave up after 6 attempt(s)" in str(result)
            assert len(attempts) == budget
            assert not answered
    assert failed >= len(doomed)
    assert ok + failed == len(prompts)
    # Retry-After honoured: the retry came at least 0.05 s after the 429 was sent
    gaps = []
    for a in srv.arrivals:
        if a.retry_after is not None:
            nxt = [b for b in srv.attempts_of(a.key) if b.attempt == a.attempt + 1]
            if nxt:
                assert a.answered_at is not None
                gaps.append(nxt[0].t - a.answered_at)
    assert gaps
    assert min(gaps) >= 0.05
    assert srv.max_in_flight <= 16
    assert srv.max_in_flight > 1
    st = model.stats
    assert st.requests == len(prompts)
    assert st.attempts == len(srv.arrivals)
    assert st.retries == st.attempts - st.requests
    assert st.failed == failed
    assert st.retry_after_waits == sum(
        1 for a in srv.arrivals if a.retry_after is not None and a.attempt < budget - 1
    )
    assert st.reasons == {
        "HTTP 500": kinds["500"],
        "HTTP 429": kinds["429"],
        "timeout": kinds["timeout"],
        "malformed": kinds["malformed"],
        "connection": kinds["reset"],
    }


def test_loglikelihood_survives_faults(make_server: Any) -> None:
    srv = make_server(fail_rate=0.3, seed=3, kinds=("500", "429", "malformed", "reset"))
    model = adapter_for(srv, max_retries=8)

    async def main() -> Any:
        try:
            return await asyncio.gather(
                *(
                    model.aloglikelihood(LoglikelihoodRequest(f"Item {i}: {CONTEXT}", CHOICES))
                    for i in range(10)
                )
            )
        finally:
            await model.aclose()

    for i, scores in enumerate(run(main())):
        want = [_expected(f"Item {i}: {CONTEXT}", c) for c in CHOICES]
        assert scores.logprobs == tuple(w[0] for w in want)
    assert model.stats.retries > 0


def test_retry_after_http_date(make_server: Any) -> None:
    srv = make_server(schedule={"dated": ["429date"]})
    model = adapter_for(srv, backoff_max_s=5)

    gen = run(model.agenerate(GenerationRequest("dated", max_tokens=3)), model)
    first, second = srv.attempts_of("dated")
    assert gen.text == generate_text("dated", 3)
    assert first.retry_at is not None
    assert second.t >= first.retry_at
    assert model.stats.retry_after_waits == 1


def test_retry_after_beyond_the_cap_fails_at_once(make_server: Any) -> None:
    srv = make_server(schedule={"later": ["429long"]})
    model = adapter_for(srv, backoff_max_s=1)
    with pytest.raises(ModelError, match=r"retry after 120 s \(Retry-After\)"):
        run(model.agenerate(GenerationRequest("later", max_tokens=3)), model)
    assert len(srv.arrivals) == 1


def test_401_fails_at_once_and_never_shows_the_key(make_server: Any) -> None:
    secret = "sk-test-wrong-9f8e7d6c5b4a"
    srv = make_server(api_key="sk-right")
    model = adapter_for(srv, api_key=secret)

    with pytest.raises(ModelError, match="HTTP 401") as info:
        run(model.agenerate(GenerationRequest("hello", max_tokens=3)), model)
    assert len(srv.arrivals) == 1
    assert model.stats.retries == 0
    assert "bad credentials: Bearer ***" in str(info.value)  # the server echoed it; scrubbed
    for text in (str(info.value), repr(info.value), repr(model), json.dumps(model.identity())):
        assert secret not in text
    assert secret not in json.dumps(model.stats.to_dict())
    # the right key works
    good = adapter_for(srv, api_key="sk-right")
    assert run(good.agenerate(GenerationRequest("hello", max_tokens=3)), good).text


def test_unreachable_server_gives_up_with_the_reason() -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    model = OpenAIModel(
        "m", f"http://127.0.0.1:{port}/v1", max_retries=2, backoff_base_s=0.01, backoff_max_s=0.02
    )
    with pytest.raises(ModelError, match=r"gave up after 3 attempt\(s\).*connection failed"):
        run(model.agenerate(GenerationRequest("x")), model)
    assert model.stats.attempts == 3
    assert model.stats.reasons == {"connection": 3}


# ---------------------------------------------------------------------- options


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"endpoint": "embeddings"}, "'endpoint' parameter of OpenAIModel must be one of"),
        ({"max_concurrency": 0}, "'max_concurrency' parameter of OpenAIModel must be an integer"),
        ({"max_retries": -1}, "'max_retries'"),
        ({"timeout_s": 0}, "'timeout_s' parameter of OpenAIModel must be a finite number > 0"),
        ({"backoff_base_s": 2, "backoff_max_s": 1}, "'backoff_max_s' .* >= backoff_base_s"),
        ({"base_url": "127.0.0.1:8000"}, "'base_url' parameter of OpenAIModel must be an http"),
        ({"model": " "}, "'model' parameter"),
        ({"seed": 1.5}, "'seed' parameter"),
    ],
)
def test_options_are_validated(kwargs: dict[str, Any], message: str) -> None:
    args: dict[str, Any] = {"model": "m", **kwargs}
    with pytest.raises(InputError, match=message):
        OpenAIModel(**args)


def test_credentials_in_the_url_stay_out_of_identity() -> None:
    model = OpenAIModel("m", "https://user:pa55@example.invalid:8443/v1")
    assert model.identity()["base_url"] == "https://example.invalid:8443/v1"
    assert "pa55" not in repr(model)


def test_parse_retry_after() -> None:
    now = 1_700_000_000.0
    assert _parse_retry_after("0.05") == 0.05
    assert _parse_retry_after(" 3 ") == 3.0
    assert _parse_retry_after("-4") == 0.0
    assert _parse_retry_after(email.utils.formatdate(now + 7, usegmt=True), now=now) == 7.0
    assert _parse_retry_after("soon") is None
    assert _parse_retry_after(None) is None
    assert _parse_retry_after("nan") is None


# ---------------------------------------------------------------------- through the runner


def test_runner_over_a_faulty_server_loses_nothing(make_server: Any, tmp_path: Any) -> None:
    """Every unit ends scored or as an explicit error row; a re-run redoes only errors."""
    from assay.harness import run_task
    from assay.harness.tasks import Task, TaskItem
    from assay.store import Store

    items = tuple(TaskItem(f"i{k}", f"request {k}: say something", "w0") for k in range(60))
    task = Task("say", "1", "generation", items, max_tokens=3, stop=())
    doomed = frozenset(task.prompt(it, "default") for it in items[::15])
    srv = make_server(fail_rate=0.3, seed=3, doomed=doomed, stall_s=3.0)
    model = adapter_for(srv, max_concurrency=8, timeout_s=0.5, max_retries=4, seed=2)
    with Store(tmp_path / "s.duckdb") as st:
        outcome = run_task(st, task, model, progress=False)
        assert outcome.errors == len(doomed)
        assert st.count("responses") == len(items)
        errors = st.read("responses", where={"status": "error"}).to_pylist()
        assert {r["item_id"] for r in errors} == {it.item_id for it in items[::15]}
        assert all("gave up" in r["error"] for r in errors)
        ok = st.read("responses", where={"status": "ok"}).to_pylist()
        for row in ok:
            prompt = next(
                task.prompt(it, "default") for it in items if it.item_id == row["item_id"]
            )
            assert row["output"] == generate_text(prompt, 3)
        # the server recovers: a re-run sends only the failed units
        srv.doomed = frozenset()
        srv.fail_rate = 0.0
        before = len(srv.arrivals)
        again = run_task(st, task, model, progress=False)
        assert again.done == len(doomed)
        assert again.errors == 0
        assert len(srv.arrivals) - before == len(doomed)
        assert st.count("responses") == len(items)
        assert st.read("responses", where={"status": "error"}).num_rows == 0
