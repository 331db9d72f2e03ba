"""Time every variant of examples/performance/ in one run, on one database.

    python scripts/bench.py [--url URL] [--n N] [--suite insert,loading,results,update]
                            [--slow-n N] [--latency-ms MS,MS] [--markdown FILE]

Without --url it uses a throwaway SQLite file. With a URL it drops and recreates the tables
``product``, ``customer`` and ``customer_order`` there: point it at a scratch database.
Each suite prints a table of every variant's time, rows per second, how many times slower it
is than the fastest, and the statements SQLAlchemy sent (the results suite adds peak Python
memory, measured by tracemalloc in a second, untimed run). Every variant's outcome is checked
(row counts, sums) before its time is reported. --slow-n runs the naive one-statement-per-row
variants at a smaller N; they are then labelled with the N they ran at and compared by rows/s.
--markdown FILE also writes the tables as a markdown fragment (atomically).

--latency-ms 0.5,2 (PostgreSQL over TCP only: SQLite has no network) also runs every insert and
loading variant through scripts/latency_proxy.py, a local TCP proxy that adds that delay to
every round trip: each variant at loopback, then at each delay in turn, so a change in the
machine's load hits one variant's columns alike. The statement counts must match at every
delay. A last table prints their times and speed-ups over the naive variant side by side.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import shlex
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "examples" / "performance"))
sys.path.insert(0, str(ROOT / "scripts"))

import perf_insert  # noqa: E402
import perf_loading  # noqa: E402
import perf_results  # noqa: E402
import perf_update  # noqa: E402
import sqlalchemy  # noqa: E402
from latency_proxy import latency_proxy  # noqa: E402
from perf_models import (  # noqa: E402
    Base,
    Product,
    cursor_calls,
    fresh_schema,
    product_rows,
    row_count,
    seed_customers,
    seed_products,
)
from sqlalchemy import Engine, create_engine, make_url  # noqa: E402
from sqlalchemy.exc import ArgumentError, SQLAlchemyError  # noqa: E402

ORDERS_PER_CUSTOMER = 3
SLOW = {"orm_add_flush_each", "lazy", "per_object_flush"}
RAW_DBAPI = {"postgresql_copy", "dbapi_executemany"}
LATENCY_SUITES = ("insert", "loading")  # the suites --latency-ms runs again through the proxy
ROUND_TRIPS = 100  # `select 1` calls timed to report the real round trip of each setting


class BenchError(Exception):
    """Bad input: reported as one line, exit status 2."""


class CheckFailed(Exception):
    """A variant gave a wrong result: reported as one line, exit status 1."""


@dataclass
class Measurement:
    variant: str
    rows: int
    seconds: float
    statements: int | None  # None: the variant bypasses the engine (raw DBAPI)
    peak_bytes: int | None = None


@dataclass
class SuiteResult:
    name: str
    unit: str
    measurements: list[Measurement]
    targets: list[str]


@dataclass
class LatencyRun:
    """The latency suites' measurements at one round-trip setting."""

    label: str  # "loopback", "+0.5 ms", ...
    round_trip: float  # median seconds of one `select 1`
    suites: dict[str, list[Measurement]]


def progress(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


def timed(engine: Engine, call: Callable[[], object]) -> tuple[float, int, object]:
    gc.collect()
    with cursor_calls(engine) as calls:
        start = time.perf_counter()
        outcome = call()
        seconds = time.perf_counter() - start
    progress(f"  {seconds:,.3f} s, {len(calls):,} statements")
    return seconds, len(calls), outcome


def size_for(variant: str, n: int, slow_n: int) -> int:
    return min(n, slow_n) if variant in SLOW else n


def check(ok: bool, suite: str, variant: str, what: str) -> None:
    if not ok:
        raise CheckFailed(f"{suite}/{variant} gave a wrong result: {what}")


Engines = dict[str, Engine]  # round-trip label ("loopback", "+2 ms") -> engine
PerEngine = dict[str, list[Measurement]]


def at(label: str) -> str:
    return "" if label == "loopback" else f" at {label}"


def run_insert(engines: Engines, n: int, slow_n: int) -> PerEngine:
    # Each variant runs at every round trip in turn, so a change in the machine's load
    # hits the columns of one row alike.
    out: PerEngine = {label: [] for label in engines}
    variants = perf_insert.variants_for(engines["loopback"])
    for i, (name, variant) in enumerate(variants.items(), 1):
        size = size_for(name, n, slow_n)
        rows = product_rows(size)
        for label, engine in engines.items():
            fresh_schema(engine)
            progress(f"insert {i}/{len(variants)} {name} ({size:,} rows){at(label)}")
            seconds, statements, _ = timed(engine, lambda v=variant, e=engine, r=rows: v(e, r))
            check(row_count(engine, Product) == size, "insert", name, "row count")
            counted = None if name in RAW_DBAPI else statements
            out[label].append(Measurement(name, size, seconds, counted))
    return out


def run_loading(engines: Engines, n: int, slow_n: int) -> PerEngine:
    out: PerEngine = {label: [] for label in engines}
    seeded, expected = None, {}
    for i, (name, variant) in enumerate(perf_loading.VARIANTS.items(), 1):
        size = size_for(name, n, slow_n)
        if seeded != size:
            fresh_schema(engines["loopback"])
            seed_customers(engines["loopback"], size, ORDERS_PER_CUSTOMER)
            seeded = size
        for label, engine in engines.items():
            what = f"{name} ({size:,} customers){at(label)}"
            progress(f"loading {i}/{len(perf_loading.VARIANTS)} {what}")
            seconds, statements, totals = timed(engine, lambda v=variant, e=engine: v(e))
            check(len(totals) == size, "loading", name, "customer count")
            if size in expected:
                check(totals == expected[size], "loading", name, "order totals differ")
            expected.setdefault(size, totals)
            out[label].append(Measurement(name, size, seconds, statements))
    return out


def run_results(engines: Engines, n: int, slow_n: int) -> PerEngine:
    engine = engines["loopback"]
    fresh_schema(engine)
    seed_products(engine, n)
    expected = sum(row["price"] for row in product_rows(n))
    out = []
    for i, (name, variant) in enumerate(perf_results.VARIANTS.items(), 1):
        progress(f"results {i}/{len(perf_results.VARIANTS)} {name} ({n:,} rows)")
        seconds, statements, total = timed(engine, lambda v=variant: v(engine))
        check(total == expected, "results", name, "sum of prices")
        peak = perf_results.peak_memory(lambda v=variant: v(engine))
        out.append(Measurement(name, n, seconds, statements, peak))
    return {"loopback": out}


def run_update(engines: Engines, n: int, slow_n: int) -> PerEngine:
    engine = engines["loopback"]
    out = []
    for i, (name, variant) in enumerate(perf_update.VARIANTS.items(), 1):
        size = size_for(name, n, slow_n)
        fresh_schema(engine)
        seed_products(engine, size)
        before = perf_update.price_sum(engine)
        progress(f"update {i}/{len(perf_update.VARIANTS)} {name} ({size:,} rows)")
        seconds, statements, _ = timed(engine, lambda v=variant: v(engine))
        check(perf_update.price_sum(engine) == before + size, "update", name, "prices")
        out.append(Measurement(name, size, seconds, statements))
    return {"loopback": out}


def round_trip(engine: Engine) -> float:
    """Median seconds of one `select 1` on an open connection: the real cost of a round trip."""
    with engine.connect() as conn:
        conn.exec_driver_sql("select 1")
        times = []
        for _ in range(ROUND_TRIPS):
            start = time.perf_counter()
            conn.exec_driver_sql("select 1")
            times.append(time.perf_counter() - start)
    return statistics.median(times)


# name: (runner, unit, naive variant, recommended variant)
SUITES = {
    "insert": (run_insert, "rows inserted", "orm_add_flush_each", "orm_bulk_insert"),
    "loading": (run_loading, f"customers (x{ORDERS_PER_CUSTOMER} orders)", "lazy", "selectinload"),
    "results": (run_results, "rows read", "orm_all", "columns"),
    "update": (run_update, "rows updated", "per_object_flush", "single_update"),
}


# Pairs the reference's prose compares, printed so it can quote them: (variant, than variant).
COMPARISONS = {
    "insert": [
        ("orm_add_all", "orm_add_flush_each"),
        ("orm_bulk_insert", "orm_bulk_insert_returning"),
        ("core_executemany", "orm_bulk_insert"),
        ("postgresql_copy", "dbapi_executemany"),
    ],
    "loading": [("joinedload", "selectinload")],
    "results": [("orm_yield_per", "orm_all"), ("core_rows", "orm_all")],
    "update": [
        ("bulk_by_primary_key", "per_object_flush"),
        ("unit_of_work", "per_object_flush"),
        ("single_update", "bulk_by_primary_key"),
    ],
}


def rate(m: Measurement) -> float:
    return m.rows / m.seconds if m.seconds > 0 else float("inf")


def speedup(fast: Measurement, slow: Measurement) -> float:
    return rate(fast) / rate(slow)


def targets(suite: str, measurements: list[Measurement]) -> list[str]:
    by_name = {m.variant: m for m in measurements}
    _, _, naive, recommended = SUITES[suite]
    lines = []
    if naive in by_name and recommended in by_name:
        x = speedup(by_name[recommended], by_name[naive])
        verdict = "met" if x >= 10 else "NOT met"
        note = "" if by_name[naive].rows == by_name[recommended].rows else " (by rows/s)"
        lines.append(
            f"`{recommended}` is {x:,.1f}x faster than `{naive}`{note}; target >= 10x: {verdict}"
        )
    streamed, loaded = by_name.get("orm_yield_per"), by_name.get("orm_all")
    if suite == "results" and streamed and loaded and streamed.peak_bytes:
        x = loaded.peak_bytes / streamed.peak_bytes
        lines.append(f"`orm_yield_per` peaks at {x:,.1f}x less Python memory than `orm_all`")
    if suite == "insert" and "postgresql_copy" in by_name and recommended in by_name:
        x = speedup(by_name["postgresql_copy"], by_name[recommended])
        verdict = "met" if x <= 1.5 else "NOT met"
        lines.append(
            f"`{recommended}` takes {x:,.2f}x the time of `postgresql_copy`; "
            f"target <= 1.5x: {verdict}"
        )
    for fast, slow in COMPARISONS[suite]:
        if fast in by_name and slow in by_name:
            x = speedup(by_name[fast], by_name[slow])
            lines.append(f"`{fast}` vs `{slow}`: {x:,.1f}x the rows/s")
    return lines


def table(result: SuiteResult, n: int) -> list[str]:
    fastest = max(rate(m) for m in result.measurements)
    memory = any(m.peak_bytes is not None for m in result.measurements)
    head = ["variant", "rows", "time (s)", "rows/s", "x fastest", "statements"]
    head += ["peak memory (MiB)"] if memory else []
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for m in result.measurements:
        rows = f"{m.rows:,}" + ("" if m.rows == n else " (capped)")
        cells = [
            f"`{m.variant}`",
            rows,
            f"{m.seconds:.3f}",
            f"{rate(m):,.0f}",
            f"{fastest / rate(m):,.1f}",
            "n/a (raw DBAPI)" if m.statements is None else f"{m.statements:,}",
        ]
        if memory:
            cells.append(f"{m.peak_bytes / 2**20:,.1f}")
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def latency_section(runs: list[LatencyRun], n: int) -> list[str]:
    labels = [r.label for r in runs]
    suites = [s for s in LATENCY_SUITES if s in runs[0].suites]
    trips = ", ".join(f"{r.label} {r.round_trip * 1000:.2f} ms" for r in runs)
    lines = [
        "",
        f"## latency: {' and '.join(suites)} at {', '.join(labels[1:])} per round trip",
        "",
        "The same variants at the same N, run again through `scripts/latency_proxy.py`, a local",
        "TCP proxy that holds each chunk the client sends for the added delay.",
        f"Measured round trip (`select 1`, median of {ROUND_TRIPS}): {trips}.",
        "",
        "| suite | variant | rows | statements | "
        + " | ".join(f"{label} (s)" for label in labels)
        + " |",
        "|" + "---|" * (4 + len(runs)),
    ]
    for suite in suites:
        for i, m in enumerate(runs[0].suites[suite]):
            cells = [
                suite,
                f"`{m.variant}`",
                f"{m.rows:,}" + ("" if m.rows == n else " (capped)"),
                "n/a (raw DBAPI)" if m.statements is None else f"{m.statements:,}",
            ]
            cells += [f"{r.suites[suite][i].seconds:.3f}" for r in runs]
            lines.append("| " + " | ".join(cells) + " |")
    lines += [
        "",
        "How many times faster than the naive variant (by rows/s), at each round trip:",
        "",
        "| suite | variant | than | " + " | ".join(labels) + " |",
        "|" + "---|" * (3 + len(runs)),
    ]
    for suite in suites:
        naive = SUITES[suite][2]
        names = [m.variant for m in runs[0].suites[suite]]
        for i, name in enumerate(names):
            if name == naive or naive not in names:
                continue
            j = names.index(naive)
            cells = [suite, f"`{name}`", f"`{naive}`"]
            cells += [f"{speedup(r.suites[suite][i], r.suites[suite][j]):,.1f}x" for r in runs]
            lines.append("| " + " | ".join(cells) + " |")
    return lines


def backend_line(engine: Engine) -> str:
    dialect = engine.dialect
    if dialect.name == "sqlite":
        server = f"SQLite {sqlite3.sqlite_version}"
    else:
        server = f"{dialect.name} {'.'.join(map(str, dialect.server_version_info or ()))}"
    driver = dialect.driver
    try:
        driver += " " + metadata.version(driver)
    except metadata.PackageNotFoundError:  # pysqlite is the sqlite3 module of the stdlib
        pass
    return (
        f"{server}, driver {driver}, SQLAlchemy {sqlalchemy.__version__}, "
        f"Python {platform.python_version()}, {os.cpu_count()} CPUs, {platform.system()}"
    )


def report(
    results: list[SuiteResult], n: int, command: str, engine: Engine, runs: list[LatencyRun]
) -> str:
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "<!-- generated by scripts/bench.py: do not edit by hand, run it again -->",
        f"# Benchmark: {engine.dialect.name}, N = {n:,}",
        "",
        f"One run of `{command}` on {when}.",
        "",
        f"{backend_line(engine)}.",
        "Other processes may have been using the machine during the run: compare the ratios",
        "within a table, not the seconds across machines.",
        "",
        "`x fastest`: how many times slower than the fastest variant of the table (by rows/s).",
        "`statements`: cursor calls SQLAlchemy made (one executemany counts as one).",
    ]
    for result in results:
        lines += ["", f"## {result.name}: N = {n:,} {result.unit}", ""]
        lines += table(result, n)
        lines += [""] + [f"- {t}" for t in result.targets]
        capped = [m for m in result.measurements if m.rows != n]
        if capped:
            lines.append(
                f"- capped variants ran at N = {capped[0].rows:,} (`--slow-n`) and are compared "
                "by rows/s; their time at full N was not measured."
            )
    if len(runs) > 1:
        lines += latency_section(runs, n)
    return "\n".join(lines) + "\n"


def write_atomically(path: Path, content: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(content)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; the fragment is a shipped doc
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


class Parser(argparse.ArgumentParser):
    def error(self, message: str):
        raise BenchError(message)


def positive(text: str) -> int:
    try:
        value = int(text.replace("_", "").replace(",", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {text!r}")
    return value


def delays(text: str) -> list[float]:
    values = []
    for part in text.split(","):
        try:
            value = float(part)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number of milliseconds: {part!r}") from None
        if not 0 < value <= 1000:
            raise argparse.ArgumentTypeError(f"must be above 0 and at most 1000: {part!r}")
        values.append(value)
    return values


def parse(argv: list[str]) -> argparse.Namespace:
    parser = Parser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="database URL (default: a throwaway SQLite file)")
    parser.add_argument("--n", type=positive, default=100_000, help="rows per variant")
    parser.add_argument("--suite", default=",".join(SUITES), help="comma-separated suites")
    parser.add_argument("--slow-n", type=positive, help="smaller N for the naive variants")
    parser.add_argument(
        "--latency-ms",
        type=delays,
        default=[],
        help="comma-separated delays: rerun insert and loading through a proxy adding each",
    )
    parser.add_argument("--markdown", type=Path, help="also write the tables to this file")
    args = parser.parse_args(argv)
    args.suites = [s.strip() for s in args.suite.split(",") if s.strip()]
    unknown = [s for s in args.suites if s not in SUITES]
    if unknown or not args.suites:
        raise BenchError(f"unknown suite {','.join(unknown)!r}; choose from {','.join(SUITES)}")
    if args.markdown is not None and not args.markdown.parent.is_dir():
        raise BenchError(f"--markdown: folder {args.markdown.parent} does not exist")
    if args.url is not None:
        try:
            make_url(args.url)
        except ArgumentError:
            raise BenchError(f"not a database URL: {args.url!r}") from None
    if args.latency_ms:
        url = None if args.url is None else make_url(args.url)
        if url is None or url.get_backend_name() != "postgresql":
            raise BenchError(
                "--latency-ms needs a PostgreSQL --url: the proxy delays TCP round trips "
                "and SQLite has none"
            )
        if not url.host:
            raise BenchError(
                "--latency-ms needs a host in the URL (a Unix socket cannot be proxied)"
            )
        if not any(s in LATENCY_SUITES for s in args.suites):
            raise BenchError(
                "--latency-ms reruns the insert and loading suites; --suite has neither"
            )
    return args


def command_line(argv: list[str]) -> str:
    shown = []
    for arg in argv:
        try:
            masked = make_url(arg).render_as_string(hide_password=True) if "://" in arg else arg
        except ArgumentError:
            masked = arg
        shown.append(masked)
    return "python scripts/bench.py " + shlex.join(shown)


def run(args: argparse.Namespace, url: str, command: str) -> str:
    engine = create_engine(url)
    engines = {"loopback": engine}
    try:
        with ExitStack() as proxies:
            target = make_url(url)
            for delay_ms in args.latency_ms:
                port = proxies.enter_context(
                    latency_proxy(target.host, target.port or 5432, delay_ms)
                )
                proxied = target.set(host="127.0.0.1", port=port)
                engines[f"+{delay_ms:g} ms"] = create_engine(proxied)
            trips = (
                {label: round_trip(e) for label, e in engines.items()} if args.latency_ms else {}
            )
            for label, trip in trips.items():
                progress(f"round trip {label}: {trip * 1000:.2f} ms")
            results, delayed = [], {}
            slow_n = args.slow_n or args.n
            for name in args.suites:
                runner, unit, _, _ = SUITES[name]
                started = time.perf_counter()
                use = engines if name in LATENCY_SUITES else {"loopback": engine}
                per_engine = runner(use, args.n, slow_n)
                progress(f"{name} done in {time.perf_counter() - started:,.1f} s")
                measurements = per_engine["loopback"]
                results.append(SuiteResult(name, unit, measurements, targets(name, measurements)))
                if name in LATENCY_SUITES:
                    delayed[name] = per_engine
            for label in list(engines)[1:]:
                engines.pop(label).dispose()  # before its proxy stops
        runs = [
            LatencyRun(label, trip, {s: per[label] for s, per in delayed.items()})
            for label, trip in trips.items()
        ]
        for each_run in runs[1:]:
            same_statements(runs[0], each_run)
        text = report(results, args.n, command, engine, runs)
        Base.metadata.drop_all(engine)
    finally:
        for each in engines.values():
            each.dispose()
    return text


def same_statements(loopback: LatencyRun, delayed: LatencyRun) -> None:
    # The proxy must change the timing only: the same statements, variant by variant.
    for suite, measured in delayed.suites.items():
        for before, after in zip(loopback.suites[suite], measured, strict=True):
            check(
                before.statements == after.statements,
                suite,
                before.variant,
                f"{after.statements} statements at {delayed.label}, {before.statements} without",
            )


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        args = parse(argv)
        with tempfile.TemporaryDirectory() as tmp:
            url = args.url or f"sqlite:///{Path(tmp) / 'bench.db'}"
            text = run(args, url, command_line(argv))
        print(text)
        if args.markdown is not None:
            write_atomically(args.markdown, text)
            progress(f"wrote {args.markdown}")
    except BenchError as exc:
        print(f"bench: error: {exc}", file=sys.stderr)
        return 2
    except CheckFailed as exc:
        print(f"bench: error: {exc}", file=sys.stderr)
        return 1
    except SQLAlchemyError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        print(f"bench: error: {type(exc).__name__}: {first}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
