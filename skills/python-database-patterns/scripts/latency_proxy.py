"""A local TCP forwarder that adds a fixed delay to every round trip, for scripts/bench.py.

    python scripts/latency_proxy.py --target 127.0.0.1:5432 --delay-ms 2

It listens on 127.0.0.1 on a free port, prints ``listening 127.0.0.1:PORT`` on one line, and
forwards every connection to the target. Each chunk the client sends is held until ``delay``
after it arrived, then written on; replies go back at once. A request/response round trip
therefore costs ``delay`` more, while chunks the client sends back to back (psycopg's
pipelined ``executemany``, COPY) are each delayed from their own arrival, in order, as on a
network link: latency, not a bandwidth limit. TCP_NODELAY is set on both sockets so Nagle's
algorithm does not hold small writes back on top of the delay.

It runs as a separate process (``latency_proxy()`` starts one), so its threads never wait for
the benchmark's GIL. The delay is a lower bound: ``time.sleep`` and the extra hop through
Python add some tens of microseconds; bench.py measures and prints the real round trip.

Only for a database reached over TCP (the benchmark uses it with PostgreSQL; SQLite has no
network connection to delay).
"""

from __future__ import annotations

import argparse
import os
import queue
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

CHUNK = 65536


def _nodelay(sock: socket.socket) -> None:
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def _shutdown(sock: socket.socket, how: int) -> None:
    try:
        sock.shutdown(how)
    except OSError:  # already closed or reset by the peer
        pass


def _read_client(client: socket.socket, due: queue.SimpleQueue, delay: float) -> None:
    # Stamp every chunk with the time it may leave; b"" (end of stream) is queued too.
    while True:
        try:
            data = client.recv(CHUNK)
        except OSError:
            data = b""
        due.put((time.monotonic() + delay, data))
        if not data:
            return


def _send_delayed(due: queue.SimpleQueue, upstream: socket.socket) -> None:
    # One sender per connection, so chunks leave in the order they came in.
    while True:
        when, data = due.get()
        wait = when - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        if not data:
            _shutdown(upstream, socket.SHUT_WR)
            return
        try:
            upstream.sendall(data)
        except OSError:
            return


def _send_back(upstream: socket.socket, client: socket.socket) -> None:
    # Replies are not delayed: the whole round-trip delay is spent on the way in.
    while True:
        try:
            data = upstream.recv(CHUNK)
        except OSError:
            data = b""
        if not data:
            break
        try:
            client.sendall(data)
        except OSError:
            break
    _shutdown(client, socket.SHUT_RDWR)
    client.close()
    upstream.close()


def _handle(client: socket.socket, target: tuple[str, int], delay: float) -> None:
    try:
        upstream = socket.create_connection(target, timeout=10)
    except OSError:
        client.close()
        return
    upstream.settimeout(None)
    for sock in (client, upstream):
        _nodelay(sock)
    due: queue.SimpleQueue = queue.SimpleQueue()
    for work, args in (
        (_read_client, (client, due, delay)),
        (_send_delayed, (due, upstream)),
        (_send_back, (upstream, client)),
    ):
        threading.Thread(target=work, args=args, daemon=True).start()


def _exit_with_parent() -> None:
    # latency_proxy() holds our stdin open: end of file means the parent is gone.
    sys.stdin.read()
    os._exit(0)


def serve(target: tuple[str, int], delay: float) -> None:
    """Accept connections forever; print the listening address first."""
    threading.Thread(target=_exit_with_parent, daemon=True).start()
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    host, port = listener.getsockname()
    print(f"listening {host}:{port}", flush=True)
    while True:
        client, _ = listener.accept()
        _handle(client, target, delay)


@contextmanager
def latency_proxy(host: str, port: int, delay_ms: float) -> Iterator[int]:
    """Run a proxy to host:port in a child process; yield the local port to connect to."""
    proc = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), "--target", f"{host}:{port}"]
        + ["--delay-ms", str(delay_ms)],
        stdin=subprocess.PIPE,  # never written: its end of file stops an orphaned proxy
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()  # the child prints it before accepting anything
        if not line.startswith("listening "):
            raise RuntimeError(f"latency proxy did not start (exit status {proc.poll()})")
        yield int(line.rsplit(":", 1)[1])
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
        for pipe in (proc.stdin, proc.stdout):
            if pipe is not None:
                pipe.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", required=True, help="HOST:PORT to forward to")
    parser.add_argument("--delay-ms", type=float, required=True, help="added per round trip")
    args = parser.parse_args(argv)
    host, _, port = args.target.rpartition(":")
    try:
        serve((host, int(port)), args.delay_ms / 1000)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
