"""The entity-resolution benchmark's arithmetic (benchmarks/entity_resolution/scoring.py),
without a database: what it answers from group sizes must be what counting every pair of
records gives, missing records and noise marks included."""

import random
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks" / "entity_resolution"))
import scoring
import universe


def pair_counts(s: scoring.PairwiseScores) -> tuple[int, int, int]:
    return s.predicted_pairs, s.true_pairs, s.correct_pairs


def test_a_missing_record_is_a_cluster_of_its_own():
    # True {a, b, c}; a and b resolved together, c missing: 1 predicted pair, 3 true.
    records = [("P1", "T1", True), ("P1", "T1", True), (None, "T1", True)]
    s = scoring.scores(scoring.group_sizes(records))
    assert pair_counts(s) == (1, 3, 1)
    assert (s.precision, s.recall) == (1.0, pytest.approx(1 / 3))
    assert (s.records, s.predicted_clusters, s.true_entities) == (3, 2, 1)


def test_two_missing_records_are_two_clusters_not_one():
    s = scoring.scores(scoring.group_sizes([(None, "T1", True), (None, "T1", True)]))
    assert pair_counts(s) == (0, 1, 0)
    assert (s.precision, s.recall, s.predicted_clusters) == (1.0, 0.0, 2)


def test_the_worked_example_of_the_module():
    truth = dict(zip("abcdef", ["T1", "T1", "T2", "T2", "T2", "T2"], strict=True))
    predicted = dict(zip("abcdef", ["P1", "P1", "P1", "P2", "P2", None], strict=True))

    def sizes(marked: str) -> scoring.GroupSizes:
        return scoring.group_sizes([(predicted[r], truth[r], r in marked) for r in "abcdef"])

    every = scoring.scores(sizes("abcdef"))
    assert pair_counts(every) == (4, 7, 2)
    assert (every.precision, every.recall) == (0.5, pytest.approx(2 / 7))
    touching_d = scoring.scores(sizes("d"))
    assert pair_counts(touching_d) == (1, 3, 1)
    assert (touching_d.records, touching_d.predicted_clusters, touching_d.true_entities) == (
        1, 1, 1)
    within_clean = scoring.scores(sizes("abcef"), scoring.within)
    assert pair_counts(within_clean) == (3, 4, 1)


@pytest.mark.parametrize("counted", [scoring.touching, scoring.within])
def test_random_labellings_match_counting_every_pair(counted):
    rng = random.Random(20261206)
    for _ in range(500):
        records = [(rng.choice([None, *range(6)]), rng.randrange(6), rng.random() < 0.4)
                   for _ in range(rng.randrange(0, 30))]
        s = scoring.scores(scoring.group_sizes(records), counted)
        assert pair_counts(s) == scoring.brute_force(records, counted)
        assert s.records == sum(marked for _, _, marked in records)


def test_touching_pairs_are_all_pairs_less_those_among_the_unmarked():
    for n in range(8):
        for k in range(n + 1):
            assert scoring.touching(n, k) == scoring.pairs(n) - scoring.pairs(n - k)
            assert scoring.touching(n, k) == k * (n - k) + scoring.pairs(k)


def test_rows_from_the_database_are_gathered_per_mark():
    """Rows as group_sizes_sql answers them: (mark, n, k, groups) per grouping."""
    rows = {
        "predicted": [(scoring.ALL, 3, 3, 1), (scoring.ALL, 1, 1, 2), ("noise:x", 3, 1, 1)],
        "truth": [(scoring.ALL, 2, 2, 1), (scoring.ALL, 3, 3, 1), ("noise:x", 3, 1, 1)],
        "cells": [(scoring.ALL, 2, 2, 1), (scoring.ALL, 1, 1, 3), ("noise:x", 1, 1, 1)],
    }
    sizes = scoring.gather(rows)
    assert set(sizes) == {scoring.ALL, "noise:x"}
    # predicted {a, b, c}, {d}, {e}; true {a, b}, {c, d, e}; c marked.
    records = [("P1", "T1", False), ("P1", "T1", False), ("P1", "T2", True),
               (None, "T2", False), (None, "T2", False)]
    assert sizes["noise:x"] == scoring.group_sizes(records)
    assert sizes[scoring.ALL] == scoring.group_sizes([(p, t, True) for p, t, _ in records])


@pytest.mark.parametrize(("source", "table", "column", "role"), [
    ("enterprise", "enterprises", "legal_rep_id_no", "legal_representative"),
    ("enterprise", "enterprises", "address_line", "subject"),
    ("enterprise", "household_businesses", "owner_dob", "owner"),
    ("civil_registry", "khai_sinh", "ho_ten", "subject"),
    ("civil_registry", "khai_sinh", "cha_so_dinh_danh", "father"),
    ("civil_registry", "khai_sinh", "me_so_dinh_danh", "mother"),
    ("civil_registry", "khai_sinh", "so_dang_ky", None),
    ("civil_registry", "ket_hon", "chong_ho_ten", "husband"),
    ("civil_registry", "ket_hon", "vo_so_dinh_danh", "wife"),
    ("cadre", "ho_so_can_bo", "so_cccd", "subject"),
    ("cadre", "ho_so_can_bo", "ma_can_bo", None),
    ("cadre", "qua_trinh_cong_tac", "den_ngay", "subject"),
    ("land", "chu_su_dung", "ho_ten", None),
])
def test_noisy_columns_belong_to_their_role(source, table, column, role):
    assert universe.column_role(source, table, column) == role
