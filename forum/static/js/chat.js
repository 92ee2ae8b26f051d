/* Tacit chat: the room page, live over the /chat socket. Without it the page's forms work.
   Messages not acknowledged yet wait in localStorage (per room and user), shown as "sending",
   and go again after a reconnect or a reload: the server stores a client_id once. After every
   (re)connect, history {after} fills the gap; the page keeps one element per message id. */
(() => {
  "use strict";
  const doc = document;
  const $ = (id) => doc.getElementById(id);
  const box = $("chat");
  if (!box || !("liveRoom" in box.dataset) || typeof window.io !== "function") return;
  const room = Number(box.dataset.room);
  const me = box.dataset.username;
  const mod = box.dataset.moderator === "1";
  const moderates = box.dataset.moderates === "1"; // hides and restores in this room
  const group = box.dataset.group === "1";
  const T = JSON.parse(box.dataset.strings || "{}");
  const log = $("chat-log"), pending = $("chat-pending"), scroller = $("chat-scroll");
  const form = $("chat-form"), input = $("chat-body"), status = $("chat-status");
  const older = $("chat-older");
  const key = "tacit-chat:" + box.dataset.user + ":" + room;
  const lang = doc.documentElement.lang || undefined;
  let hasOlder = !!older, loadingOlder = false, inflight = null, readTo = 0;
  // The page holds every message up to `upTo` without a hole; `live` once the gap after it
  // is filled on this connection (then each chat_message extends it).
  let upTo = 0, live = false;

  const el = (tag, cls, text) => {
    const e = doc.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  };
  const link = (href, text, cls) => { const a = el("a", cls, text); a.href = href; return a; };

  function when(iso) {
    const d = new Date(iso);
    if (isNaN(d)) return "";
    const today = d.toDateString() === new Date().toDateString();
    return d.toLocaleString(lang, today ? {hour: "2-digit", minute: "2-digit"}
      : {dateStyle: "medium", timeStyle: "short"});
  }

  // -- the queue of unacknowledged messages ------------------------------------------------
  function load() {
    let items = [];
    try { items = JSON.parse(localStorage.getItem(key)); } catch (e) { /* unreadable */ }
    return Array.isArray(items) ? items.filter((i) => i && typeof i.client_id === "string" &&
      typeof i.body === "string") : [];
  }
  function save() {
    try {
      if (queue.length) localStorage.setItem(key, JSON.stringify(queue));
      else localStorage.removeItem(key);
    } catch (e) { /* private mode: the queue lives as long as the page */ }
  }
  function newId() {
    const bytes = crypto.getRandomValues(new Uint8Array(12));
    return "c-" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }
  function showPending(item) {
    const li = el("li", "msg own pending");
    li.dataset.cid = item.client_id;
    const meta = el("p", "msg-meta");
    meta.append(el("span", "author", box.dataset.name), " ", el("span", "sending", T.sending));
    li.append(meta, el("div", "body plain", item.body));
    pending.append(li);
  }
  function drop(cid) {
    const n = queue.length;
    queue = queue.filter((item) => item.client_id !== cid);
    if (queue.length !== n) save();
    for (const li of pending.children) if (li.dataset.cid === cid) li.remove();
  }
  let queue = load();
  const stored = new Set([...log.querySelectorAll("li[data-client-id]")].map(
    (li) => li.dataset.clientId));
  queue = queue.filter((item) => !stored.has(item.client_id)); // stored before a reload
  save();
  queue.forEach(showPending);

  // -- messages in the page --------------------------------------------------------------
  // A message's files as the page's macro prints them: thumbnail (lazy), name, type, size.
  function attachmentList(list) {
    if (!Array.isArray(list) || !list.length) return null;
    const ul = el("ul", "files");
    list.forEach((a) => {
      const li = el("li");
      if (a.thumbnail_url) {
        const img = el("img");
        img.src = a.thumbnail_url;
        img.alt = a.filename;
        img.loading = "lazy";
        const pic = link(a.url, null);
        pic.append(img);
        li.append(pic, " ");
      }
      const size = a.size >= 1048576 ? (a.size / 1048576).toFixed(1) + " MB"
        : Math.max(1, Math.round(a.size / 1024)) + " KB";
      li.append(link(a.url, a.filename), " ",
                el("span", "meta", a.filename.split(".").pop().toUpperCase() + " · " + size));
      ul.append(li);
    });
    return ul;
  }

  function render(m) {
    const li = el("li", "msg");
    li.id = "m-" + m.id;
    li.dataset.id = m.id;
    const own = !!m.author && m.author.username === me;
    const q = m.promoted_question_id;
    if (own) { li.classList.add("own"); li.dataset.clientId = m.client_id; }
    if (m.deleted) li.classList.add("deleted");
    const meta = el("p", "msg-meta");
    if (!m.deleted && m.author) {
      meta.append(link("/u/" + encodeURIComponent(m.author.username), m.author.display_name,
                       "author"), " ");
    }
    const time = el("time", null, when(m.created_at));
    time.dateTime = m.created_at;
    const at = link("/chat/messages/" + m.id, null, "when");
    at.append(time);
    meta.append(at);
    if (m.edited_at && !m.deleted) meta.append(" ", el("span", "edited", T.edited));
    if (q) {
      li.classList.add("promoted");
      li.dataset.question = q;
      meta.append(" ", link("/questions/" + q, T.part, "part"));
    }
    li.append(meta);
    if (m.deleted) { li.append(el("p", "placeholder", T.deleted)); return li; }
    const moderation = "/moderation/chat/messages/" + m.id;
    if (m.hidden) {
      // Broadcasts of a hidden message carry neither its text nor its author; the room's
      // moderators restore it (its page shows them what it said).
      li.classList.add("hidden");
      li.append(el("p", "placeholder", T.hidden));
      if (moderates) {
        const acts = el("p", "msg-actions");
        acts.append(link(moderation + "/restore", T.restore));
        li.append(acts);
      }
      return li;
    }
    const body = el("div", "body");
    body.innerHTML = m.body_html; // rendered and sanitized by the server (forum/markup.py)
    const acts = el("p", "msg-actions");
    const base = "/chat/messages/" + m.id;
    if (moderates) acts.append(link(moderation + "/hide", T.hide), " ");
    if (own) acts.append(link(base + "/edit", T.edit), " ");
    if (own || mod) acts.append(link(base + "/delete", T.delete), " ");
    if (!own && m.author) acts.append(link("/flag/chat_message/" + m.id, T.flag), " ");
    if (group && !q && (own || mod)) {
      acts.append(link("/chat/rooms/" + room + "/promote?from=" + m.id, T.promote));
    }
    li.append(body);
    const files = attachmentList(m.attachments);
    if (files) li.append(files);
    li.append(acts);
    return li;
  }

  // The first message of a promoted stretch gets the "turned into a question" link.
  function banner(li) {
    const q = li.dataset.question, prev = li.previousElementSibling;
    if (!q || (prev && prev.dataset.question === q) || li.querySelector(".chat-promoted")) return;
    const p = el("p", "chat-promoted");
    p.append(link("/questions/" + q, T.promoted));
    li.prepend(p);
    const part = li.querySelector(".part");
    if (part) part.remove();
  }

  function atBottom() {
    return scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 80;
  }
  function toBottom() { scroller.scrollTop = scroller.scrollHeight; }

  // Insert in id order, once per id; `replace` for edits, deletions and promotions (of
  // messages on the page: others are not loaded, and must not leave a hole).
  function merge(m, replace) {
    if (!m || m.room !== room || !m.id) return;
    if (m.author && m.author.username === me) drop(m.client_id);
    const old = $("m-" + m.id);
    if (old ? !replace : replace) return;
    const li = render(m);
    if (old) old.replaceWith(li);
    else {
      let next = null;
      for (let c = log.lastElementChild; c && Number(c.dataset.id) > m.id;
        c = c.previousElementSibling) next = c;
      log.insertBefore(li, next);
    }
    banner(li);
    const empty = $("chat-empty");
    if (empty) empty.remove();
  }
  function mergeAll(list) {
    const stick = atBottom();
    (list || []).forEach((m) => merge(m));
    if (stick) toBottom();
  }
  const lastId = () => Number((log.lastElementChild || {dataset: {}}).dataset.id) || 0;
  // Ids are given at insert, broadcasts go out after commit: two messages can arrive in the
  // other order, and a connection lost between them would skip the smaller id. So the gap
  // fill starts OVERLAP messages back; merge() keeps one element per id.
  const OVERLAP = 20;
  function rewind(id) {
    const ids = Array.from(log.querySelectorAll(":scope > [data-id]"),
      (e) => Number(e.dataset.id)).filter((n) => n > 0 && n <= id);
    if (!ids.length) return id;
    return Math.min(id, ids[Math.max(0, ids.length - 1 - OVERLAP)] - 1);
  }
  upTo = lastId();

  // -- the socket --------------------------------------------------------------------------
  const csrf = doc.querySelector('meta[name="csrf-token"]');
  const socket = window.io("/chat", {auth: {csrf: csrf ? csrf.content : ""},
                                     transports: ["websocket", "polling"],
                                     tryAllTransports: true});

  let online = [], visiting = [];
  function showStatus() {
    // Site moderators who are not members are shown as such: they take part openly.
    const names = online.map((n) => visiting.includes(n) ? T.visiting.replace("{name}", n) : n);
    status.textContent = !socket.connected ? T.offline
      : names.length ? T.online.replace("{names}", names.join(", ")) : "";
  }

  function markRead() {
    const id = lastId();
    if (!id || id <= readTo || doc.visibilityState !== "visible" || !socket.connected) return;
    readTo = id;
    socket.emit("read", {room: room, message_id: id}, (ack) => {
      const button = $("chat-read");
      if (ack && ack.ok && button) button.remove();
    });
  }

  function flush() {
    if (!socket.connected || inflight || !queue.length) return;
    const item = queue[0];
    inflight = item.client_id;
    socket.emit("send_message", {room: room, body: item.body, client_id: item.client_id},
      (ack) => {
        if (inflight === item.client_id) inflight = null;
        const error = (ack && ack.error) || {};
        if (ack && ack.ok) {
          mergeAll([ack.message]);
        } else if (error.code === "rate_limited" || error.code === "internal") {
          setTimeout(flush, 1000 * (error.retry_after || 5));
          return;
        } else if (error.code === "unauthorized") {
          return; // the session ended: kept for after the next login
        } else { // refused for good (too long, not a member...): back to the composer
          drop(item.client_id);
          $("chat-error").textContent = T.failed.replace("{reason}", error.message || "");
          if (!input.value) input.value = item.body;
        }
        flush();
      });
  }

  // Fill the gap after `upTo`, page by page, then send what waits and mark read.
  function fill() {
    socket.emit("history", {room: room, after: upTo, limit: 100}, (ack) => {
      if (!ack || !ack.ok) return;
      mergeAll(ack.messages);
      const n = ack.messages.length;
      if (ack.has_more && n) {
        upTo = ack.messages[n - 1].id;
        return fill();
      }
      upTo = lastId();
      live = true;
      markRead();
      flush();
    });
  }

  socket.on("connect", () => {
    inflight = null;
    live = false;
    const seen = lastId();
    socket.emit("join", {room: room}, (ack) => {
      if (!ack || !ack.ok) {
        status.textContent = (ack && ack.error && ack.error.message) || "";
        return;
      }
      box.dataset.live = "on";
      showStatus();
      if (!seen) hasOlder = ack.has_more;
      mergeAll(ack.messages);
      upTo = rewind(upTo);
      fill();
    });
  });
  socket.on("disconnect", () => {
    inflight = null;
    live = false;
    box.dataset.live = "off";
    showStatus();
  });
  socket.on("chat_message", (m) => {
    mergeAll([m]);
    if (live && m && m.id > upTo) upTo = m.id;
    markRead();
  });
  socket.on("message_updated", (m) => merge(m, true));

  const typing = $("chat-typing");
  let typingTimer = 0;
  socket.on("typing", (data) => {
    if (!data || data.room !== room || data.username === me) return;
    typing.textContent = T.typing.replace("{name}", data.username);
    clearTimeout(typingTimer);
    typingTimer = setTimeout(() => { typing.textContent = ""; }, 4000);
  });
  socket.on("presence", (data) => {
    if (!data || data.room !== room || !Array.isArray(data.online)) return;
    online = data.online;
    visiting = Array.isArray(data.moderators) ? data.moderators : [];
    showStatus();
  });

  // A browser that knows it is offline drops the socket at once (a half-dead connection can
  // swallow messages until it times out) and comes back as soon as the network does.
  window.addEventListener("offline", () => socket.disconnect());
  window.addEventListener("online", () => { if (!socket.connected) socket.connect(); });
  doc.addEventListener("visibilitychange", markRead);

  // -- the composer ------------------------------------------------------------------------
  form.addEventListener("submit", (event) => {
    const picked = form.querySelector("input[type=file]");
    if (picked && picked.files.length) return; // files go with the page's own form post
    event.preventDefault();
    const body = input.value;
    if (!body.trim()) { input.focus(); return; }
    const item = {client_id: newId(), body: body};
    $("chat-error").textContent = "";
    queue.push(item);
    save();
    showPending(item);
    input.value = "";
    toBottom();
    flush();
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  let typed = 0;
  input.addEventListener("input", () => {
    if (socket.connected && Date.now() - typed > 2000) {
      typed = Date.now();
      socket.emit("typing", {room: room});
    }
  });

  // -- older messages ----------------------------------------------------------------------
  function loadOlder() {
    const first = log.firstElementChild;
    if (!hasOlder || loadingOlder || !socket.connected || !first) return;
    loadingOlder = true;
    socket.emit("history", {room: room, before: Number(first.dataset.id)}, (ack) => {
      loadingOlder = false;
      if (!ack || !ack.ok) return;
      const height = scroller.scrollHeight;
      ack.messages.forEach((m) => merge(m));
      scroller.scrollTop += scroller.scrollHeight - height; // keep what was on screen
      hasOlder = ack.has_more;
      if (older && !hasOlder) older.parentNode.remove();
      else if (older) older.search = "?before=" + log.firstElementChild.dataset.id;
    });
  }
  scroller.addEventListener("scroll", () => { if (scroller.scrollTop < 60) loadOlder(); });
  if (older) {
    older.addEventListener("click", (event) => {
      if (socket.connected) { event.preventDefault(); loadOlder(); }
    });
  }

  for (const t of log.querySelectorAll("time")) t.textContent = when(t.dateTime);
  box.classList.add("live");
  const target = location.hash && doc.querySelector(location.hash.replace(/[^#\w-]/g, ""));
  if (target) target.scrollIntoView(); else toBottom();
})();
