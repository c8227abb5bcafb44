"""Alerts for the security-operations centre: a failed run, a stale publication."""
