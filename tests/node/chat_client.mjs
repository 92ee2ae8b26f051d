// A /chat client built on the official socket.io-client, for tests/test_chat_node.py.
//
// It does what its options say, in this order: log in (optional), connect, join a room,
// wait until the room's presence lists some people, send messages (each acked), wait for
// messages from some people, linger to catch late or duplicate events, disconnect.
// Everything that happens is printed to stdout as one JSON object per line:
//   {"type": "login", ...}  {"type": "connect", "id"}  {"type": "connect_error", "message"}
//   {"type": "ack", "event", "ack"}  {"type": "<server event>", "data"}
//   {"type": "disconnect", "reason"}  {"type": "closed", "waiting_for", "reason"}
//   {"type": "timeout", "waiting_for"}  {"type": "done", "closed_early"}
// Exit status: 0 the plan ran to its end, 2 bad usage, 3 the connection was refused, or lost
// while waiting, 4 a wait timed out, 1 anything else.
//
// Options (each also read from the environment variable in brackets):
//   --url URL              the forum, e.g. http://127.0.0.1:5000 [TACIT_URL]
//   --login NAME           log in through the login page as a browser does, then connect
//                          with the session cookie and `auth: {csrf}` [TACIT_LOGIN]
//   --token-login NAME     get an API token (POST /api/v1/tokens), connect with
//                          `auth: {token}` [TACIT_TOKEN_LOGIN]
//   --password PASSWORD    for --login / --token-login [TACIT_PASSWORD]
//   --token TOKEN          connect with this API token [TACIT_TOKEN]
//                          (none of these: an anonymous connection)
//   --origin ORIGIN        the Origin header sent (default: the forum's own, as a browser
//                          on one of its pages sends; "none" sends none) [TACIT_ORIGIN]
//   --transport T          "websocket" only, or "polling" only (default: polling, then the
//                          upgrade to websocket, as browsers do) [TACIT_TRANSPORT]
//   --join ROOM            join this room id
//   --await-online A,B     wait until a presence event for ROOM lists these usernames
//   --send BODY            send a message (repeatable; in order, each waits for its ack)
//   --send-size N          send a message of N characters (repeatable)
//   --client-id PREFIX     client ids of the messages sent are PREFIX-1, PREFIX-2, ...
//   --expect-from NAME     wait for a chat_message by NAME (repeatable: one each)
//   --linger MS            stay connected this long at the end (default 300)
//   --timeout MS           the longest any one wait lasts (default 15000)

import { io } from "socket.io-client";

const USAGE_EXIT = 2;
const REFUSED_EXIT = 3;
const TIMEOUT_EXIT = 4;

function print(record) {
  process.stdout.write(`${JSON.stringify(record)}\n`);
}

function fail(code, record) {
  print(record);
  process.exit(code);
}

function parse(argv) {
  const env = process.env;
  const options = {
    url: env.TACIT_URL,
    login: env.TACIT_LOGIN,
    tokenLogin: env.TACIT_TOKEN_LOGIN,
    password: env.TACIT_PASSWORD,
    token: env.TACIT_TOKEN,
    origin: env.TACIT_ORIGIN,
    transport: env.TACIT_TRANSPORT,
    join: undefined,
    awaitOnline: [],
    sends: [],
    clientId: `node-${process.pid}`,
    expectFrom: [],
    linger: 300,
    timeout: 15000,
  };
  const single = {
    "--url": "url", "--login": "login", "--token-login": "tokenLogin",
    "--password": "password", "--token": "token", "--origin": "origin",
    "--transport": "transport", "--client-id": "clientId",
  };
  for (let i = 0; i < argv.length; i += 1) {
    const name = argv[i];
    const value = argv[i + 1];
    if (value === undefined) {
      fail(USAGE_EXIT, { type: "usage", message: `${name} needs a value` });
    }
    i += 1;
    if (name in single) {
      options[single[name]] = value;
    } else if (name === "--join") {
      options.join = Number(value);
    } else if (name === "--await-online") {
      options.awaitOnline = value.split(",").filter(Boolean);
    } else if (name === "--send") {
      options.sends.push(value);
    } else if (name === "--send-size") {
      options.sends.push("a".repeat(Number(value)));
    } else if (name === "--expect-from") {
      options.expectFrom.push(value);
    } else if (name === "--linger" || name === "--timeout") {
      options[name.slice(2)] = Number(value);
    } else {
      fail(USAGE_EXIT, { type: "usage", message: `unknown option ${name}` });
    }
  }
  if (!options.url) {
    fail(USAGE_EXIT, { type: "usage", message: "--url (or TACIT_URL) is required" });
  }
  options.url = options.url.replace(/\/+$/, "");
  return options;
}

// -- logging in over HTTP, as the browser or an API client does ----------------------------

class CookieJar {
  constructor() {
    this.cookies = new Map();
  }

  take(response) {
    const lines = typeof response.headers.getSetCookie === "function"
      ? response.headers.getSetCookie()
      : (response.headers.get("set-cookie") ?? "").split(/,(?=\s*[^;,=\s]+=)/);
    for (const line of lines.filter(Boolean)) {
      const [pair] = line.split(";");
      const at = pair.indexOf("=");
      this.cookies.set(pair.slice(0, at).trim(), pair.slice(at + 1).trim());
    }
  }

  header() {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join("; ");
  }
}

const CSRF_META = /<meta name="csrf-token" content="([^"]+)"/;

async function page(jar, url) {
  const response = await fetch(url, { headers: { Cookie: jar.header() }, redirect: "manual" });
  jar.take(response);
  const match = CSRF_META.exec(await response.text());
  if (!match) throw new Error(`no csrf-token meta tag on ${url} (${response.status})`);
  return match[1];
}

async function sessionLogin(options) {
  const jar = new CookieJar();
  const formToken = await page(jar, `${options.url}/login`);
  const response = await fetch(`${options.url}/login`, {
    method: "POST",
    headers: { Cookie: jar.header(), "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      csrf_token: formToken, login: options.login, password: options.password ?? "",
    }),
    redirect: "manual",
  });
  jar.take(response);
  if (response.status !== 302) {
    fail(1, { type: "login", ok: false, status: response.status });
  }
  // Logging in starts a fresh session: the page after it carries the token for sockets.
  const csrf = await page(jar, `${options.url}/`);
  print({ type: "login", ok: true, kind: "session", username: options.login });
  return { cookie: jar.header(), auth: { csrf } };
}

async function tokenLogin(options) {
  const response = await fetch(`${options.url}/api/v1/tokens`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ login: options.tokenLogin, password: options.password ?? "" }),
  });
  const body = await response.json();
  if (response.status !== 201) {
    fail(1, { type: "login", ok: false, status: response.status, body });
  }
  print({ type: "login", ok: true, kind: "token", username: body.user.username });
  return { cookie: undefined, auth: { token: body.token } };
}

async function credentials(options) {
  if (options.login) return sessionLogin(options);
  if (options.tokenLogin) return tokenLogin(options);
  if (options.token) return { cookie: undefined, auth: { token: options.token } };
  return { cookie: undefined, auth: undefined };
}

// -- the socket -----------------------------------------------------------------------------

function connect(options, { cookie, auth }) {
  const headers = {};
  if (cookie) headers.Cookie = cookie;
  const origin = options.origin ?? options.url;
  if (origin !== "none") headers.Origin = origin;
  const socket = io(`${options.url}/chat`, {
    auth,
    extraHeaders: headers,
    transports: options.transport ? [options.transport] : ["polling", "websocket"],
    reconnection: false,
    timeout: options.timeout,
  });
  const state = { socket, events: [], waiters: new Set(), closed: null };
  const notify = () => {
    for (const waiter of state.waiters) waiter();
  };
  socket.onAny((type, data) => {
    print({ type, data });
    state.events.push({ type, data });
    notify();
  });
  socket.on("disconnect", (reason) => {
    print({ type: "disconnect", reason });
    state.closed = reason;
    notify();
  });
  return new Promise((resolve) => {
    socket.once("connect", () => {
      print({ type: "connect", id: socket.id, transport: socket.io.engine.transport.name });
      resolve(state);
    });
    socket.once("connect_error", (error) => {
      socket.close();
      fail(REFUSED_EXIT, {
        type: "connect_error", message: error.message, data: error.data ?? null,
        description: error.description?.message ?? error.description ?? null,
      });
    });
  });
}

function waitFor(state, label, predicate, timeout) {
  return new Promise((resolve) => {
    const check = () => {
      if (predicate()) {
        done();
        resolve();
      } else if (state.closed !== null) {
        done();
        fail(REFUSED_EXIT, { type: "closed", waiting_for: label, reason: state.closed });
      }
    };
    const timer = setTimeout(() => {
      done();
      fail(TIMEOUT_EXIT, { type: "timeout", waiting_for: label });
    }, timeout);
    const done = () => {
      clearTimeout(timer);
      state.waiters.delete(check);
    };
    state.waiters.add(check);
    check();
  });
}

async function call(state, event, payload, timeout) {
  const closed = () => fail(REFUSED_EXIT, {
    type: "closed", waiting_for: `${event} ack`, reason: state.closed,
  });
  if (!state.socket.connected) closed();
  let ack;
  try {
    ack = await state.socket.timeout(timeout).emitWithAck(event, payload);
  } catch (error) {
    if (!state.socket.connected) closed();
    fail(TIMEOUT_EXIT, { type: "timeout", waiting_for: `${event} ack`, message: error.message });
  }
  print({ type: "ack", event, ack });
  return ack;
}

async function main() {
  const options = parse(process.argv.slice(2));
  const state = await connect(options, await credentials(options));
  const room = options.join;
  if (room !== undefined) {
    await call(state, "join", { room }, options.timeout);
  }
  if (options.awaitOnline.length) {
    const online = () => {
      const last = state.events.filter((e) => e.type === "presence" && e.data.room === room).at(-1);
      return last !== undefined && options.awaitOnline.every((n) => last.data.online.includes(n));
    };
    await waitFor(state, `presence ${options.awaitOnline.join(",")}`, online, options.timeout);
  }
  for (const [n, body] of options.sends.entries()) {
    await call(state, "send_message", { room, body, client_id: `${options.clientId}-${n + 1}` },
      options.timeout);
  }
  for (const [n, name] of options.expectFrom.entries()) {
    const wanted = options.expectFrom.slice(0, n + 1).filter((x) => x === name).length;
    const got = () => state.events.filter(
      (e) => e.type === "chat_message" && e.data.author?.username === name).length >= wanted;
    await waitFor(state, `chat_message from ${name}`, got, options.timeout);
  }
  await new Promise((resolve) => { setTimeout(resolve, options.linger); });
  const closedEarly = state.closed;
  state.socket.close();
  print({ type: "done", closed_early: closedEarly });
  process.exit(0);
}

main().catch((error) => fail(1, { type: "error", message: String(error?.stack ?? error) }));
