"""Alembic from Python: render a setup, then upgrade, downgrade and upgrade again, keeping data.

Backends: sqlite, postgresql
Run: python examples/migrations/migr_commands.py [DATABASE_URL]
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# region: imports
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import DBAPIError

# endregion

HERE = Path(__file__).resolve().parent
RENDER_SCRIPT = (
    HERE.parent.parent / "skills" / "alembic-migrations" / "scripts" / "render_alembic.py"
)


def new_project(
    directory: Path, *, use_async: bool = False, versions: str = "versions_app"
) -> Path:
    """Render the templates into directory (as a user would) and add the example revisions."""
    args = [sys.executable, str(RENDER_SCRIPT), str(directory)]
    args += ["--metadata", "migr_models:Base.metadata"] + (["--async"] if use_async else [])
    subprocess.run(args, check=True, capture_output=True, text=True)
    for revision in sorted((HERE / versions).glob("migr_*.py")):
        shutil.copy(revision, directory / "migrations" / "versions" / revision.name)
    return directory


# region: config
def alembic_config(project_dir: Path, url: str) -> Config:
    """What `alembic -c project_dir/alembic.ini` reads, with the URL set in code."""
    config = Config(project_dir / "alembic.ini")
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))  # ini files escape %
    config.attributes["configure_logger"] = False  # keep the caller's logging as it is
    return config


def current_revision(config: Config) -> str | None:
    """The revision the database is at; None before the first upgrade and after base."""
    url = config.get_main_option("sqlalchemy.url")
    assert url is not None, "alembic.ini sets no sqlalchemy.url"
    engine = create_engine(url)
    with engine.connect() as conn:
        revision = MigrationContext.configure(conn).get_current_revision()
    engine.dispose()
    return revision


# endregion


# region: lend-connection
def upgrade_on(engine: Engine, config: Config, target: str = "head") -> None:
    """Run migrations on a connection you own (tests, scripts): env.py uses it as-is."""
    # connect(), not begin(): env.py's context.begin_transaction() commits each revision, and
    # autocommit_block() revisions fail with a bare AssertionError inside a caller's transaction.
    with engine.connect() as connection:
        config.attributes["connection"] = connection
        try:
            command.upgrade(config, target)
        finally:  # else the next command gets this closed connection: ResourceClosedError
            del config.attributes["connection"]


# endregion


# region: advisory-lock
MIGRATION_LOCK_KEY = 7_236_001  # any bigint the app reserves for "migrating"


def upgrade_locked(
    engine: Engine, config: Config, target: str = "head", poll_seconds: float = 0.5
) -> None:
    """PostgreSQL only: one process migrates at a time; the others poll, then find head."""
    with engine.connect() as lock:
        # Poll, in autocommit, instead of waiting in pg_advisory_lock(): a waiting statement
        # holds a snapshot, the migrator's CREATE INDEX CONCURRENTLY waits for every older
        # snapshot, and the migrator frees the lock only after the index: both hang forever.
        lock.execution_options(isolation_level="AUTOCOMMIT")
        take = text("select pg_try_advisory_lock(:key)")
        while not lock.scalar(take, {"key": MIGRATION_LOCK_KEY}):
            time.sleep(poll_seconds)  # holds no snapshot between polls
        try:
            upgrade_on(engine, config, target)
        finally:
            lock.execute(text("select pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY})


# endregion


# region: retry
LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL's SQLSTATE when lock_timeout gives up


def upgrade_retrying(
    config: Config, target: str = "head", attempts: int = 5, pause_seconds: float = 30
) -> int:
    """Upgrade; when a revision timed out waiting for a lock, wait and run the upgrade again.

    The revision that timed out rolled back whole, and the ones before it stay committed, so
    the next attempt starts at that revision. Returns the number of attempts it took.
    """
    for attempt in range(1, attempts + 1):
        try:
            command.upgrade(config, target)
            return attempt
        except DBAPIError as exc:  # psycopg: OperationalError; asyncpg: DBAPIError
            if getattr(exc.orig, "sqlstate", None) != LOCK_NOT_AVAILABLE or attempt == attempts:
                raise
            time.sleep(pause_seconds)  # let the long transaction in the way finish
    raise ValueError("attempts must be at least 1")


# endregion


# region: merge
def merge_heads(config: Config, message: str) -> str:
    """Two branches each added a revision on the same parent: join them in one revision."""
    script = command.merge(config, "heads", message=message)  # `alembic merge heads -m ...`
    assert script is not None
    return script.revision


# endregion


# region: round-trip
def round_trip(project_dir: Path, url: str) -> dict[str, object]:
    """upgrade head, add rows, downgrade base, upgrade head: the schema comes and goes."""
    config = alembic_config(project_dir, url)
    engine = create_engine(url)
    command.upgrade(config, "head")
    with engine.begin() as conn:
        conn.execute(text("insert into author (name, slug) values ('Ada', 'ada')"))
    after_upgrade = current_revision(config)
    command.downgrade(config, "base")  # every downgrade() runs, newest first
    after_downgrade = current_revision(config)
    command.upgrade(config, "head")  # and every upgrade() again, on the empty schema
    # endregion
    with engine.connect() as conn:
        authors = conn.scalar(text("select count(*) from author"))
    engine.dispose()
    return {
        "after_upgrade": after_upgrade,
        "after_downgrade": after_downgrade,
        "after_second_upgrade": current_revision(config),
        "authors_after_round_trip": authors,
    }


def main(url: str = "sqlite://") -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        if url == "sqlite://":  # an in-memory database would vanish between connections
            url = f"sqlite:///{Path(tmp) / 'app.db'}"
        result = round_trip(new_project(Path(tmp) / "project"), url)
    for key, value in result.items():
        print(f"{key}: {value}")
    return result


if __name__ == "__main__":
    main(*sys.argv[1:2])
