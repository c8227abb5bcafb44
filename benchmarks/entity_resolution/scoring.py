"""Pairwise precision, recall and F1 of a clustering against the true entities.

A pair of mentions is predicted when both sit in the same predicted cluster, and true when
both describe the same true entity. Counting them needs no pair: n mentions together give
n(n-1)/2 pairs, so the contingency table (mentions per predicted cluster and true entity)
says everything. The table is counted where the mentions are (PostgreSQL for kho, DuckDB
for Splink) with ``contingency_sql``; ``pairwise_scores`` does the arithmetic.

By hand: predicted {a, b, c}, {d}; true {a, b}, {c, d}. The cells are (P1, T1): 2,
(P1, T2): 1, (P2, T2): 1; predicted pairs 3 (ab, ac, bc), true pairs 2 (ab, cd), pairs both
1 (ab): precision 1/3, recall 1/2, F1 0.4.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable
from dataclasses import dataclass


def contingency_sql(only_named: bool = False) -> str:
    """Mentions per (predicted cluster, true entity), from a relation ``labelled`` with
    columns predicted, truth and named: one row per mention that has a truth link."""
    return f"""
        select predicted::text, truth::text, count(*) as mentions
        from labelled
        {"where named" if only_named else ""}
        group by 1, 2
    """


def pairs(n: int) -> int:
    return n * (n - 1) // 2


@dataclass(frozen=True)
class PairwiseScores:
    mentions: int
    predicted_clusters: int
    true_entities: int
    predicted_pairs: int
    true_pairs: int
    correct_pairs: int

    @property
    def precision(self) -> float:
        return self.correct_pairs / self.predicted_pairs if self.predicted_pairs else 1.0

    @property
    def recall(self) -> float:
        return self.correct_pairs / self.true_pairs if self.true_pairs else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def pairwise_scores(cells: Iterable[tuple[Hashable, Hashable, int]]) -> PairwiseScores:
    """Scores from the contingency table: (predicted cluster, true entity, mentions) per
    cell, each cell once."""
    by_predicted: Counter = Counter()
    by_truth: Counter = Counter()
    correct = 0
    for predicted, truth, n in cells:
        by_predicted[predicted] += n
        by_truth[truth] += n
        correct += pairs(n)
    return PairwiseScores(
        mentions=sum(by_predicted.values()),
        predicted_clusters=len(by_predicted),
        true_entities=len(by_truth),
        predicted_pairs=sum(map(pairs, by_predicted.values())),
        true_pairs=sum(map(pairs, by_truth.values())),
        correct_pairs=correct,
    )


def scores_of_labels(labels: Iterable[tuple[Hashable, Hashable]]) -> PairwiseScores:
    """Scores from one (predicted cluster, true entity) per mention; for small inputs."""
    cells = Counter(labels)
    return pairwise_scores((p, t, n) for (p, t), n in cells.items())


def brute_force_scores(labels: list[tuple[Hashable, Hashable]]) -> tuple[int, int, int]:
    """(predicted, true, correct) pair counts by enumerating every pair: the definition,
    to check ``pairwise_scores`` against on small inputs."""
    predicted = true = correct = 0
    for i, (p_i, t_i) in enumerate(labels):
        for p_j, t_j in labels[i + 1:]:
            predicted += p_i == p_j
            true += t_i == t_j
            correct += p_i == p_j and t_i == t_j
    return predicted, true, correct


def self_check() -> None:
    """The worked example of the module docstring, and random labellings against the
    brute force; run before every benchmark, it costs milliseconds."""
    import random

    example = scores_of_labels([("P1", "T1"), ("P1", "T1"), ("P1", "T2"), ("P2", "T2")])
    assert (example.predicted_pairs, example.true_pairs, example.correct_pairs) == (3, 2, 1)
    assert abs(example.precision - 1 / 3) < 1e-12 and abs(example.recall - 0.5) < 1e-12
    assert abs(example.f1 - 0.4) < 1e-12
    assert (example.mentions, example.predicted_clusters, example.true_entities) == (4, 2, 2)
    rng = random.Random(7)
    for _ in range(200):
        n = rng.randrange(0, 30)
        labels = [(rng.randrange(6), rng.randrange(6)) for _ in range(n)]
        s = scores_of_labels(labels)
        assert (s.predicted_pairs, s.true_pairs, s.correct_pairs) == brute_force_scores(labels)
    singletons = scores_of_labels([(i, i) for i in range(5)])
    assert (singletons.precision, singletons.recall) == (1.0, 1.0)
