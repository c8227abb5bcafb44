"""kho: a provincial shared master-data warehouse with an open data API."""

__version__ = "0.1.0"
