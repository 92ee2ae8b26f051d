// Fan-out load for bench/chat_fanout.py: many sockets in one room, a few of them senders.
//
// Config (JSON file, argv[2]): {url, room, tokens: [..], senders: [indexes into tokens],
// label, body}. Events on stdout: ready, result, error. Commands on stdin:
//   {cmd: "go", start, warmup, duration, grace, rate?}  (epoch ms, ms, ms, ms, msgs/s)
//   {cmd: "close"}
//
// Without `rate` each sender keeps one message in flight: it sends the next once its ack
// and its own chat_message have come back (the server's capacity). With `rate` each sender
// sends that many messages a second whatever comes back (latency at a given load). The client_id carries the sender and the send time, so every
// receiver (in any process) measures send -> receive latency on the shared clock.
import {
  Histogram, connected, now, onCommands, openSocket, pool, readConfig, report, sleep,
} from "./common.js";

const config = readConfig();
const clients = [];
let latency = new Histogram();
let window = { from: Infinity, to: Infinity };
let delivered = 0; // chat_message events received in the window, by all sockets here
let sent = 0; // messages sent in the window
let lastEvent = now();
let errors = {};
let payloadBytes = 0;
let run = 0; // each `go` is a run; its number is in the client_ids

function countError(code) {
  errors[code] = (errors[code] || 0) + 1;
}

function onMessage(client, message) {
  const t = now();
  lastEvent = t;
  const parts = String(message.client_id).split("~");
  const sentAt = Number(parts[2]);
  if (t >= window.from && t < window.to) delivered += 1;
  if (sentAt >= window.from && sentAt < window.to) latency.add(t - sentAt);
  if (!payloadBytes) payloadBytes = JSON.stringify(message).length;
  const waiter = client.waiting.get(message.client_id);
  if (waiter) {
    client.waiting.delete(message.client_id);
    waiter();
  }
}

async function connectAll() {
  const began = now();
  await pool(config.tokens, 25, async (token, index) => {
    const socket = openSocket(config.url, token);
    const client = { index, socket, waiting: new Map(), presence: 0 };
    socket.on("chat_message", (message) => onMessage(client, message));
    socket.on("presence", () => { client.presence += 1; lastEvent = now(); });
    socket.on("disconnect", (reason) => {
      if (!closing) countError(`disconnect:${reason}`);
    });
    await connected(socket);
    const ack = await socket.timeout(60000).emitWithAck("join", { room: config.room });
    if (!ack.ok) throw new Error(`join refused: ${JSON.stringify(ack)}`);
    clients[index] = client;
  });
  const joinedIn = now() - began;
  // Presence of the joins is still arriving (each join tells the whole room): wait for quiet.
  while (now() - lastEvent < 1000 && now() - began < 120000) await sleep(100);
  report("ready", {
    sockets: clients.length, join_ms: joinedIn, settle_ms: now() - began,
    presence_events: clients.reduce((sum, c) => sum + c.presence, 0),
  });
}

async function senderLoop(client, stopAt) {
  let seq = 0;
  while (now() < stopAt) {
    const sentAt = now();
    const clientId = `${config.label}${run}~${client.index}.${seq++}~${sentAt.toFixed(3)}`;
    const echo = new Promise((resolve) => client.waiting.set(clientId, resolve));
    try {
      const ack = await client.socket.timeout(30000).emitWithAck(
        "send_message", { room: config.room, body: config.body, client_id: clientId });
      if (!ack.ok) {
        countError(`ack:${ack.error && ack.error.code}`);
        client.waiting.delete(clientId);
        await sleep(50);
        continue;
      }
    } catch (error) {
      countError("ack:timeout");
      client.waiting.delete(clientId);
      continue;
    }
    const late = await Promise.race([echo.then(() => false), sleep(30000).then(() => true)]);
    if (late) countError("echo:timeout");
    if (sentAt >= window.from && sentAt < window.to) sent += 1;
  }
}

// Open loop: `rate` messages a second from this sender, whatever comes back.
async function pacedLoop(client, stopAt, rate) {
  const period = 1000 / rate;
  let seq = 0;
  let next = now() + Math.random() * period;
  const pending = [];
  while (next < stopAt) {
    await sleep(Math.max(0, next - now()));
    next += period;
    const sentAt = now();
    const clientId = `${config.label}${run}~${client.index}.${seq++}~${sentAt.toFixed(3)}`;
    if (sentAt >= window.from && sentAt < window.to) sent += 1;
    pending.push(client.socket.timeout(30000).emitWithAck(
      "send_message", { room: config.room, body: config.body, client_id: clientId },
    ).then((ack) => { if (!ack.ok) countError(`ack:${ack.error && ack.error.code}`); },
      () => countError("ack:timeout")));
  }
  await Promise.all(pending);
}

async function go({ start, warmup, duration, grace, rate }) {
  run += 1;
  latency = new Histogram();
  delivered = 0;
  sent = 0;
  errors = {};
  window = { from: start + warmup, to: start + warmup + duration };
  await sleep(Math.max(0, start - now()));
  const senders = config.senders.map((i) => clients[i]);
  const loops = senders.map((client) => (rate
    ? pacedLoop(client, window.to, rate) : senderLoop(client, window.to)));
  await sleep(Math.max(0, window.from - now()));
  const cpuFrom = process.cpuUsage();
  await sleep(Math.max(0, window.to - now()));
  const cpu = process.cpuUsage(cpuFrom);
  await Promise.race([Promise.all(loops), sleep(grace)]);
  report("result", {
    sockets: clients.length, senders: senders.length, delivered, sent,
    seconds: duration / 1000, cpu_seconds: (cpu.user + cpu.system) / 1e6,
    latency: latency.toJSON(), errors, payload_bytes: payloadBytes,
  });
}

let closing = false;
onCommands(async (command) => {
  if (command.cmd === "go") {
    go(command).catch((error) => report("error", { message: String(error.stack || error) }));
  } else if (command.cmd === "close" && !closing) {
    closing = true;
    for (const client of clients) if (client) client.socket.disconnect();
    await sleep(200);
    process.exit(0);
  }
});

connectAll().catch((error) => {
  report("error", { message: String(error.stack || error) });
  process.exit(1);
});
