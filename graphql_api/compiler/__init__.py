"""The query compiler: a validated query planned whole into one SQL statement whose answer
is the response's ``data`` as JSON written by PostgreSQL, under the caller's field rules
decided when the plan is made (``plan.py``: the selection and the verdicts, cached per
document and caller class; ``render.py``: the statement for one request's arguments;
``catalogue.py``: the mart rows and relations it knows; ``json_text.py``: JSON exactly as
the resolvers write it; ``executor.py``: the schema extension that runs it, finds the
refusals and hands the released persons to the access log). What it does not cover the
resolvers answer."""
