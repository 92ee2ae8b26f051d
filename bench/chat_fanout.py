"""Chat fan-out: Tacit's /chat beside a bare Flask-SocketIO broadcast server, in one run.

    .venv/bin/python bench/chat_fanout.py                  # 50 and 200 sockets, ~2 min
    .venv/bin/python bench/chat_fanout.py --quick --sizes 20

1. A throw-away instance folder with a SQLite database (or --postgresql); through the
   services (a separate process): users, one group, its chat room, an API token per user.
2. Tacit served by `make serve` (gunicorn, gevent worker, one process, FORUM_RATE_LIMITS=0 so
   the per-user chat limit does not throttle the senders); bench/bare_socketio.py by gunicorn
   with the same options.
3. For each room size (50, 200) and each server: Node processes (bench/node/fanout.js, the
   official socket.io-client, WebSocket transport) open that many sockets with API tokens and
   join one room; CHAT_SENDERS of them (10) each keep one `send_message` in flight (the next
   leaves once the ack and the sender's own chat_message are back). After a warm-up, for a
   window of CHAT_DURATION seconds: chat_message events received by all sockets per second
   (messages delivered per second), and send -> receive latency on the machine's clock
   (p50, p99) of the messages sent in the window. Then a paced window: every sender sends at
   a fixed rate, the same for both servers (CHAT_PACE, 0.5, of Tacit's saturated rate), for
   the latency of each at one load rather than at its own capacity.
4. Printed: the table, Tacit/bare ratios (aims: delivered/s >= 0.80, p99 <= 2x), the
   worker's RSS with the sockets still open (aim with 200: < 250 MB), CPU used by the server's
   worker and by the clients in the window (a client near 100% of a core would be the
   bottleneck), and the machine's load. Results: bench/data/chat-fanout-<time>.json.

Options: --sizes 50,200, --quick (3 s windows), --strict (exit 1 when an aim is missed),
--postgresql (a throw-away database on 127.0.0.1:5432 instead of SQLite), --floor (SQLite
only: also bench/floor_socketio.py, the bare server plus the least a stored message needs:
token and membership checks, Markdown, one INSERT, in plain sqlite3; its ratio to the bare
server is the ceiling of any design that stores and renders each message in this process).
Environment: CHAT_SENDERS, CHAT_DURATION, CHAT_WARMUP, CHAT_PACE, CHAT_CLIENT_PROCS (Node
processes per run; default one per 100 sockets), CHAT_DEFLATE=1 (the clients offer
permessage-deflate, as browsers do: the server then compresses every frame for every socket;
off by default, since inflating would make the load generator the bottleneck).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from chat_common import (  # noqa: E402
    DATA,
    ROOT,
    NodeClients,
    TacitServer,
    ThrowAwayDatabase,
    bare_server,
    cpu_seconds,
    ensure_node,
    floor_server,
    free_port,
    load_average,
    rss_mb,
    setup_room,
    split,
    tacit_env,
    worker_pid,
)

AIMS = {"rate": 0.80, "p99": 2.0, "rss_mb": 250.0}
BODY = "Has anyone tried **community-based distribution** of DMPA-SC in the dry season?"


def percentile(histogram: dict, fraction: float) -> float:
    """The value below which `fraction` of a merged bucket histogram lies (ms)."""
    buckets = sorted((int(b), n) for b, n in histogram.items())
    total = sum(n for _b, n in buckets)
    if not total:
        return float("nan")
    rank, seen = fraction * total, 0
    for bucket, count in buckets:
        seen += count
        if seen >= rank:
            return 0.01 * 1.02 ** (bucket + 0.5)
    return 0.01 * 1.02 ** (buckets[-1][0] + 0.5)


def measure(clients: list[NodeClients], worker: int, *, warmup: float, duration: float,
            rate: float | None = None) -> dict:
    """One load window on connected clients: closed loop (rate None) or `rate` messages a
    second per sender. Returns the summed counts, latency and CPU."""
    start = time.time() * 1000 + 500
    for client in clients:
        client.send({"cmd": "go", "start": start, "warmup": warmup * 1000,
                     "duration": duration * 1000, "grace": 10000, "rate": rate})
    time.sleep(max(0.0, start / 1000 + warmup - time.time()))
    server_cpu0 = cpu_seconds(worker)
    client_cpu0 = [c.cpu_seconds() for c in clients]
    time.sleep(max(0.0, start / 1000 + warmup + duration - time.time()))
    server_cpu = cpu_seconds(worker) - server_cpu0
    client_cpu = [c.cpu_seconds() - c0 for c, c0 in zip(clients, client_cpu0, strict=True)]
    results = [c.wait_for("result", 60) for c in clients]
    histogram: dict = {}
    errors: dict = {}
    for result in results:
        for bucket, count in result["latency"]["buckets"].items():
            histogram[bucket] = histogram.get(bucket, 0) + count
        for code, count in result["errors"].items():
            errors[code] = errors.get(code, 0) + count
    return {
        "load": "saturated" if rate is None else "paced",
        "sockets": sum(r["sockets"] for r in results),
        "senders": sum(r["senders"] for r in results),
        "delivered_per_s": sum(r["delivered"] for r in results) / duration,
        "sent_per_s": sum(r["sent"] for r in results) / duration,
        "p50_ms": percentile(histogram, 0.50), "p99_ms": percentile(histogram, 0.99),
        "max_ms": max(r["latency"]["max"] for r in results),
        "samples": sum(r["latency"]["count"] for r in results),
        "payload_bytes": max(r["payload_bytes"] for r in results),
        "server_cpu_pct": 100 * server_cpu / duration,
        "client_cpu_pct": [round(100 * c / duration, 1) for c in client_cpu],
        "errors": errors, "load_average": load_average(),
    }


def run_phase(server, name: str, tokens: list[str], room: int, settings: dict,
              log_dir: Path, *, pace: float | None = None) -> tuple[dict, dict]:
    """One room size against one server: connect, join, then a saturated window and a paced
    one (`pace` messages a second in all; default: half the saturated rate). Returns the two
    rows; the saturated one carries the worker's memory with the sockets open."""
    size = len(tokens)
    procs = settings["procs"] or max(1, math.ceil(size / 100))
    senders = min(settings["senders"], size)
    # Senders spread over the room (and so over the Node processes).
    sender_set = {round(i * size / senders) for i in range(senders)}
    indexes = split(list(range(size)), procs)
    clients = []
    try:
        began = time.monotonic()
        for number, mine in enumerate(indexes):
            config = {"url": server.url, "room": room, "tokens": [tokens[i] for i in mine],
                      "senders": [k for k, i in enumerate(mine) if i in sender_set],
                      "label": f"{name[0]}{size}r", "body": BODY}
            clients.append(NodeClients("fanout.js", config, f"{name}-{size}-{number}", log_dir))
        ready = [c.wait_for("ready", 180) for c in clients]
        connect_s = time.monotonic() - began
        worker = server.worker() if hasattr(server, "worker") else worker_pid(server.process.pid)
        saturated = measure(clients, worker, warmup=settings["warmup"],
                            duration=settings["duration"])
        memory = rss_mb(worker)  # the sockets are still open
        pace = pace or saturated["sent_per_s"] * settings["pace"]
        paced = measure(clients, worker, warmup=1, duration=settings["paced_duration"],
                        rate=pace / senders)
    finally:
        for client in clients:
            client.stop()
    common = {"server": name, "procs": procs, "connect_and_join_s": connect_s,
              "presence_events": sum(r["presence_events"] for r in ready),
              "worker_rss_mb": memory["rss"], "worker_peak_rss_mb": memory["peak"]}
    return {**common, **saturated}, {**common, **paced, "pace": pace}


def verdict(ok: bool | None) -> str:
    return "-" if ok is None else ("ok" if ok else "MISSED")


def print_report(results: dict) -> list[str]:
    meta = results["meta"]
    print()
    print(f"Chat fan-out: one room, {meta['senders']} senders; gunicorn -k gevent -w 1; Tacit on "
          f"{meta['database']}; clients: Node socket.io-client (WebSocket"
          f"{', permessage-deflate' if meta['deflate'] else ''}); {os.cpu_count()} CPUs")
    print(f"saturated: each sender keeps one message in flight ({meta['warmup']:g} s warm-up, "
          f"{meta['duration']:g} s measured); paced: both servers get the same fixed rate, "
          f"{meta['pace']:.0%} of Tacit's saturated rate ({meta['paced_duration']:g} s)")
    print()
    header = (f"{'load':<9} {'server':<6} {'sockets':>7} {'sent/s':>7} {'delivered/s':>11} "
              f"{'p50 ms':>7} {'p99 ms':>7} {'server CPU':>10} {'client CPU':>11} "
              f"{'RSS MB':>6} {'load avg':>15}")
    print(header)
    print("-" * len(header))
    for row in results["rows"]:
        clients = "+".join(f"{c:.0f}" for c in row["client_cpu_pct"]) + "%"
        rss = f"{row['worker_rss_mb']:.0f}" if row["load"] == "saturated" else ""
        print(f"{row['load']:<9} {row['server']:<6} {row['sockets']:>7} "
              f"{row['sent_per_s']:>7.1f} {row['delivered_per_s']:>11.0f} "
              f"{row['p50_ms']:>7.1f} {row['p99_ms']:>7.1f} {row['server_cpu_pct']:>9.0f}% "
              f"{clients:>11} {rss:>6} {row['load_average']:>15}")
        if row["errors"]:
            print(f"{'':<16} errors: {row['errors']}")
    print()
    missed = []
    for size, pair in sorted(results["ratios"].items(), key=lambda kv: int(kv[0])):
        rate_ok = pair["rate"] >= AIMS["rate"]
        p99_ok = pair["p99"] <= AIMS["p99"]
        line = (f"{size:>4} sockets: delivered/s Tacit/bare {pair['rate']:.2f} (aim >= "
                f"{AIMS['rate']:.2f}) {verdict(rate_ok)}; p99 Tacit/bare {pair['p99']:.2f}x "
                f"saturated (aim <= {AIMS['p99']:g}x) {verdict(p99_ok)}, "
                f"{pair['paced_p99']:.2f}x at {pair['pace']:.0f} msgs/s")
        if "rss_mb" in pair:
            rss_ok = pair["rss_mb"] < AIMS["rss_mb"]
            line += (f"; Tacit worker RSS {pair['rss_mb']:.0f} MB (aim < {AIMS['rss_mb']:.0f})"
                     f" {verdict(rss_ok)}")
            if not rss_ok:
                missed.append(f"RSS with {size} sockets")
        print(line)
        if not rate_ok:
            missed.append(f"delivered/s ratio with {size} sockets")
        if not p99_ok:
            missed.append(f"p99 ratio with {size} sockets")
    for size, pair in sorted(results.get("floor", {}).items(), key=lambda kv: int(kv[0])):
        print(f"{size:>4} sockets, floor (plain sqlite3 store + Markdown, no framework): "
              f"delivered/s floor/bare {pair['rate']:.2f}; p99 floor/bare {pair['p99']:.2f}x "
              f"saturated, {pair['paced_p99']:.2f}x paced")
    for row in results["rows"]:
        if row["server"] == "tacit" and row["load"] == "saturated":
            print(f"  Tacit, {row['sockets']} sockets: connect + join + presence settled in "
                  f"{row['connect_and_join_s']:.1f} s ({row['presence_events']:,} presence "
                  f"events to the clients); chat_message {row['payload_bytes']} bytes (bare: "
                  f"the sent payload echoed)")
    if any(max(r["client_cpu_pct"]) > 85 for r in results["rows"]):
        print("WARNING: a client process used more than 85% of a core: it may have been the "
              "bottleneck (raise CHAT_CLIENT_PROCS)")
    return missed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="50,200", help="room sizes (sockets), comma-separated")
    parser.add_argument("--quick", action="store_true", help="3 s windows, 1 s warm-up")
    parser.add_argument("--strict", action="store_true", help="exit 1 when an aim is missed")
    parser.add_argument("--floor", action="store_true",
                        help="also the floor server (SQLite only; see the docstring)")
    parser.add_argument("--postgresql", action="store_true",
                        help="a throw-away PostgreSQL database (127.0.0.1:5432) instead of "
                             "SQLite")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    settings = {
        "senders": int(os.environ.get("CHAT_SENDERS", 10)),
        "duration": float(os.environ.get("CHAT_DURATION", 3 if args.quick else 10)),
        "warmup": float(os.environ.get("CHAT_WARMUP", 1 if args.quick else 3)),
        "procs": int(os.environ.get("CHAT_CLIENT_PROCS", 0)),
        "deflate": os.environ.get("CHAT_DEFLATE") == "1",
        "pace": float(os.environ.get("CHAT_PACE", 0.5)),
    }
    settings["paced_duration"] = max(3.0, settings["duration"] / 2)
    ensure_node()
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    log_dir = DATA / "logs" / f"chat-fanout-{stamp}"
    instance = Path(tempfile.mkdtemp(prefix="tacit-chat-fanout-"))
    port = free_port()
    database = None
    if args.postgresql:
        database = ThrowAwayDatabase(f"tacit_fanout_{stamp.replace('-', '_')}").create()
        url, where = database.url, f"PostgreSQL database {database.name}"
    else:
        url, where = f"sqlite:///{instance / 'forum.db'}", f"SQLite in {instance}"
    env = tacit_env(instance, url, port, FORUM_RATE_LIMITS="0")
    results: dict = {"meta": {**settings, "sizes": sizes,
                              "database": "postgresql" if database else "sqlite",
                              "when": datetime.now(UTC).isoformat(timespec="seconds"),
                              "load_before": load_average()}, "rows": [], "ratios": {}}
    servers = []
    try:
        print(f"setting up {max(sizes)} users, a group and its room ({where})...", flush=True)
        room = setup_room(env, max(sizes))
        tokens = [u["token"] for u in room["users"]]
        tacit = TacitServer("chat-tacit", env, port)
        bare = bare_server("chat-bare")
        servers += [tacit, bare]
        floor = None
        if args.floor and not database:
            floor = floor_server(instance / "forum.db")
            servers.append(floor)
        print("starting Tacit (make serve) and the bare Flask-SocketIO server...", flush=True)
        for server in servers:
            server.start()
        for size in sizes:
            print(f"  tacit: {size} sockets ...", flush=True)
            tacit_rows = run_phase(tacit, "tacit", tokens[:size], room["room"], settings,
                                   log_dir)
            print(f"  bare: {size} sockets ...", flush=True)
            bare_rows = run_phase(bare, "bare", tokens[:size], room["room"], settings, log_dir,
                                  pace=tacit_rows[1]["pace"])
            results["rows"] += [tacit_rows[0], bare_rows[0], tacit_rows[1], bare_rows[1]]
            if floor is not None:
                print(f"  floor: {size} sockets ...", flush=True)
                floor_rows = run_phase(floor, "floor", tokens[:size], room["room"], settings,
                                       log_dir, pace=tacit_rows[1]["pace"])
                results["rows"] += floor_rows
                results.setdefault("floor", {})[str(size)] = {
                    "rate": floor_rows[0]["delivered_per_s"] / bare_rows[0]["delivered_per_s"],
                    "p99": floor_rows[0]["p99_ms"] / bare_rows[0]["p99_ms"],
                    "paced_p99": floor_rows[1]["p99_ms"] / bare_rows[1]["p99_ms"]}
            ratios = {
                "rate": tacit_rows[0]["delivered_per_s"] / bare_rows[0]["delivered_per_s"],
                "p99": tacit_rows[0]["p99_ms"] / bare_rows[0]["p99_ms"],
                "paced_p99": tacit_rows[1]["p99_ms"] / bare_rows[1]["p99_ms"],
                "pace": tacit_rows[1]["pace"],
            }
            if size >= 200:
                ratios["rss_mb"] = tacit_rows[0]["worker_rss_mb"]
            results["ratios"][str(size)] = ratios
    finally:
        for server in servers:
            server.stop()
        if database:
            database.drop()
        shutil.rmtree(instance, ignore_errors=True)
    results["worker_failures"] = {s.name: f for s in servers if (f := s.worker_failures())}
    missed = print_report(results)
    for name, failures in results["worker_failures"].items():
        print(f"WARNING: {name}: worker failure(s): {failures[:3]}")
        missed.append(f"{name} worker crashed")
    out = DATA / f"chat-fanout-{stamp}.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"machine load (1, 5, 15 min) before: {results['meta']['load_before']}, after: "
          f"{load_average()}")
    print(f"results: {out.relative_to(ROOT)}; logs: {log_dir.relative_to(ROOT)}/ and "
          f"bench/data/logs/chat-*.log")
    if missed:
        print("aims missed: " + ", ".join(missed))
    return 1 if (missed and args.strict) else 0


if __name__ == "__main__":
    sys.exit(main())
