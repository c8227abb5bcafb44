{{ config(
    tags=['entity_resolution'],
    indexes=[
        {'columns': ['organization_id']},
        {'columns': ['source_system', 'source_table', 'source_record_key']},
    ],
) }}

-- Every source record that names an organization, with the master organization it
-- resolves to (cross_reference).
{{ cross_reference('organization') }}
