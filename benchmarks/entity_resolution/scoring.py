"""Pairwise precision, recall and F1 of a clustering against the true entities.

A pair of records is predicted when both sit in the same predicted cluster, and true when
both describe the same true entity. Counting them needs no pair: n records together give
n(n-1)/2 pairs, so the contingency table (records per predicted cluster and true entity)
says everything. A record the matcher did not resolve is a cluster of its own: its true
pairs count, and are missed.

By hand: predicted {a, b, c}, {d}; true {a, b}, {c, d}. The cells are (P1, T1): 2,
(P1, T2): 1, (P2, T2): 1; predicted pairs 3 (ab, ac, bc), true pairs 2 (ab, cd), pairs both
1 (ab): precision 1/3, recall 1/2, F1 0.4.

Scores over some of the pairs come from the same table with a count of *marked* records
per group (records carrying one noise kind, say): of n records of which k are marked,
pairs(n) - pairs(n - k) pairs involve at least one marked record (``touching``), pairs(k)
involve only marked ones (``within``). Predicted, true and correct pairs are such sums over
the predicted clusters, the true entities and the cells. So the database answers, per
grouping and mark, how many groups have n records of which k are marked
(``group_sizes_sql``), a few hundred rows whatever the scale, and ``scores`` does the rest.

By hand, with a missing record: records a..f, true {a, b}, {c, d, e, f}; predicted {a, b, c},
{d, e}, f unresolved (a cluster of its own). Predicted pairs ab, ac, bc, de: 4; true pairs
ab and the 6 among c..f: 7; correct ab, de: 2. Precision 1/2, recall 2/7. Marked d: pairs
touching d are predicted de (1), true cd, de, df (3), correct de (1): precision 1, recall 1/3.
Marked a, b, c, e, f (the unmarked d left out, as for "no noise"): pairs within them are
predicted ab, ac, bc (3), true ab, ce, cf, ef (4), correct ab (1): precision 1/3, recall 1/4.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable
from dataclasses import dataclass

ALL = "all"
GROUPINGS = {"predicted": "predicted", "truth": "truth", "cells": "predicted, truth"}


def group_sizes_sql(grouping: str) -> str:
    """Per mark, how many groups of ``grouping`` hold n records of which k are marked:
    rows (mark, n, k, groups), from ``labelled`` (record_no, predicted, truth; one row per
    record) and ``marks`` (record_no, mark; each pair once). The mark ``all`` marks every
    record."""
    columns = GROUPINGS[grouping]
    return f"""
        with sizes as (
            select {columns}, count(*) as n from labelled group by {columns}
        ),
        marked as (
            select {columns}, marks.mark, count(*) as k
            from labelled join marks using (record_no)
            group by {columns}, marks.mark
        )
        select '{ALL}' as mark, n, n as k, count(*) as groups from sizes group by n
        union all
        select marked.mark, sizes.n, marked.k, count(*) as groups
        from marked join sizes using ({columns})
        group by marked.mark, sizes.n, marked.k
    """


def pairs(n: int) -> int:
    return n * (n - 1) // 2


@dataclass(frozen=True)
class PairwiseScores:
    records: int
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


Histogram = Counter  # (records in a group, marked records among them) -> groups


@dataclass(frozen=True)
class GroupSizes:
    """The histograms of one mark over the three groupings."""

    predicted: Histogram
    truth: Histogram
    cells: Histogram


def touching(n: int, k: int) -> int:
    """Pairs among n records that involve at least one of the k marked ones."""
    return pairs(n) - pairs(n - k)


def within(_n: int, k: int) -> int:
    """Pairs among n records that involve only the k marked ones."""
    return pairs(k)


def scores(sizes: GroupSizes, counted=touching) -> PairwiseScores:
    """Scores over the pairs ``counted`` picks (``touching`` or ``within`` the marked
    records); records, clusters and entities are those holding a marked record."""
    def total(histogram: Histogram) -> int:
        return sum(groups * counted(n, k) for (n, k), groups in histogram.items())

    def holding(histogram: Histogram) -> int:
        return sum(groups for (_, k), groups in histogram.items() if k)

    return PairwiseScores(
        records=sum(groups * k for (_, k), groups in sizes.cells.items()),
        predicted_clusters=holding(sizes.predicted),
        true_entities=holding(sizes.truth),
        predicted_pairs=total(sizes.predicted),
        true_pairs=total(sizes.truth),
        correct_pairs=total(sizes.cells),
    )


def gather(rows_by_grouping: dict[str, Iterable[tuple[str, int, int, int]]]
           ) -> dict[str, GroupSizes]:
    """The rows of ``group_sizes_sql`` for each grouping, as GroupSizes per mark."""
    histograms: dict[str, dict[str, Histogram]] = {}
    for grouping, rows in rows_by_grouping.items():
        for mark, n, k, groups in rows:
            histogram = histograms.setdefault(mark, {g: Counter() for g in GROUPINGS})[grouping]
            histogram[(n, k)] += groups
    return {mark: GroupSizes(**by_grouping) for mark, by_grouping in histograms.items()}


# -- the same in Python, to check the arithmetic against the definition ---------------------

Record = tuple[Hashable | None, Hashable, bool]  # (predicted cluster or None, truth, marked)


def group_sizes(records: list[Record]) -> GroupSizes:
    """What ``group_sizes_sql`` answers for one mark (groups holding a marked record),
    computed here; a record whose predicted cluster is None is a cluster of its own, as the
    universe counts it."""
    labelled = [(("missing", i) if p is None else p, t, m)
                for i, (p, t, m) in enumerate(records)]

    def histogram(key) -> Histogram:
        n: Counter = Counter()
        k: Counter = Counter()
        for record in labelled:
            n[key(record)] += 1
            k[key(record)] += record[2]
        return Counter((n[g], k[g]) for g in n if k[g])

    return GroupSizes(predicted=histogram(lambda r: r[0]), truth=histogram(lambda r: r[1]),
                      cells=histogram(lambda r: (r[0], r[1])))


def brute_force(records: list[Record], counted=touching) -> tuple[int, int, int]:
    """(predicted, true, correct) pairs by enumerating every pair: the definition."""
    need = 1 if counted is touching else 2
    predicted = true = correct = 0
    for i, (p_i, t_i, m_i) in enumerate(records):
        for p_j, t_j, m_j in records[i + 1:]:
            if m_i + m_j < need:
                continue
            same_cluster = p_i is not None and p_i == p_j
            predicted += same_cluster
            true += t_i == t_j
            correct += same_cluster and t_i == t_j
    return predicted, true, correct


def self_check() -> None:
    """The worked examples of the module docstring, and random labellings (missing records
    and marks included) against the brute force; run before every benchmark, it costs
    milliseconds."""
    import random

    def counts(s: PairwiseScores) -> tuple[int, int, int]:
        return s.predicted_pairs, s.true_pairs, s.correct_pairs

    example = scores(group_sizes([("P1", "T1", True), ("P1", "T1", True),
                                  ("P1", "T2", True), ("P2", "T2", True)]))
    assert counts(example) == (3, 2, 1)
    assert abs(example.precision - 1 / 3) < 1e-12 and abs(example.recall - 0.5) < 1e-12
    assert abs(example.f1 - 0.4) < 1e-12
    assert (example.records, example.predicted_clusters, example.true_entities) == (4, 2, 2)

    truth = {"a": "T1", "b": "T1", "c": "T2", "d": "T2", "e": "T2", "f": "T2"}
    predicted = {"a": "P1", "b": "P1", "c": "P1", "d": "P2", "e": "P2", "f": None}

    def records(marked: str) -> list[Record]:
        return [(predicted[r], truth[r], r in marked) for r in "abcdef"]

    assert counts(scores(group_sizes(records("abcdef")))) == (4, 7, 2)
    assert counts(scores(group_sizes(records("d")))) == (1, 3, 1)
    assert counts(scores(group_sizes(records("abcef")), within)) == (3, 4, 1)
    assert scores(group_sizes(records("d"))).records == 1

    rng = random.Random(7)
    for _ in range(300):
        labels = [(rng.choice([None, *range(5)]), rng.randrange(5), rng.random() < 0.3)
                  for _ in range(rng.randrange(0, 25))]
        for counted in (touching, within):
            assert counts(scores(group_sizes(labels), counted)) == brute_force(labels, counted)
    singletons = scores(group_sizes([(i, i, True) for i in range(5)]))
    assert (singletons.precision, singletons.recall) == (1.0, 1.0)
