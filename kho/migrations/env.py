"""Alembic's environment: runs on the connection :func:`kho.migrations.upgrade` opened,
inside its transaction (under its lock)."""

from alembic import context

from kho.migrations import VERSION_SCHEMA, VERSION_TABLE

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("kho's migrations run through kho migrate (kho.migrations.upgrade), "
                       "which hands them a connection")
context.configure(connection=connection, version_table=VERSION_TABLE,
                  version_table_schema=VERSION_SCHEMA, transactional_ddl=True)
with context.begin_transaction():
    context.run_migrations()
