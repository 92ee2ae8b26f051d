"""Chat soak: two `make serve` processes, one killed with SIGKILL mid-run; nothing may be lost
or doubled.

    .venv/bin/python bench/chat_soak.py                      # 200 clients x 20 messages
    SOAK_CLIENTS=20 SOAK_MESSAGES=5 .venv/bin/python bench/chat_soak.py

1. A throw-away PostgreSQL database (127.0.0.1:5432, user postgres; created and dropped)
   and Redis (127.0.0.1:6379) with a prefix and Socket.IO channel of this run's own; users,
   one group room and an API token per user, through the services.
2. Servers A and B: `make serve` on two ports, FORUM_REDIS_URL set (rate limits as in
   production).
3. SOAK_CLIENTS Node clients (bench/node/soak.js, socket.io-client), half on each server,
   join the room; each sends SOAK_MESSAGES messages with client_id `soak-<i>-<n>`, one
   every SOAK_INTERVAL_MS (4000) with jitter, and keeps each until acked.
4. When half of all messages are stored, A is killed with SIGKILL (make, gunicorn and its
   worker) and restarted on the same port. Its clients reconnect: half of them to A once it
   is back, half to B; they rejoin, resend what was not acked with the same client_id, and
   fill the gap with `history {after, before}`: after the highest id they held when the
   socket dropped, before the oldest message the join answered (what is newer comes live).
5. Once every message is acked, each client must hold every message of the room (live, from
   the acks, the join or history) within SOAK_SETTLE seconds (30).

Checked, printed, and exit 1 when any fails: every message stored exactly once (rows per
author and client_id in the database, and no row missing), every client holds every
message, no broadcast arrived twice on one connection, no message stored twice under two
ids. A missing message is explained by who misses it: nobody who kept a connection got it
(never broadcast), or only reconnected clients miss it (their `history` skipped it: it was
broadcast out of id order). Printed besides: resends, resends acked with the original
(duplicates prevented), time, server downtime, reconnect and gap-fill times, the workers' CPU,
error acks and server tracebacks (database or Redis pool exhausted), presence traffic, and
stale presence entries left in Redis. Results: bench/data/chat-soak-<time>.json.

Environment: SOAK_CLIENTS (200), SOAK_MESSAGES (20), SOAK_INTERVAL_MS (4000), SOAK_SETTLE
(30), SOAK_CLIENT_PROCS (Node processes, 2), SOAK_HISTORY_OVERLAP (20: start the gap fill that
many ids before the highest one held, the guard against out-of-order broadcasts that
forum/static/js/chat.js applies too; 0 turns it off),
CHAT_PG_ADMIN_URL, CHAT_REDIS_URL.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import redis

sys.path.insert(0, str(Path(__file__).resolve().parent))
from chat_common import (  # noqa: E402
    DATA,
    PG_ADMIN,
    ROOT,
    NodeClients,
    TacitServer,
    ThrowAwayDatabase,
    cpu_seconds,
    ensure_node,
    free_port,
    load_average,
    pg,
    setup_room,
    split,
    tacit_env,
)

REDIS_URL = os.environ.get("CHAT_REDIS_URL", "redis://127.0.0.1:6379/0")


def quantiles(values: list[float]) -> str:
    if not values:
        return "-"
    values = sorted(values)
    p50 = statistics.median(values)
    p90 = values[min(len(values) - 1, int(0.9 * len(values)))]
    return f"median {p50 / 1000:.2f} s, p90 {p90 / 1000:.2f} s, max {values[-1] / 1000:.2f} s"


class Counter(threading.Thread):
    """Counts the room's stored messages every 50 ms; kills (and restarts) server A when
    half are in."""

    def __init__(self, url: str, room: int, total: int, servers: dict, make_a):
        super().__init__(daemon=True)
        self.url, self.room, self.total = url, room, total
        self.servers, self.make_a = servers, make_a
        self.stored = 0
        self.kill: dict = {}
        self.stop_event = threading.Event()
        self.error: Exception | None = None
        self.cpu: dict[str, list[float]] = {}  # worker CPU %, one value a second

    def run(self) -> None:
        try:
            with pg(self.url) as conn:
                while not self.stop_event.wait(0.05):
                    self.stored = conn.execute("SELECT count(*) FROM chat_messages WHERE "
                                               "room_id = %s", (self.room,)).fetchone()[0]
                    self._sample_cpu()
                    if not self.kill and self.stored >= self.total / 2:
                        self._kill_and_restart()
        except Exception as error:  # reported by the main thread
            self.error = error

    def _sample_cpu(self) -> None:
        """Each second: the CPU share each server's worker used in the last second."""
        now = time.monotonic()
        last = getattr(self, "_cpu_last", None)
        if last and now - last[0] < 1:
            return
        current = {}
        for name, server in self.servers.items():
            try:
                current[name] = (server.worker(), cpu_seconds(server.worker()))
            except (OSError, TypeError):
                continue
        if last:
            for name, (pid, seconds) in current.items():
                before = last[1].get(name)
                if before and before[0] == pid:
                    self.cpu.setdefault(name, []).append(
                        100 * (seconds - before[1]) / (now - last[0]))
        self._cpu_last = (now, current)

    def _kill_and_restart(self) -> None:
        killed_at = time.monotonic()
        self.servers["A"].kill()
        self.kill = {"stored_at_kill": self.stored, "at": time.time()}
        restarted = self.make_a("chat-soak-A-restarted")
        self.servers["A"] = restarted
        restarted.start()
        self.kill["down_s"] = time.monotonic() - killed_at


def explain_missing(reports: list[dict], rows: list) -> list[str]:
    """Why messages are missing, from who misses them: a message no client that kept its
    connection received was never broadcast; one only reconnected clients miss was skipped
    by their `history {after}`."""
    by_id = {r[0]: r for r in rows}
    stayed = [r for r in reports if not r["reconnects"]]
    lines = []
    for message_id in sorted({i for r in reports for i in r["missing_ids"]}):
        missed_by = [r for r in reports if message_id in r["missing_ids"]]
        stayed_missing = sum(1 for r in stayed if message_id in r["missing_ids"])
        moved_missing = len(missed_by) - stayed_missing
        author, client_id = by_id[message_id][1:] if message_id in by_id else ("?", "?")
        if stayed and stayed_missing == len(stayed):
            why = "never broadcast (no client that kept its connection got it)"
        elif stayed_missing == 0:
            why = "skipped by the gap fill of reconnected clients (broadcast out of id order)"
        else:
            why = "missed by some connected clients too"
        lines.append(f"  id {message_id} ({author} {client_id}): missed by {moved_missing} "
                     f"reconnected and {stayed_missing}/{len(stayed)} connected clients: {why}")
    return lines[:20]


def main() -> int:
    clients = int(os.environ.get("SOAK_CLIENTS", 200))
    messages = int(os.environ.get("SOAK_MESSAGES", 20))
    interval = int(os.environ.get("SOAK_INTERVAL_MS", 4000))
    settle = float(os.environ.get("SOAK_SETTLE", 30))
    procs = int(os.environ.get("SOAK_CLIENT_PROCS", 2 if clients > 50 else 1))
    overlap = int(os.environ.get("SOAK_HISTORY_OVERLAP", 20))
    total = clients * messages
    ensure_node()
    try:
        with pg(PG_ADMIN):
            pass
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except Exception as error:
        raise SystemExit(f"the soak needs PostgreSQL ({PG_ADMIN}) and Redis ({REDIS_URL}): "
                         f"{error}") from error

    run = uuid.uuid4().hex[:8]
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    log_dir = DATA / "logs" / f"chat-soak-{stamp}"
    database = ThrowAwayDatabase(f"tacit_soak_{run}")
    prefix = f"tacit-soak-{run}"
    tmp = Path(tempfile.mkdtemp(prefix="tacit-chat-soak-"))
    url = database.url
    ports = {"A": free_port(), "B": free_port()}
    envs = {name: tacit_env(tmp / name, url, port, FORUM_REDIS_URL=REDIS_URL,
                            FORUM_REDIS_PREFIX=prefix,
                            FORUM_SOCKETIO_CHANNEL=f"{prefix}-socketio",
                            # every client comes from 127.0.0.1: no cap per address
                            FORUM_SOCKETS_PER_IP="0")
            for name, port in ports.items()}
    servers: dict = {}
    nodes: list[NodeClients] = []
    result: dict = {"meta": {"clients": clients, "messages": messages, "interval_ms": interval,
                             "history_overlap": overlap, "run": run,
                             "load_before": load_average(),
                             "when": datetime.now(UTC).isoformat(timespec="seconds")}}
    failures: list[str] = []
    began = time.monotonic()
    database.create()
    try:
        print(f"setting up {clients} users (PostgreSQL database {database.name}, Redis prefix "
              f"{prefix})...", flush=True)
        room = setup_room(envs["A"], clients, prefix="soak")
        users = room["users"]

        def make_a(name: str) -> TacitServer:
            return TacitServer(name, envs["A"], ports["A"])

        servers["A"] = make_a("chat-soak-A")
        servers["B"] = TacitServer("chat-soak-B", envs["B"], ports["B"])
        print("starting servers A and B (make serve, gevent worker, Redis queue)...",
              flush=True)
        servers["A"].start()
        servers["B"].start()
        urls = [servers["A"].url, servers["B"].url]
        # Homes alternate A, B; of each server's clients, every other one fails over.
        everyone = [{"index": i, "token": u["token"], "username": u["username"], "home": i % 2,
                     "failover": (i // 2) % 2 == 1} for i, u in enumerate(users)]
        for number, mine in enumerate(split(everyone, procs)):
            nodes.append(NodeClients("soak.js", {
                "urls": urls, "room": room["room"], "clients": mine, "messages": messages,
                "interval_ms": interval, "ack_timeout_ms": 60000, "history_overlap": overlap},
                f"soak-{number}", log_dir))
        for node in nodes:
            node.wait_for("ready", 180)
        print(f"{clients} clients joined; sending {messages} messages each, one every "
              f"{interval / 1000:g} s; A is killed when {total // 2} are stored", flush=True)

        counter = Counter(url, room["room"], total, servers, make_a)
        counter.start()
        start = time.time() * 1000 + 1000
        sending_began = time.monotonic()
        for node in nodes:
            node.send({"cmd": "go", "start": start})
        acked = set()
        deadline = time.monotonic() + messages * interval / 1000 + 180
        last_print = 0.0
        while len(acked) < len(nodes):
            if time.monotonic() > deadline:
                raise RuntimeError("not every message was acked in time; see the logs in "
                                   f"{log_dir}")
            if counter.error:
                raise counter.error
            for i, node in enumerate(nodes):
                for event in node.poll():
                    if event["event"] == "all_acked":
                        acked.add(i)
                    elif event["event"] in ("error", "exit"):
                        raise RuntimeError(f"{node.name}: {event}")
            if time.monotonic() - last_print >= 5:
                last_print = time.monotonic()
                state = "killed, back" if counter.kill.get("down_s") else (
                    "killed, restarting" if counter.kill else "up")
                print(f"  {time.monotonic() - sending_began:5.1f} s: {counter.stored} stored; "
                      f"server A {state}", flush=True)
            time.sleep(0.1)
        all_acked_s = time.monotonic() - sending_began
        wait_until = time.monotonic() + 120
        while counter.kill and "down_s" not in counter.kill and time.monotonic() < wait_until:
            time.sleep(0.1)  # A's restart may still be finishing
        counter.stop_event.set()
        counter.join(timeout=5)
        if not counter.kill:
            failures.append("server A was never killed (too few messages?)")

        with pg(url) as conn:
            rows = conn.execute(
                "SELECT m.id, u.username, m.client_id FROM chat_messages m "
                "JOIN users u ON u.id = m.author_id WHERE m.room_id = %s ORDER BY m.id",
                (room["room"],)).fetchall()
        ids = [r[0] for r in rows]
        expected_path = log_dir / "expected-ids.json"
        expected_path.write_text(json.dumps(ids))
        for node in nodes:
            node.send({"cmd": "finish", "expected": str(expected_path),
                       "wait_ms": settle * 1000})
        reports = []
        for node in nodes:
            reports += node.wait_for("result", settle + 60)["clients"]
        held_s = time.monotonic() - sending_began

        # -- stored exactly once ----------------------------------------------------------
        per_key: dict = {}
        for _id, username, client_id in rows:
            per_key[(username, client_id)] = per_key.get((username, client_id), 0) + 1
        wanted = {(u["username"], f"soak-{i}-{n}") for i, u in enumerate(users)
                  for n in range(messages)}
        stored_twice = {k: c for k, c in per_key.items() if c > 1}
        not_stored = sorted(wanted - set(per_key))
        strangers = sorted(set(per_key) - wanted)
        if stored_twice:
            failures.append(f"{len(stored_twice)} messages stored more than once, e.g. "
                            f"{list(stored_twice.items())[:3]}")
        if not_stored:
            failures.append(f"{len(not_stored)} messages never stored, e.g. {not_stored[:3]}")
        if strangers:
            failures.append(f"{len(strangers)} unexpected rows, e.g. {strangers[:3]}")

        # -- every client holds every message ---------------------------------------------
        def total_of(key):
            return sum(r[key] for r in reports)

        incomplete = [r for r in reports if r["missing"]]
        if incomplete:
            failures.append(f"{len(incomplete)} clients miss messages ({total_of('missing')} "
                            f"in all):")
            failures += explain_missing(reports, rows)
        for key, what in (("extra", "messages held that the database does not have"),
                          ("live_duplicates", "broadcasts received twice on one connection"),
                          ("stored_duplicates", "messages held under two ids"),
                          ("unacked", "messages never acked")):
            if total_of(key):
                failures.append(f"{total_of(key)} {what}")
        if len(reports) != clients:
            failures.append(f"{clients - len(reports)} clients did not report")

        # -- presence left behind in Redis ------------------------------------------------
        client = redis.Redis.from_url(REDIS_URL, decode_responses=True)
        online_key = f"{prefix}:chat:online:{room['room']}"
        online_entries = client.hlen(online_key)
        connected_now = sum(1 for r in reports if r["connected"])

        ack_errors: dict = {}
        for report in reports:
            for code, count in report["ack_errors"].items():
                ack_errors[code] = ack_errors.get(code, 0) + count
        server_errors = {}
        for name in ("chat-soak-A", "chat-soak-A-restarted", "chat-soak-B"):
            log = (DATA / "logs" / f"{name}.log")
            text = log.read_text(errors="replace") if log.exists() else ""
            server_errors[name] = {"tracebacks": text.count("Traceback (most recent call"),
                                   "pool_timeouts": text.count("QueuePool limit"),
                                   "redis_pool_full": text.count("Too many connections")}
        reconnects = [rc for r in reports for rc in r["reconnects"]]
        result.update({
            "rows": len(rows), "expected": len(wanted), "stored_twice": len(stored_twice),
            "not_stored": len(not_stored), "kill": counter.kill,
            "all_acked_s": all_acked_s, "all_held_s": held_s,
            "resends": total_of("resends"), "acked_with_original": total_of(
                "acked_with_original"), "ack_timeouts": total_of("ack_timeouts"),
            "rate_limited": total_of("rate_limited"), "already_held": total_of("already_held"),
            "live": total_of("live"), "from_join": total_of("from_join"),
            "from_history": total_of("from_history"), "from_ack": total_of("from_ack"),
            "history_calls": total_of("history_calls"),
            "connect_failures": total_of("connect_failures"),
            "reconnects": len(reconnects),
            "reconnected_to": {s: sum(1 for rc in reconnects if rc["to"] == i)
                               for i, s in enumerate("AB")},
            "reconnect_ms": {s: {"connect": sorted(rc["connect_ms"] for rc in reconnects
                                                   if rc["to"] == i),
                                 "filled": sorted(rc["filled_ms"] for rc in reconnects
                                                  if rc["to"] == i)}
                             for i, s in enumerate("AB")},
            "queued_while_down": total_of("queued_while_down"),
            "presence_events": total_of("presence_events"),
            "presence_names": total_of("presence_names"),
            "clients_missing": len(incomplete), "missing": total_of("missing"),
            "presence_entries": online_entries, "sockets_connected": connected_now,
            "ack_errors": ack_errors, "server_errors": server_errors,
            "worker_cpu_pct": counter.cpu,
            "history_failures": total_of("history_failures"),
            "failures": failures, "load_after": load_average(),
        })
        result["clients_detail"] = reports
    finally:
        for node in nodes:
            node.stop()
        for server in servers.values():
            server.stop()
        database.drop()
        try:
            client = redis.Redis.from_url(REDIS_URL)
            keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
            if keys:
                client.delete(*keys)
        except Exception as error:
            print(f"could not clean Redis keys {prefix}*: {error}")
        shutil.rmtree(tmp, ignore_errors=True)

    r = result
    print()
    print(f"Chat soak: {clients} clients x {messages} messages on two `make serve` processes "
          f"(PostgreSQL, Redis queue); server A killed with SIGKILL at "
          f"{r['kill'].get('stored_at_kill', '?')} stored messages, back after "
          f"{r['kill'].get('down_s', float('nan')):.1f} s")
    print(f"  stored: {r['rows']} rows for {r['expected']} messages; stored twice: "
          f"{r['stored_twice']}; never stored: {r['not_stored']}")
    print(f"  resends (same client_id): {r['resends']}; of them acked with the message an "
          f"earlier attempt stored (duplicates prevented): {r['acked_with_original']}; ack "
          f"timeouts: {r['ack_timeouts']}; rate limited: {r['rate_limited']}")
    print(f"  presence events received while sending: {r['presence_events']:,} (lists of "
          f"{r['presence_names']:,} names in all)")
    print(f"  received: {r['live']:,} live, {r['from_ack']:,} from acks, {r['from_join']:,} "
          f"from join, {r['from_history']:,} from history ({r['history_calls']} calls); "
          f"{r['already_held']:,} already held (dropped by id)")
    print(f"  reconnects: {r['reconnects']} ({r['connect_failures']} failed attempts); "
          f"messages sent late (written while disconnected): {r['queued_while_down']}")
    for name, where in (("A", "back to A, restarted"), ("B", "over to B")):
        times = r["reconnect_ms"][name]
        print(f"    {where}: {r['reconnected_to'][name]} clients; connected again "
              f"{quantiles(times['connect'])}; gap filled {quantiles(times['filled'])}")
    cpu = {name: values for name, values in r["worker_cpu_pct"].items() if values}
    print("  server workers' CPU while sending (% of a core, mean / max of 1 s samples): "
          + "; ".join(f"{name} {statistics.mean(v):.0f} / {max(v):.0f}"
                      for name, v in sorted(cpu.items())))
    if r["ack_errors"] or r["history_failures"]:
        print(f"  error acks (each retried): {r['ack_errors']}; history calls failed: "
              f"{r['history_failures']}")
    for name, counts in r["server_errors"].items():
        if counts["tracebacks"]:
            print(f"  WARNING: {name} logged {counts['tracebacks']} tracebacks: "
                  f"{counts['pool_timeouts']} database pool timeouts (QueuePool limit), "
                  f"{counts['redis_pool_full']} Redis pool full (Too many connections); see "
                  f"bench/data/logs/{name}.log")
    print(f"  clients holding every message: {clients - r['clients_missing']}/{clients} "
          f"({r['missing']} messages missing in all)")
    print(f"  time: all acked {r['all_acked_s']:.1f} s after the first send, all held "
          f"{r['all_held_s']:.1f} s; whole run {time.monotonic() - began:.1f} s")
    stale = r["presence_entries"] - r["sockets_connected"]
    print(f"  presence in Redis: {r['presence_entries']} entries for {r['sockets_connected']} "
          f"connected sockets" + (f" ({stale} stale, left by the killed process)"
                                  if stale > 0 else ""))
    print(f"  machine load (1, 5, 15 min) before: {r['meta']['load_before']}, after: "
          f"{r['load_after']}")
    out = DATA / f"chat-soak-{stamp}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"results: {out.relative_to(ROOT)}; logs: {log_dir.relative_to(ROOT)}/ and "
          f"bench/data/logs/chat-soak-*.log")
    if failures:
        print("FAILED:\n  " + "\n  ".join(failures))
        return 1
    print("OK: every message stored once, every client holds every message, no duplicates")
    return 0


if __name__ == "__main__":
    sys.exit(main())
