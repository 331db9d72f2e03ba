from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Engine, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "app_user"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(255), unique=True)
    preferences: Mapped[dict[str, Any]] = mapped_column(
        JSON().with_variant(JSONB(), "postgresql"), default=dict
    )


def set_preference(engine: Engine, user_id: int, key: str, value: Any) -> None:
    with Session(engine) as session, session.begin():
        user = session.get_one(User, user_id)
        # A new dict: assignment is what the ORM tracks.
        user.preferences = {**user.preferences, key: value}
