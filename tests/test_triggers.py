"""Skill descriptions trigger on the requests they should, and on few others.

Claude picks a skill by reading its ``description``. This file keeps a table of realistic user
requests and the skill each one should load, and checks, with plain word overlap:

* the expected skill's description shares at least two of the request's key terms, and
* it shares more of them than any other skill's description does,

so a description that drifts into another skill's territory, or loses its trigger words, fails
here. It also checks each description's form: third person, says what the skill does and
"Use when ...", names its trigger words, at most 1024 characters.
"""

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
PLANNED = (
    "python-database-patterns",
    "sqlalchemy-async",
    "database-transactions",
    "alembic-migrations",
    "database-testing",
)

# request -> the skill it should load
REQUESTS = [
    ("Define SQLAlchemy ORM models for authors and posts with a one-to-many relationship",
     "python-database-patterns"),
    ("This page sends hundreds of queries; fix the N+1 problem with eager loading",
     "python-database-patterns"),
    ("Write a select() query with a join in SQLAlchemy 2.0 style", "python-database-patterns"),
    ("Upsert rows with ON CONFLICT DO UPDATE in SQLAlchemy", "python-database-patterns"),
    ("Store settings in a JSONB column and query inside it", "python-database-patterns"),
    ("Bulk insert 100k rows fast with the ORM", "python-database-patterns"),
    ("DetachedInstanceError when I read user.email after the session closed",
     "python-database-patterns"),
    ("Add a status enum column and a UUID primary key to the model", "python-database-patterns"),
    ("Our SQLModel project needs a many-to-many link table", "python-database-patterns"),
    ("Add a get_db dependency to my FastAPI app that yields a session per request",
     "python-database-patterns"),
    ("Add a repository layer so the service layer never touches the Session",
     "python-database-patterns"),
    ("Implement a unit of work so several repositories commit together",
     "python-database-patterns"),
    ("I get MissingGreenlet when I touch a relationship on an AsyncSession", "sqlalchemy-async"),
    ("Set up create_async_engine with asyncpg for my asyncio service", "sqlalchemy-async"),
    ("Stream a huge result set with aiosqlite using async code", "sqlalchemy-async"),
    ("Postgres says too many clients already after we scaled gunicorn workers; pool settings?",
     "database-transactions"),
    ("What pool_size and max_overflow should the production engine use?",
     "database-transactions"),
    ("TimeoutError: QueuePool limit of size 5 overflow 10 reached", "database-transactions"),
    ("sqlite3.OperationalError: database is locked with two writer processes",
     "database-transactions"),
    ("Two concurrent updates to the same balance; one update gets lost", "database-transactions"),
    ("Use begin_nested to roll back part of a transaction when one item fails",
     "database-transactions"),
    ("Which isolation level stops this race, or should I lock the row with SELECT FOR UPDATE?",
     "database-transactions"),
    ("Alembic autogenerate did not detect my column type change", "alembic-migrations"),
    ("Write a migration that adds a NOT NULL column to a big table", "alembic-migrations"),
    ("Merge two alembic heads and write the downgrade", "alembic-migrations"),
    ("Add a value to a PostgreSQL enum type in an Alembic migration", "alembic-migrations"),
    ("Write pytest fixtures that roll back the database after each test", "database-testing"),
    ("My tests leak rows into each other; isolate them", "database-testing"),
    ("Create a conftest with a test database and factories for test data", "database-testing"),
]  # fmt: skip

# Words each description must carry (lowercase substrings) so requests using them match.
TRIGGER_WORDS = {
    "python-database-patterns": ["sqlalchemy", "orm", "n+1", "eager loading", "upsert",
                                 "on conflict", "jsonb", "bulk insert", "detachedinstanceerror",
                                 "enum", "uuid", "sqlmodel", "fastapi", "repository",
                                 "unit of work"],
    "sqlalchemy-async": ["asyncsession", "create_async_engine", "asyncpg", "aiosqlite",
                         "missinggreenlet"],
    "database-transactions": ["transaction", "rollback", "savepoint", "isolation level",
                              "connection pool", "pool_pre_ping", "pgbouncer",
                              "database is locked"],
    "alembic-migrations": ["alembic", "migration", "autogenerate", "enum"],
    "database-testing": ["pytest", "fixture", "test database"],
}  # fmt: skip

STOPWORDS = set(
    """a about add after all an and any are as at be before by can do does each every for from
    get has how i in into is it its make my need never not of on one or other our over part
    same says set should so some that the their them then there these they this to touch use
    using want we what when where which while will with without write you your""".split()
)


def stem(word: str) -> str:
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def terms(text: str) -> set[str]:
    """Key terms: lowercase words (identifiers kept whole), stemmed, without stopwords."""
    text = text.lower().replace("n+1", "nplus1")
    words = re.findall(r"[a-z0-9_]+", text)
    return {stem(w) for w in words if w not in STOPWORDS and len(w) > 1}


def description(skill: str) -> str:
    path = ROOT / "skills" / skill / "SKILL.md"
    if not path.is_file():
        pytest.fail(f"skills/{skill}/SKILL.md is missing (planned skill {skill!r})", pytrace=False)
    match = re.match(r"^---\n(.*?)\n---\n", path.read_text(encoding="utf-8"), re.DOTALL)
    assert match, f"skills/{skill}/SKILL.md has no frontmatter"
    return yaml.safe_load(match[1])["description"]


def existing_descriptions() -> dict[str, str]:
    return {
        p.parent.name: description(p.parent.name) for p in sorted(ROOT.glob("skills/*/SKILL.md"))
    }


def test_every_planned_skill_exists():
    missing = [s for s in PLANNED if not (ROOT / "skills" / s / "SKILL.md").is_file()]
    assert missing == [], f"planned skills without skills/<name>/SKILL.md: {missing}"


def test_the_table_covers_every_planned_skill_three_times():
    counts = {s: sum(1 for _, e in REQUESTS if e == s) for s in PLANNED}
    assert all(n >= 3 for n in counts.values()), counts
    assert set(TRIGGER_WORDS) == set(PLANNED)


@pytest.mark.parametrize(
    ("request_text", "expected"), REQUESTS, ids=[f"{e}:{r[:40]}" for r, e in REQUESTS]
)
def test_the_request_matches_its_skill_best(request_text, expected):
    wanted = description(expected)  # fails clearly when the skill does not exist yet
    key = terms(request_text)
    shared = {skill: key & terms(text) for skill, text in existing_descriptions().items()}
    shared[expected] = key & terms(wanted)
    assert len(shared[expected]) >= 2, (
        f"{expected}'s description shares only {sorted(shared[expected])} "
        f"with the request's key terms {sorted(key)}"
    )
    rivals = {
        skill: sorted(words)
        for skill, words in shared.items()
        if skill != expected and len(words) >= len(shared[expected])
    }
    assert rivals == {}, (
        f"{expected} shares {sorted(shared[expected])}; these skills share as many or more: "
        f"{rivals}"
    )


@pytest.mark.parametrize("skill", PLANNED)
def test_description_form(skill):
    text = description(skill)
    assert len(text) <= 1024
    first_word = text.split()[0]
    assert first_word[0].isupper() and first_word.endswith("s"), (
        f"start with a third-person verb saying what the skill does, got {first_word!r}"
    )
    assert not re.search(r"\b(I|me|my|we|our|you|your)\b", text), "third person only"
    assert "Use when" in text
    lowered = text.lower()
    missing = [w for w in TRIGGER_WORDS[skill] if w not in lowered]
    assert missing == [], f"{skill}'s description lacks trigger words {missing}"
