"""The Dagster code location: ingestion, reference data and the dbt models, one folder each."""
