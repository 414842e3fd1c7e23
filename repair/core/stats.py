"""Small statistics for accuracies measured on a finite set: intervals, noise, exact tests.

An accuracy of ``p`` measured on ``n`` inputs is a binomial proportion: its standard error is
``sqrt(p (1 - p) / n)``, about 1.1 points at p = 0.75 and n = 1,530. Intervals here are 95 %.
scipy is imported lazily (only the exact tests and the t quantile need it).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

Z95 = 1.959963984540054  # the 0.975 quantile of the standard normal
ALPHA = 0.05


def wilson_interval(correct: int, total: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of ``correct / total``, in percent; (0, 100) when total is 0.

    Wilson (1927) keeps its coverage near 95 % at small n and at p near 0 or 1, where the
    normal (Wald) interval collapses to a point.
    """
    if total <= 0:
        return 0.0, 100.0
    p = correct / total
    denominator = 1.0 + z * z / total
    centre = (p + z * z / (2 * total)) / denominator
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / denominator
    # Rounded so that float noise never turns 100 % into 99.99999999999999.
    return round(100.0 * max(0.0, centre - half), 9), round(100.0 * min(1.0, centre + half), 9)


def binomial_noise(p_percent: float, n: int) -> float:
    """The binomial standard error sqrt(p (1 - p) / n) of an accuracy ``p_percent`` on ``n``
    inputs, in points: what a model's accuracy moves by from the draw of the inputs alone."""
    if n <= 0:
        return float("nan")
    p = p_percent / 100.0
    return 100.0 * math.sqrt(max(p * (1 - p), 0.0) / n)


def mcnemar_exact(fixed: int, broken: int) -> float:
    """Two-sided exact McNemar p-value: under "no change", each of the ``fixed + broken``
    inputs whose correctness changed went either way with probability 1/2 (binomial test).
    1.0 when no input changed."""
    discordant = fixed + broken
    if discordant == 0:
        return 1.0
    from scipy.stats import binomtest

    return float(binomtest(fixed, discordant, 0.5).pvalue)


@dataclass(frozen=True)
class Spread:
    """Values over runs or models: mean, sample std (ddof 1; 0 for one value), min, max, and
    the 95 % t interval of the mean (None for fewer than two values)."""

    count: int
    mean: float
    std: float
    min: float
    max: float
    low: float | None
    high: float | None

    def to_dict(self) -> dict[str, float | int | None]:
        return {
            key: (None if value is None else round(value, 4) if isinstance(value, float) else value)
            for key, value in self.__dict__.items()
        }


def spread(values: Sequence[float]) -> Spread | None:
    """The :class:`Spread` of ``values`` (None entries dropped); None when nothing is left."""
    numbers = [float(v) for v in values if v is not None]
    if not numbers:
        return None
    count = len(numbers)
    mean = sum(numbers) / count
    std = math.sqrt(sum((v - mean) ** 2 for v in numbers) / (count - 1)) if count > 1 else 0.0
    low = high = None
    if count > 1:
        from scipy.stats import t

        half = float(t.ppf(1 - ALPHA / 2, count - 1)) * std / math.sqrt(count)
        low, high = mean - half, mean + half
    return Spread(count, mean, std, min(numbers), max(numbers), low, high)
