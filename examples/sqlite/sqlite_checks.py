"""What SQLite accepts that PostgreSQL refuses: dangling foreign keys, long strings, wrong types.

A suite that runs only on SQLite passes code PostgreSQL rejects. The foreign key checks (and
ON DELETE CASCADE) come back with PRAGMA foreign_keys=ON; lengths and types never do.

Backends: sqlite, postgresql
Run: python examples/sqlite/sqlite_checks.py [DATABASE_URL]
"""

# lint: ignore-file[NC001]  (naming conventions: see migr_models.py)

from __future__ import annotations

import sys

# region: imports
from sqlalchemy import Engine, ForeignKey, String, create_engine, delete, exc, func, insert, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlite_engine import set_sqlite_pragmas

# endregion


class Base(DeclarativeBase):
    pass


class Folder(Base):
    __tablename__ = "folder"

    id: Mapped[int] = mapped_column(primary_key=True)


class Note(Base):
    __tablename__ = "note"

    id: Mapped[int] = mapped_column(primary_key=True)
    folder_id: Mapped[int] = mapped_column(ForeignKey("folder.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(10))
    pages: Mapped[int]


def accepts(engine: Engine, **values: object) -> bool:
    """Does the database take this note? (It always goes into folder 1, which exists.)"""
    row = {"folder_id": 1, "title": "ok", "pages": 1, **values}
    try:
        with engine.begin() as conn:
            conn.execute(insert(Note), row)
    except (exc.IntegrityError, exc.DataError, exc.StatementError):
        return False
    return True


def what_the_database_accepts(engine: Engine) -> dict[str, bool]:
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(Folder), [{"id": 1}])
    return {
        "a key to a missing folder": accepts(engine, folder_id=999),
        "1000 characters in String(10)": accepts(engine, title="x" * 1000),
        "'many' in an integer column": accepts(engine, pages="many"),
    }


def notes_left_after_deleting_their_folder(engine: Engine) -> int:
    """ON DELETE CASCADE: delete folder 1 in SQL, count the notes still pointing at it."""
    with engine.begin() as conn:
        conn.execute(delete(Folder).where(Folder.id == 1))
        return conn.scalar(select(func.count()).select_from(Note).where(Note.folder_id == 1)) or 0


def main(url: str = "sqlite://") -> dict[str, dict[str, bool]]:
    engines = {"as created": create_engine(url)}
    if engines["as created"].dialect.name == "sqlite":
        engines["with set_sqlite_pragmas"] = create_engine(url)
        set_sqlite_pragmas(engines["with set_sqlite_pragmas"])
    found = {}
    for name, engine in engines.items():
        found[name] = what_the_database_accepts(engine)
        print(f"{engine.dialect.name} {name}: {found[name]}")
        print(
            f"  notes left after deleting their folder: "
            f"{notes_left_after_deleting_their_folder(engine)}"
        )
        Base.metadata.drop_all(engine)
        engine.dispose()
    return found


if __name__ == "__main__":
    main(*sys.argv[1:2])
