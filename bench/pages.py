"""`make bench-pages`: First Contentful Paint and page weight on a slow phone.

Chromium (headless, /usr/bin/chromium by default, driven by Playwright) opens the demo
forum's pages through Chrome DevTools throttling: 150 ms round trip, 1.6 Mbps down and
750 kbps up, the CPU slowed 4 times. That is Lighthouse's "slow 4G" mobile profile. Each page
is opened cold (a fresh browser context: nothing cached) and then warm (opened again in the
same context). For each it prints:
- FCP, the median of BENCH_PAGES_RUNS runs (3);
- the bytes transferred (the document plus every resource, compressed as sent);
- the HTML's own bytes before compression;
- the number of requests.

Pages: home, question list, a demo question, the longest thread (answers paged), a group,
search, the FAQ and the expert directory. A seeded 84-post thread is added to the demo. Each
page is measured anonymously and signed in (`amina`, the demo's member), since signed-in
pages are rendered every time and load the Socket.IO client.

The server is `make serve`'s gunicorn + gevent process on a fresh SQLite database with the
demo content, so compression, the page cache and fingerprinted static files are as in
production. The aim (issue 16): FCP <= 1.0 s cold on every page. Results go to
bench/data/pages-<time>.json. Options: --runs N, --quick (1 run, fewer pages).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data"
VENV_BIN = Path(sys.executable).parent
CHROMIUM = os.environ.get("BENCH_CHROMIUM", "/usr/bin/chromium")
DEMO_PASSWORD = "tacit-demo-2026"
MEMBER = "amina"
AIM_FCP = 1.0
# Lighthouse's mobile "slow 4G": 150 ms RTT, 1.6 Mbps down, 750 kbps up, CPU 4x slower.
NETWORK = {"offline": False, "latency": 150, "downloadThroughput": 1.6e6 / 8,
           "uploadThroughput": 750e3 / 8}
CPU_SLOWDOWN = 4
PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True,
         "device_scale_factor": 2}


def free_port() -> int:
    with closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def flask(env: dict, *args: str) -> str:
    done = subprocess.run([str(VENV_BIN / "flask"), "--app", "wsgi", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    if done.returncode:
        raise SystemExit(f"flask {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


def seed_long_thread(env: dict) -> None:
    """An 84-post thread (40 answers, a chain of 12 replies, 32 other replies) in the demo's
    first public group, written through the services as system work."""
    code = """
import sys
from sqlalchemy import select
from wsgi import app
from forum.extensions import db
from forum.models import Group, User
from forum.services.qa import ask_question, post_answer, post_reply
with app.app_context():
    users = db.session.scalars(select(User).where(User.deleted_at.is_(None))
                               .order_by(User.id).limit(8)).all()
    group = db.session.scalar(select(Group).where(Group.private.is_(False)).order_by(Group.id))
    text = ("Order implants a quarter ahead, keep a buffer of two months, and count the "
            "stock every Friday with the store keeper. ") * 2
    q = ask_question(users[0], title="Eighty-four posts: keeping implants in stock all year",
                     body=text, group=group.slug, tags=["implants"], system=True)
    answers = [post_answer(users[1 + n % 7], q.id, text + f" Answer {n}.", system=True).id
               for n in range(40)]
    parent = answers[0]
    for n in range(12):
        parent = post_reply(users[n % 8], parent, text + f" Chain {n}.", system=True).id
    for n in range(32):
        post_reply(users[(n + 3) % 8], answers[1 + n % 39], text + f" Reply {n}.", system=True)
    print(q.id)
"""
    done = subprocess.run([str(VENV_BIN / "python"), "-c", code], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    if done.returncode:
        raise SystemExit(f"seeding the long thread failed:\n{done.stderr}")
    env["BENCH_LONG_THREAD"] = done.stdout.strip().splitlines()[-1]


class Server:
    """`make serve`'s gunicorn + gevent command on a fresh SQLite demo database."""

    def __init__(self, workdir: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        instance = workdir / "instance"
        instance.mkdir()
        self.env = {**os.environ, "FORUM_INSTANCE_PATH": str(instance),
                    "FORUM_DATABASE_URL": f"sqlite:///{instance / 'forum.db'}",
                    "FORUM_SECRET_KEY": "bench-pages-secret-key-0123456789",
                    "FORUM_OUTBOX_DIR": str(instance / "outbox"),
                    "FORUM_BASE_URL": self.url, "FORUM_RATE_LIMITS": "0",
                    "FORUM_ASYNC_MODE": "gevent", "PYTHONUNBUFFERED": "1"}
        self.log = open(workdir / "server.log", "w")  # noqa: SIM115 (closed in stop())
        self.process = None

    def start(self) -> None:
        flask(self.env, "db", "upgrade")
        flask(self.env, "demo", "seed")
        seed_long_thread(self.env)
        flask(self.env, "static", "compress")
        self.process = subprocess.Popen(
            [str(VENV_BIN / "gunicorn"), "--worker-class", "gevent", "--workers", "1",
             "--no-control-socket", "--bind", f"127.0.0.1:{self.port}", "wsgi:app"],
            cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/health", timeout=2):
                    return
            except OSError:
                time.sleep(0.2)
        raise SystemExit("the server did not start: see " + self.log.name)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=20)
        self.log.close()


def pages(env: dict, quick: bool) -> dict[str, str]:
    found = {"home": "/", "questions": "/questions", "question": "/questions/1",
             "thread (84 posts)": f"/questions/{env['BENCH_LONG_THREAD']}",
             "group": "/groups/east-africa", "search": "/search?q=implant+stock",
             "faq": "/faq", "experts": "/experts"}
    if quick:
        return {name: found[name] for name in ("home", "question", "thread (84 posts)")}
    return found


MEASURE = """() => {
  const paint = performance.getEntriesByName("first-contentful-paint")[0];
  const nav = performance.getEntriesByType("navigation")[0];
  const res = performance.getEntriesByType("resource");
  return {fcp: paint ? paint.startTime / 1000 : null,
          transferred: nav.transferSize + res.reduce((n, r) => n + (r.transferSize || 0), 0),
          html: nav.decodedBodySize, requests: 1 + res.length};
}"""


def open_throttled(context, url: str) -> dict:
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", NETWORK)
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
    page.goto(url, wait_until="load")
    page.wait_for_function("performance.getEntriesByName('first-contentful-paint').length",
                           timeout=30000)
    measured = page.evaluate(MEASURE)
    page.close()
    return measured


def log_in(context, base: str) -> None:
    page = context.new_page()
    page.goto(base + "/login")
    page.get_by_label("Username or email", exact=True).fill(MEMBER)
    page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in", exact=True).click()
    page.wait_for_load_state("load")
    page.close()


def measure_all(base: str, targets: dict[str, str], runs: int) -> list[dict]:
    rows = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        try:
            for who in ("anonymous", "signed in"):
                for name, path in targets.items():
                    cold, warm = [], []
                    for _ in range(runs):
                        context = browser.new_context(**PHONE)
                        if who == "signed in":
                            log_in(context, base)
                            # Logging in loaded the stylesheet: start cold again.
                            cdp = context.new_cdp_session(context.new_page())
                            cdp.send("Network.clearBrowserCache")
                        cold.append(open_throttled(context, base + path))
                        warm.append(open_throttled(context, base + path))
                        context.close()
                    rows.append({"reader": who, "page": name, "path": path,
                                 "fcp_cold": statistics.median(r["fcp"] for r in cold),
                                 "fcp_warm": statistics.median(r["fcp"] for r in warm),
                                 "bytes_cold": cold[-1]["transferred"],
                                 "bytes_warm": warm[-1]["transferred"],
                                 "html": cold[-1]["html"], "requests": cold[-1]["requests"]})
        finally:
            browser.close()
    return rows


def report(rows: list[dict]) -> bool:
    print(f"\nFCP and weight under slow 4G (150 ms RTT, 1.6 Mbps, CPU x{CPU_SLOWDOWN}), "
          "median of the runs; bytes as transferred (compressed)\n")
    print(f"{'reader':<10} {'page':<18} {'FCP cold':>8} {'FCP warm':>8} {'bytes cold':>10} "
          f"{'bytes warm':>10} {'HTML':>7} {'req':>4}")
    ok = True
    for r in rows:
        ok &= r["fcp_cold"] <= AIM_FCP
        print(f"{r['reader']:<10} {r['page']:<18} {r['fcp_cold']:>7.2f}s {r['fcp_warm']:>7.2f}s "
              f"{r['bytes_cold']:>10,} {r['bytes_warm']:>10,} {r['html']:>7,} "
              f"{r['requests']:>4}")
    worst = max(r["fcp_cold"] for r in rows)
    print(f"\naim: FCP <= {AIM_FCP:.1f} s cold on every page: worst {worst:.2f} s, "
          f"{'met' if ok else 'MISSED'}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=int(os.environ.get("BENCH_PAGES_RUNS", 3)))
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        print(f"bench-pages: no Chromium at {CHROMIUM} (apt-get install chromium)",
              file=sys.stderr)
        return 2
    workdir = Path(tempfile.mkdtemp(prefix="tacit-bench-pages-"))
    server = Server(workdir)
    try:
        server.start()
        rows = measure_all(server.url, pages(server.env, args.quick),
                           1 if args.quick else max(1, args.runs))
    finally:
        server.stop()
    ok = report(rows)
    DATA.mkdir(parents=True, exist_ok=True)
    out = DATA / f"pages-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    out.write_text(json.dumps({"network": NETWORK, "cpu_slowdown": CPU_SLOWDOWN,
                               "rows": rows}, indent=2))
    print(f"results: {out.relative_to(ROOT)}")
    shutil.rmtree(workdir, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
