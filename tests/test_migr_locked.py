"""Two processes migrate at once through upgrade_locked, over a CREATE INDEX CONCURRENTLY revision.

PostgreSQL only (advisory locks and CONCURRENTLY). Each migrator is a separate process whose
connections carry application_name migrator-N, so the test can follow who waits for whom.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "migrations"

MIGRATOR = """
import sys
from pathlib import Path
from sqlalchemy import create_engine, text
import migr_commands as commands

url, project, name, mode = sys.argv[1:5]
engine = create_engine(url, connect_args={"application_name": name})
config = commands.alembic_config(Path(project), url)
config.set_main_option("lock_timeout", "0")  # wait as long as it takes: show the bare hang


def upgrade_blocking_lock(engine, config):  # the old upgrade_locked: pg_advisory_lock waits
    with engine.connect() as lock:
        lock.execute(text("select pg_advisory_lock(:key)"), {"key": commands.MIGRATION_LOCK_KEY})
        lock.commit()
        try:
            commands.upgrade_on(engine, config)
        finally:
            key = commands.MIGRATION_LOCK_KEY
            lock.execute(text("select pg_advisory_unlock(:key)"), {"key": key})
            lock.commit()


print("ready", flush=True)
(commands.upgrade_locked if mode == "example" else upgrade_blocking_lock)(engine, config)
print("done", flush=True)
"""

# Who waits for whom, by migrator: (waiting migrator, migrator it waits for, what it runs).
WAITS = text(
    "select a.application_name, b.application_name, a.query from pg_stat_activity a "
    "cross join lateral unnest(pg_blocking_pids(a.pid)) as blocker(pid) "
    "join pg_stat_activity b on b.pid = blocker.pid "
    "where a.datname = current_database() and a.application_name like 'migrator-%'"
)


def waits_in_a_cycle(conn) -> list[tuple[str, str, str]]:
    """Edges A -> B and B -> A between two migrators: neither can ever go on."""
    edges = [tuple(row) for row in conn.execute(WAITS)]
    pairs = {(waiter, holder) for waiter, holder, _ in edges if waiter != holder}
    return [edge for edge in edges if (edge[1], edge[0]) in pairs]


def run_two_migrators(db, tmp_path, example, mode: str, deadline: float = 60):
    """Both start waiting behind a held lock, then race; returns (exit codes, cycle seen)."""
    commands = example("migr_commands")
    project = commands.new_project(tmp_path / "p", versions="versions_pg")
    engine = create_engine(db.url, isolation_level="AUTOCOMMIT")
    watcher = engine.connect()
    watcher.execute(text("select pg_advisory_lock(:key)"), {"key": commands.MIGRATION_LOCK_KEY})
    env = {**os.environ, "PYTHONPATH": str(EXAMPLES)}
    env.pop("DATABASE_URL", None)
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", MIGRATOR, db.url, str(project), f"migrator-{n}", mode],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for n in (1, 2)
    ]
    cycle: list = []
    errors: list[str] = []
    try:
        for process in processes:
            assert process.stdout.readline() == "ready\n", process.stderr.read()
        time.sleep(0.5)  # both are waiting for the lock now
        watcher.execute(
            text("select pg_advisory_unlock(:key)"), {"key": commands.MIGRATION_LOCK_KEY}
        )
        stop_at = time.monotonic() + deadline
        while time.monotonic() < stop_at and any(p.poll() is None for p in processes):
            cycle = waits_in_a_cycle(watcher)
            if cycle:
                break
            time.sleep(0.1)
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
            errors.append(process.communicate(timeout=10)[1])  # and closes the pipes
        # The killed migrators' sessions may still wait on the server: end them.
        watcher.execute(
            text(
                "select pg_terminate_backend(pid) from pg_stat_activity "
                "where datname = current_database() and application_name like 'migrator-%'"
            )
        )
        watcher.close()
        engine.dispose()
    codes = [p.returncode for p in processes]
    return codes, cycle, errors


def migrated_state(url: str) -> list[tuple]:
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "select relname, indisvalid from pg_index "
                "join pg_class on pg_class.oid = indexrelid where relname = 'ix_event_user_id'"
            )
        ).all()
        held = conn.scalar(text("select count(*) from pg_locks where locktype = 'advisory'"))
        version = conn.scalar(text("select version_num from alembic_version"))
    engine.dispose()
    return [tuple(r) for r in rows], held, version


@pytest.mark.backends("postgresql")
def test_a_blocking_advisory_lock_deadlocks_two_migrators(db, tmp_path, example):
    # B waits in pg_advisory_lock with a snapshot; A's CREATE INDEX CONCURRENTLY waits for that
    # snapshot; A releases the lock only after the index is built. PostgreSQL cannot see the
    # cycle (it closes through A's client), so nothing breaks it.
    codes, cycle, _ = run_two_migrators(db, tmp_path, example, "blocking", deadline=30)
    assert cycle, f"no cycle seen; exit codes {codes}"
    assert any("CREATE INDEX CONCURRENTLY" in query for _, _, query in cycle)
    assert any("pg_advisory_lock" in query for _, _, query in cycle)


@pytest.mark.backends("postgresql")
def test_upgrade_locked_lets_two_migrators_finish(db, tmp_path, example):
    codes, cycle, errors = run_two_migrators(db, tmp_path, example, "example")
    assert cycle == [], "the two migrators wait for each other"
    assert codes == [0, 0], errors
    indexes, advisory_locks_left, version = migrated_state(db.url)
    assert indexes == [("ix_event_user_id", True)]  # built once, valid
    assert advisory_locks_left == 0
    assert version == "pg0006"
