"""skip-locked-queue: concurrent workers each get a different job and never wait for each other.

PostgreSQL only. Every connection of the grader has lock_timeout = 0.5 s, so a claim that waits
on another worker's job fails (SQLSTATE 55P03) instead of hanging.
"""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session, sessionmaker

JOBS = 40
WORKERS = 4


def setup(db, jobs):
    engine = create_engine(
        db.url, pool_size=WORKERS + 2, connect_args={"options": "-c lock_timeout=500"}
    )
    jobs.Base.metadata.create_all(engine)
    with Session(engine) as session, session.begin():
        session.add_all([jobs.Job(payload=f"job-{i}") for i in range(JOBS)])
    return engine


@pytest.mark.backends("postgresql")
def test_a_worker_passes_over_the_job_another_worker_holds(db, solution):
    jobs = solution("jobs")
    engine = setup(db, jobs)
    try:
        with Session(engine) as session:
            first_ids = list(session.scalars(select(jobs.Job.id).order_by(jobs.Job.id).limit(2)))
        with Session(engine) as busy:
            held = jobs.claim_next_job(busy)  # the worker keeps its transaction open
            with Session(engine) as other:
                taken = jobs.claim_next_job(other)  # a second worker meanwhile
                other.commit()
            assert (held, taken) == tuple(first_ids)
            busy.rollback()  # the first worker crashed: its job is pending again
        with Session(engine) as again:
            assert jobs.claim_next_job(again) == first_ids[0]
            again.commit()
    finally:
        engine.dispose()


@pytest.mark.backends("postgresql")
def test_concurrent_workers_take_each_job_exactly_once(db, solution):
    jobs = solution("jobs")
    engine = setup(db, jobs)
    SessionLocal = sessionmaker(engine)
    claimed: list[int] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(WORKERS, timeout=30)

    def worker() -> None:
        try:
            barrier.wait()
            while True:
                with SessionLocal.begin() as session:
                    job_id = jobs.claim_next_job(session)
                    if job_id is None:
                        return
                    claimed.append(job_id)
        except Exception as exc:
            errors.append(exc)

    try:
        threads = [threading.Thread(target=worker) for _ in range(WORKERS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert not any(t.is_alive() for t in threads), "workers still running after 60 s"
        assert not errors, f"claim_next_job raised: {errors[0]!r}"
        with Session(engine) as session:
            all_ids = list(session.scalars(select(jobs.Job.id).order_by(jobs.Job.id)))
            pending = session.scalar(
                select(func.count()).select_from(jobs.Job).where(jobs.Job.status == "pending")
            )
        duplicates = len(claimed) - len(set(claimed))
        assert duplicates == 0, f"{duplicates} jobs were claimed twice"
        assert sorted(claimed) == all_ids
        assert pending == 0
    finally:
        engine.dispose()
