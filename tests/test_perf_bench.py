"""scripts/bench.py: one run measures every variant, checks it, and writes the tables."""

import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import bench  # noqa: E402

VARIANTS = {
    "insert": ["orm_add_flush_each", "orm_add_all", "orm_bulk_insert", "core_executemany"],
    "loading": ["lazy", "selectinload", "joinedload", "subqueryload"],
    "results": ["orm_all", "orm_yield_per", "core_rows", "core_yield_per", "columns"],
    "update": ["per_object_flush", "unit_of_work", "bulk_by_primary_key", "single_update"],
}


def test_one_run_writes_every_suite_to_markdown(db, tmp_path, capsys):
    (tmp_path / "fragments").mkdir()
    out = tmp_path / "fragments" / "bench.md"
    status = bench.main(["--url", db.url, "--n", "30", "--markdown", str(out)])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    text = out.read_text(encoding="utf-8")
    assert text in captured.out  # the same tables go to stdout
    for suite, names in VARIANTS.items():
        assert f"## {suite}: N = 30 " in text
        for name in names:
            assert f"| `{name}` | 30 |" in text
    assert ("`postgresql_copy`" in text) == (db.name == "postgresql")
    assert text.count("target >= 10x") == 4
    assert "| `lazy` | 30 | " in text and "| 31 |" in text  # N+1 statements
    assert [p.name for p in out.parent.iterdir()] == ["bench.md"]  # no temp file left behind
    assert "bench: loading 1/4 lazy" in captured.err  # progress goes to stderr


def test_slow_variants_can_run_at_a_smaller_labelled_n(tmp_path, capsys):
    status = bench.main(["--n", "40", "--slow-n", "10", "--suite", "update,insert"])
    text = capsys.readouterr().out
    assert status == 0
    assert "| `per_object_flush` | 10 (capped) |" in text
    assert "| `orm_add_flush_each` | 10 (capped) |" in text
    assert "| `single_update` | 40 |" in text
    assert "capped variants ran at N = 10" in text
    assert "(by rows/s)" in text


@pytest.mark.parametrize(
    ("args", "status", "message"),
    [
        (["--n", "0"], 2, "must be at least 1"),
        (["--n", "lots"], 2, "not a whole number"),
        (["--suite", "insert,nope"], 2, "unknown suite 'nope'"),
        (["--url", "not a url"], 2, "not a database URL"),
        (["--markdown", "/no/such/folder/x.md"], 2, "does not exist"),
        (["--url", "postgresql+psycopg://postgres@127.0.0.1:1/x", "--n", "1"], 1, "Error"),
    ],
)
def test_bad_input_is_one_line_and_a_non_zero_exit(args, status, message, capsys):
    assert bench.main(args) == status
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("bench: error:") and message in err[0]


REFERENCE = ROOT / "references" / "performance.md"
ROW_LABELS = {
    "insert": "Insert",
    "loading": "Load parents + children",
    "results": "Read rows",
    "update": "Update",
}


def recorded_targets(backend: str) -> dict[str, tuple[str, bool]]:
    """{suite: (ratio as printed, met)} from the generated fragment's target lines."""
    text = (ROOT / "references" / "benchmarks" / f"{backend}.md").read_text(encoding="utf-8")
    found, suite = {}, None
    for line in text.splitlines():
        if line.startswith("## "):
            suite = line[3:].split(":")[0]
        match = re.match(r"- `\w+` (?:is|takes) ([\d,.]+x) .*: (met|NOT met)$", line)
        if match:
            key = suite if "faster than" in line else "copy"
            found[key] = (match[1], match[2] == "met")
    return found


def test_reference_quotes_the_recorded_targets():
    # The ratios in the reference's summary table must be the ones the fragments hold.
    rows = {
        line.split("|")[1].strip(): [cell.strip() for cell in line.split("|")[1:-1]]
        for line in REFERENCE.read_text(encoding="utf-8").splitlines()
        if line.startswith("| ")
    }
    sqlite, postgresql = recorded_targets("sqlite"), recorded_targets("postgresql")
    for suite, label in ROW_LABELS.items():
        cells = rows[label]
        assert cells[3:5] == [sqlite[suite][0], postgresql[suite][0]], label
        held = sqlite[suite][1] and postgresql[suite][1]
        assert cells[6] == ("yes" if held else "**no**"), label
    copy = rows["Bulk load, PostgreSQL"]
    assert copy[4] == f"{postgresql['copy'][0]} the time"
    assert copy[6] == ("yes" if postgresql["copy"][1] else "**no**")
    # Rows measured through the latency proxy (PostgreSQL only) quote its speed-up table.
    speedups = recorded_speedups()
    for label, cells in rows.items():
        match = re.match(r"(Insert|Load parents \+ children), (\+[\d.]+ ms) per round trip$", label)
        if match:
            suite = "insert" if match[1] == "Insert" else "loading"
            measured = speedups[suite][match[2]]
            assert cells[3:5] == ["-", measured], label
            held = float(measured.rstrip("x").replace(",", "")) >= 10
            assert cells[6] == ("yes" if held else "**no**"), label
    assert {"+0.5 ms", "+2 ms"} <= set(speedups["loading"]) and "+2 ms" in str(rows)


def recorded_speedups() -> dict[str, dict[str, str]]:
    """{suite: {round trip label: speed-up of the recommended variant}} from postgresql.md."""
    text = (ROOT / "references" / "benchmarks" / "postgresql.md").read_text(encoding="utf-8")
    found: dict[str, dict[str, str]] = {}
    labels: list[str] = []
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells[:3] == ["suite", "variant", "than"]:
            labels = cells[3:]
        elif labels and len(cells) == 3 + len(labels) and cells[0] in bench.SUITES:
            suite, variant, naive = cells[0], cells[1].strip("`"), cells[2].strip("`")
            if (naive, variant) == bench.SUITES[suite][2:]:
                found[suite] = dict(zip(labels, cells[3:], strict=True))
    return found


def test_every_ratio_in_the_reference_is_one_the_script_printed():
    # Figures like "6.5x" or "133.4 MiB" in the prose must occur in a generated fragment.
    fragments = " ".join(
        (ROOT / "references" / "benchmarks" / f"{b}.md").read_text(encoding="utf-8")
        for b in ("sqlite", "postgresql")
    )
    text = re.sub(r"```.*?```", "", REFERENCE.read_text(encoding="utf-8"), flags=re.DOTALL)
    quoted = re.findall(r"(\d[\d,]*\.\d+)(x| MiB)", text)
    assert quoted
    missing = [
        f"{number}{unit}"
        for number, unit in quoted
        if f"{number}x" not in fragments and f"| {number} |" not in fragments
    ]
    assert missing == []


@pytest.mark.backends("postgresql")
def test_latency_runs_print_times_and_speedups_next_to_loopback(db, capsys):
    n = 20
    args = ["--url", db.url, "--n", str(n), "--suite", "loading,insert"]
    status = bench.main(args + ["--latency-ms", "0.5,2"])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    text = captured.out.split("## latency: insert and loading at +0.5 ms, +2 ms per round trip")[1]
    head = "| suite | variant | rows | statements | loopback (s) | +0.5 ms (s) | +2 ms (s) |"
    assert head in text
    times = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) == 7 and cells[1].startswith("`") and cells[3] != "`":
            times[(cells[0], cells[1].strip("`"))] = [float(c) for c in cells[4:]]
    expected = {("insert", v) for v in bench.perf_insert.VARIANTS}
    expected |= {("loading", v) for v in bench.perf_loading.VARIANTS}
    assert set(times) == expected
    # lazy sends n + 1 SELECTs, each at least 2 ms slower through the proxy.
    assert times[("loading", "lazy")][2] >= (n + 1) * 0.002
    assert times[("insert", "orm_add_flush_each")][2] >= n * 0.002
    trips = text.split("Measured round trip (`select 1`, median of 100): ")[1].split("\n")[0]
    plus_two = float(trips.split("+2 ms ")[1].split(" ms")[0])
    assert plus_two >= 2.0
    ratio = r"\| loading \| `selectinload` \| `lazy` \| [\d.]+x \| [\d.]+x \| [\d.]+x \|"
    assert re.search(ratio, text)
    assert "| insert | `orm_bulk_insert` | `orm_add_flush_each` |" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--latency-ms", "2"], "needs a PostgreSQL --url"),
        (["--latency-ms", "0"], "must be above 0"),
        (["--latency-ms", "0.5,fast"], "not a number of milliseconds"),
        (["--url", "postgresql+psycopg://u@/x", "--latency-ms", "1"], "needs a host"),
        (["--url", "postgresql://u@h/x", "--suite", "update", "--latency-ms", "1"], "neither"),
    ],
)
def test_bad_latency_input_is_refused_before_anything_runs(args, message, capsys):
    assert bench.main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("bench: error:") and message in err[0]
