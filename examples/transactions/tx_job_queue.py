"""A job queue on a table: FOR UPDATE SKIP LOCKED hands each job to exactly one worker.

PostgreSQL only: SQLite has neither row locks nor SKIP LOCKED (its dialect drops the clause).

Backends: postgresql
Run: python examples/transactions/tx_job_queue.py [DATABASE_URL]
"""

from __future__ import annotations

import sys
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

# region: imports
from sqlalchemy import create_engine, insert, select
from sqlalchemy.orm import Session, sessionmaker
from tx_models import Base, Job

# endregion


# region: skip-locked
def claim_next_job(SessionLocal: sessionmaker[Session], worker: str) -> int | None:
    """Take the oldest waiting job, or None when there is none left."""
    with SessionLocal.begin() as session:
        stmt = (
            select(Job)
            .where(Job.claimed_by.is_(None))
            .order_by(Job.id)
            .limit(1)
            .with_for_update(skip_locked=True)  # rows another worker holds are passed over
        )
        job = session.scalars(stmt).first()
        if job is None:
            return None
        job.claimed_by = worker  # committed at the end of the block, releasing the lock
        return job.id


# endregion


def run_workers(
    SessionLocal: sessionmaker[Session], jobs: int = 40, workers: int = 4
) -> Counter[int]:
    """Queue `jobs` jobs, drain them with `workers` threads; count the claims per job id."""
    with SessionLocal.begin() as session:
        session.execute(insert(Job), [{"payload": f"job {n}"} for n in range(jobs)])
    claims: list[int] = []
    start = threading.Barrier(workers, timeout=30)

    def worker(name: str) -> None:
        start.wait()
        while (job_id := claim_next_job(SessionLocal, name)) is not None:
            claims.append(job_id)

    with ThreadPoolExecutor(workers) as pool:
        for future in [pool.submit(worker, f"worker {n}") for n in range(workers)]:
            future.result(timeout=60)
    return Counter(claims)


def main(url: str = "postgresql+psycopg://postgres@127.0.0.1:5432/test") -> Counter[int]:
    engine = create_engine(url)
    Base.metadata.create_all(engine)
    claims = run_workers(sessionmaker(engine))
    with engine.connect() as conn:
        per_worker = Counter(conn.scalars(select(Job.claimed_by)))
    engine.dispose()
    print("jobs claimed:", len(claims), "claimed twice:", sum(n > 1 for n in claims.values()))
    print("jobs per worker:", dict(sorted(per_worker.items())))
    return claims


if __name__ == "__main__":
    main(*sys.argv[1:2])
