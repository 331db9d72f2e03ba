"""Transaction blocks: session.begin() and engine.begin() commit on success, roll back on error.

Backends: sqlite, postgresql
Run: python examples/transactions/tx_blocks.py [DATABASE_URL]
"""

from __future__ import annotations

import sys
from typing import Any

# region: imports
from sqlalchemy import Engine, create_engine, func, insert, select
from sqlalchemy.orm import Session, sessionmaker
from tx_models import Account, Base

# endregion


# region: session-begin
class InsufficientFunds(Exception):
    pass


def transfer(SessionLocal: sessionmaker[Session], source: str, target: str, amount: int) -> None:
    # One block = one transaction: COMMIT when it ends, ROLLBACK if anything inside raises.
    with SessionLocal.begin() as session:
        by_owner = select(Account).where(Account.owner.in_([source, target]))
        accounts = {a.owner: a for a in session.scalars(by_owner)}
        accounts[target].balance += amount
        accounts[source].balance -= amount
        if accounts[source].balance < 0:
            # Raising is enough: the credit above is rolled back with everything else.
            raise InsufficientFunds(f"{source} cannot send {amount}")


# endregion


# region: session-begin-explicit
def open_account(engine: Engine, owner: str, balance: int) -> int:
    # The same guarantee with a Session you already hold: session.begin() scopes one transaction.
    with Session(engine) as session, session.begin():
        account = Account(owner=owner, balance=balance)
        session.add(account)
        session.flush()  # INSERT now, so the id is known before the COMMIT
        return account.id


# endregion


# region: engine-begin
def open_accounts(engine: Engine, rows: list[dict[str, Any]]) -> None:
    # Core: engine.begin() yields a Connection inside a transaction, committed at the end.
    with engine.begin() as conn:
        conn.execute(insert(Account), rows)  # one executemany; all rows or none
        if any(row["balance"] > 1_000_000 for row in rows):
            raise ValueError("needs manual review")  # the INSERT above is rolled back


# endregion


def balances(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        rows = conn.execute(select(Account.owner, Account.balance))
        return {owner: balance for owner, balance in rows}


def account_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.scalars(select(func.count()).select_from(Account)).one()


def main(url: str = "sqlite://") -> dict[str, int]:
    engine = create_engine(url)
    Base.metadata.create_all(engine)
    SessionLocal = sessionmaker(engine)
    open_account(engine, "ada", 100)
    open_accounts(engine, [{"owner": "bob", "balance": 50}])
    transfer(SessionLocal, "ada", "bob", 30)
    try:
        transfer(SessionLocal, "ada", "bob", 500)
    except InsufficientFunds as exc:
        print("rolled back:", exc)
    result = balances(engine)
    engine.dispose()
    print("balances after one good and one failed transfer:", result)
    return result


if __name__ == "__main__":
    main(*sys.argv[1:2])
