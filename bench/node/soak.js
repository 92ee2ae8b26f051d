// Soak clients for bench/chat_soak.py: chat users who lose their server and must lose nothing.
//
// Config (JSON file, argv[2]): {urls: [A, B], room,
// clients: [{index, token, username, home, failover}],
// messages, interval_ms, ack_timeout_ms, history_overlap}. Events on stdout: ready, progress, all_acked,
// result, error. Commands on stdin:
//   {cmd: "go", start}                      start sending at this epoch ms
//   {cmd: "finish", expected, wait_ms}      expected: a JSON file of the room's message ids;
//                                           wait until every client holds them (or wait_ms)
//   {cmd: "close"}
//
// Each client sends `messages` messages (client_id `soak-<index>-<n>`), one every
// interval_ms with jitter, several in flight if need be. A message is done when acked;
// until then it is kept, and resent with the same client_id after a reconnect (or an ack
// timeout). On a disconnect, clients wait for their own server to come back on the same
// port, or (failover) go to the other server. After reconnecting: join (its
// last 50 messages count too), resend what was not acked, then `history {after, before}`
// from the highest id held when the socket dropped up to the oldest message of the join,
// page by page. Held messages are keyed by id;
// an id arriving twice live on one connection is a broadcast duplicate (counted), the same
// author and client_id under two ids is a stored duplicate (counted).
import { readFileSync } from "node:fs";

import {
  connected, now, onCommands, openSocket, pool, readConfig, report, sleep,
} from "./common.js";

const config = readConfig();
const clients = config.clients.map((c) => ({
  ...c,
  socket: null,
  server: c.home,
  connected: false,
  held: new Map(), // id -> message
  byClientId: new Map(), // `${author}|${client_id}` -> id
  liveThisConnection: new Set(),
  outbox: [], // {n, clientId, sentAt, attempts, acked, ackedId, inFlight}
  stats: {
    live: 0, from_ack: 0, from_join: 0, from_history: 0, already_held: 0, live_duplicates: 0,
    stored_duplicates: 0, resends: 0, acked_with_original: 0, rate_limited: 0, ack_errors: {},
    ack_timeouts: 0, queued_while_down: 0, presence_events: 0, presence_names: 0, history_calls: 0, history_failures: 0, reconnects: [], connect_failures: 0,
  },
}));

function hold(client, message, source) {
  if (!message || typeof message.id !== "number") return;
  if (client.held.has(message.id)) {
    client.stats.already_held += 1;
    return;
  }
  const author = message.author ? message.author.username : "?";
  const key = `${author}|${message.client_id}`;
  const other = client.byClientId.get(key);
  if (other !== undefined && other !== message.id) client.stats.stored_duplicates += 1;
  client.byClientId.set(key, message.id);
  client.held.set(message.id, true);
  client.stats[source] += 1;
}

function maxHeld(client) {
  let max = 0;
  for (const id of client.held.keys()) if (id > max) max = id;
  return max;
}

function countError(client, code) {
  client.stats.ack_errors[code] = (client.stats.ack_errors[code] || 0) + 1;
}

// -- sending ------------------------------------------------------------------------------

async function send(client, item) {
  if (item.acked || item.inFlight || !client.connected) return;
  const socket = client.socket;
  item.inFlight = true;
  item.attempts += 1;
  const attemptAt = now();
  if (item.attempts > 1) client.stats.resends += 1;
  let ack;
  try {
    ack = await socket.timeout(config.ack_timeout_ms).emitWithAck("send_message", {
      room: config.room, body: `Soak message ${item.n} from ${client.username}`,
      client_id: item.clientId,
    });
  } catch (error) {
    item.inFlight = false;
    // Either the socket dropped (the reconnect resends) or the server is slow: resend.
    if (client.socket === socket && client.connected) {
      client.stats.ack_timeouts += 1;
      setImmediate(() => send(client, item));
    }
    return;
  }
  item.inFlight = false;
  if (ack && ack.ok) {
    item.acked = true;
    item.ackedId = ack.message.id;
    if (item.attempts > 1 && Date.parse(ack.message.created_at) < attemptAt - 1) {
      client.stats.acked_with_original += 1; // stored by an earlier attempt
    }
    hold(client, ack.message, "from_ack");
    checkAllAcked();
    return;
  }
  const code = (ack && ack.error && ack.error.code) || "no_ack";
  countError(client, code);
  if (code === "rate_limited") client.stats.rate_limited += 1;
  const wait = code === "rate_limited" ? 1000 * (ack.error.retry_after || 1) : 500;
  setTimeout(() => send(client, item), wait);
}

let goAt = Infinity;
let lastEvent = now();
function schedule(client) {
  for (let n = 0; n < config.messages; n += 1) {
    const item = {
      n, clientId: `soak-${client.index}-${n}`, attempts: 0, acked: false, inFlight: false,
    };
    client.outbox.push(item);
    const at = goAt + n * config.interval_ms + Math.random() * config.interval_ms;
    setTimeout(() => { item.due = true; send(client, item); }, Math.max(0, at - now()));
  }
}

let allAckedSent = false;
function checkAllAcked() {
  if (allAckedSent) return;
  for (const client of clients) {
    if (client.outbox.length < config.messages) return;
    for (const item of client.outbox) if (!item.acked) return;
  }
  allAckedSent = true;
  report("all_acked", { at: now() });
}

// -- connecting ---------------------------------------------------------------------------

// Pages through `history {after, before?}`: the messages after `after` (and before `before`).
async function history(client, after, before) {
  let cursor = after;
  for (;;) {
    client.stats.history_calls += 1;
    const payload = { room: config.room, after: cursor, limit: 100 };
    if (before !== undefined) payload.before = before;
    const ack = await client.socket.timeout(config.ack_timeout_ms).emitWithAck(
      "history", payload);
    if (!ack.ok) throw new Error(`history refused: ${JSON.stringify(ack.error)}`);
    for (const message of ack.messages) hold(client, message, "from_history");
    if (!ack.has_more || ack.messages.length === 0) return;
    cursor = ack.messages[ack.messages.length - 1].id;
  }
}

async function connectTo(client, server) {
  const socket = openSocket(config.urls[server], client.token, { timeout: 3000 });
  socket.on("presence", (data) => {
    lastEvent = now();
    client.stats.presence_events += 1;
    client.stats.presence_names += data && data.online ? data.online.length : 0;
  });
  socket.on("chat_message", (message) => {
    lastEvent = now();
    if (client.socket !== socket) return;
    if (client.liveThisConnection.has(message.id)) client.stats.live_duplicates += 1;
    client.liveThisConnection.add(message.id);
    hold(client, message, "live");
  });
  try {
    await connected(socket, 4000);
  } catch (error) {
    socket.close();
    throw error;
  }
  client.socket = socket;
  client.server = server;
  client.liveThisConnection = new Set();
  let joined;
  try {
    joined = await socket.timeout(config.ack_timeout_ms).emitWithAck(
      "join", { room: config.room });
  } catch (error) {
    socket.close();
    throw error;
  }
  if (!joined.ok) {
    socket.close();
    throw new Error(`join refused: ${JSON.stringify(joined.error)}`);
  }
  if (!socket.connected) throw new Error("dropped while joining");
  for (const message of joined.messages) hold(client, message, "from_join");
  // The join answers the latest messages, and what is committed after it comes live: a gap
  // can only lie before the oldest message of the join.
  client.joinOldest = joined.messages.length ? joined.messages[0].id : undefined;
  socket.on("disconnect", (reason) => onDisconnect(client, socket, reason));
  client.connected = true;
  return socket;
}

function onDisconnect(client, socket, reason) {
  if (client.socket !== socket || closing) return;
  client.connected = false;
  // The gap starts after the highest id held when the socket dropped (or at an earlier drop
  // whose gap was not filled yet).
  // history_overlap > 0 starts that many ids earlier (a client-side guard against
  // broadcasts that arrive out of id order; 0 is the protocol as API.md describes it).
  if (client.gapAfter === undefined) {
    client.gapAfter = Math.max(0, maxHeld(client) - (config.history_overlap || 0));
  }
  const lost = { at: now(), from: client.server, reason };
  reconnect(client, lost).catch((error) => report("error", { message: String(error.stack) }));
}

async function reconnect(client, lost) {
  const other = 1 - client.home;
  let attempt = 0;
  for (;;) {
    // Some clients wait for their own server; the others try the other one first.
    const target = !client.failover ? client.home : (attempt % 2 === 0 ? other : client.home);
    attempt += 1;
    try {
      await connectTo(client, target);
      break;
    } catch (error) {
      client.stats.connect_failures += 1;
      await sleep(200 + Math.random() * 300);
    }
  }
  const connectedAt = now();
  const socket = client.socket;
  const pending = client.outbox.filter((item) => item.due && !item.acked);
  client.stats.queued_while_down += pending.filter((item) => item.attempts === 0).length;
  for (const item of pending) send(client, item);
  // Fill the gap; a refused or timed-out history call is tried again on this socket, and a
  // socket that drops meanwhile leaves the gap to the next reconnect.
  for (;;) {
    if (client.socket !== socket || !client.connected) return;
    try {
      if (client.joinOldest === undefined || client.joinOldest > client.gapAfter + 1) {
        await history(client, client.gapAfter, client.joinOldest);
      }
      client.gapAfter = undefined;
      break;
    } catch (error) {
      client.stats.history_failures += 1;
      await sleep(500);
    }
  }
  client.stats.reconnects.push({
    from: lost.from, to: client.server, reason: lost.reason, attempts: attempt,
    connect_ms: connectedAt - lost.at, filled_ms: now() - lost.at, resent: pending.length,
  });
}

// -- finishing ----------------------------------------------------------------------------

async function finish({ expected, wait_ms: waitMs }) {
  const ids = JSON.parse(readFileSync(expected, "utf8"));
  const deadline = now() + waitMs;
  const missingOf = (client) => ids.filter((id) => !client.held.has(id));
  while (now() < deadline) {
    if (clients.every((client) => client.held.size >= ids.length
        && missingOf(client).length === 0)) break;
    await sleep(200);
  }
  const wanted = new Set(ids);
  report("result", {
    clients: clients.map((client) => {
      const missing = missingOf(client);
      return {
        index: client.index, username: client.username, home: client.home,
        server: client.server, connected: client.connected, held: client.held.size,
        missing: missing.length, missing_ids: missing.slice(0, 50),
        extra: [...client.held.keys()].filter((id) => !wanted.has(id)).length,
        unacked: client.outbox.filter((item) => !item.acked).length, ...client.stats,
      };
    }),
  });
}

let closing = false;
onCommands(async (command) => {
  if (command.cmd === "go") {
    goAt = command.start;
    for (const client of clients) {
      client.stats.presence_events = 0; // count from here on, not the initial joins
      client.stats.presence_names = 0;
      schedule(client);
    }
    const timer = setInterval(() => {
      const acked = clients.reduce((s, c) => s + c.outbox.filter((i) => i.acked).length, 0);
      const down = clients.filter((c) => !c.connected).length;
      report("progress", { acked, down });
      if (allAckedSent) clearInterval(timer);
    }, 1000);
  } else if (command.cmd === "finish") {
    finish(command).catch((error) => report("error", { message: String(error.stack) }));
  } else if (command.cmd === "close" && !closing) {
    closing = true;
    for (const client of clients) if (client.socket) client.socket.disconnect();
    await sleep(200);
    process.exit(0);
  }
});

(async () => {
  const began = now();
  await pool(clients, 20, async (client) => {
    for (let attempt = 1; ; attempt += 1) {
      try {
        await connectTo(client, client.home);
        return;
      } catch (error) {
        if (attempt >= 5) throw error;
        await sleep(500);
      }
    }
  });
  const joinedMs = now() - began;
  // The joins' presence events are still arriving (each join tells the whole room).
  while (now() - lastEvent < 1000 && now() - began < 120000) await sleep(100);
  report("ready", { sockets: clients.length, connect_ms: joinedMs, settle_ms: now() - began });
})().catch((error) => {
  report("error", { message: String(error.stack || error) });
  process.exit(1);
});
