"""Alembic environment: migrations run on the engine that boz.db built (with its pragmas).

Every ``boz`` command upgrades the database first, so processes that start together all
migrate one fresh database at once. The whole upgrade is one transaction that takes a
lock before Alembic reads the current revision, so whoever comes second waits and then
finds the schema at head. On SQLite that is the write lock of BEGIN IMMEDIATE (the
engine begins every transaction that way); on PostgreSQL, where nothing else stops two
processes from both finding no ``alembic_version`` and both creating it, a
transaction-level advisory lock.
"""

from alembic import context
from sqlalchemy import func, select

from boz.db.engine import make_engine
from boz.db.tables import Base

# Any fixed number will do: advisory locks are per database, and only migrations take it.
MIGRATION_LOCK = 0x626F7A2D6D696772  # "boz-migr"

config = context.config
target_metadata = Base.metadata


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = config.attributes.get("engine") or make_engine(
        config.get_main_option("sqlalchemy.url")
    )
    # Begun here, Alembic sees an outer transaction and runs every revision inside it,
    # instead of one transaction per revision on SQLite (where it reads the revision only
    # once, before the first).
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(select(func.pg_advisory_xact_lock(MIGRATION_LOCK)))
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=True,
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
