"""Who may read what, and the trace of every read: API keys and agency clients, the grants a
caller holds and the rule that personal data needs a purpose, each field's classification
and its guard, the access log (written, queried, verified), rate limits, and the gate every
request passes first."""
