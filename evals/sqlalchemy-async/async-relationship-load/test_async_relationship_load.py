"""async-relationship-load: list_teams() returns every team's members under asyncio,
in a number of statements that does not grow with the number of teams."""

from __future__ import annotations

import asyncio

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

TEAMS = 25


async def scenario(url, teams):
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(teams.Base.metadata.create_all)
        async with AsyncSession(engine) as session:
            for i in range(TEAMS):
                team = teams.Team(name=f"team-{i:02}")
                session.add(team)
                await session.flush()
                for j in range(i % 4):  # 0 to 3 members; some teams have none
                    session.add(teams.Member(name=f"m-{i}-{j}", team_id=team.id))
            await session.commit()

        statements: list[str] = []
        sync_engine = engine.sync_engine
        event.listen(sync_engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
        async with AsyncSession(engine) as session:
            result = await teams.list_teams(session)
        return result, statements
    finally:
        await engine.dispose()


def test_teams_come_with_their_members(db, solution):
    teams = solution("teams")
    result, statements = asyncio.run(scenario(db.async_url, teams))
    assert [t["name"] for t in result] == [f"team-{i:02}" for i in range(TEAMS)]
    expected = [[f"m-{i}-{j}" for j in range(i % 4)] for i in range(TEAMS)]
    assert [t["members"] for t in result] == expected
    assert len(statements) <= 3, f"{len(statements)} statements for {TEAMS} teams"
