"""async-expire-on-commit: attributes of a just-committed user are readable by the caller."""

from __future__ import annotations

import asyncio

from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine


async def scenario(url, accounts):
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(accounts.Base.metadata.create_all)
        SessionLocal = accounts.make_sessionmaker(engine)

        # The request handler: a session per request, the handler commits and builds the body.
        async with SessionLocal() as session:
            body = await accounts.register(session, "ann@example.com")
        # The service: the caller reads the returned object after the function returned.
        user = await accounts.create_user(SessionLocal, "bob@example.com")
        created = {"id": user.id, "email": user.email}

        async with engine.connect() as conn:
            rows = dict((await conn.execute(select(accounts.User.email, accounts.User.id))).all())
        return body, created, rows
    finally:
        await engine.dispose()


def test_committed_user_attributes_are_readable(db, solution):
    accounts = solution("accounts")
    body, created, rows = asyncio.run(scenario(db.async_url, accounts))
    assert body == {"id": rows["ann@example.com"], "email": "ann@example.com"}
    assert created == {"id": rows["bob@example.com"], "email": "bob@example.com"}
