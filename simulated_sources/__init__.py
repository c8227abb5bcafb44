"""Four simulated agency systems (land, enterprise, civil registry, cadre) for demo, tests
and benchmarks, generated from one population whose truth is kept apart from the sources."""
