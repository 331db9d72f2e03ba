"""scripts/latency_proxy.py: every round trip pays the delay, and nothing else changes."""

import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from latency_proxy import latency_proxy  # noqa: E402

pytestmark = pytest.mark.backends("postgresql")  # a TCP proxy: SQLite has no network


def through(db, port: int, **query: str) -> str:
    url = db.sa_url.set(host="127.0.0.1", port=port).update_query_dict(query)
    return url.render_as_string(hide_password=False)


def target(db) -> tuple[str, int]:
    return db.sa_url.host, db.sa_url.port or 5432


def test_every_round_trip_pays_the_delay(db):
    delay = 0.002
    with latency_proxy(*target(db), delay * 1000) as port:
        engine = create_engine(through(db, port))
        try:
            with engine.connect() as conn:
                conn.execute(text("select 1"))
                start = time.perf_counter()
                answers = [conn.execute(text("select 1")).scalar() for _ in range(20)]
                elapsed = time.perf_counter() - start
        finally:
            engine.dispose()
    assert answers == [1] * 20
    assert elapsed >= 20 * delay


def test_results_and_writes_are_identical_through_the_proxy(db):
    # A large result, a pipelined executemany and a COPY: many chunks in flight, in order.
    query = text("select i, md5(i::text) from generate_series(1, 20000) as i order by i")
    rows = [(i, f"row {i}") for i in range(3000)]
    direct = create_engine(db.url)
    with latency_proxy(*target(db), 0.5) as port:
        proxied = create_engine(through(db, port))
        try:
            with proxied.begin() as conn:
                conn.execute(text("create table relay (id int, label text, n serial)"))
                cursor = conn.connection.cursor()
                cursor.executemany("insert into relay (id, label) values (%s, %s)", rows)
                with cursor.copy("copy relay (id, label) from stdin") as copy:
                    for row in rows:
                        copy.write_row(row)
                cursor.close()
            with proxied.connect() as conn:
                via_proxy = conn.execute(query).all()
        finally:
            proxied.dispose()
    try:
        with direct.connect() as conn:
            assert conn.execute(query).all() == via_proxy
            stored = conn.execute(text("select id, label from relay order by n")).all()
    finally:
        direct.dispose()
    assert len(via_proxy) == 20000
    assert [tuple(r) for r in stored] == rows + rows  # every row, in the order sent


def test_closing_ends_server_connections_and_the_proxy(db):
    # Autocommit: inside one transaction pg_stat_activity is a snapshot and never changes.
    direct = create_engine(db.url, isolation_level="AUTOCOMMIT")
    via = text("select count(*) from pg_stat_activity where application_name = 'via_proxy'")
    with latency_proxy(*target(db), 0.5) as port:
        proxied = create_engine(through(db, port, application_name="via_proxy"))
        with proxied.connect() as conn:
            conn.execute(text("select 1"))
            with direct.connect() as check:
                assert check.execute(via).scalar() == 1
        proxied.dispose()  # the client's Terminate and EOF must reach the server
        deadline = time.monotonic() + 5
        with direct.connect() as check:
            while check.execute(via).scalar() and time.monotonic() < deadline:
                time.sleep(0.05)
            left = check.execute(via).scalar()
    direct.dispose()
    assert left == 0
    with pytest.raises(ConnectionRefusedError):  # the proxy process is gone
        socket.create_connection(("127.0.0.1", port), timeout=2).close()


def test_the_proxy_exits_when_its_parent_goes_away():
    # A benchmark killed mid-run must not leave a proxy behind: end of stdin stops it.
    proxy = ROOT / "scripts" / "latency_proxy.py"
    child = subprocess.Popen(
        [sys.executable, str(proxy), "--target", "127.0.0.1:9", "--delay-ms", "1"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout.readline().startswith("listening 127.0.0.1:")
        child.stdin.close()  # what the parent's death does to the pipe
        assert child.wait(timeout=5) == 0
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(timeout=5)
        child.stdout.close()
