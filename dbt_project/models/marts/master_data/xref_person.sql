{{ config(
    tags=['entity_resolution'],
    indexes=[
        {'columns': ['person_id']},
        {'columns': ['source_system', 'source_table', 'source_record_key']},
    ],
) }}

-- Every source record that names a person, with the master person it resolves to
-- (cross_reference), its identity group and the match weight of its link.
{{ cross_reference('person', extra_columns=['identity_key', 'match_weight']) }}
