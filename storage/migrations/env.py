"""Alembic environment for `uptake db` (which hands over an engine or a URL) and plain `alembic`.

Plain `alembic` (alembic.ini at the repository root) reads DATABASE_URL through Uptake's
settings, so it accepts exactly the URLs `uptake` does, `.env` included.
"""

from logging.config import fileConfig

from alembic import context
from sqlmodel import SQLModel

import storage.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from storage import partitions
from storage.engine import make_engine

config = context.config
if config.config_file_name is not None:  # plain `alembic`: log as alembic.ini says
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def database_url():
    """The URL `uptake db` set, else DATABASE_URL as Uptake's settings read it."""
    url = config.get_main_option("sqlalchemy.url")
    if url:
        return url
    from bot.settings import SettingsError, load_settings  # noqa: PLC0415  (plain `alembic` only)

    try:
        return load_settings().database_url
    except SettingsError as exc:
        raise SystemExit(f"alembic: {exc}") from None


def run_offline():
    """Write the SQL instead of running it (`uptake db sql`, `alembic upgrade --sql`)."""
    url = database_url()
    context.configure(
        url=url,
        target_metadata=SQLModel.metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        render_as_batch=url.startswith("sqlite"),
        compare_type=True,
        include_name=partitions.include_name,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online():
    """Migrate on the engine `uptake db` handed over, or on one made for DATABASE_URL."""
    engine = config.attributes.get("engine")
    if engine is not None:
        migrate(engine)
        return
    engine = make_engine(database_url())
    try:
        migrate(engine)
    finally:
        engine.dispose()


def migrate(engine):
    """Run the migrations on one connection, in one transaction."""
    with engine.begin() as connection:
        context.configure(
            connection=connection,
            target_metadata=SQLModel.metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
            include_name=partitions.include_name,
        )
        context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
