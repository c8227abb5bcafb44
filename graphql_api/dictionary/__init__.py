"""The common data dictionary (Decree 278/2025): every field kho shares, described once."""
