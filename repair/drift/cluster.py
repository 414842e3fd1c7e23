"""``cluster``: k-means on the baseline's embeddings, then compare where the two sets fall.

This is the check vector monitoring tools run: fit k-means on the baseline, assign both sets
to its clusters and measure the Jensen-Shannon distance of the two cluster histograms. The
per-cluster table says *where* the current set went: which clusters grew or emptied, which
label each cluster mostly holds, and how often the model is wrong there now.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from sklearn.cluster import KMeans

from repair.drift.stats import DriftTest, histogram_test

FLOOR = 0.1  # a JS distance below this is a small change of the cluster mix
N_INIT = 3  # k-means restarts, all from the seed


@dataclass(frozen=True)
class ClusterRow:
    """One baseline cluster. Shares are fractions of each set; error rates are None where the
    set has no input in the cluster; majority_*: the commonest true label of its baseline
    members and the fraction of them that carry it."""

    cluster: int
    baseline_count: int
    baseline_share: float
    current_count: int
    current_share: float
    share_change: float
    majority_label: int
    majority_purity: float
    baseline_error_rate: float | None
    current_error_rate: float | None

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def _error_rate(wrong: np.ndarray, members: np.ndarray) -> float | None:
    count = int(members.sum())
    return float(wrong[members].mean()) if count else None


def cluster_rows(
    codes_a: np.ndarray,
    codes_b: np.ndarray,
    clusters: int,
    labels_a: np.ndarray,
    wrong_a: np.ndarray,
    wrong_b: np.ndarray,
) -> list[ClusterRow]:
    """The per-cluster table from cluster codes (n,), (m,), true labels of the baseline and
    the misclassified masks of both sets."""
    counts_a = np.bincount(codes_a, minlength=clusters)
    counts_b = np.bincount(codes_b, minlength=clusters)
    rows = []
    for c in range(clusters):
        members_a, members_b = codes_a == c, codes_b == c
        label_counts = np.bincount(labels_a[members_a]) if members_a.any() else np.zeros(1, int)
        majority = int(np.argmax(label_counts))
        share_a = counts_a[c] / max(len(codes_a), 1)
        share_b = counts_b[c] / max(len(codes_b), 1)
        rows.append(
            ClusterRow(
                cluster=c,
                baseline_count=int(counts_a[c]),
                baseline_share=float(share_a),
                current_count=int(counts_b[c]),
                current_share=float(share_b),
                share_change=float(share_b - share_a),
                majority_label=majority,
                majority_purity=float(label_counts[majority] / max(counts_a[c], 1)),
                baseline_error_rate=_error_rate(wrong_a, members_a),
                current_error_rate=_error_rate(wrong_b, members_b),
            )
        )
    return rows


def cluster_drift(
    baseline: np.ndarray,
    current: np.ndarray,
    *,
    clusters: int,
    permutations: int,
    seed: int,
    baseline_labels: np.ndarray,
    baseline_wrong: np.ndarray,
    current_wrong: np.ndarray,
    floor: float = FLOOR,
) -> tuple[DriftTest, list[ClusterRow]]:
    """K-means (``clusters``, seeded) on ``baseline`` (n, d); JS distance of the histograms of
    ``baseline`` and ``current`` (m, d) over its clusters, with a permutation p-value.

    baseline_labels: (n,) true labels; *_wrong: (n,) / (m,) True where the model is wrong.
    """
    kmeans = KMeans(n_clusters=clusters, n_init=N_INIT, random_state=seed).fit(baseline)
    codes_a = kmeans.labels_.astype(np.int64)
    codes_b = kmeans.predict(current).astype(np.int64)
    test = histogram_test(
        codes_a,
        codes_b,
        clusters,
        method="cluster",
        permutations=permutations,
        seed=seed,
        floor=floor,
    )
    test.settings.update({"clusters": clusters, "n_init": N_INIT})
    rows = cluster_rows(
        codes_a, codes_b, clusters, np.asarray(baseline_labels), baseline_wrong, current_wrong
    )
    return test, rows
