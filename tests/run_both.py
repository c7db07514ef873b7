"""Run the whole test suite on SQLite, then on PostgreSQL (`make test`).

PostgreSQL comes from TEST_DATABASE_URL (default: the local server). Outside CI the PostgreSQL half is skipped
with a clear line when no server answers; under CI=true it must run.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

DEFAULT_POSTGRES_URL = "postgresql+asyncpg://root@127.0.0.1:5432/test"


async def _postgres_answers(url: str) -> bool:
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        return True
    except Exception:
        return False
    finally:
        await engine.dispose()


def _pytest(database_url: str, label: str, extra: list[str]) -> int:
    print(f"\n=== test suite on {label} ===", flush=True)
    env = {**os.environ, "TEST_DATABASE_URL": database_url}
    return subprocess.call([sys.executable, "-m", "pytest", *extra], env=env)


def main() -> int:
    extra = sys.argv[1:]
    status = _pytest("sqlite", "SQLite", extra)
    postgres_url = os.environ.get("TEST_DATABASE_URL") or DEFAULT_POSTGRES_URL
    if not asyncio.run(_postgres_answers(postgres_url)):
        if os.environ.get("CI") == "true":
            print(f"PostgreSQL does not answer at {postgres_url}, and CI requires it.", flush=True)
            return 1
        print(f"SKIPPED the PostgreSQL half: no server answers at {postgres_url}.", flush=True)
        return status
    return status or _pytest(postgres_url, "PostgreSQL", extra)


if __name__ == "__main__":
    sys.exit(main())
