"""SQLite under gevent: a transaction waiting for the write lock lets the holder finish."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = r"""
from gevent import monkey
monkey.patch_all()
import sys, time
import gevent
from sqlalchemy import create_engine, text
import forum  # registers the SQLite connect/begin listeners

engine = create_engine("sqlite:///" + sys.argv[1])
with engine.begin() as conn:
    conn.execute(text("CREATE TABLE t (n INTEGER)"))

def holder():
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO t VALUES (1)"))
        gevent.sleep(0.5)  # I/O inside a transaction, e.g. a Redis call

def waiter():
    gevent.sleep(0.05)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO t VALUES (2)"))

started = time.monotonic()
gevent.joinall([gevent.spawn(holder), gevent.spawn(waiter)], raise_error=True)
with engine.connect() as conn:
    rows = sorted(r[0] for r in conn.execute(text("SELECT n FROM t")))
print(rows, round(time.monotonic() - started, 2))
"""


def test_waiting_for_the_write_lock_does_not_freeze_a_gevent_process(tmp_path):
    result = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path / "lock.db")],
                            cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]
    rows, seconds = result.stdout.split("]")
    assert rows == "[1, 2"
    # The waiter queued behind the holder's half second, instead of blocking the whole
    # process inside SQLite until its busy timeout.
    assert float(seconds) < 5
