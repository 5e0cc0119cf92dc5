"""Cluster-bootstrap resamples, drawn without touching each cluster on each draw.

Resampling K clusters with replacement only matters through how many times each
*kind* of cluster is drawn: clusters with the same observations are interchangeable. So
clusters are grouped by content (case scores take few distinct values: checks pass or
fail), and each resample draws the counts of the kinds from the multinomial distribution
(K draws, each kind with probability multiplicity / K), by a chain of binomial draws.
That is the exact bootstrap distribution, at a cost per resample that grows with the
number of kinds, not of clusters; with many kinds (continuous scores) the clusters are
drawn one by one instead. Seeded: the same observations give the same resamples.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Mapping, Sequence

KINDS_PER_CLUSTER = 0.125
"""Above this many kinds per cluster, drawing clusters one by one is the cheaper way."""


def binomial(rng: random.Random, n: int, p: float) -> int:
    """A Binomial(n, p) variate: `random.binomialvariate` of Python 3.12 (the same
    algorithms, so the same variates from the same generator)."""
    if p <= 0.0 or n <= 0:
        return 0
    if p >= 1.0:
        return n
    if n == 1:
        return int(rng.random() < p)
    if p > 0.5:
        return n - binomial(rng, n, 1.0 - p)
    if n * p < 10.0:  # Devroye's geometric method, O(np)
        x = y = 0
        c = math.log(1.0 - p)
        if not c:
            return x
        while True:
            y += math.floor(math.log(rng.random()) / c) + 1
            if y > n:
                return x
            x += 1
    # BTRS: transformed rejection with squeeze (Hörmann, 1993)
    spq = math.sqrt(n * p * (1.0 - p))
    b = 1.15 + 2.53 * spq
    a = -0.0873 + 0.0248 * b + 0.01 * p
    c = n * p + 0.5
    vr = 0.92 - 4.2 / b
    setup = None
    while True:
        u = rng.random() - 0.5
        us = 0.5 - abs(u)
        k = math.floor((2.0 * a / us + b) * u + c)
        if k < 0 or k > n:
            continue
        v = rng.random()
        if us >= 0.07 and v <= vr:
            return k
        if setup is None:
            m = math.floor((n + 1) * p)
            setup = (
                (2.83 + 5.1 / b) * spq,
                math.log(p / (1.0 - p)),
                m,
                math.lgamma(m + 1) + math.lgamma(n - m + 1),
            )
        alpha, lpq, m, h = setup
        v *= alpha / (a / (us * us) + b)
        if math.log(v) <= h - math.lgamma(k + 1) - math.lgamma(n - k + 1) + (k - m) * lpq:
            return k


def multinomial(rng: random.Random, n: int, weights: Sequence[int]) -> list[int]:
    """Counts of `n` draws among categories of the given (integer) weights."""
    counts, left, total = [], n, sum(weights)
    for weight in weights[:-1]:
        drawn = binomial(rng, left, weight / total) if left else 0
        counts.append(drawn)
        left, total = left - drawn, total - weight
    counts.append(left)
    return counts


def resampled_means(
    clusters: Mapping[str, list[tuple[str, float]]],
    tests: Sequence[str],
    draws: int,
    seed: int,
) -> list[list[float | None]]:
    """For each of `draws` resamples of the clusters, the mean of each test's values
    (in the order of `tests`; None for a test the resample left without values)."""
    if not clusters:
        return []
    rng = random.Random(seed)
    index = {t: i for i, t in enumerate(tests)}
    kinds: Counter[tuple[tuple[str, float], ...]] = Counter(
        tuple(sorted(clusters[name])) for name in sorted(clusters)
    )
    order = sorted(kinds)
    weights = [kinds[kind] for kind in order]
    entries: list[list[tuple[int, float, int]]] = []
    for kind in order:
        sums: dict[int, list[float]] = {}
        for test, value in kind:
            total = sums.setdefault(index[test], [0.0, 0])
            total[0] += value
            total[1] += 1
        entries.append([(i, s, int(c)) for i, (s, c) in sums.items()])
    size = len(clusters)
    by_cluster = [k for k, weight in enumerate(weights) for _ in range(weight)]
    one_by_one = len(order) > KINDS_PER_CLUSTER * size
    if one_by_one and len(tests) == 1 and all(len(e) == 1 and e[0][2] == 1 for e in entries):
        # one value per cluster, one test: the mean of the values drawn
        values = [entries[k][0][1] for k in by_cluster]
        return [[sum(rng.choices(values, k=size)) / size] for _ in range(draws)]
    out: list[list[float | None]] = []
    for _ in range(draws):
        if one_by_one:
            drawn = Counter(rng.choices(by_cluster, k=size))
            counts = [drawn.get(k, 0) for k in range(len(order))]
        else:
            counts = multinomial(rng, size, weights)
        sums_of = [0.0] * len(tests)
        counts_of = [0] * len(tests)
        for count, kind_entries in zip(counts, entries, strict=True):
            if count:
                for i, value_sum, n in kind_entries:
                    sums_of[i] += count * value_sum
                    counts_of[i] += count * n
        out.append([s / n if n else None for s, n in zip(sums_of, counts_of, strict=True)])
    return out
