"""The squawk lint of check_migrations.py: PostgreSQL DDL that locks or breaks a live table.

Imported by check_migrations.py from its own folder. Which revisions it lints:

- by default those under review: revision files git shows new or changed (committed, staged,
  unstaged or untracked) since the merge-base of HEAD with the first of origin/HEAD,
  origin/main, main, master that exists. Without git, a commit, such a branch or a merge-base
  (shallow clone), it lints every revision and says why on its first line;
- `--since REV`: the revisions that come after REV; `--all`: every revision.

In CI, fetch the default branch (actions/checkout: fetch-depth: 0) or pass --since.

Each revision's SQL is what `alembic upgrade PARENT:REV --sql` prints. A revision that cannot be
rendered that way (a data migration reading rows through op.get_bind()) gets a NOTE line and
is not linted; the others still are. A NOTE line says which revisions were linted and why;
then each finding is one line through the report,
`FAIL|WARN  squawk <rule> <file>:<line>: <statement>: <what it does>; <safe way> (see ...)`,
FAIL for what breaks the running app or blocks a live table, WARN for what is risky. The report
also gets each finding's rule, file, line and reference section as such (--format json, github).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import traceback
from bisect import bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

REFERENCE = "references/migrations-live-tables.md"
BASE_BRANCHES = ("origin/HEAD", "origin/main", "main", "master")
ERROR, WARNING, NOTE = "FAIL", "WARN", "NOTE"
CONCURRENTLY = "postgresql-create-index-concurrently-and-enum-values"
NOT_NULL = "adding-a-not-null-column"
BATCHES = "data-migrations-in-batches"
EXPAND_CONTRACT = "dropping-or-renaming-a-column-on-a-live-app"
LOCK_TIMEOUT_SECTION = "lock-timeout-and-retry"

# Report.add(status, check, why, *, rule=None, file=None, line=None, reference=None)
Add = Callable[..., None]


class BadScope(Exception):
    """--since names no revision: bad input."""


@dataclass(frozen=True)
class Rule:
    severity: str
    what: str  # what the statement does to a live table or the running app
    safe: str  # the safe way
    section: str | None = None  # anchor in REFERENCE


@dataclass(frozen=True)
class Result:
    """One line of the report: `status check: text`; a finding also names its squawk rule,
    the project file and line it is about, and the section of REFERENCE it cites."""

    status: str
    check: str
    text: str
    rule: str | None = None
    file: str | None = None
    line: int | None = None
    reference: str | None = None


# squawk rule -> what it means here. Rules not listed are style advice and not reported
# (prefer-bigint-over-int, prefer-robust-stmts, ...), and so is require-statement-timeout: a
# statement_timeout would cut the long backfills and CONCURRENTLY builds the advice asks for.
# require-lock-timeout becomes one warning on env.py (LOCK_TIMEOUT below), not one per revision.
RULES: dict[str, Rule] = {
    "require-concurrent-index-creation": Rule(
        ERROR,
        "CREATE INDEX blocks writes to the table until the index is built",
        "create it with postgresql_concurrently=True inside op.get_context().autocommit_block()",
        CONCURRENTLY,
    ),
    "ban-concurrent-index-creation-in-transaction": Rule(
        ERROR,
        "CREATE INDEX CONCURRENTLY fails inside a transaction block",
        "run it inside op.get_context().autocommit_block()",
        CONCURRENTLY,
    ),
    "require-concurrent-index-deletion": Rule(
        WARNING,
        "DROP INDEX takes an ACCESS EXCLUSIVE lock on the table",
        "drop it with postgresql_concurrently=True inside op.get_context().autocommit_block()",
        CONCURRENTLY,
    ),
    "adding-required-field": Rule(
        ERROR,
        "ADD COLUMN ... NOT NULL without a default fails on a table that has rows",
        "add it nullable, backfill, then set NOT NULL",
        NOT_NULL,
    ),
    "adding-field-with-default": Rule(
        ERROR,
        "a volatile default or a stored generated column rewrites the table under an ACCESS "
        "EXCLUSIVE lock",
        "add the column without it, backfill in batches, then SET DEFAULT for new rows",
        BATCHES,
    ),
    "changing-column-type": Rule(
        ERROR,
        "ALTER COLUMN TYPE rewrites the table and its indexes under an ACCESS EXCLUSIVE lock",
        "add a new column, backfill it in batches, switch the app, drop the old one",
        BATCHES,
    ),
    "adding-not-nullable-field": Rule(
        ERROR,
        "SET NOT NULL scans the whole table under an ACCESS EXCLUSIVE lock",
        "add CHECK (column IS NOT NULL) NOT VALID, VALIDATE CONSTRAINT in a later transaction, "
        "then SET NOT NULL (PostgreSQL 12+ skips the scan) and drop the CHECK",
        NOT_NULL,
    ),
    "ban-drop-column": Rule(
        WARNING,
        "the app version still running selects the column and fails once it is gone",
        "release code that no longer uses the column first, drop it in a later release",
        EXPAND_CONTRACT,
    ),
    "ban-drop-table": Rule(
        WARNING,
        "the app version still running fails once the table is gone",
        "release code that no longer uses the table first, drop it in a later release",
        EXPAND_CONTRACT,
    ),
    "renaming-column": Rule(
        ERROR,
        "the running app still uses the old name and fails the moment the rename commits",
        "expand/contract: add the new column, write both, backfill, switch reads, drop the "
        "old one in a later release",
        EXPAND_CONTRACT,
    ),
    "renaming-table": Rule(
        ERROR,
        "the running app still uses the old name and fails the moment the rename commits",
        "expand/contract: add the new table, write both, backfill, switch reads, drop the "
        "old one in a later release",
        EXPAND_CONTRACT,
    ),
}

# squawk flags a new constraint with constraint-missing-not-valid whatever its kind, plus a
# rule of its own for some kinds: one finding per statement, advice for the kind it adds.
CONSTRAINT_RULES = (
    "adding-foreign-key-constraint",
    "disallowed-unique-constraint",
    "adding-serial-primary-key-field",
    "constraint-missing-not-valid",
)
NOT_VALID_LATER = (
    "create it with postgresql_not_valid=True, then ALTER TABLE ... VALIDATE CONSTRAINT in a "
    "later transaction (it does not block writes)"
)
CONSTRAINTS: dict[str, Rule] = {
    "CHECK": Rule(
        ERROR, "ADD CHECK scans the table under an ACCESS EXCLUSIVE lock", NOT_VALID_LATER
    ),
    "FOREIGN KEY": Rule(
        ERROR,
        "ADD FOREIGN KEY scans the table while it blocks writes to both tables",
        NOT_VALID_LATER,
    ),
    "UNIQUE": Rule(
        ERROR,
        "ADD UNIQUE builds its index under an ACCESS EXCLUSIVE lock (NOT VALID does not apply)",
        "CREATE UNIQUE INDEX CONCURRENTLY (op.create_index(..., unique=True, "
        "postgresql_concurrently=True) in an autocommit_block()), then ALTER TABLE ... ADD "
        "CONSTRAINT ... UNIQUE USING INDEX",
        CONCURRENTLY,
    ),
    "PRIMARY KEY": Rule(
        ERROR,
        "ADD PRIMARY KEY builds its index under an ACCESS EXCLUSIVE lock (NOT VALID does not "
        "apply)",
        "build a unique index CONCURRENTLY (in an autocommit_block()), then ALTER TABLE ... "
        "ADD CONSTRAINT ... PRIMARY KEY USING INDEX",
        CONCURRENTLY,
    ),
    "EXCLUDE": Rule(
        ERROR,
        "ADD EXCLUDE builds its index under an ACCESS EXCLUSIVE lock (no NOT VALID, no USING "
        "INDEX form)",
        "add it while the table is small, or in a maintenance window",
    ),
}
ANY_CONSTRAINT = Rule(
    ERROR,
    "a new constraint scans or indexes the table while it blocks writes",
    "CHECK / FOREIGN KEY: NOT VALID, then VALIDATE CONSTRAINT later; UNIQUE / PRIMARY KEY: a "
    "unique index built CONCURRENTLY, then ADD CONSTRAINT ... USING INDEX",
)
NO_EXISTING_TYPE = "(give alter_column existing_type= and a widening that needs no rewrite passes)"
LOCK_TIMEOUT = Rule(
    WARNING,
    "with no lock_timeout, a lock request queued behind a long transaction blocks every later "
    "query on the table until it gets the lock",
    "SET lock_timeout (a few seconds) for the migration connection in env.py, retry on timeout",
    LOCK_TIMEOUT_SECTION,
)


# ---- which revisions -----------------------------------------------------------------------


def git(folder: Path, *args: str) -> str | None:
    """stdout of a read-only git command, None when it fails (no git, not a repository, ...)."""
    try:
        done = subprocess.run(
            ["git", *args],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=30,
            env={**os.environ, "GIT_OPTIONAL_LOCKS": "0"},  # never refresh .git/index
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


def under_review(project: Path) -> tuple[set[Path] | None, str]:
    """(files new or changed since the merge-base with the default branch, why), or (None, why
    every revision is linted instead)."""
    top = git(project, "rev-parse", "--show-toplevel")
    if top is None:
        return None, "not a git repository"
    root = Path(top.strip())
    if git(root, "rev-parse", "--verify", "--quiet", "HEAD") is None:
        return None, "no commit yet"
    base_ref = next(
        (
            ref
            for ref in BASE_BRANCHES
            if git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}") is not None
        ),
        None,
    )
    if base_ref is None:
        return None, f"no {', '.join(BASE_BRANCHES[:-1])} or {BASE_BRANCHES[-1]} branch"
    shown = base_ref
    if base_ref == "origin/HEAD":
        shown = (git(root, "rev-parse", "--abbrev-ref", base_ref) or base_ref).strip()
    base = git(root, "merge-base", "HEAD", base_ref)
    if base is None:
        return None, f"HEAD and {shown} have no merge-base (a shallow clone?)"
    changed = git(root, "diff", "--name-only", "--no-renames", "-z", base.strip(), "--")
    untracked = git(root, "ls-files", "--others", "--exclude-standard", "-z")
    if changed is None or untracked is None:
        return None, "git diff failed"
    names = [name for name in (changed + untracked).split("\0") if name]
    return {(root / name).resolve() for name in names}, f"since the merge-base with {shown}"


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' * (count != 1)}"


def select(project: Path, script, since: str | None, everything: bool) -> tuple[list, str]:
    """(the revisions to lint, base first; why those)."""
    ordered = list(reversed(list(script.walk_revisions())))
    if everything:
        return ordered, f"all {plural(len(ordered), 'revision')} (--all)"
    if since is not None:
        after = descendants(script, ordered, since)
        chosen = [rev for rev in ordered if rev.revision in after]
        return chosen, f"{plural(len(chosen), 'revision')} after {since}{ids(chosen)}"
    files, why = under_review(project)
    if files is None:
        return ordered, f"all {plural(len(ordered), 'revision')} ({why}; --since REV narrows)"
    chosen = [rev for rev in ordered if Path(rev.path).resolve() in files]
    return chosen, f"{plural(len(chosen), 'revision')} new or changed {why}{ids(chosen)}"


def ids(revisions: list, most: int = 10) -> str:
    return (
        f" ({', '.join(rev.revision for rev in revisions)})" if 0 < len(revisions) <= most else ""
    )


def parents(rev) -> tuple[str, ...]:
    down = rev.down_revision
    return tuple(down) if isinstance(down, (tuple, list)) else (down,) if down else ()


def descendants(script, ordered: list, since: str) -> set[str]:
    if since == "base":
        return {rev.revision for rev in ordered}
    try:
        start = script.get_revision(since)
    except Exception as exc:
        raise BadScope(f"--since {since}: {one_line(exc)}") from None
    if start is None:
        raise BadScope(f"--since {since}: no such revision")
    after: set[str] = set()
    for rev in ordered:  # base first: a revision's parents come before it
        if any(parent == start.revision or parent in after for parent in parents(rev)):
            after.add(rev.revision)
    return after


def ancestors(rev, ordered: list) -> list:
    """Every revision before rev on its path from base, base first."""
    by_id = {each.revision: each for each in ordered}
    seen: set[str] = set()
    todo = list(parents(rev))
    while todo:
        current = todo.pop()
        if current not in seen and current in by_id:
            seen.add(current)
            todo.extend(parents(by_id[current]))
    return [each for each in ordered if each.revision in seen]


# ---- the SQL of one revision ---------------------------------------------------------------


@dataclass
class Statement:
    """One statement Alembic wrote in --sql mode."""

    first_line: int  # 0-based, in the SQL file
    text: str
    source_line: int | None  # line of the revision file that emitted it; None: env.py, BEGIN...
    construct: object | None  # the Alembic DDL element, e.g. ColumnType (has existing_type)


class Recorder(io.StringIO):
    """The output buffer of `alembic upgrade --sql`: notes which revision line wrote what."""

    def __init__(self, revision_path: str) -> None:
        super().__init__()
        self.revision_path = os.path.realpath(revision_path)
        self.statements: list[Statement] = []
        self.lines = 0
        self.is_revision: dict[str, bool] = {}

    def write(self, text: str) -> int:
        source_line, construct = None, None
        frame = sys._getframe(1)
        while frame is not None:
            code = frame.f_code
            if construct is None and code.co_name == "_exec":  # alembic's DefaultImpl._exec
                construct = frame.f_locals.get("construct")
            if source_line is None and self.from_revision(code.co_filename):
                source_line = frame.f_lineno
            frame = frame.f_back
        if text.strip():
            self.statements.append(Statement(self.lines, text.strip(), source_line, construct))
        self.lines += text.count("\n")
        return super().write(text)

    def from_revision(self, filename: str) -> bool:
        if filename not in self.is_revision:
            self.is_revision[filename] = os.path.realpath(filename) == self.revision_path
        return self.is_revision[filename]


@dataclass
class Rendered:
    rev: object
    file: str  # the revision file, relative to the project
    statements: list[Statement]
    sql_path: Path | None = None

    def at(self, line: int) -> Statement | None:
        starts = [statement.first_line for statement in self.statements]
        index = bisect_right(starts, line) - 1
        return self.statements[index] if index >= 0 else None


class RenderFailed(Exception):
    def __init__(self, message: str, in_revision: bool, file: str | None, line: int | None) -> None:
        super().__init__(message)
        self.in_revision = in_revision
        self.file, self.line = file, line  # where it was raised, in the project


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Keep env.py logging and Alembic's printing out of the report."""
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(buffer):
        yield


def one_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__


def relative(path: str, project: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(project))
    except ValueError:
        return path


def render(config, script, rev, project: Path) -> Rendered:
    """What `alembic upgrade PARENT:REV --sql` prints, statement by statement. The same steps as
    alembic.command.upgrade, on the ScriptDirectory already loaded (command.upgrade would
    import every revision file again for each revision)."""
    from alembic.runtime.environment import EnvironmentContext

    start = parents(rev)[0] if parents(rev) else None  # a merge: from its first parent
    recorder = Recorder(rev.path)
    config.output_buffer = recorder
    try:
        with (
            quiet(),
            EnvironmentContext(
                config,
                script,
                fn=lambda current, context: script._upgrade_revs(rev.revision, current),
                as_sql=True,
                starting_rev=start,
                destination_rev=rev.revision,
            ),
        ):
            script.run_env()
    except Exception as exc:
        frames = traceback.extract_tb(exc.__traceback__)
        real = os.path.realpath(rev.path)
        own = [frame for frame in frames if os.path.realpath(frame.filename) == real]
        inside = [
            frame for frame in frames if Path(frame.filename).resolve().is_relative_to(project)
        ]
        deepest = (own or inside or [None])[-1]  # the revision's line, else env.py's, ...
        file = relative(deepest.filename, project) if deepest else None
        line = deepest.lineno if deepest else None
        where = f"{file}:{line}" if deepest else "alembic"
        raise RenderFailed(f"{where} raised {one_line(exc)}", bool(own), file, line) from None
    finally:
        config.output_buffer = None
    return Rendered(rev, relative(rev.path, project), recorder.statements)


# ---- what squawk found, judged ---------------------------------------------------------------


def squawk_binary() -> str | None:
    beside = Path(sys.executable).parent / "squawk"
    return str(beside) if beside.exists() else shutil.which("squawk")


def one_line_sql(text: str, limit: int = 120) -> str:
    flat = " ".join(text.split()).rstrip(";")
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def constraint_kind(statement: str) -> str | None:
    """CHECK, FOREIGN KEY, UNIQUE, PRIMARY KEY or EXCLUDE: the constraint a statement adds."""
    sql = re.sub(r"'(?:[^']|'')*'", "''", " ".join(statement.split())).upper()
    kinds = r"CHECK|FOREIGN KEY|UNIQUE|PRIMARY KEY|EXCLUDE"
    named = re.search(rf"\bADD (?:CONSTRAINT (?:\"[^\"]*\"|\S+) )?({kinds})\b", sql)
    if named:
        return named[1]
    inline = re.search(rf"\b({kinds}|REFERENCES)\b", sql)  # ADD COLUMN x INT UNIQUE, ...
    if inline is None:
        return None
    return "FOREIGN KEY" if inline[1] == "REFERENCES" else inline[1]


TYPE = re.compile(
    r"^(?P<name>VARCHAR|CHARACTER VARYING|TEXT|NUMERIC|DECIMAL)"
    r"(?:\((?P<precision>\d+)(?:,\s*(?P<scale>\d+))?\))?$"
)


def parse_type(compiled: str) -> tuple[str, int | None, int | None] | None:
    match = TYPE.match(compiled.strip().upper())
    if match is None:
        return None
    name = {"CHARACTER VARYING": "VARCHAR", "DECIMAL": "NUMERIC"}.get(match["name"], match["name"])
    precision = int(match["precision"]) if match["precision"] else None
    scale = int(match["scale"]) if match["scale"] else (0 if precision is not None else None)
    return name, precision, scale


def rewrites(old: str, new: str) -> bool:
    """Whether PostgreSQL rewrites the table for ALTER COLUMN TYPE old -> new (no USING).

    False only for the cases measured in tests/test_squawk_lint.py (the table's relfilenode
    stays the same): the same type; varchar(n) -> varchar(m >= n), varchar, text; varchar <->
    text; numeric(p, s) -> numeric(q >= p, s) or numeric. Anything else counts as a rewrite.
    """
    before, after = parse_type(old), parse_type(new)
    if " ".join(old.upper().split()) == " ".join(new.upper().split()):
        return False
    if before is None or after is None:
        return True
    (was, length, scale), (now, new_length, new_scale) = before, after
    if was in ("VARCHAR", "TEXT") and now in ("VARCHAR", "TEXT"):
        if now == "TEXT" or new_length is None:
            return False
        return was == "TEXT" or length is None or new_length < length
    if was == now == "NUMERIC":
        if new_length is None:
            return False
        return length is None or new_length < length or new_scale != scale
    return True


def widening(statement: Statement) -> bool:
    """An ALTER COLUMN TYPE Alembic emitted for a change that needs no rewrite."""
    construct = statement.construct
    old = getattr(construct, "existing_type", None)
    new = getattr(construct, "type_", None)
    if old is None or new is None or getattr(construct, "using", None) is not None:
        return False
    from sqlalchemy.dialects import postgresql

    dialect = postgresql.dialect()
    try:
        return not rewrites(old.compile(dialect=dialect), new.compile(dialect=dialect))
    except Exception:
        return False


NAME = r'(?:"[^"]+"|[\w$]+)'
QUALIFIED = rf"{NAME}(?:\.{NAME})?"
ADD_CHECK = re.compile(
    rf"ALTER TABLE (?:ONLY )?(?P<table>{QUALIFIED}) ADD CONSTRAINT (?P<name>{NAME}) "
    rf"CHECK \(\(?(?P<column>{NAME}) IS NOT NULL\)?\)(?P<not_valid> NOT VALID)?",
    re.IGNORECASE,
)
VALIDATE = re.compile(
    rf"ALTER TABLE (?:ONLY )?(?P<table>{QUALIFIED}) VALIDATE CONSTRAINT (?P<name>{NAME})",
    re.IGNORECASE,
)
DROP = re.compile(
    rf"ALTER TABLE (?:ONLY )?(?P<table>{QUALIFIED}) DROP CONSTRAINT (?:IF EXISTS )?"
    rf"(?P<name>{NAME})",
    re.IGNORECASE,
)
SET_NOT_NULL = re.compile(
    rf"ALTER TABLE (?:ONLY )?(?P<table>{QUALIFIED}) ALTER COLUMN (?P<column>{NAME}) "
    r"SET NOT NULL",
    re.IGNORECASE,
)


def ident(name: str) -> str:
    return ".".join(
        part[1:-1] if part.startswith('"') else part.lower()
        for part in re.findall(r'"[^"]+"|[^.]+', name)
    )


def valid_not_null_checks(statements: list[str]) -> set[tuple[str, str]]:
    """(table, column) pairs a valid CHECK (column IS NOT NULL) covers after these statements."""
    checks: dict[tuple[str, str], tuple[str, bool]] = {}  # (table, name) -> (column, valid)
    for text in statements:
        flat = " ".join(text.split())
        if added := ADD_CHECK.search(flat):
            key = (ident(added["table"]), ident(added["name"]))
            checks[key] = (ident(added["column"]), added["not_valid"] is None)
        elif validated := VALIDATE.search(flat):
            key = (ident(validated["table"]), ident(validated["name"]))
            if key in checks:
                checks[key] = (checks[key][0], True)
        elif dropped := DROP.search(flat):
            checks.pop((ident(dropped["table"]), ident(dropped["name"])), None)
    return {(table, column) for (table, _), (column, valid) in checks.items() if valid}


@dataclass
class Lint:
    project: Path
    config: object
    script: object
    add: Add
    ordered: list = field(default_factory=list)
    rendered: dict[str, Rendered | None] = field(default_factory=dict)  # None: cannot render

    def sql_of(self, rev) -> Rendered | None:
        if rev.revision not in self.rendered:
            try:
                self.rendered[rev.revision] = render(self.config, self.script, rev, self.project)
            except RenderFailed:
                self.rendered[rev.revision] = None
        return self.rendered[rev.revision]

    def not_null_proven(self, rendered: Rendered, statement: Statement) -> bool:
        """SET NOT NULL after a validated CHECK (column IS NOT NULL): no scan (PostgreSQL 12+).
        squawk sees only its own file; the CHECK may come from an earlier revision."""
        target = SET_NOT_NULL.search(" ".join(statement.text.split()))
        if target is None:
            return False
        before: list[str] = []
        for rev in ancestors(rendered.rev, self.ordered):
            earlier = self.sql_of(rev)
            before += [each.text for each in earlier.statements] if earlier else []
        before += [
            each.text for each in rendered.statements if each.first_line < statement.first_line
        ]
        wanted = (ident(target["table"]), ident(target["column"]))
        return wanted in valid_not_null_checks(before)

    def judge(
        self, rendered: Rendered, statement: Statement, rules: set[str]
    ) -> list[tuple[str, Rule]]:
        found: list[tuple[str, Rule]] = []
        constraint = [rule for rule in CONSTRAINT_RULES if rule in rules]
        if constraint:
            kind = constraint_kind(statement.text)
            found.append((constraint[0], CONSTRAINTS.get(kind or "", ANY_CONSTRAINT)))
        for rule in sorted(rules):
            advice = RULES.get(rule)
            if advice is None:
                continue
            if rule == "changing-column-type":
                if widening(statement):
                    continue
                if getattr(statement.construct, "existing_type", True) is None:
                    advice = replace(advice, safe=f"{advice.safe} {NO_EXISTING_TYPE}")
            if rule == "adding-not-nullable-field" and self.not_null_proven(rendered, statement):
                continue
            found.append((rule, advice))
        return found


def lint(
    project: Path,
    config,
    script,
    add: Add,
    since: str | None = None,
    everything: bool = False,
) -> None:
    """Lint the SQL of the revisions in scope; one report line per finding, note or result."""
    chosen, why = select(project, script, since, everything)
    binary = squawk_binary()
    if binary is None:
        add(ERROR, "squawk lint", "squawk not found (pip install squawk-cli)")
        return
    if not chosen:
        add("SKIP", "squawk lint", f"{why}; --all lints every revision")
        return
    state = Lint(project, config, script, add, list(reversed(list(script.walk_revisions()))))
    notes: dict[str, Result] = {}
    for rev in chosen:
        try:
            state.rendered[rev.revision] = render(config, script, rev, project)
        except RenderFailed as exc:
            if not exc.in_revision:  # env.py itself cannot run offline: nothing can be linted
                add(ERROR, "squawk lint", f"{exc} in --sql mode", file=exc.file, line=exc.line)
                return
            state.rendered[rev.revision] = None
            notes[rev.revision] = Result(
                NOTE,
                "squawk lint",
                f"revision {rev.revision} not linted: {exc} in --sql mode, which has no "
                "database to read rows from (`if op.get_context().as_sql:` can emit one "
                "statement there instead)",
                file=exc.file,
                line=exc.line,
            )
    folder = Path(tempfile.mkdtemp(prefix="check_migrations_sql_"))
    try:
        by_file: dict[str, Rendered] = {}
        for number, rev in enumerate(chosen):
            rendered = state.rendered[rev.revision]
            if rendered is None:
                continue
            rendered.sql_path = folder / f"{number:04d}.sql"
            rendered.sql_path.write_text("".join(f"{s.text}\n\n" for s in rendered.statements))
            by_file[str(rendered.sql_path)] = rendered
        found = run_squawk(binary, list(by_file)) if by_file else []
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if isinstance(found, str):
        add(ERROR, "squawk lint", found)
        return
    report(state, chosen, why, notes, by_file, found)


def run_squawk(binary: str, files: list[str]) -> list[dict] | str:
    """squawk's findings, or why it failed."""
    try:
        done = subprocess.run(
            [binary, "--reporter", "json", *files], capture_output=True, text=True, timeout=120
        )
    except (OSError, subprocess.SubprocessError) as exc:
        return f"squawk failed: {one_line(exc)}"
    try:
        found = json.loads(done.stdout or "[]")
    except ValueError:
        return f"squawk failed: {(done.stderr or done.stdout).strip()[:200]}"
    return found if isinstance(found, list) else f"squawk failed: {done.stdout.strip()[:200]}"


def report(state: Lint, chosen: list, why: str, notes: dict, by_file: dict, found: list) -> None:
    flagged: dict[tuple[str, int], set[str]] = {}  # (revision, statement line) -> rules
    for item in found:
        rendered = by_file.get(item.get("file", ""))
        statement = rendered.at(item["line"]) if rendered else None
        if rendered is None or statement is None or statement.source_line is None:
            continue  # BEGIN, alembic_version, env.py: not the revision's own SQL
        key = (rendered.rev.revision, statement.first_line)
        flagged.setdefault(key, set()).add(item["rule_name"])
    lines: list[Result] = []
    locking: list[str] = []  # file:line of statements that need a lock_timeout
    for rev in chosen:
        if rev.revision in notes:
            lines.append(notes[rev.revision])
            continue
        rendered = state.rendered[rev.revision]
        for statement in rendered.statements:
            rules = flagged.get((rev.revision, statement.first_line), set())
            if "require-lock-timeout" in rules:
                locking.append(f"{rendered.file}:{statement.source_line}")
            for rule, advice in state.judge(rendered, statement, rules):
                subject = one_line_sql(statement.text)
                lines.append(finding(rule, rendered.file, statement.source_line, subject, advice))
    if locking and not sets_lock_timeout(state.script):
        env_py = Path(state.script.dir) / "env.py"
        verb = "lock" if len(locking) != 1 else "locks"
        subject = f"{plural(len(locking), 'revision')} {verb} tables in use ({locking[0]}"
        subject += f" and {len(locking) - 1} more)" if len(locking) > 1 else ")"
        file, line = env_file(env_py, state.project)
        lines.append(finding("require-lock-timeout", file, line, subject, LOCK_TIMEOUT))
    if any(result.status in (ERROR, WARNING) for result in lines):
        lines.insert(0, Result(NOTE, "squawk lint", why))
    else:
        skipped = f" ({len(notes)} not linted)" if notes else ""
        lines.append(Result("PASS", "squawk lint", f"{why}, no unsafe operation{skipped}"))
    for result in lines:
        state.add(
            result.status,
            result.check,
            result.text,
            rule=result.rule,
            file=result.file,
            line=result.line,
            reference=result.reference,
        )


def finding(rule: str, file: str, line: int | None, subject: str, advice: Rule) -> Result:
    reference = f"{REFERENCE}#{advice.section}" if advice.section else None
    cite = f" (see {reference})" if reference else ""
    return Result(
        advice.severity,
        f"squawk {rule} {file}:{line}",
        f"{subject}: {advice.what}; {advice.safe}{cite}",
        rule=rule,
        file=file,
        line=line,
        reference=reference,
    )


def sets_lock_timeout(script) -> bool:
    """env.py sets lock_timeout itself (squawk sees only the revisions' SQL)."""
    env_py = Path(script.dir) / "env.py"
    return env_py.is_file() and "lock_timeout" in env_py.read_text(encoding="utf-8")


def env_file(env_py: Path, project: Path) -> tuple[str, int]:
    """(env.py, the line of its first context.configure(): where the migration settings are)."""
    lines = env_py.read_text(encoding="utf-8").splitlines() if env_py.is_file() else []
    number = next((i for i, line in enumerate(lines, 1) if "context.configure(" in line), 1)
    return relative(str(env_py), project), number
