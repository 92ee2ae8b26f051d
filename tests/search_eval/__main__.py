"""Print hit@1, hit@5 and MRR per kind of query: `python -m tests.search_eval`.

Seeds the demo content and the distractor threads into a throw-away SQLite file (and, with
--postgresql, a throw-away PostgreSQL database at 127.0.0.1:5432, user postgres), runs every
evaluation query and prints one table per database. --misses lists the queries whose
thread was not first.
"""

import argparse
import os
import secrets
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("FORUM_SECRET_KEY", secrets.token_urlsafe(32))

import psycopg  # noqa: E402

from config import TestConfig  # noqa: E402
from forum import create_app  # noqa: E402
from forum.extensions import db  # noqa: E402
from forum.services import search  # noqa: E402
from tests.helpers import PG_ADMIN_URL  # noqa: E402
from tests.search_eval.corpus import seed_corpus  # noqa: E402
from tests.search_eval.evaluate import evaluate, table  # noqa: E402


def run(url: str, folder: Path, *, misses: bool) -> str:
    app = create_app(TestConfig, database_url=url, OUTBOX_DIR=str(folder / "outbox"),
                     INSTANCE_DIR=str(folder / "instance"))
    with app.app_context():
        db.create_all()
        search.install(db.engine)
        began = time.perf_counter()
        ids = seed_corpus()
        seeded = time.perf_counter() - began
        began = time.perf_counter()
        scores = evaluate(ids)
        took = time.perf_counter() - began
        db.session.remove()
        db.engine.dispose()
    kind = url.split(":", 1)[0].split("+")[0]
    out = table(scores, title=f"{kind}: {len(ids)} threads (seeded in {seeded:.1f} s), "
                              f"{scores['all'].n} queries in {took:.1f} s")
    if misses:
        for name, s in scores.items():
            if name == "all":
                continue
            for q, rank in s.misses:
                out += f"  {name:10} {rank or '-':>2}  {q}\n"
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.search_eval")
    parser.add_argument("--postgresql", action="store_true",
                        help="also measure on a throw-away PostgreSQL database")
    parser.add_argument("--only-postgresql", action="store_true")
    parser.add_argument("--misses", action="store_true",
                        help="list the queries whose thread was not first")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if not args.only_postgresql:
            print(run(f"sqlite:///{folder / 'eval.db'}", folder, misses=args.misses))
        if args.postgresql or args.only_postgresql:
            name = f"tacit_search_eval_{os.getpid()}"
            with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{name}"')
            try:
                print(run(f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}", folder,
                          misses=args.misses))
            finally:
                with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
                    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return 0


if __name__ == "__main__":
    sys.exit(main())
