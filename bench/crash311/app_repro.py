"""Tacit's CPython 3.11 crash, reproduced with the forum code of the commit that crashed.

    .venv/bin/python bench/crash311/app_repro.py                 # crashes on CPython 3.11
    .venv/bin/python bench/crash311/app_repro.py --workaround    # same run, no crash
    .venv/bin/python bench/crash311/app_repro.py --gc-off        # no crash either

Run it with the interpreter of a virtualenv that has the project installed (`make install`,
or `make PYTHON=python3.12 VENV=.venv312 install` for another Python). It copies the forum
code of commit 1458cf1 (the last one whose question page called the `post` macro with
gettext, url_for and permission checks per post) out of git into a temporary directory
(`git archive`: the repository is not changed), builds a small bench database there
(200 questions, 2,000 posts; the hot question has 150 posts), then serves with Flask's test
client: three GETs of /questions, then GETs of the hot question, `--rounds` times.

The last line says what happened: "survived" (exit 0) or "CRASHED by signal N".
See README.md beside this file and docs/known-issues.md.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CHILD = r'''
import faulthandler, gc, os, sys
faulthandler.enable()
code = os.environ["REPRO_CODE"]
sys.path.insert(0, code)
if os.environ.get("REPRO_WORKAROUND"):
    # CPython 3.11 workaround: give every SQLAlchemy InstanceState a real __dict__ as soon
    # as it is created (reading __dict__ builds it), so no later attribute store builds one
    # while the GC may run.
    from sqlalchemy.orm.state import InstanceState
    _init = InstanceState.__init__
    def _init_with_dict(self, obj, manager):
        self.__dict__
        _init(self, obj, manager)
    InstanceState.__init__ = _init_with_dict
if os.environ.get("REPRO_GC_THRESHOLD"):
    gc.set_threshold(int(os.environ["REPRO_GC_THRESHOLD"]))
if os.environ.get("REPRO_GC_OFF"):
    gc.disable()
import forum
assert forum.__file__.startswith(code), f"imported {forum.__file__}, not the copy in {code}"
from forum import create_app
app = create_app()
client = app.test_client()
qid = int(os.environ["REPRO_QID"])
rounds = int(os.environ["REPRO_ROUNDS"])
lists = int(os.environ["REPRO_LISTS"])
pages = int(os.environ["REPRO_PAGES"])
print(f"Python {sys.version.split()[0]}: {lists} x /questions, then {pages} x /questions/{qid},"
      f" {rounds} rounds", flush=True)
served = 0
for r in range(rounds):
    for _ in range(lists):
        assert client.get("/questions").status_code == 200
        served += 1
    for _ in range(pages):
        assert client.get(f"/questions/{qid}").status_code == 200
        served += 1
    print(f"  round {r + 1}: {served} requests served", flush=True)
print(f"survived: {served} requests", flush=True)
'''


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--commit", default="1458cf1",
                        help="forum code to run (default 1458cf1: the per-post macro)")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--lists", type=int, default=3, help="GETs of /questions per round")
    parser.add_argument("--pages", type=int, default=16, help="GETs of the hot question")
    parser.add_argument("--db", help="an existing bench database (default: build a small one)")
    parser.add_argument("--qid", type=int, help="the hot question's id (default: the newest)")
    parser.add_argument("--workaround", action="store_true",
                        help="materialize SQLAlchemy InstanceState.__dict__ at creation")
    parser.add_argument("--gc-off", action="store_true", help="gc.disable() first")
    parser.add_argument("--gc-threshold", type=int, help="gc.set_threshold(N) first")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="tacit-crash311-"))
    try:
        code = tmp / "code"
        code.mkdir()
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", args.commit],
                                 check=True, capture_output=True).stdout
        run(["tar", "-x", "-C", str(code)], input=archive)
        bindir = Path(sys.executable).parent
        pybabel = bindir / "pybabel"
        run([str(pybabel) if pybabel.exists() else "pybabel", "compile",
             "-d", str(code / "forum" / "translations")], capture_output=True)
        env = {k: v for k, v in os.environ.items()
               if k not in ("FORUM_REDIS_URL", "FORUM_TEST_DB", "FORUM_DATABASE_URL")}
        env.update(FORUM_INSTANCE_PATH=str(tmp / "instance"),
                   FORUM_SECRET_KEY="crash311-repro-secret-key-not-for-production",
                   FORUM_RATE_LIMITS="0", PYTHONUNBUFFERED="1")
        if args.db:
            db = Path(args.db).resolve()
        else:
            print("building a bench database (200 questions, 2,000 posts)...", flush=True)
            seed = subprocess.run([sys.executable, str(code / "bench" / "seed.py")],
                                  env={**env, "BENCH_QUESTIONS": "200", "BENCH_POSTS": "2000"},
                                  capture_output=True, text=True)
            if seed.returncode != 0:
                sys.stdout.write(seed.stdout + seed.stderr)
                print("could not build the bench database")
                return 2
            db = code / "bench" / "data" / "forum-200q-2000p.db"
        qid = args.qid
        if qid is None:
            with sqlite3.connect(db) as conn:
                qid = conn.execute("SELECT max(id) FROM questions").fetchone()[0]
        env.update(FORUM_DATABASE_URL=f"sqlite:///{db}", REPRO_CODE=str(code),
                   REPRO_QID=str(qid), REPRO_ROUNDS=str(args.rounds),
                   REPRO_LISTS=str(args.lists), REPRO_PAGES=str(args.pages))
        if args.workaround:
            env["REPRO_WORKAROUND"] = "1"
        if args.gc_off:
            env["REPRO_GC_OFF"] = "1"
        if args.gc_threshold is not None:
            env["REPRO_GC_THRESHOLD"] = str(args.gc_threshold)
        proc = subprocess.run([sys.executable, "-c", CHILD], env=env, cwd=str(tmp),
                              stderr=subprocess.PIPE, text=True)
        err = [line for line in proc.stderr.splitlines()
               if " INFO alembic." not in line]
        if proc.returncode < 0:
            sys.stdout.write("\n".join(err[:25]) + "\n")
            name = signal.Signals(-proc.returncode).name
            print(f"CRASHED by signal {-proc.returncode} ({name}), commit {args.commit}")
            return 1
        if proc.returncode != 0:
            sys.stdout.write("\n".join(err[-25:]) + "\n")
            print(f"failed with exit code {proc.returncode} (not a crash)")
            return 2
        return 0
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
