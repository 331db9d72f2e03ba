"""Optimistic locking with version_id_col: a stale write raises StaleDataError, not a lost edit.

Every UPDATE carries "WHERE version = <the version this session loaded>" and bumps it; when
another transaction committed first, no row matches and the flush raises StaleDataError.
No row locks are held while the user thinks, so it works on SQLite as well as PostgreSQL.

Backends: sqlite, postgresql
Run: python examples/transactions/tx_optimistic.py [DATABASE_URL]
"""

from __future__ import annotations

import sys

# region: imports
from sqlalchemy import String, create_engine
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.orm.exc import StaleDataError
from tx_models import Base

# endregion


# region: versioned-model
class Document(Base):
    __tablename__ = "document"

    id: Mapped[int] = mapped_column(primary_key=True)
    body: Mapped[str] = mapped_column(String(1000))
    version: Mapped[int] = mapped_column(nullable=False)

    # The ORM sets version to 1 on INSERT and adds 1 on every UPDATE it sends.
    __mapper_args__ = {"version_id_col": version}


# endregion


# region: save
def save(session: Session, document: Document, body: str) -> bool:
    """Commit the edit unless someone else saved the document since we loaded it."""
    document.body = body
    try:
        session.commit()  # UPDATE ... SET version=:new WHERE id = :id AND version = :loaded
    except StaleDataError:
        session.rollback()  # our edit is discarded; reload and show the user what changed
        return False
    return True


# endregion


def create(SessionLocal: sessionmaker[Session], body: str) -> int:
    with SessionLocal.begin() as session:
        document = Document(body=body)
        session.add(document)
        session.flush()
        return document.id


def two_editors(SessionLocal: sessionmaker[Session], document_id: int) -> tuple[bool, bool]:
    """Alice and Bob load the same version; Alice saves first, then Bob."""
    with SessionLocal() as alice, SessionLocal() as bob:
        alices = alice.get_one(Document, document_id)
        bobs = bob.get_one(Document, document_id)
        return save(alice, alices, "alice's text"), save(bob, bobs, "bob's text")


def main(url: str = "sqlite://") -> tuple[bool, bool]:
    engine = create_engine(url)
    Base.metadata.create_all(engine)
    SessionLocal = sessionmaker(engine)
    document_id = create(SessionLocal, "draft")
    saved = two_editors(SessionLocal, document_id)
    with SessionLocal() as session:
        document = session.get_one(Document, document_id)
        final = (document.body, document.version)
    engine.dispose()
    print("alice saved, bob saved:", saved, "final (body, version):", final)
    return saved


if __name__ == "__main__":
    main(*sys.argv[1:2])
