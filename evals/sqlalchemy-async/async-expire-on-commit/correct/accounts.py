from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(255), unique=True)


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    # Objects keep their values after commit: reading them needs no IO.
    return async_sessionmaker(engine, expire_on_commit=False)


async def register(session: AsyncSession, email: str) -> dict[str, object]:
    user = User(email=email)
    session.add(user)
    await session.commit()
    return {"id": user.id, "email": user.email}


async def create_user(SessionLocal: async_sessionmaker[AsyncSession], email: str) -> User:
    async with SessionLocal() as session:
        user = User(email=email)
        session.add(user)
        await session.commit()
    return user
