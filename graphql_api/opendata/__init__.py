"""Open data: the catalogue of datasets, and bulk downloads of the open ones."""
