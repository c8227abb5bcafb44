"""A case in the stewards' review queue (marts.review_person_links): a group of records
entity resolution would not link to a person on its own, and the candidate person."""

from __future__ import annotations

import datetime

import strawberry


@strawberry.type(description="What one side's records say.")
class PersonLinkReviewSide:
    person_id: strawberry.ID | None = strawberry.field(
        description="The master person these records resolve to now (person(id) reads it).")
    full_names: list[str] = strawberry.field(description="Names the records give.")
    birth_dates: list[datetime.date] = strawberry.field(
        description="Birth dates the records give (a year alone reads as 1 January).")
    sexes: list[str]
    records: list[str] = strawberry.field(
        description="The records, as source.table:key (role).")


@strawberry.type(description="A candidate link waiting for a data steward, with both sides' "
                             "evidence. Decide with kho review accept|reject.")
class PersonLinkReview:
    review_id: strawberry.ID = strawberry.field(
        description="The case's ID, the same in every build: kho review show <id>.")
    identity_key: str = strawberry.field(
        description="The group waiting: id_card:<CMND>, or mention:<id> for a record with no "
                    "ID or a disputed one.")
    candidate_personal_id_number: str | None
    reason: str = strawberry.field(
        description="review (between the review and accept probabilities) or "
                    "anchor_claimed_twice (two CMND groups would take this personal ID).")
    evidence: str | None = strawberry.field(
        description="The comparison levels in words: name_and_birth_year, ...")
    name_level: int | None = strawberry.field(
        description="4 same name, 3 a keystroke off, 2 middle name differs, 0 different.")
    birth_date_level: int | None = strawberry.field(
        description="6 same day, 5 day and month swapped, 4 a day apart, 3 same month, "
                    "2 same day and month in another year, 1 same year, 0 different.")
    sex_level: int | None = strawberry.field(description="1 agree, 0 differ.")
    place_level: int | None = strawberry.field(
        description="4 same street and commune, 3 same commune of residence, 2 a birth "
                    "commune is the other's commune, 1 same commune on the post-2025 map "
                    "only, 0 different.")
    household_level: int | None = strawberry.field(
        description="1 a household member in common (a spouse, the other parent, a "
                    "co-holder of a parcel), 0 none.")
    match_weight: float | None = strawberry.field(
        description="log2 of the pair's Bayes factor.")
    match_probability: float = strawberry.field(
        description="The probability that the records are the candidate's.")
    record: PersonLinkReviewSide
    candidate: PersonLinkReviewSide

    @classmethod
    def from_row(cls, row: dict) -> PersonLinkReview:
        def side(prefix: str) -> PersonLinkReviewSide:
            return PersonLinkReviewSide(
                person_id=row[f"{prefix}_person_id"], full_names=row[f"{prefix}_full_names"] or [],
                birth_dates=row[f"{prefix}_birth_dates"] or [],
                sexes=row[f"{prefix}_sexes"] or [], records=row[f"{prefix}_records"] or [])

        return cls(review_id=row["review_id"], identity_key=row["identity_key"],
                   candidate_personal_id_number=row["candidate_personal_id_number"],
                   reason=row["reason"], evidence=row["evidence"],
                   name_level=row["name_level"], birth_date_level=row["birth_date_level"],
                   sex_level=row["sex_level"], place_level=row["place_level"],
                   household_level=row["household_level"],
                   match_weight=None if row["match_weight"] is None else float(row["match_weight"]),
                   match_probability=float(row["match_probability"]),
                   record=side("record"), candidate=side("candidate"))
