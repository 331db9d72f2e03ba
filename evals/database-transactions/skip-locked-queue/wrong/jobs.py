from __future__ import annotations

from sqlalchemy import String, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column


class Base(DeclarativeBase):
    pass


class Job(Base):
    __tablename__ = "job"
    id: Mapped[int] = mapped_column(primary_key=True)
    payload: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)


def claim_next_job(session: Session) -> int | None:
    stmt = select(Job).where(Job.status == "pending").order_by(Job.id).limit(1)
    job = session.scalars(stmt).first()
    if job is None:
        return None
    job.status = "running"
    session.flush()
    return job.id
