"""`make bench`: Tacit's pages under load beside bare Flask pages, on a large forum.

1. bench/seed.py builds (once) a large database (BENCH_QUESTIONS=20000, BENCH_POSTS=200000)
   and a small one (BENCH_SMALL_POSTS=2000, same posts per question) in bench/data/.
2. Tacit is served as in production, by `make serve` (gunicorn, gevent worker, one
   process) with FORUM_DATABASE_URL on the bench database and FORUM_RATE_LIMITS=0; the bare
   app (bench/bare_app.py) by gunicorn with the same options.
3. Each page is warmed up, then loaded for BENCH_DURATION seconds (10) with
   BENCH_CONCURRENCY keep-alive connections (8), by `wrk` when installed, else by a Python
   threaded client (BENCH_LOADER=python; slower: it can become the bottleneck).
4. Printed: req/s, p50 and p99 for /questions, the hot question and /search, the bare
   pages' req/s and the ratios; list and hot question at 2,000 posts against 200,000; and
   /search's median latency (one connection, so no queueing) against the ranking query it
   runs (captured from the service, then timed with sqlite3 on the same file).

Aims (from the issue): hot question >= 50% of its bare page's req/s, list >= 60%; list and
question pages at most 10% slower at 200,000 posts than at 2,000; search's median within 3x
of its raw query. The results also go to bench/data/results-<time>.json.

Options: --quick (3 s per page, for trying the script), --keep-going (ignore a missing
page), --strict (exit 1 when an aim is missed).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote_plus, urlsplit

from sqlalchemy import event

sys.path.insert(0, str(Path(__file__).resolve().parent))
import seed  # noqa: E402  (sets the forum's environment before any forum import)

from config import Config  # noqa: E402
from forum import create_app  # noqa: E402
from forum.extensions import db  # noqa: E402
from forum.services import search  # noqa: E402

ROOT = seed.ROOT
DATA = seed.DATA
VENV = Path(sys.executable).parent.parent
AIMS = {"list": 0.60, "hot": 0.50, "scaling": 0.10, "search": 3.0}


# -- servers -------------------------------------------------------------------------------


def free_port() -> int:
    with closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """A server process in its own session (so stopping it stops its workers too)."""

    def __init__(self, name: str, command: list[str], env: dict, port: int):
        self.name, self.command, self.port = name, command, port
        self.env = env
        self.process: subprocess.Popen | None = None
        self.log_path = DATA / "logs" / f"{name}.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 120) -> Server:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "w")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(self.command, cwd=ROOT, env=self.env,
                                        stdout=self._log, stderr=subprocess.STDOUT,
                                        start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited early; see {self.log_path}")
            try:
                with urllib.request.urlopen(self.url + "/health", timeout=2) as response:
                    if response.status == 200:
                        return self
            except (OSError, urllib.error.URLError):
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"{self.name} did not answer /health; see {self.log_path}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)
            except ProcessLookupError:
                pass
        if getattr(self, "_log", None):
            self._log.close()

    def worker_failures(self) -> list[str]:
        """gunicorn's reports of workers killed by a signal or timed out (after stop())."""
        try:
            log = self.log_path.read_text(errors="replace")
        except OSError:
            return []
        return re.findall(r"Worker \(pid:\d+\) was sent \w+!|WORKER TIMEOUT \(pid:\d+\)", log)


def base_env() -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in ("FORUM_REDIS_URL", "FORUM_TEST_DB", "FORUM_DATABASE_URL")}
    env.update({"FORUM_INSTANCE_PATH": os.environ["FORUM_INSTANCE_PATH"],
                "FORUM_SECRET_KEY": os.environ["FORUM_SECRET_KEY"], "PYTHONUNBUFFERED": "1"})
    return env


def tacit_server(db_path: Path, label: str) -> Server:
    """Tacit exactly as README's production command serves it: `make serve`."""
    port = free_port()
    env = base_env()
    env.update({"FORUM_DATABASE_URL": f"sqlite:///{db_path}", "FORUM_RATE_LIMITS": "0",
                "HOST": "127.0.0.1", "PORT": str(port),
                "FORUM_BASE_URL": f"http://127.0.0.1:{port}"})  # `make serve` requires it
    command = ["make", "--no-print-directory", "serve", f"VENV={VENV}"]
    return Server(f"tacit-{label}", command, env, port)


def bare_server(db_path: Path, hot_id: int, label: str) -> Server:
    port = free_port()
    env = base_env()
    env.update({"BENCH_DB": str(db_path), "BENCH_HOT_ID": str(hot_id)})
    command = [str(VENV / "bin" / "gunicorn"), "--worker-class", "gevent", "--workers", "1",
               "--no-control-socket", "--bind", f"127.0.0.1:{port}", "--access-logfile", "-",
               "--pythonpath", str(ROOT / "bench"), "bare_app:app"]
    return Server(f"bare-{label}", command, env, port)


# -- load ----------------------------------------------------------------------------------

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


def _ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value.strip()).groups()
    return float(number) * _UNITS[unit]


def wrk_load(url: str, duration: float, connections: int) -> dict:
    """Run wrk (one thread: the other core serves) and parse its report."""
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(duration))}s", "--latency",
         "--timeout", "30s", url], capture_output=True, text=True, check=True).stdout
    percentiles = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", out, re.M))
    if len(percentiles) != 2 or "Requests/sec" not in out:
        raise RuntimeError(f"unexpected wrk report for {url}:\n{out}")
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)$", out, re.M)
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
            "p50": _ms(percentiles["50"]), "p99": _ms(percentiles["99"]),
            "requests": requests, "errors": int(errors.group(1)) if errors else 0,
            "socket_errors": socket_errors.group(1) if socket_errors else ""}


def python_load(url: str, duration: float, connections: int) -> dict:
    """A threaded keep-alive client: each thread one connection, as many requests as it can."""
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    start = time.perf_counter()
    deadline = start + duration

    def worker():
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        mine, failed = [], 0
        while (began := time.perf_counter()) < deadline:
            try:
                conn.request("GET", path)
                response = conn.getresponse()
                response.read()
                if response.status >= 400:
                    failed += 1
                if response.getheader("Connection", "").lower() == "close":
                    conn.close()
            except (OSError, http.client.HTTPException):
                failed += 1
                conn.close()
                continue
            mine.append((time.perf_counter() - began) * 1000)
        conn.close()
        with lock:
            latencies.extend(mine)
            errors[0] += failed

    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] if latencies else 0

    return {"rps": len(latencies) / elapsed, "p50": pct(0.50), "p99": pct(0.99),
            "requests": len(latencies), "errors": errors[0], "socket_errors": ""}


# BENCH_LOADER=python forces the Python client (to compare, or to test it).
LOAD = (wrk_load if shutil.which("wrk") and os.environ.get("BENCH_LOADER") != "python"
        else python_load)


def fetch(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, b""


def measure(url: str, settings: dict, *, connections: int | None = None) -> dict:
    LOAD(url, settings["warmup"], connections or settings["connections"])
    result = LOAD(url, settings["duration"], connections or settings["connections"])
    status, body = fetch(url)
    result.update({"status": status, "bytes": len(body),
                   "posts_on_page": body.count(b'id="post-')})
    return result


# -- the raw search query ----------------------------------------------------------------


def captured_search_sql(db_path: Path, query: str) -> list[tuple[str, tuple]]:
    """The full-text statements the search service runs for an anonymous reader's first
    page, captured from the cursor as it runs them (whatever the service's internals), on a
    warm process: query expansion included, the once-per-process vocabulary read not."""
    config = Config()
    config.SQLALCHEMY_DATABASE_URI = f"sqlite:///{db_path}"
    config.STARTUP_CHECKS = False  # an in-process app, not a server
    app = create_app(config)
    seen: list[tuple[str, tuple]] = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        if "question_fts" in statement:
            seen.append((statement, tuple(parameters or ())))

    with app.app_context():
        # Once first: what a process reads once and keeps (the vocabulary, the thesaurus)
        # is not part of each search's raw query.
        search.search(None, query, page=1, per_page=20)
        event.listen(db.engine, "before_cursor_execute", capture)
        try:
            search.search(None, query, page=1, per_page=20)
        finally:
            event.remove(db.engine, "before_cursor_execute", capture)
            db.session.remove()
            db.engine.dispose()
    return seen


def time_sql(db_path: Path, statements: list[tuple[str, tuple]], runs: int = 30) -> dict:
    """Median time of running these statements one after the other, fetching every row."""
    with closing(sqlite3.connect(db_path)) as conn:
        for _ in range(3):
            for sql, params in statements:
                conn.execute(sql, params).fetchall()
        times = []
        for _ in range(runs):
            began = time.perf_counter()
            rows = 0
            for sql, params in statements:
                rows += len(conn.execute(sql, params).fetchall())
            times.append((time.perf_counter() - began) * 1000)
    return {"median_ms": statistics.median(times), "rows": rows}


# -- report --------------------------------------------------------------------------------


def verdict(ok: bool | None) -> str:
    return "-" if ok is None else ("ok" if ok else "MISSED")


def print_report(results: dict) -> None:
    meta = results["meta"]
    print()
    print(f"Tacit benchmark: {meta['questions']:,} questions, {meta['posts']:,} posts; hot "
          f"question {meta['hot_id']} ({seed.HOT_ANSWERS} answers, {seed.HOT_REPLIES} "
          f"replies)")
    print(f"gunicorn -k gevent -w 1; {meta['connections']} connections, {meta['duration']:g} s "
          f"per page after {meta['warmup']:g} s warm-up; load by {meta['loader']}; "
          f"{os.cpu_count()} CPUs")
    print()
    header = (f"{'page':<30} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'KB':>6} "
              f"{'bare req/s':>10} {'ratio':>6} {'aim':>7}  result")
    print(header)
    print("-" * len(header))
    for row in results["rows"]:
        r = row.get("tacit")
        if r is None:
            print(f"{row['path']:<30} {'(skipped: ' + row['note'] + ')'}")
            continue
        bare = row.get("bare")
        ratio = r["rps"] / bare["rps"] if bare else None
        aim = AIMS.get(row["key"]) if bare else None
        ok = None if ratio is None or aim is None else ratio >= aim
        row["ratio"], row["ok"] = ratio, ok
        bare_rps = f"{bare['rps']:.1f}" if bare else ""
        ratio_text = f"{ratio:.2f}" if ratio is not None else ""
        aim_text = f">={aim:.2f}" if aim else ""
        print(f"{row['path']:<30} {r['rps']:>8.1f} {r['p50']:>8.1f} {r['p99']:>8.1f} "
              f"{r['bytes'] / 1024:>6.1f} {bare_rps:>10} {ratio_text:>6} {aim_text:>7}  "
              f"{verdict(ok)}")
        if r["errors"] or r.get("socket_errors"):
            print(f"{'':<30} errors: {r['errors']} {r.get('socket_errors', '')}")
        if bare and (bare["errors"] or bare.get("socket_errors")):
            print(f"{'':<30} bare errors: {bare['errors']} {bare.get('socket_errors', '')}")
    print()
    scaling = results.get("scaling")
    if scaling:
        print(f"Scaling: {scaling['small_posts']:,} -> {meta['posts']:,} posts "
              f"(req/s at the small size -> at the large size; aim: at most "
              f"{AIMS['scaling']:.0%} slower)")
        for item in scaling["pages"]:
            print(f"  {item['path']:<28} {item['small_rps']:>8.1f} -> {item['large_rps']:>8.1f}"
                  f"  {item['slower']:+.1%} slower  (p50 {item['small_p50']:.1f} -> "
                  f"{item['large_p50']:.1f} ms)  {verdict(item['ok'])}")
        print()
    search = results.get("search")
    if search:
        if "note" in search:
            print(f"Search: skipped ({search['note']})")
        else:
            print(f"Search '{search['query']}': Tacit /search p50 {search['tacit_p50']:.1f} ms "
                  f"with one connection; its raw query ({search['raw_kind']}, sqlite3, "
                  f"{search['raw_rows']} rows) median {search['raw_median_ms']:.2f} ms -> "
                  f"{search['ratio']:.1f}x (aim: within {AIMS['search']:g}x)  "
                  f"{verdict(search['ok'])}")
            print(f"  bare FTS5 MATCH of the same words: {search['match_median_ms']:.2f} ms")
        print()
    for name, failures in results.get("worker_failures", {}).items():
        print(f"WARNING: {name}: {len(failures)} worker failure(s), e.g. '{failures[0]}': the "
              f"numbers above include restarts (see bench/data/logs/{name}.log)")
    seeds = results.get("seed_seconds")
    if seeds:
        print("Seed timings (from the database markers, s): " + "; ".join(
            f"{name}: " + ", ".join(f"{k} {v}" for k, v in s.items())
            for name, s in seeds.items()))


# -- main ----------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="3 s per page, 1 s warm-up")
    parser.add_argument("--strict", action="store_true", help="exit 1 when an aim is missed")
    parser.add_argument("--keep-going", action="store_true",
                        help="skip pages that do not answer 200 instead of stopping")
    args = parser.parse_args()
    settings = {
        "duration": float(os.environ.get("BENCH_DURATION", 3 if args.quick else 10)),
        "warmup": float(os.environ.get("BENCH_WARMUP", 1 if args.quick else 3)),
        "connections": int(os.environ.get("BENCH_CONCURRENCY", 8)),
    }
    questions, posts, small_posts = seed.sizes_from_env()
    large = seed.ensure(questions, posts)
    small_q = seed.small_questions(questions, posts, small_posts)
    small = seed.ensure(small_q, small_posts)
    large_db = seed.database_path(questions, posts)
    small_db = seed.database_path(small_q, small_posts)
    query = os.environ.get("BENCH_SEARCH_QUERY", large.get("search_query", "implant"))
    hot = large["hot_question_id"]
    results: dict = {
        "meta": {"questions": questions, "posts": posts, "hot_id": hot, **settings,
                 "loader": "wrk" if LOAD is wrk_load else "python threads" + (
                     "" if shutil.which("wrk") else " (apt-get install wrk for steadier numbers)"),
                 "query": query, "when": datetime.now(UTC).isoformat(timespec="seconds")},
        "rows": [],
        "seed_seconds": {f"{m['posts']} posts": m["seconds"] for m in (large, small)},
    }
    pages = [
        ("list", "/questions", "/list"),
        ("hot", f"/questions/{hot}", "/hot"),
        ("search", f"/search?q={quote_plus(query)}", None),
        ("home", "/", None),  # the home page: aim no slower than /questions (issue 11)
    ]
    servers: list[Server] = []
    try:
        tacit = tacit_server(large_db, "large")
        bare = bare_server(large_db, hot, "large")
        servers += [tacit, bare]
        print("starting Tacit (make serve) and the bare app on the large database...")
        tacit.start()
        bare.start()
        for key, path, bare_path in pages:
            status, _body = fetch(tacit.url + path)
            if status != 200:
                note = f"Tacit answered {status}"
                if not args.keep_going and key != "search":
                    raise SystemExit(f"{path}: {note}; use --keep-going to skip it")
                results["rows"].append({"key": key, "path": path, "note": note})
                continue
            print(f"  {path} ...", flush=True)
            row = {"key": key, "path": path, "tacit": measure(tacit.url + path, settings)}
            if bare_path:
                row["bare"] = measure(bare.url + bare_path, settings)
            results["rows"].append(row)
        search_row = next(r for r in results["rows"] if r["key"] == "search")
        if "tacit" in search_row:
            print("  search latency with one connection, and the raw query ...", flush=True)
            single = measure(tacit.url + pages[2][1], settings, connections=1)
            statements = captured_search_sql(large_db, query)
            words = " OR ".join(f'"{w}"' for w in re.findall(r"\w+", query))
            bare_match = [("SELECT rowid FROM question_fts WHERE question_fts MATCH ? "
                           "ORDER BY rank LIMIT 20", (words,))]
            kind = f"{len(statements)} statement(s) captured from the service"
            if not statements:
                statements, kind = bare_match, "nothing captured: a bare FTS5 MATCH"
            raw = time_sql(large_db, statements)
            match = time_sql(large_db, bare_match)
            ratio = single["p50"] / raw["median_ms"] if raw["median_ms"] else float("inf")
            results["search"] = {"query": query, "tacit_p50": single["p50"],
                                 "tacit_single": single, "raw_kind": kind,
                                 "raw_sql": [sql for sql, _p in statements],
                                 "raw_median_ms": raw["median_ms"], "raw_rows": raw["rows"],
                                 "match_median_ms": match["median_ms"], "ratio": ratio,
                                 "ok": ratio <= AIMS["search"]}
        else:
            results["search"] = {"note": search_row["note"] + " (not built yet?)"}
        for server in (tacit, bare):
            server.stop()

        tacit_small = tacit_server(small_db, "small")
        servers.append(tacit_small)
        print(f"starting Tacit on the small database ({small_posts:,} posts)...")
        tacit_small.start()
        scaling = {"small_posts": small_posts, "pages": []}
        for key, path, _bare in pages[:2]:
            row = next((r for r in results["rows"] if r["key"] == key and "tacit" in r), None)
            if row is None:
                continue
            small_path = path if key != "hot" else f"/questions/{small['hot_question_id']}"
            print(f"  {small_path} ...", flush=True)
            measured = measure(tacit_small.url + small_path, settings)
            slower = 1 - row["tacit"]["rps"] / measured["rps"] if measured["rps"] else 0
            scaling["pages"].append({
                "path": path, "small_rps": measured["rps"], "large_rps": row["tacit"]["rps"],
                "small_p50": measured["p50"], "large_p50": row["tacit"]["p50"],
                "slower": slower, "ok": slower <= AIMS["scaling"], "small": measured})
        results["scaling"] = scaling
    finally:
        for server in servers:
            server.stop()
    results["worker_failures"] = {s.name: f for s in servers if (f := s.worker_failures())}

    print_report(results)
    out = DATA / f"results-{datetime.now().strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps(results, indent=2, default=str) + "\n")
    print(f"results: {out.relative_to(ROOT)}; server logs: bench/data/logs/")
    missed = [r["path"] for r in results["rows"] if r.get("ok") is False]
    missed += [p["path"] + " (scaling)" for p in results.get("scaling", {}).get("pages", [])
               if not p["ok"]]
    if results.get("search", {}).get("ok") is False:
        missed.append("search latency")
    missed += [f"{name} worker crashed" for name in results.get("worker_failures", {})]
    if missed:
        print("aims missed: " + ", ".join(missed))
    return 1 if (missed and args.strict) else 0


if __name__ == "__main__":
    sys.exit(main())
