"""Classification of land data: parcels (place, size, use, planning, boundary) are open;
who holds them is shared within the land dataset, and holders' names are personal."""

from graphql_api.access.field_rules import Classification, Rule
from graphql_api.access.grants import open_, personal, shared

CLASSIFICATION = Classification(
    types={"LandParcel": open_(), "LandAreaRow": open_(), "LandRight": shared("land"),
           "LandTransfer": shared("land")},
    fields={
        "LandParcel.certificateSerial": Rule(shared("land")),
        "LandRight.holderName": Rule(personal("land")),
        "LandTransfer.fromHolderName": Rule(personal("land")),
        "LandTransfer.toHolderName": Rule(personal("land")),
    },
    subjects={"LandRight": lambda right: (right.person_id,),
              "LandTransfer": lambda transfer: (transfer.from_person_id, transfer.to_person_id)},
)
