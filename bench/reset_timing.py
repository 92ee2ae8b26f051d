"""Do the forgot-password and registration answers take longer for an address that has an
account?

In one process, with Flask's test client on a SQLite file: for each form, ROUNDS requests
for a known address and ROUNDS for an unknown one, interleaved, each from its own client
address (so the per-IP limit does not interfere) and for a fresh address each round (so the
per-address quota does not either). Prints the median and the 90th percentile of each, and
the difference of the medians. Mail goes to the outbox on the mail worker (forum/mail.py),
after the answer, as served (FORUM_MAIL_DELAY's default).

    .venv/bin/python bench/reset_timing.py [ROUNDS]
"""

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from config import TestConfig  # noqa: E402
from forum import create_app, mail  # noqa: E402
from forum.extensions import db  # noqa: E402
from forum.services.accounts import register_user  # noqa: E402


def main(rounds: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="tacit-reset-timing-"))
    app = create_app(TestConfig, database_url=f"sqlite:///{folder / 'forum.db'}",
                     OUTBOX_DIR=str(folder / "outbox"), INSTANCE_DIR=str(folder),
                     WTF_CSRF_ENABLED=False, MAIL_DELAY=0.25)  # the served default
    with app.app_context():
        db.create_all()
        for n in range(rounds):
            register_user(f"known{n}", f"known{n}@example.org", "correct horse battery",
                          system=True)
    client = app.test_client()
    forms = {
        "/password/forgot": lambda kind, n: {"email": f"{kind}{n}@example.org"},
        "/register": lambda kind, n: {
            "username": f"new{kind}{n}", "email": f"{kind}{n}@example.org",
            "password": "a long enough password", "display_name": ""},
    }
    for number, (path, form) in enumerate(forms.items()):
        times: dict[str, list[float]] = {"known": [], "unknown": []}
        for n in range(rounds):
            for kind in ("known", "unknown") if n % 2 else ("unknown", "known"):
                started = time.perf_counter()
                answer = client.post(path, data=form(kind, n), environ_base={
                    "REMOTE_ADDR": f"10.{number}.{n // 250}.{n % 250}"})
                times[kind].append((time.perf_counter() - started) * 1000)
                assert answer.status_code in (200, 302), (path, answer.status_code)
        mail.flush(60)
        print(f"{path}: {rounds} answers each, ms: median / p90")
        for kind, values in times.items():
            p90 = statistics.quantiles(values, n=10)[-1]
            print(f"  {kind:8} {statistics.median(values):6.2f} / {p90:6.2f}")
        gap = statistics.median(times["known"]) - statistics.median(times["unknown"])
        print(f"  median difference (known - unknown): {gap:+.2f} ms")

if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 300)
