/* Tacit: live question pages, similar questions while asking. No framework, no build step.
   Everything is optional: a missing element, a refused socket or a failed fetch changes nothing. */
(() => {
  "use strict";
  const doc = document;
  const byId = (id) => doc.getElementById(id);
  const say = (doc.documentElement.lang || "").startsWith("fr")
    ? {answer: "Nouvelle réponse", reply: "Nouvelle réponse dans la discussion"}
    : {answer: "New answer", reply: "New reply"};

  // Once a form is sent, fetch nothing more: a late response would set the session cookie
  // again without the flash message of the page that comes next.
  let leaving = false;
  doc.addEventListener("submit", () => { leaving = true; });
  window.addEventListener("pageshow", () => { leaving = false; });

  async function getText(url) {
    if (leaving) return null;
    try {
      const response = await fetch(url, {credentials: "same-origin",
                                          headers: {Accept: "text/html"}});
      return response.ok ? await response.text() : null;
    } catch (e) {
      return null; // offline: the page stays as it is
    }
  }

  // -- the question page ---------------------------------------------------------------
  const question = byId("question");
  const questionId = question && Number(question.dataset.questionId);
  let region = null; // made at start: screen readers miss changes of a region just added

  function announce(text) {
    region.textContent = "";
    setTimeout(() => { region.textContent = text; }, 50);
  }

  async function fragment(id) {
    const html = await getText("/posts/" + id + "/fragment");
    if (html === null) return null;
    const holder = doc.createElement("template");
    holder.innerHTML = html;
    return holder.content.querySelector("article.post");
  }

  const pending = new Set();

  async function added(post) {
    const id = post && Number(post.id);
    if (!id || pending.has(id) || byId("post-" + id)) return;
    pending.add(id);
    const el = await fragment(id);
    pending.delete(id);
    if (!el || byId("post-" + id)) return;
    let box = byId("answers");
    let after = null;
    const parent = post.parent_id && byId("post-" + post.parent_id);
    if (post.parent_id) {
      if (!parent) return;
      box = byId("replies-" + post.parent_id);
      if (el.querySelector(".reply-to")) {
        // Past the deepest indent, replies are listed flat after their parent's thread.
        box = parent.parentNode;
        after = parent;
        const ids = new Set([String(post.parent_id)]);
        for (let s = parent.nextElementSibling; s && ids.has(s.dataset.parentId);
          s = s.nextElementSibling) {
          ids.add(s.dataset.postId);
          after = s;
        }
      } else if (!box) {
        box = doc.createElement("div");
        box.className = "replies";
        box.id = "replies-" + post.parent_id;
        parent.appendChild(box);
      }
    }
    if (!box) return;
    box.insertBefore(el, after ? after.nextSibling : null);
    announce(post.parent_id ? say.reply : say.answer);
  }

  // Never swap a post under someone's focus or typing: wait until they leave it.
  function busy(el) {
    return (el.contains(doc.activeElement) && doc.activeElement !== el) ||
      [...el.querySelectorAll("textarea, input")].some((f) => f.value !== f.defaultValue);
  }

  async function updated(post) {
    const id = post && Number(post.id);
    const old = id && byId("post-" + id);
    if (!old) return;
    if (busy(old)) {
      old.addEventListener("focusout", () => setTimeout(() => updated(post)), {once: true});
      return;
    }
    // A deleted post is not fetched (most readers may not see it): it goes, or stays as
    // an empty shell around its replies.
    const el = post.deleted ? null : await fragment(id);
    const current = byId("post-" + id);
    const replies = byId("replies-" + id);
    const keep = current && replies && current.contains(replies) && replies.children.length;
    if (!current || !(el || post.deleted)) return;
    if (!el) {
      if (!keep) return current.remove();
      current.classList.add("deleted");
      for (const child of [...current.children]) if (child !== replies) child.remove();
      return;
    }
    if (keep) { // the fragment comes with an empty replies container
      const fresh = el.querySelector("#replies-" + id);
      if (fresh) fresh.replaceWith(replies); else el.appendChild(replies);
    }
    current.replaceWith(el);
  }

  function score(target, value) {
    if (typeof value !== "number") return;
    let found = doc.querySelectorAll('[data-score-for="' + target + '"]');
    const box = byId(target);
    if (!found.length && box) { // without the attribute: the item's own vote box
      found = box.querySelectorAll(":scope > .vote .score, :scope > * > .vote .score");
    }
    for (const el of found) el.textContent = String(value);
  }

  const mark = doc.querySelector("article.post.accepted[data-post-id]");
  let accepted = mark ? Number(mark.dataset.postId) : 0;

  function questionChanged(q) {
    if (!q || q.id !== questionId) return;
    score("question", q.score);
    const now = q.accepted_answer_id || 0;
    // Re-render the answers that gained or lost the accepted mark.
    if (now !== accepted) for (const id of [accepted, now]) if (id) updated({id: id});
    accepted = now;
  }

  // One /live socket per page, shared by the question page and the header's unread count.
  let live = null;
  function liveSocket() {
    // WebSocket first (one connection on slow links), long-polling if a proxy refuses it.
    if (!live) live = window.io("/live", {transports: ["websocket", "polling"],
                                          tryAllTransports: true});
    return live;
  }

  // -- the header's unread notifications (signed-in pages that load the socket client) ----
  const unread = doc.querySelector("[data-notification-count]");
  if (unread && typeof window.io === "function") {
    liveSocket().on("notifications_unread", (data) => {
      const count = data ? Number(data.count) : NaN;
      if (!Number.isInteger(count) || count < 0) return;
      unread.textContent = String(count);
      unread.hidden = count === 0;
    });
  }

  if (questionId > 0 && typeof window.io === "function") {
    region = doc.createElement("div");
    region.className = "visually-hidden";
    region.setAttribute("aria-live", "polite");
    // CSSOM, not a style attribute: the CSP allows it.
    Object.assign(region.style, {position: "absolute", width: "1px", height: "1px",
      overflow: "hidden", clip: "rect(0 0 0 0)", whiteSpace: "nowrap"});
    doc.body.appendChild(region);
    const socket = liveSocket();
    // "connect" comes again after each reconnection: a new socket must watch again.
    socket.on("connect", () => socket.emit("watch_question", {question_id: questionId},
      (ack) => { question.dataset.live = ack && ack.ok ? "on" : "off"; }));
    socket.on("disconnect", (reason) => {
      question.dataset.live = "off";
      // The server ends the sockets of a login that ended (a logout elsewhere, a password
      // change): go on as whoever the cookie now proves; a private page's watch then fails.
      if (reason === "io server disconnect") setTimeout(() => socket.connect(), 1000);
    });
    socket.on("post_created", (data) => added(data && data.post));
    socket.on("post_updated", (data) => updated(data && data.post));
    socket.on("question_updated", (data) => questionChanged(data && data.question));
    socket.on("score_changed", (data) => {
      if (data && data.question_id === questionId) {
        score(data.post_id ? "post-" + data.post_id : "question", data.score);
      }
    });
  }

  // -- the ask page ----------------------------------------------------------------------
  const title = byId("title");
  const similar = byId("similar");
  if (title && similar) {
    let timer = 0;
    let asked = "";
    title.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(async () => {
        const text = title.value.trim();
        if (text === asked) return;
        asked = text;
        if (text.length < 10) { similar.textContent = ""; return; }
        const html = await getText("/questions/similar?title=" + encodeURIComponent(text));
        if (html !== null && asked === text) similar.innerHTML = html; // not a stale reply
      }, 400);
    });
  }
})();
