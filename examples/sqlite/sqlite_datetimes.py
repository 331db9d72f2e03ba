"""Aware datetimes on SQLite: DateTime(timezone=True) drops the offset; store UTC instead.

SQLite has no time zone type. SQLAlchemy's SQLite dialect stores the datetime's own wall-clock
fields as text ("2024-05-01 10:00:00.000000") and drops the offset, so events from several
zones sort and filter by local time. UTCDateTime converts to UTC on the way in and returns aware
UTC datetimes on the way out; on PostgreSQL (timestamptz) it changes nothing but the zone.

Backends: sqlite, postgresql
Run: python examples/sqlite/sqlite_datetimes.py [DATABASE_URL]
"""

# lint: ignore-file[NC001]  (naming conventions: see migr_models.py)

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta, timezone

# region: imports
from sqlalchemy import DateTime, Dialect, String, TypeDecorator, create_engine, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

# endregion


# region: utc-datetime
class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes only; stored as UTC; read back as aware UTC on every backend."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value}: give it a time zone")
        return value.astimezone(UTC)  # also converts the values compared against

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:  # SQLite: the UTC wall time we stored, without an offset
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# endregion


# region: models
class Base(DeclarativeBase):
    pass


class PlainEvent(Base):
    __tablename__ = "plain_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(50))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))  # SQLite drops the offset


class Event(Base):
    __tablename__ = "event"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(50))
    at: Mapped[datetime] = mapped_column(UTCDateTime)


# endregion

BERLIN_10AM = datetime(2024, 5, 1, 10, 0, tzinfo=timezone(timedelta(hours=2)))  # 08:00 UTC
NEW_YORK_5AM = datetime(2024, 5, 1, 5, 0, tzinfo=timezone(timedelta(hours=-5)))  # 10:00 UTC
NINE_UTC = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)


def add_events(session: Session, model: type[PlainEvent] | type[Event]) -> None:
    session.add_all(
        [model(title="berlin", at=BERLIN_10AM), model(title="new york", at=NEW_YORK_5AM)]
    )
    session.flush()


def titles_in_order(session: Session, model: type[PlainEvent] | type[Event]) -> list[str]:
    return list(session.scalars(select(model.title).order_by(model.at)))


def titles_after(
    session: Session, model: type[PlainEvent] | type[Event], moment: datetime
) -> list[str]:
    return list(session.scalars(select(model.title).where(model.at > moment)))


def main(url: str = "sqlite://") -> dict[str, list[str]]:
    engine = create_engine(url)
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    found = {}
    with Session(engine) as session:
        for model in (PlainEvent, Event):
            add_events(session, model)
            found[model.__name__] = titles_in_order(session, model)
            after = titles_after(session, model, NINE_UTC)
            print(f"{model.__name__}: in order {found[model.__name__]}, after 09:00 UTC {after}")
        session.rollback()
    Base.metadata.drop_all(engine)
    engine.dispose()
    return found


if __name__ == "__main__":
    main(*sys.argv[1:2])
