"""The OpenAI-compatible adapter: any server speaking ``/v1/completions`` and
``/v1/chat/completions`` (vLLM, llama.cpp server, Ollama, hosted APIs), over async httpx.

Retry policy
------------
Each HTTP request gets ``1 + max_retries`` attempts. An attempt is retried when the
connection fails or is reset, when it times out (``timeout_s`` per connect/read/write),
on HTTP 408, 409, 429 and every 5xx, and when a 200 answer is not JSON or lacks the
fields the adapter reads. Any other 4xx (400, 401, 403, 404, 422, ...) fails at once. On
429 and 503 a ``Retry-After`` header (seconds or an HTTP date) is honoured exactly; a
server that asks for more than ``backoff_max_s`` fails the request at once rather than
being waited on or hammered. Otherwise the wait before retry ``k`` (0-based) is drawn
uniformly from ``[0, min(backoff_max_s, backoff_base_s * 2**k)]`` ("full jitter") by a
``random.Random(seed)``. At most ``max_concurrency`` attempts are in flight at once; a
request waiting out its backoff holds no slot. When the budget is spent the request
raises :class:`~assay.errors.ModelError` with the last status or reason. Counts are kept
in :attr:`OpenAIModel.stats`.

Log-likelihoods
---------------
Only the completions endpoint gives them: the adapter asks for ``prompt=context +
continuation`` with ``echo=true, logprobs=1, max_tokens=0, temperature=0`` and sums the
echoed log-probabilities of the continuation's tokens. Servers differ here:

- vLLM echoes prompt log-probabilities (since 0.2.4). Some versions reject or crash on
  ``max_tokens=0`` (vllm#6521, vllm#9336): when the server answers 400/422 the adapter
  asks again, and from then on, with ``max_tokens=1`` and ignores the generated token.
  The first prompt token has a null log-probability.
- llama.cpp's server either rejects ``echo`` ("Only no echo is supported") or ignores it
  and returns the log-probability of the generated token only (llama.cpp#27174): every
  choice then scores the same. The adapter checks that the echoed tokens cover the whole
  prompt and fails with a clear message instead.
- Some servers echo a BOS token (``<s>``) whose text shifts every ``text_offset``. The
  adapter aligns the offsets on the end of the prompt (where generation starts), accepts
  a shift only when a token boundary falls exactly on it, and otherwise refuses to guess.

A continuation whose first token also covers the end of the context (the tokenizer
merged across the boundary) includes that token; :attr:`RequestStats.boundary_straddles`
counts such cases. ``greedy`` is true when every continuation token is the top-1 token
in ``top_logprobs``.
"""

from __future__ import annotations

import asyncio
import email.utils
import functools
import itertools
import math
import random
import time
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC
from typing import Any, Literal, TypeVar
from urllib.parse import urlsplit, urlunsplit

import httpx

from assay.errors import AssayError, InputError, ModelError
from assay.harness.models._base import (
    ChoiceScores,
    Generation,
    GenerationRequest,
    LoglikelihoodRequest,
    TokenLogprobs,
)

__all__ = ["Endpoint", "OpenAIModel", "RequestStats"]

#: which OpenAI route a request goes to
Endpoint = Literal["completions", "chat"]
_ENDPOINTS: tuple[str, ...] = ("completions", "chat")

#: statuses worth another attempt besides every 5xx
_RETRY_STATUSES = frozenset({408, 409, 429})
_RETRY_AFTER_STATUSES = frozenset({429, 503})
#: statuses a server gives when it refuses ``max_tokens=0`` (then 1 is tried)
_MAX_TOKENS_REJECTED = frozenset({400, 422})
#: connections per httpx client (see ``OpenAIModel._session``)
_POOL = 4

_NO_LOGPROBS = "server returned no logprobs; use generation tasks with this server"

_T = TypeVar("_T")


@dataclass
class RequestStats:
    """What the adapter did on the wire (mutable; read it after a run).

    Attributes
    ----------
    requests
        HTTP requests asked for (each gets up to ``1 + max_retries`` attempts).
    attempts
        Attempts sent.
    retries
        Attempts after the first one of a request.
    failed
        Requests that ended in an error (budget spent, refused, or unusable answer).
    retry_after_waits
        Retries that waited as a ``Retry-After`` header asked.
    reasons
        Why attempts failed: ``{"HTTP 500": 3, "timeout": 1, ...}``.
    max_tokens_fallbacks
        Times the server refused ``max_tokens=0`` and ``max_tokens=1`` was used.
    boundary_straddles
        Scored continuations whose first token also covered the end of the context.
    offset_shifts
        Scored continuations whose ``text_offset`` values were shifted (a BOS token).
    usage_estimated
        Generations whose token counts were estimated (the server sent no usage).
    """

    requests: int = 0
    attempts: int = 0
    retries: int = 0
    failed: int = 0
    retry_after_waits: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    max_tokens_fallbacks: int = 0
    boundary_straddles: int = 0
    offset_shifts: int = 0
    usage_estimated: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class _Retryable(Exception):
    """An attempt failed in a way another attempt may fix."""

    def __init__(self, kind: str, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason
        self.retry_after = retry_after


class _Refused(ModelError):
    """The server refused the request with a status that is not retried."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class _Scored:
    logprob: float
    greedy: bool
    tokens: int
    context_tokens: int
    evaluated: int


def _public_url(url: str) -> str:
    """``url`` without user:password (safe to log and to store in an identity)."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port is not None:
        host += f":{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))


def _parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (seconds or an HTTP date), or None
    when the header is absent or unreadable."""
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:  # RFC 9110 dates are GMT
            when = when.replace(tzinfo=UTC)
        seconds = when.timestamp() - (time.time() if now is None else now)
    if not math.isfinite(seconds):
        return None
    return max(0.0, seconds)


def _first_choice(body: dict[str, Any]) -> dict[str, Any]:
    choices = body.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise _Retryable("malformed", "the answer has no 'choices' list")
    choice: dict[str, Any] = choices[0]
    return choice


def _usage(body: dict[str, Any], key: str) -> int | None:
    usage = body.get("usage")
    if isinstance(usage, dict):
        value = usage.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return value
    return None


def _parse_completion(body: dict[str, Any]) -> tuple[str, dict[str, Any], dict[str, Any]]:
    choice = _first_choice(body)
    text = choice.get("text")
    if not isinstance(text, str):
        raise _Retryable("malformed", "choices[0].text is missing")
    return text, choice, body


def _parse_chat(body: dict[str, Any]) -> tuple[str, dict[str, Any], dict[str, Any]]:
    choice = _first_choice(body)
    message = choice.get("message")
    if not isinstance(message, dict):
        raise _Retryable("malformed", "choices[0].message is missing")
    content = message.get("content")
    if content is None:  # e.g. a reasoning model that spent every token thinking
        content = ""
    if not isinstance(content, str):
        raise _Retryable("malformed", "choices[0].message.content is not text")
    return content, choice, body


def _parse_echo(
    body: dict[str, Any], *, context: str, prompt: str, max_tokens: int
) -> tuple[_Scored, bool, bool]:
    """Score the continuation ``prompt[len(context):]`` from an echoed completion.

    Returns the scores, whether the first continuation token straddled the boundary, and
    whether the offsets were shifted (a BOS token's text before the prompt).
    """
    choice = _first_choice(body)
    lp = choice.get("logprobs")
    if not isinstance(lp, dict) or not lp:
        raise ModelError(_NO_LOGPROBS)
    tokens, token_lps = lp.get("tokens"), lp.get("token_logprobs")
    if not isinstance(tokens, list) or not isinstance(token_lps, list):
        raise ModelError(_NO_LOGPROBS + " (no 'tokens'/'token_logprobs' in choices[0].logprobs)")
    offsets = lp.get("text_offset")
    if offsets is None:  # reconstruct from the token texts
        offsets = [sum(len(str(t)) for t in tokens[:i]) for i in range(len(tokens))]
    tops = lp.get("top_logprobs") or []
    n = len(tokens)
    if len(token_lps) != n or not isinstance(offsets, list) or len(offsets) != n:
        raise _Retryable("malformed", "the logprobs lists have different lengths")
    if any(not isinstance(t, str) for t in tokens) or any(not isinstance(o, int) for o in offsets):
        raise _Retryable("malformed", "logprobs.tokens/text_offset are not strings/integers")
    if any(b < a for a, b in itertools.pairwise(offsets)):
        raise _Retryable("malformed", "logprobs.text_offset is not increasing")

    generated = _usage(body, "completion_tokens")
    generated = max_tokens if generated is None else generated
    if generated and "".join(tokens) == prompt:
        # the server listed only the prompt's tokens, not the generated one
        # (llama-cpp-python's server does this)
        generated = 0
    m = n - generated  # tokens of the echoed prompt
    if m <= 0:
        raise ModelError(
            "the server did not echo the prompt's tokens (it returned log-probabilities "
            f"for {n} token(s), generated ones only): it ignores echo=true, so it cannot "
            "score continuations; use generation tasks with this server"
        )
    # align on the end of the prompt, where generation starts
    prompt_end = offsets[m] if generated > 0 else offsets[m - 1] + len(tokens[m - 1])
    shift = prompt_end - len(prompt)
    if shift < 0:
        raise ModelError(
            f"the server did not echo the whole prompt: its {m} token(s) end at character "
            f"{prompt_end} of {len(prompt)}; it ignores echo=true, so it cannot score "
            "continuations; use generation tasks with this server"
        )
    if shift > 0 and shift not in offsets[:m]:
        raise ModelError(
            f"cannot align the server's echoed tokens with the prompt: they end "
            f"{shift} character(s) after it and no token starts there "
            f"(first tokens: {tokens[:3]!r})"
        )
    boundary = shift + len(context)
    first = next((i for i in range(m) if offsets[i] >= boundary), m)
    straddle = first > 0 and offsets[first - 1] + len(tokens[first - 1]) > boundary
    if straddle:
        first -= 1
    span = range(first, m)
    if not span:
        raise ModelError(
            "the server's echoed tokens do not reach the continuation "
            f"(context ends at character {len(context)}, prompt at {len(prompt)})"
        )
    values: list[float] = []
    greedy = True
    for i in span:
        value = token_lps[i]
        if not isinstance(value, int | float) or isinstance(value, bool):
            where = " (the prompt's first token)" if i == 0 else ""
            raise ModelError(
                f"the server gave no log-probability for continuation token {tokens[i]!r}"
                f"{where}; give the request a context that ends at a token boundary"
            )
        values.append(float(value))
        top = tops[i] if i < len(tops) else None
        if not isinstance(top, dict) or not top:
            greedy = False  # unknown counts as not greedy
        else:
            best = max(float(v) for v in top.values())
            greedy = greedy and float(top.get(tokens[i], value)) >= best
    prompt_tokens = _usage(body, "prompt_tokens")
    scored = _Scored(
        logprob=math.fsum(values),
        greedy=greedy,
        tokens=len(span),
        context_tokens=first,
        evaluated=m if prompt_tokens is None else prompt_tokens,
    )
    return scored, straddle, shift > 0


def _parse_tokens(body: dict[str, Any], *, prompt: str) -> TokenLogprobs:
    """The echoed prompt tokens of a completion made with ``max_tokens=1``."""
    choice = _first_choice(body)
    lp = choice.get("logprobs")
    if not isinstance(lp, dict) or not isinstance(lp.get("tokens"), list):
        raise ModelError(_NO_LOGPROBS)
    tokens = [str(t) for t in lp["tokens"]]
    values = lp.get("token_logprobs") or [None] * len(tokens)
    offsets = lp.get("text_offset") or [sum(len(t) for t in tokens[:i]) for i in range(len(tokens))]
    tops = lp.get("top_logprobs") or [None] * len(tokens)
    generated = _usage(body, "completion_tokens")
    m = len(tokens) - (1 if generated is None else generated)
    if "".join(tokens) == prompt:  # only the prompt's tokens were listed
        m = len(tokens)
    if m <= 0 or len(values) < m or len(offsets) < m:
        raise ModelError("the server did not echo the prompt's tokens")
    return TokenLogprobs(
        tokens=tuple(tokens[:m]),
        offsets=tuple(int(o) for o in offsets[:m]),
        logprobs=tuple(None if v is None else float(v) for v in values[:m]),
        top=tuple(
            {str(k): float(v) for k, v in t.items()} if isinstance(t, dict) else None
            for t in tops[:m]
        ),
    )


def _check(name: str, ok: bool, expected: str, got: object) -> None:
    if not ok:
        raise InputError(f"the {name!r} parameter of OpenAIModel must be {expected}; got {got!r}")


class OpenAIModel:
    """A model behind an OpenAI-compatible HTTP server.

    Parameters
    ----------
    model
        The model name the server knows (the ``model`` field of each request).
    base_url
        The API root, up to and including ``/v1``.
    api_key
        Sent as ``Authorization: Bearer ...``; never logged, shown in errors or stored.
    endpoint
        ``"completions"`` (the default; needed for log-likelihoods) or ``"chat"`` (every
        generation goes through chat). A request with ``chat=True`` always uses chat.
    max_concurrency
        Most requests in flight at once.
    timeout_s
        Seconds allowed for connecting, sending and each read of an answer.
    max_retries
        Retries after the first attempt of each request (see the module docstring).
    backoff_base_s, backoff_max_s
        Full-jitter exponential backoff: retry ``k`` waits up to
        ``min(backoff_max_s, backoff_base_s * 2**k)`` seconds; also the most a
        ``Retry-After`` header may ask for.
    seed
        Seeds the backoff jitter (not the model; generation seeds come with each request).
    """

    name = "openai"

    def __init__(
        self,
        model: str,
        base_url: str = "http://127.0.0.1:8000/v1",
        *,
        api_key: str | None = None,
        endpoint: Endpoint = "completions",
        max_concurrency: int = 8,
        timeout_s: float = 60,
        max_retries: int = 5,
        backoff_base_s: float = 0.5,
        backoff_max_s: float = 30,
        seed: int = 0,
    ) -> None:
        _check("model", isinstance(model, str) and bool(model.strip()), "a model name", model)
        _check(
            "base_url",
            isinstance(base_url, str) and base_url.startswith(("http://", "https://")),
            "an http:// or https:// URL such as http://127.0.0.1:8000/v1",
            _public_url(base_url) if isinstance(base_url, str) else base_url,
        )
        _check(
            "api_key",
            api_key is None or isinstance(api_key, str),
            "a string or None",
            type(api_key).__name__,
        )
        _check("endpoint", endpoint in _ENDPOINTS, f"one of {_ENDPOINTS}", endpoint)
        for name, value in (("max_concurrency", max_concurrency), ("max_retries", max_retries)):
            minimum = 1 if name == "max_concurrency" else 0
            _check(
                name,
                isinstance(value, int) and not isinstance(value, bool) and value >= minimum,
                f"an integer >= {minimum}",
                value,
            )
        for name, number in (
            ("timeout_s", timeout_s),
            ("backoff_base_s", backoff_base_s),
            ("backoff_max_s", backoff_max_s),
        ):
            _check(
                name,
                isinstance(number, int | float)
                and not isinstance(number, bool)
                and math.isfinite(number)
                and (number > 0 if name == "timeout_s" else number >= 0),
                "a finite number > 0" if name == "timeout_s" else "a finite number >= 0",
                number,
            )
        _check(
            "backoff_max_s",
            backoff_max_s >= backoff_base_s,
            f">= backoff_base_s ({backoff_base_s})",
            backoff_max_s,
        )
        _check("seed", isinstance(seed, int) and not isinstance(seed, bool), "an integer", seed)
        self.model = model
        self.model_id = model
        self.base_url = base_url.rstrip("/")
        self.endpoint: Endpoint = endpoint
        self.max_concurrency = max_concurrency
        self.timeout_s = float(timeout_s)
        self.max_retries = max_retries
        self.backoff_base_s = float(backoff_base_s)
        self.backoff_max_s = float(backoff_max_s)
        self.seed = seed
        self.stats = RequestStats()
        self._api_key = api_key or None
        self._rng = random.Random(seed)
        # one generated token, ignored: servers disagree on max_tokens=0 (vLLM rejects
        # or crashed on it; llama-cpp-python's server reads it as "no limit" and
        # generates up to the context window)
        self._echo_max_tokens = 1
        self._clients: list[httpx.AsyncClient] = []
        self._slots: asyncio.Queue[int] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def __repr__(self) -> str:
        return f"OpenAIModel({self.model!r}, {_public_url(self.base_url)!r})"

    # ------------------------------------------------------------------ identity
    def identity(self) -> dict[str, Any]:
        """Adapter, model, server and endpoint (never the API key)."""
        return {
            "adapter": self.name,
            "model": self.model,
            "base_url": _public_url(self.base_url),
            "endpoint": self.endpoint,
        }

    # ------------------------------------------------------------------ transport
    def _session(self) -> tuple[list[httpx.AsyncClient], asyncio.Queue[int]]:
        """The clients and the free request slots of the running event loop (a new loop,
        e.g. a second ``asyncio.run``, gets new ones).

        ``max_concurrency`` slots gate the requests in flight. They are spread over
        several clients of at most :data:`_POOL` connections each, because httpcore
        checks every pooled connection for expiry on every request (encode/httpcore#1035):
        one pool of 32 connections made the client, not the server, the bottleneck. A
        slot names its client, so a request always finds a free connection."""
        loop = asyncio.get_running_loop()
        if not self._clients or self._slots is None or self._loop is not loop:
            headers = {"Authorization": f"Bearer {self._api_key}"} if self._api_key else {}
            n_clients = -(-self.max_concurrency // _POOL)
            self._clients = []
            self._slots = asyncio.Queue()
            # one TLS context for all the clients (each would build its own)
            tls = httpx.create_ssl_context(trust_env=False)
            for i in range(n_clients):
                size = len(range(i, self.max_concurrency, n_clients))
                self._clients.append(
                    httpx.AsyncClient(
                        headers=headers,
                        timeout=httpx.Timeout(self.timeout_s),
                        limits=httpx.Limits(max_connections=size, max_keepalive_connections=size),
                        verify=tls,
                        # proxies and certificates come from arguments, not the environment
                        trust_env=False,
                    )
                )
                for _ in range(size):
                    self._slots.put_nowait(i)
            self._loop = loop
        return self._clients, self._slots

    async def aclose(self) -> None:
        """Close the connections (the adapter reconnects if used again)."""
        clients, loop = self._clients, self._loop
        self._clients, self._slots, self._loop = [], None, None
        if clients:
            try:
                running = asyncio.get_running_loop()
            except RuntimeError:  # pragma: no cover - aclose is awaited, so a loop runs
                running = None
            if running is loop:
                for client in clients:
                    await client.aclose()

    def _scrub(self, text: str) -> str:
        if self._api_key:
            text = text.replace(self._api_key, "***")
        return text

    def _backoff(self, retry: int) -> float:
        cap = min(self.backoff_max_s, self.backoff_base_s * 2.0**retry)
        return self._rng.uniform(0.0, cap)

    async def _post(
        self, path: str, payload: dict[str, Any], parse: Callable[[dict[str, Any]], _T]
    ) -> _T:
        """POST ``payload`` with retries (module docstring); ``parse`` turns the JSON
        answer into a result and raises ``_Retryable`` for a malformed one."""
        clients, slots = self._session()
        url = self.base_url + path
        where = _public_url(url)
        stats = self.stats
        stats.requests += 1
        last = "no attempt"
        attempts = 0
        for attempt in range(self.max_retries + 1):
            attempts += 1
            stats.attempts += 1
            stats.retries += attempt > 0
            try:
                try:
                    slot = await slots.get()
                    try:
                        response = await clients[slot].post(url, json=payload)
                    finally:
                        slots.put_nowait(slot)
                except httpx.TimeoutException as exc:
                    raise _Retryable(
                        "timeout", f"timed out after {self.timeout_s:g} s ({type(exc).__name__})"
                    ) from exc
                except httpx.TransportError as exc:
                    raise _Retryable(
                        "connection", f"connection failed: {type(exc).__name__}: {exc}"
                    ) from exc
                status = response.status_code
                if status >= 400:
                    snippet = " ".join(response.text[:300].split())
                    reason = f"HTTP {status} {response.reason_phrase}: {snippet}"
                    if status < 500 and status not in _RETRY_STATUSES:
                        raise _Refused(self._scrub(f"{where}: {reason}"), status)
                    wait = None
                    if status in _RETRY_AFTER_STATUSES:
                        wait = _parse_retry_after(response.headers.get("retry-after"))
                    raise _Retryable(f"HTTP {status}", reason, wait)
                try:
                    body = response.json()
                except ValueError as exc:
                    raise _Retryable("malformed", f"the answer is not JSON: {exc}") from exc
                if not isinstance(body, dict):
                    raise _Retryable("malformed", "the answer is not a JSON object")
                try:
                    return parse(body)
                except AssayError:
                    raise
                except (TypeError, ValueError, KeyError, IndexError, AttributeError) as exc:
                    raise _Retryable(
                        "malformed", f"unexpected answer: {type(exc).__name__}: {exc}"
                    ) from exc
            except _Retryable as exc:
                last = exc.reason
                stats.reasons[exc.kind] = stats.reasons.get(exc.kind, 0) + 1
                if attempt == self.max_retries:
                    break
                if exc.retry_after is not None:
                    if exc.retry_after > self.backoff_max_s:
                        stats.failed += 1
                        raise ModelError(
                            self._scrub(
                                f"{where}: the server asked to retry after "
                                f"{exc.retry_after:.3g} s (Retry-After), more than "
                                f"backoff_max_s={self.backoff_max_s:g}; raise backoff_max_s "
                                f"or try later. Last answer: {last}"
                            )
                        ) from None
                    stats.retry_after_waits += 1
                    delay = exc.retry_after
                else:
                    delay = self._backoff(attempt)
                await asyncio.sleep(delay)
            except _Refused as exc:
                stats.failed += 1
                stats.reasons[f"HTTP {exc.status}"] = stats.reasons.get(f"HTTP {exc.status}", 0) + 1
                raise
            except ModelError as exc:  # an answer that another attempt would not fix
                stats.failed += 1
                raise ModelError(self._scrub(f"{where}: {exc}")) from None
        stats.failed += 1
        raise ModelError(
            self._scrub(
                f"{where}: gave up after {attempts} attempt(s) "
                f"(max_retries={self.max_retries}); last error: {last}"
            )
        )

    # ------------------------------------------------------------------ generation
    async def agenerate(self, request: GenerationRequest) -> Generation:
        """A completion of the prompt (through chat when ``endpoint="chat"`` or
        ``request.chat``); the text is cut at the first stop sequence."""
        chat = self.endpoint == "chat" or request.chat
        payload: dict[str, Any] = {
            "model": self.model,
            "max_tokens": request.max_tokens,
            "temperature": request.temperature,
            "seed": request.seed,
        }
        if request.stop:
            payload["stop"] = list(request.stop)
        if chat:
            payload["messages"] = [{"role": "user", "content": request.prompt}]
            text, choice, body = await self._post("/chat/completions", payload, _parse_chat)
        else:
            payload["prompt"] = request.prompt
            text, choice, body = await self._post("/completions", payload, _parse_completion)
        metadata: dict[str, Any] = {"endpoint": "chat" if chat else "completions"}
        if isinstance(body.get("model"), str):
            metadata["served_model"] = body["model"]
        cuts = [i for i in (text.find(s) for s in request.stop if s) if i >= 0]
        if cuts:  # the server left a stop sequence in the text
            text = text[: min(cuts)]
            metadata["stop_cut_by_client"] = True
        input_tokens = _usage(body, "prompt_tokens")
        output_tokens = _usage(body, "completion_tokens")
        if input_tokens is None or output_tokens is None:
            self.stats.usage_estimated += 1
            metadata["usage_estimated"] = "whitespace words"
            if input_tokens is None:
                input_tokens = len(request.prompt.split())
            if output_tokens is None:
                output_tokens = len(text.split())
        finish = choice.get("finish_reason")
        return Generation(
            text=text,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            finish_reason=finish if isinstance(finish, str) and finish else "unknown",
            metadata=metadata,
        )

    # ------------------------------------------------------------------ scoring
    async def _score(self, context: str, continuation: str) -> _Scored:
        prompt = context + continuation
        payload: dict[str, Any] = {
            "model": self.model,
            "prompt": prompt,
            "max_tokens": self._echo_max_tokens,
            "echo": True,
            "logprobs": 1,
            "temperature": 0,
        }

        def parser(max_tokens: int) -> Callable[[dict[str, Any]], tuple[_Scored, bool, bool]]:
            return functools.partial(
                _parse_echo, context=context, prompt=prompt, max_tokens=max_tokens
            )

        try:
            scored, straddle, shifted = await self._post(
                "/completions", payload, parser(payload["max_tokens"])
            )
        except _Refused as exc:
            if payload["max_tokens"] != 0 or exc.status not in _MAX_TOKENS_REJECTED:
                raise
            # the server wants max_tokens >= 1 (vLLM); the generated token is ignored
            self._echo_max_tokens = 1
            self.stats.max_tokens_fallbacks += 1
            payload["max_tokens"] = 1
            scored, straddle, shifted = await self._post("/completions", payload, parser(1))
        self.stats.boundary_straddles += straddle
        self.stats.offset_shifts += shifted
        return scored

    async def atoken_logprobs(self, text: str) -> TokenLogprobs:
        """The server's echoed tokens of ``text`` with their log-probabilities and top
        alternatives, as it reports them (for :func:`~assay.harness.conformance.check_model`)."""
        payload: dict[str, Any] = {
            "model": self.model,
            "prompt": text,
            "max_tokens": 1,
            "echo": True,
            "logprobs": 1,
            "temperature": 0,
        }
        return await self._post(
            "/completions", payload, functools.partial(_parse_tokens, prompt=text)
        )

    async def aloglikelihood(self, request: LoglikelihoodRequest) -> ChoiceScores:
        """Log-likelihood of each continuation after the context, from echoed prompt
        log-probabilities (one request per continuation, sent concurrently)."""
        if self.endpoint != "completions":
            raise ModelError(
                "log-likelihoods need the completions endpoint; this adapter was built "
                f"with endpoint={self.endpoint!r}"
            )
        if not request.continuations:
            raise InputError("a log-likelihood request needs at least one continuation")
        if not request.context:
            raise InputError(
                "a log-likelihood request over HTTP needs a non-empty context (the prompt's "
                "first token has no log-probability)"
            )
        empty = [i for i, c in enumerate(request.continuations) if not c]
        if empty:
            raise InputError(f"continuation {empty[0]} is empty; nothing to score")
        scored = await _gather([self._score(request.context, c) for c in request.continuations])
        return ChoiceScores(
            logprobs=tuple(s.logprob for s in scored),
            greedy=tuple(s.greedy for s in scored),
            continuation_tokens=tuple(s.tokens for s in scored),
            context_tokens=scored[0].context_tokens,
            tokens_evaluated=sum(s.evaluated for s in scored),
        )


async def _gather(coros: Sequence[Coroutine[Any, Any, _T]]) -> list[_T]:
    """Run ``coros`` concurrently; on the first failure cancel the rest and raise it."""
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(c) for c in coros]
    except BaseExceptionGroup as eg:
        errors = list(eg.exceptions)
        first = next((e for e in errors if isinstance(e, AssayError)), errors[0])
        raise first from None
    return [t.result() for t in tasks]
