"""``mmd``: a kernel two-sample test (Gretton et al., "A Kernel Two-Sample Test", JMLR 2012).

The statistic is the unbiased estimate of the squared maximum mean discrepancy (Lemma 6,
MMD^2_u) under an RBF kernel whose bandwidth is the median pairwise distance of the pooled
sample (Sec. 8, the median heuristic). Its p-value comes from permutations of set membership
(Sec. 5.1). The kernel matrix is computed once; every permutation is an indicator vector, so a
block of permutations costs one matrix product.

The kernel matrix is O(n^2): each set is subsampled (seeded) to ``max_samples`` inputs, and
embeddings wider than ``max_dim`` are first projected on the baseline's leading principal axes.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial.distance import pdist, squareform
from sklearn.decomposition import PCA

from repair.drift.stats import (
    DriftTest,
    null_threshold,
    permutation_p_value,
    subsample,
    subsample_sets,
)

MAX_SAMPLES = 1000  # per set, for the O(n^2) kernel matrix
MAX_DIM = 100  # wider embeddings are projected on this many principal axes
PERMUTATION_BLOCK = 100


def pca_projector(baseline: np.ndarray, max_dim: int, seed: int):  # noqa: ANN201
    """A function (n, d) -> (n, min(d, max_dim)): PCA fitted on ``baseline``, or the identity."""
    if baseline.shape[1] <= max_dim:
        return lambda x: np.asarray(x, dtype=np.float64)
    rng = np.random.default_rng(seed)
    fit_on = baseline[subsample(len(baseline), 10 * max_dim + 5000, rng)]
    pca = PCA(n_components=min(max_dim, len(fit_on)), random_state=seed).fit(fit_on)
    return lambda x: pca.transform(x).astype(np.float64)


def median_bandwidth(distances: np.ndarray) -> float:
    """The median of the off-diagonal pairwise distances (condensed form), 1 when all are 0."""
    median = float(np.median(distances)) if len(distances) else 0.0
    return median if median > 0 else 1.0


def mmd2_unbiased(kernel: np.ndarray, in_a: np.ndarray) -> np.ndarray:
    """MMD^2_u for every column of ``in_a`` (N, P), 1.0 where the row belongs to set A.

    kernel: (N, N) with ones on the diagonal (an RBF kernel). Sums over a block of the kernel
    are quadratic forms in the indicator vectors; the diagonal terms are removed (Lemma 6).
    """
    in_b = 1.0 - in_a
    n, m = in_a.sum(axis=0), in_b.sum(axis=0)
    k_a = kernel @ in_a
    k_b = kernel.sum(axis=1, keepdims=True) - k_a
    sum_aa = np.einsum("ip,ip->p", in_a, k_a) - n
    sum_bb = np.einsum("ip,ip->p", in_b, k_b) - m
    sum_ab = np.einsum("ip,ip->p", in_a, k_b)
    return sum_aa / (n * (n - 1)) + sum_bb / (m * (m - 1)) - 2 * sum_ab / (n * m)


def mmd_permutation(
    a: np.ndarray, b: np.ndarray, *, permutations: int, rng: np.random.Generator
) -> tuple[float, np.ndarray, float]:
    """(MMD^2_u of ``a`` (n, d) vs ``b`` (m, d), its permutation null (P,), the bandwidth)."""
    pooled = np.concatenate([a, b]).astype(np.float64)
    distances = pdist(pooled)
    bandwidth = median_bandwidth(distances)
    kernel = squareform(np.exp(-(distances**2) / (2 * bandwidth**2)))
    np.fill_diagonal(kernel, 1.0)
    base = np.zeros(len(pooled))
    base[: len(a)] = 1.0
    observed = float(mmd2_unbiased(kernel, base[:, None])[0])
    null = []
    for start in range(0, permutations, PERMUTATION_BLOCK):
        count = min(PERMUTATION_BLOCK, permutations - start)
        block = rng.permuted(np.tile(base, (count, 1)), axis=1).T
        null.append(mmd2_unbiased(kernel, block))
    return observed, np.concatenate(null) if null else np.zeros(0), bandwidth


def mmd_drift(
    baseline: np.ndarray,
    current: np.ndarray,
    *,
    permutations: int,
    seed: int,
    max_samples: int = MAX_SAMPLES,
    max_dim: int = MAX_DIM,
    project=None,  # noqa: ANN001 (a projector from pca_projector, shared with the label tests)
) -> DriftTest:
    """The MMD test of ``baseline`` (n, d) vs ``current`` (m, d); both need 2 inputs or more."""
    rng = np.random.default_rng(seed)
    project = project or pca_projector(baseline, max_dim, seed)
    a, b, sampled = subsample_sets(baseline, current, max_samples, rng)
    a, b = project(a), project(b)
    observed, null, bandwidth = mmd_permutation(a, b, permutations=permutations, rng=rng)
    settings = {
        "kernel": "rbf",
        "bandwidth": round(bandwidth, 6),
        "dimensions": int(a.shape[1]),
        "input_dimensions": int(baseline.shape[1]),
        **sampled,
        "permutations": permutations,
        "random_state": seed,
        "floor": 0.0,
    }
    return DriftTest(
        "mmd", observed, null_threshold(null, 0.0), permutation_p_value(observed, null), settings
    )
