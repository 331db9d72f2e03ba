"""Change tracking for JSON columns: in-place edits of a plain JSON dict are lost;
MutableDict.as_mutable(JSON) tracks them (top-level keys only); flag_modified() forces a write.

Backends: sqlite, postgresql
Run: python examples/patterns/jsondoc_mutation.py [DATABASE_URL]
"""

# lint: ignore-file[NC001]  (naming conventions: see migr_models.py)

from __future__ import annotations

import copy
import sys

# region: imports
from typing import Any, TypeVar

from sqlalchemy import JSON, Engine, create_engine
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.mutable import MutableDict
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column
from sqlalchemy.orm.attributes import flag_modified

# endregion


class Base(DeclarativeBase):
    pass


# region: models
def json_document() -> JSON:
    # A new type object per column: as_mutable(t) makes EVERY column typed with t mutable.
    return JSON().with_variant(JSONB(), "postgresql")


class PlainSettings(Base):
    __tablename__ = "plain_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The ORM sees a change only when the attribute is assigned a new object.
    prefs: Mapped[dict[str, Any]] = mapped_column(json_document())


class TrackedSettings(Base):
    __tablename__ = "tracked_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    # MutableDict reports prefs[key] = ..., del, update(), pop() to the session.
    prefs: Mapped[dict[str, Any]] = mapped_column(MutableDict.as_mutable(json_document()))


Settings = TypeVar("Settings", bound=PlainSettings | TrackedSettings)
# endregion


def create(engine: Engine, model: type[Settings]) -> int:
    with Session(engine) as session:
        row = model(prefs={"theme": "light", "alerts": {"email": True}})
        session.add(row)
        session.commit()
        return row.id


def reload(engine: Engine, model: type[Settings], row_id: int) -> dict[str, Any]:
    with Session(engine) as session:
        return session.get_one(model, row_id).prefs


# region: edit-in-place
def set_theme_in_place(engine: Engine, model: type[Settings], row_id: int, theme: str) -> None:
    with Session(engine) as session:
        row = session.get_one(model, row_id)
        row.prefs["theme"] = theme  # plain JSON: the session never hears of this
        session.commit()


def set_nested_in_place(engine: Engine, model: type[Settings], row_id: int, email: bool) -> None:
    with Session(engine) as session:
        row = session.get_one(model, row_id)
        row.prefs["alerts"]["email"] = email  # a nested dict is plain even in a MutableDict
        session.commit()


# endregion


# region: flag-modified
def set_nested_flagged(engine: Engine, model: type[Settings], row_id: int, email: bool) -> None:
    with Session(engine) as session:
        row = session.get_one(model, row_id)
        row.prefs["alerts"]["email"] = email
        flag_modified(row, "prefs")  # mark the attribute dirty: the whole document is written
        session.commit()


def set_theme_by_assignment(engine: Engine, model: type[Settings], row_id: int, theme: str) -> None:
    with Session(engine) as session:
        row = session.get_one(model, row_id)
        row.prefs = {**row.prefs, "theme": theme}  # a new value for a top-level key: detected
        session.commit()


# endregion


# region: deep-copy
def set_nested_by_shallow_copy(
    engine: Engine, model: type[Settings], row_id: int, email: bool
) -> None:
    with Session(engine) as session:
        row = session.get_one(model, row_id)
        prefs = {**row.prefs}  # shallow: prefs["alerts"] IS the loaded value's inner dict
        prefs["alerts"]["email"] = email  # so this edits the loaded value as well
        row.prefs = prefs  # equal to the loaded value: no UPDATE, the edit is lost
        session.commit()


def set_nested_by_deep_copy(
    engine: Engine, model: type[Settings], row_id: int, email: bool
) -> None:
    with Session(engine) as session:
        row = session.get_one(model, row_id)
        prefs = copy.deepcopy(row.prefs)  # shares nothing with the loaded value
        prefs["alerts"]["email"] = email
        row.prefs = prefs  # differs from the loaded value: UPDATE
        session.commit()


# endregion


def main(url: str = "sqlite://") -> dict[str, str]:
    engine = create_engine(url)
    Base.metadata.create_all(engine)
    themes = {}
    models: list[type[PlainSettings | TrackedSettings]] = [PlainSettings, TrackedSettings]
    for model in models:
        row_id = create(engine, model)
        set_theme_in_place(engine, model, row_id, "dark")
        themes[model.__name__] = reload(engine, model, row_id)["theme"]
        print(f"{model.__name__} after prefs['theme'] = 'dark': {themes[model.__name__]}")
    engine.dispose()
    return themes


if __name__ == "__main__":
    main(*sys.argv[1:2])
