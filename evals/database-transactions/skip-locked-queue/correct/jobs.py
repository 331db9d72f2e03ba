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
    stmt = (
        select(Job)
        .where(Job.status == "pending")
        .order_by(Job.id)
        .limit(1)
        .with_for_update(skip_locked=True)  # rows other workers hold are passed over
    )
    job = session.scalars(stmt).first()
    if job is None:
        return None
    job.status = "running"  # the row stays locked until the caller's transaction ends
    session.flush()
    return job.id
