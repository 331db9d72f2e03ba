"""factory-unique-data: make_customer() must give valid, unique, flushed customers call after
call, with overrides applied; a fixed default for a unique column fails on the second call."""

from __future__ import annotations

from pathlib import Path

import pytest
from _shared.solution_copy import solution_copy
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

MODELS = """from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, String, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Customer(Base):
    __tablename__ = "customer"
    __table_args__ = (CheckConstraint("tier in ('free', 'pro')", name="ck_customer_tier"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(200), unique=True)
    username: Mapped[str] = mapped_column(String(50), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    tier: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
"""


@pytest.fixture
def modules(request, tmp_path):
    solution = Path(request.config.getoption("--solution")).resolve()
    with solution_copy(solution, tmp_path, {"models.py": MODELS}) as import_module:
        yield import_module


def test_many_calls_in_one_test_give_valid_unique_flushed_customers(db, modules):
    models, factories = modules("models"), modules("factories")
    Customer = models.Customer
    engine = create_engine(db.url)
    try:
        models.Base.metadata.create_all(engine)
        with Session(engine) as session:
            plain = [factories.make_customer(session) for _ in range(30)]
            adas = [factories.make_customer(session, name="Ada") for _ in range(3)]
            pros = [factories.make_customer(session, tier="pro") for _ in range(3)]
            vip = factories.make_customer(session, email="vip@example.com", username="vip")

            everyone = plain + adas + pros + [vip]
            assert all(isinstance(c, Customer) and c.id is not None for c in everyone)
            assert len({c.email for c in everyone}) == len(everyone)
            assert [c.name for c in adas] == ["Ada"] * 3
            assert [c.tier for c in pros] == ["pro"] * 3
            assert (vip.email, vip.username) == ("vip@example.com", "vip")
            # Every row is in the database (flushed), with valid values.
            assert session.scalar(select(func.count()).select_from(Customer)) == 37
            assert set(session.scalars(select(Customer.tier))) <= {"free", "pro"}
            session.rollback()
    finally:
        engine.dispose()
