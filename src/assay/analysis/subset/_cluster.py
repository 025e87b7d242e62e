"""Weighted k-means (k-means++ seeding, Lloyd iterations) and medoid-like representatives.

Kept here rather than taken from scikit-learn because the subset selectors need only this
and assay's core does not depend on scikit-learn; the tests compare the clustering
objective with ``sklearn.cluster.KMeans`` on the same data.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["kmeans", "representatives"]


def _sq_dist(
    X: NDArray[np.float64], C: NDArray[np.float64], xx: NDArray[np.float64] | None = None
) -> NDArray[np.float64]:
    if xx is None:
        xx = np.einsum("ij,ij->i", X, X)
    d = X @ (-2.0 * C.T)
    d += xx[:, None]
    d += np.einsum("ij,ij->i", C, C)[None, :]
    return np.maximum(d, 0.0, out=d)


def _plusplus(
    X: NDArray[np.float64], k: int, w: NDArray[np.float64], rng: np.random.Generator
) -> NDArray[np.float64]:
    n = X.shape[0]
    first = rng.choice(n, p=w / w.sum())
    centers = [X[first]]
    closest = _sq_dist(X, X[first][None, :])[:, 0]
    for _ in range(1, k):
        p = w * closest
        total = p.sum()
        # every point coincides with a centre: any point will do
        idx = rng.choice(n, p=p / total) if total > 0 else rng.choice(n)
        centers.append(X[idx])
        closest = np.minimum(closest, _sq_dist(X, X[idx][None, :])[:, 0])
    return np.asarray(centers)


def kmeans(
    X: NDArray[np.float64],
    k: int,
    *,
    weights: NDArray[np.float64] | None = None,
    rng: np.random.Generator,
    n_init: int = 3,
    max_iter: int = 100,
) -> tuple[NDArray[np.int64], NDArray[np.float64], float]:
    """Weighted k-means: labels, centres and the weighted within-cluster sum of squares.

    Empty clusters are re-seeded at the point farthest from its centre. The best of
    ``n_init`` k-means++ starts (lowest objective) is returned.

    References
    ----------
    Lloyd, S. (1982). Least squares quantization in PCM. *IEEE Trans. Inf. Theory* 28(2).
    Arthur, D. & Vassilvitskii, S. (2007). k-means++: the advantages of careful seeding.
    *SODA*.
    """
    n = X.shape[0]
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64)
    xx = np.einsum("ij,ij->i", X, X)
    best: tuple[NDArray[np.int64], NDArray[np.float64], float] | None = None
    for _ in range(max(1, n_init)):
        C = _plusplus(X, k, w, rng)
        labels = np.full(n, -1, dtype=np.int64)
        for _ in range(max_iter):
            D = _sq_dist(X, C, xx)
            new = D.argmin(1).astype(np.int64)
            counts = np.bincount(new, weights=w, minlength=k)
            for empty in np.flatnonzero(counts == 0):
                far = int(D[np.arange(n), new].argmax())
                new[far] = empty
                D[far] = 0.0
                counts = np.bincount(new, weights=w, minlength=k)
            if np.array_equal(new, labels):
                break
            labels = new
            onehot = np.zeros((k, n))
            onehot[labels, np.arange(n)] = w
            C = (onehot @ X) / np.maximum(counts, 1e-300)[:, None]
        inertia = float((w * _sq_dist(X, C)[np.arange(n), labels]).sum())
        if best is None or inertia < best[2]:
            best = (labels, C, inertia)
    assert best is not None  # n_init >= 1
    return best


def representatives(
    X: NDArray[np.float64], labels: NDArray[np.int64], centers: NDArray[np.float64]
) -> NDArray[np.int64]:
    """For each non-empty cluster, the member closest to its centre (cluster order)."""
    D = _sq_dist(X, centers)
    reps = []
    for c in range(centers.shape[0]):
        members = np.flatnonzero(labels == c)
        if members.size:
            reps.append(members[D[members, c].argmin()])
    return np.asarray(reps, dtype=np.int64)
