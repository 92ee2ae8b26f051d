// Shared by the chat load generators: a clock shared by the processes of one machine, JSON
// lines to the Python side (stdout) and commands from it (stdin), and socket set-up.
import { createInterface } from "node:readline";
import { readFileSync } from "node:fs";
import { io } from "socket.io-client";

// Milliseconds since the epoch with sub-millisecond resolution (performance.timeOrigin is
// the process's start on the wall clock, so two processes of one machine agree).
export const now = () => performance.timeOrigin + performance.now();

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export function readConfig() {
  return JSON.parse(readFileSync(process.argv[2], "utf8"));
}

export function report(event, data = {}) {
  process.stdout.write(JSON.stringify({ event, ...data }) + "\n");
}

// Calls handler(command) for each JSON line on stdin; closing stdin means "close".
export function onCommands(handler) {
  const lines = createInterface({ input: process.stdin });
  lines.on("line", (line) => {
    if (line.trim()) handler(JSON.parse(line));
  });
  lines.on("close", () => handler({ cmd: "close" }));
}

// One /chat socket, WebSocket only, no automatic reconnection (the callers decide).
// perMessageDeflate: browsers offer it (and the server then compresses every frame for
// every socket); off unless CHAT_DEFLATE=1, because inflating costs the load generator more
// than anything else it does.
export const deflate = process.env.CHAT_DEFLATE === "1";

export function openSocket(url, token, { timeout = 30000 } = {}) {
  return io(url + "/chat", {
    transports: ["websocket"],
    auth: { token },
    forceNew: true,
    reconnection: false,
    timeout,
    perMessageDeflate: deflate ? { threshold: 0 } : false,
  });
}

// Resolves once connected (rejects on connect_error or timeout).
export function connected(socket, timeout = 30000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error("connect timeout")), timeout);
    const ok = () => { clearTimeout(timer); socket.off("connect_error", fail); resolve(socket); };
    const fail = (error) => {
      clearTimeout(timer);
      socket.off("connect", ok);
      reject(error);
    };
    socket.once("connect", ok);
    socket.once("connect_error", fail);
  });
}

// Runs fn over items with at most `limit` in flight.
export async function pool(items, limit, fn) {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      await fn(items[index], index);
    }
  });
  await Promise.all(workers);
}

// A log-bucketed latency histogram (2% wide buckets from 0.01 ms), mergeable by summing.
const BASE = 0.01;
const STEP = Math.log(1.02);
export class Histogram {
  constructor() { this.buckets = new Map(); this.count = 0; this.max = 0; }
  add(ms) {
    const bucket = ms <= BASE ? 0 : Math.floor(Math.log(ms / BASE) / STEP);
    this.buckets.set(bucket, (this.buckets.get(bucket) || 0) + 1);
    this.count += 1;
    if (ms > this.max) this.max = ms;
  }
  toJSON() { return { buckets: Object.fromEntries(this.buckets), count: this.count, max: this.max }; }
}
