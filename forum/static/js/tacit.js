/* Tacit: live question pages, similar questions while asking. No framework, no build step.
   Everything is optional: a missing element, a refused socket or a failed fetch changes nothing. */
(() => {
  "use strict";
  const doc = document;
  const byId = (id) => doc.getElementById(id);
  // A long thread comes in pages: a link to a post that is on another page (#post-ID, the
  // address every notification and mail carries) asks the server for the page holding it.
  const wanted = /^#post-(\d+)$/.exec(location.hash);
  if (wanted && !byId("post-" + wanted[1]) && doc.querySelector(".answers-pager") &&
      !new URLSearchParams(location.search).has("post")) {
    location.replace(location.pathname + "?post=" + wanted[1] + location.hash);
    return;
  }
  // The page's settings ride on this script's tag: the Socket.IO client's URL (absent when
  // the reader asked to save data), translated labels.
  const conf = (doc.currentScript && doc.currentScript.dataset) || {};
  const french = (doc.documentElement.lang || "").startsWith("fr");
  const say = french
    ? {answer: "Nouvelle réponse", reply: "Nouvelle réponse dans la discussion"}
    : {answer: "New answer", reply: "New reply"};

  // Once a form is sent, fetch nothing more: a late response would set the session cookie
  // again without the flash message of the page that comes next.
  let leaving = false;
  doc.addEventListener("submit", (event) => { if (!event.defaultPrevented) leaving = true; });
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
  const signedIn = Boolean(doc.querySelector("[data-notification-count]"));
  const questionId = question && Number(question.dataset.questionId);
  let region = null; // made at start: screen readers miss changes of a region just added

  function announce(text) {
    region.textContent = "";
    setTimeout(() => { region.textContent = text; }, 50);
  }

  // The answer count in the heading, kept as the server writes it ("%(num)d answers").
  const heading = byId("answers-title");
  let answerCount = heading ? parseInt(heading.textContent.replace(/[^0-9]/g, ""), 10) : NaN;
  function countAnswers(n) {
    if (!heading || !Number.isInteger(n) || n < 0) return;
    answerCount = n;
    const one = french ? n < 2 : n === 1;
    const label = one ? conf.answersOne : conf.answersMany;
    if (label) heading.textContent = label.replace(/\d+/, String(n));
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
    if (!post.parent_id) countAnswers(answerCount + 1);
    announce(post.parent_id ? say.reply : say.answer);
  }

  // What the server shows readers of a post a moderator hid: a placeholder, its replies kept.
  function placeholder(text) {
    const p = doc.createElement("p");
    p.className = "placeholder";
    p.textContent = text || "";
    return p;
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
    // an empty shell around its replies. A hidden one is fetched (its author and its
    // moderators still see it: never an anonymous reader); for anyone else it becomes the
    // server's placeholder.
    const el = post.deleted || (post.hidden && !signedIn) ? null : await fragment(id);
    const current = byId("post-" + id);
    const replies = byId("replies-" + id);
    const keep = current && replies && current.contains(replies) && replies.children.length;
    if (current && !el && post.hidden && !post.deleted) {
      for (const child of [...current.children]) if (child !== replies) child.remove();
      current.insertBefore(placeholder(conf.hidden), current.firstChild);
      if (!current.contains(replies)) {
        const box = doc.createElement("div");
        box.className = "replies";
        box.id = "replies-" + id;
        current.appendChild(box);
      }
      return;
    }
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

  // A hidden question: its title and text give way to the placeholder; restored, they
  // come back from the event (the server's sanitized HTML, as the page shows it).
  let questionHidden = false;
  function questionShown(q) {
    const title = question.querySelector("h1");
    const body = question.querySelector(".qbody .body");
    if (q.hidden) {
      // Its moderators (and its author, whose page says so) go on seeing it.
      if (question.querySelector(".hidden-mark") || byId("moderate")) return;
      questionHidden = true;
      if (title) title.textContent = conf.hidden || "";
      if (body) body.replaceChildren(placeholder(conf.hidden));
    } else if (questionHidden && typeof q.body_html === "string") {
      questionHidden = false;
      if (title) title.textContent = q.title || "";
      if (body) body.innerHTML = q.body_html;
    }
  }

  function questionChanged(q) {
    if (!q || q.id !== questionId) return;
    questionShown(q);
    countAnswers(q.answer_count);
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

  // The Socket.IO client (47 KB) comes with the page for signed-in readers only. Anyone
  // else gets it at their first tap or key press: a reader who only glances at a page never
  // downloads it. Without conf.io (Save-Data) the page never goes live.
  let ioLoading = null;
  function withIo(then) {
    if (typeof window.io === "function") return then();
    if (!conf.io) return;
    if (!ioLoading) {
      ioLoading = new Promise((resolve, reject) => {
        const tag = doc.createElement("script");
        tag.src = conf.io;
        tag.onload = resolve;
        tag.onerror = reject;
        doc.head.appendChild(tag);
      });
    }
    ioLoading.then(() => { if (typeof window.io === "function") then(); }, () => {});
  }
  function whenLive(then) {
    if (typeof window.io === "function") return then();
    if (!conf.io) return;
    const events = ["pointerdown", "keydown", "touchstart"];
    const first = (event) => {
      // A tap on a link leaves the page: nothing to load for it.
      const target = event.target;
      if (event.type !== "keydown" && target.closest && target.closest("a[href]")) return;
      for (const name of events) window.removeEventListener(name, first, true);
      withIo(then);
    };
    for (const name of events) {
      window.addEventListener(name, first, {capture: true, passive: true});
    }
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

  function watchQuestion() {
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
  if (questionId > 0) {
    region = doc.createElement("div");
    region.className = "visually-hidden";
    region.setAttribute("aria-live", "polite");
    // CSSOM, not a style attribute: the CSP allows it.
    Object.assign(region.style, {position: "absolute", width: "1px", height: "1px",
      overflow: "hidden", clip: "rect(0 0 0 0)", whiteSpace: "nowrap"});
    doc.body.appendChild(region);
    whenLive(watchQuestion);
  }

  // -- votes and the accepted answer, in place ------------------------------------------
  // The forms post as always without JavaScript. Here they go by fetch (the form's CSRF
  // token with them) and the server answers a few bytes of JSON instead of a redirect and
  // the whole thread again. Anything else (an expired token: an HTML error page) sends the
  // form itself, so the reader sees what the server says.
  function showFlash(text, kind) {
    const main = byId("main");
    if (!main || !text) return;
    let box = main.querySelector(":scope > .flashes");
    if (!box) {
      box = doc.createElement("div");
      box.className = "flashes";
      box.setAttribute("role", "status");
      main.insertBefore(box, main.firstChild);
    }
    const p = doc.createElement("p");
    p.className = "flash " + kind;
    p.textContent = text;
    box.replaceChildren(p);
  }

  function voted(button, data) {
    const box = button.closest(".vote");
    if (!box || typeof data.score !== "number") return;
    const [up, down] = box.querySelectorAll("button");
    const shown = box.querySelector(".score");
    if (shown) shown.textContent = String(data.score);
    if (up) { up.value = data.my_vote === 1 ? "0" : "1";
      up.setAttribute("aria-pressed", String(data.my_vote === 1)); }
    if (down) { down.value = data.my_vote === -1 ? "0" : "-1";
      down.setAttribute("aria-pressed", String(data.my_vote === -1)); }
  }

  async function sendInPlace(form, button) {
    const body = new FormData(form);
    if (button.name) body.set(button.name, button.value);
    const url = button.getAttribute("formaction") || form.getAttribute("action");
    try {
      const response = await fetch(url, {method: "POST", body: body, credentials: "same-origin",
                                         headers: {Accept: "application/json"}});
      const type = response.headers.get("Content-Type") || "";
      if (!type.startsWith("application/json")) return null;
      return {ok: response.ok, data: await response.json()};
    } catch (e) {
      return null;
    }
  }

  // A reply is written under its post: the "Reply" link opens a small form in place of the
  // reply page (one page load saved), and the reply appears as the live update would show it.
  function replyForm(link, post) {
    const id = post.dataset.postId;
    const open = byId("reply-form-" + id);
    if (open) { open.querySelector("textarea").focus(); return; }
    const form = doc.createElement("form");
    form.className = "inline-reply";
    form.id = "reply-form-" + id;
    form.method = "post";
    form.action = link.getAttribute("href");
    form.noValidate = true;
    const token = doc.createElement("input");
    token.type = "hidden";
    token.name = "csrf_token";
    const meta = doc.querySelector('meta[name="csrf-token"]');
    token.value = meta ? meta.content : "";
    const field = doc.createElement("div");
    field.className = "field";
    const label = doc.createElement("label");
    label.htmlFor = "reply-body-" + id;
    label.textContent = conf.replyLabel || "";
    const area = doc.createElement("textarea");
    area.id = "reply-body-" + id;
    area.name = "body";
    area.rows = 4;
    field.append(label, area);
    const send = doc.createElement("button");
    send.type = "submit";
    send.className = "button";
    send.textContent = conf.replySend || "";
    const cancel = doc.createElement("button");
    cancel.type = "button";
    cancel.className = "link";
    cancel.textContent = conf.cancel || "";
    cancel.addEventListener("click", () => form.remove());
    form.append(token, field, send, doc.createTextNode(" "), cancel);
    const replies = byId("replies-" + id);
    post.insertBefore(form, replies && replies.parentNode === post ? replies : null);
    area.focus();
  }

  function replyRefused(form, text) {
    let error = form.querySelector("p.error");
    if (!error) {
      error = doc.createElement("p");
      error.className = "error";
      error.id = form.id + "-error";
      form.querySelector(".field").appendChild(error);
    }
    error.textContent = text || "";
    const area = form.querySelector("textarea");
    area.setAttribute("aria-invalid", "true");
    area.setAttribute("aria-describedby", error.id);
    area.focus();
  }

  if (questionId > 0) {
    doc.addEventListener("click", (event) => {
      const link = event.target.closest && event.target.closest('#answers a[href$="/reply"]');
      if (!link || !signedIn || event.button !== 0 || event.ctrlKey || event.metaKey ||
          event.shiftKey || event.altKey) return;
      const post = link.closest("article.post");
      if (!post || !conf.replyLabel) return;
      event.preventDefault();
      replyForm(link, post);
    });

    doc.addEventListener("submit", async (event) => {
      const button = event.submitter;
      const form = event.target;
      if (!button || !form || button.dataset.plain) return;
      const vote = button.name === "value" && button.closest(".vote");
      const accept = button.classList.contains("acc");
      const replying = form.classList.contains("inline-reply");
      if (!vote && !accept && !replying) return;
      event.preventDefault();
      if (button.disabled) return;
      button.disabled = true;
      const answer = await sendInPlace(form, button);
      button.disabled = false;
      if (answer === null) { // not JSON: let the form go as it would without JavaScript
        button.dataset.plain = "1";
        form.requestSubmit(button);
        return;
      }
      const data = answer.data || {};
      if (!answer.ok) {
        const message = data.error && data.error.message;
        if (replying) replyRefused(form, message); else showFlash(message, "error");
        return;
      }
      if (vote) voted(button, data);
      else if (accept) {
        questionChanged({id: questionId, accepted_answer_id: data.accepted_answer_id || 0});
      }
      else if (data.location) window.location.assign(data.location); // held for approval
      else {
        form.remove();
        await added({id: data.id, parent_id: data.parent_id});
        // As after the form's redirect: the confirmation, and the address of the new reply.
        showFlash(data.message, "success");
        history.replaceState(null, "", "#post-" + Number(data.id));
      }
    }, true);
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
