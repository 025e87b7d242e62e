"""Dequantise the bundled SmolLM2-135M-Instruct GGUF (Q4_1) into a Hugging Face checkpoint.

lm-evaluation-harness's ``hf`` backend and assay's ``transformers`` adapter load this
directory; both then see the same float32 weights that llama.cpp's Q4_1 blocks decode to
(transformers' GGUF loader dequantises with the ``gguf`` package). Idempotent: a
directory whose marker names the same GGUF file hash is reused as it is.

    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/_dequantise.py [--out DIR]

Needs torch, transformers, accelerate and gguf (benchmark-only packages).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
from pathlib import Path

DEFAULT_DIR = Path(os.environ.get("ASSAY_CACHE", Path.home() / ".cache" / "assay")) / "smollm2-hf"
_MARKER = "assay-dequantised.json"


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def dequantise(out: Path = DEFAULT_DIR, model: str = "smollm2") -> Path:
    """The checkpoint directory of ``model`` (a bundled name or a GGUF path), built once."""
    from assay.harness.models.llamacpp import resolve_model_file

    gguf_path = resolve_model_file(model)
    digest = _sha256(gguf_path)
    marker = out / _MARKER
    if marker.is_file():
        try:
            if json.loads(marker.read_text()).get("gguf_sha256") == digest:
                return out
        except (OSError, ValueError):
            pass
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import transformers
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tmp = out.with_name(out.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tokenizer = AutoTokenizer.from_pretrained(str(gguf_path.parent), gguf_file=gguf_path.name)
    hf_model = AutoModelForCausalLM.from_pretrained(str(gguf_path.parent), gguf_file=gguf_path.name)
    # the loaded model computes with plain float tensors (the GGUF blocks were decoded at
    # load time) but is marked as "gguf-quantised", which save_pretrained refuses: copy
    # its weights into a fresh model built from the same config without that mark
    config = hf_model.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    config.name_or_path = gguf_path.stem
    plain = AutoModelForCausalLM.from_config(config, dtype=hf_model.dtype)  # type: ignore[no-untyped-call]
    plain.load_state_dict(hf_model.state_dict(), strict=True)
    plain.eval()
    tokenizer.save_pretrained(tmp)
    plain.save_pretrained(tmp)
    (tmp / _MARKER).write_text(
        json.dumps(
            {
                "gguf_file": gguf_path.name,
                "gguf_sha256": digest,
                "transformers": transformers.__version__,
                "dtype": str(hf_model.dtype),
            },
            indent=2,
        )
    )
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--model", default="smollm2")
    args = parser.parse_args()
    path = dequantise(args.out, args.model)
    print(path)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
