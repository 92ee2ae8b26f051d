"""Outgoing email: SMTP when FORUM_SMTP_URL is set, otherwise files in the outbox folder.

Delivery happens on a background worker of the process, never in the request that caused
the mail: a reader waits neither for a slow SMTP server nor, by the time an answer takes,
learns whether a mail went out (the password-reset and registration answers must not tell
whether an address has an account). The worker takes a message MAIL_DELAY seconds after it
was queued (FORUM_MAIL_DELAY, default 0.25), so the CPU it spends writing the message does
not fall inside the answer that queued it either.

Services queue mail with `after_commit(mail.send, ...)`, so nothing is sent for a write that
rolls back. `flush()` waits for the queue (tests, and at exit so a command-line run loses
nothing); a message SMTP refuses is kept in the outbox's `failed/` folder and logged.
"""

import atexit
import logging
import os
import queue
import smtplib
import ssl
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from urllib.parse import unquote, urlsplit

from flask import current_app

from forum import metrics


def build_message(to: str, subject: str, body: str, *, html: str | None = None,
                  unsubscribe_url: str | None = None,
                  reply_to: str | None = None) -> EmailMessage:
    """A UTF-8 message from the configured sender: plain text, with a light HTML
    alternative when `html` is given; `unsubscribe_url` adds the List-Unsubscribe headers
    of a one-click unsubscribe (RFC 2369, RFC 8058); `reply_to` a Reply-To (reply by
    email's address)."""
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="tacit.local")
    if reply_to:
        message["Reply-To"] = reply_to
    if unsubscribe_url:
        message["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(body)
    if html is not None:
        message.add_alternative(html, subtype="html")
    return message


class Batch:
    """Deliver many messages now, in this thread, over one SMTP connection (or into the
    outbox): for the digests, which must know each message has left before they record it.
    Use as a context manager; `send(message)` raises on a failed delivery."""

    def __init__(self) -> None:
        self.smtp_url = current_app.config.get("SMTP_URL")
        self.outbox = Path(current_app.config["OUTBOX_DIR"])
        self.client: smtplib.SMTP | None = None

    def __enter__(self) -> "Batch":
        if self.smtp_url:
            self.client = _smtp_client(self.smtp_url)
        return self

    def send(self, message: EmailMessage) -> None:
        if self.client is None:
            _write_outbox(message, self.outbox)
        else:
            self.client.send_message(message)

    def __exit__(self, *exc) -> None:
        if self.client is not None:
            try:
                self.client.quit()
            except smtplib.SMTPException:
                self.client.close()


log = logging.getLogger(__name__)
FLUSH_AT_EXIT = 15.0  # seconds a finishing process waits for its queued mail


class _Sender:
    """One worker thread per process (a greenlet under gevent) draining a queue of mail."""

    def __init__(self) -> None:
        self.queue: queue.SimpleQueue = queue.SimpleQueue()
        self.lock = threading.Lock()
        self.idle = threading.Condition(self.lock)
        self.waiting = 0  # queued or being delivered
        self.pid = None  # the process whose worker runs (a fork needs its own)

    def put(self, message: EmailMessage, smtp_url: str | None, outbox: Path,
            delay: float) -> None:
        with self.lock:
            if self.pid != os.getpid():
                self.pid = os.getpid()
                self.queue = queue.SimpleQueue()
                self.waiting = 0
                threading.Thread(target=self._run, args=(self.queue,), name="tacit-mail",
                                 daemon=True).start()
            self.waiting += 1
            self.queue.put((message, smtp_url, outbox, time.monotonic() + delay))

    def _run(self, jobs: queue.SimpleQueue) -> None:
        while True:
            message, smtp_url, outbox, not_before = jobs.get()
            wait = not_before - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            try:
                deliver(message, smtp_url, outbox)
                metrics.count_mail("sent")
            except Exception:  # noqa: BLE001 - one bad message must not stop the worker
                metrics.count_mail("failed")
                log.exception("mail to %s failed; kept in %s", message["To"], outbox / "failed")
                try:
                    _write_outbox(message, outbox / "failed")
                except OSError:
                    log.exception("mail to %s lost: the outbox is not writable", message["To"])
            finally:
                with self.lock:
                    self.waiting -= 1
                    if self.waiting <= 0:
                        self.idle.notify_all()

    def flush(self, timeout: float) -> bool:
        with self.lock:
            if self.pid != os.getpid():
                return True
            return self.idle.wait_for(lambda: self.waiting <= 0, timeout)


_sender = _Sender()


_quiet = threading.local()


@contextmanager
def suppressed() -> Iterator[None]:
    """Drop the mail queued inside this block, in this thread (the demo seed writes
    notifications about its own made-up activity but mails nobody)."""
    before = getattr(_quiet, "on", False)
    _quiet.on = True
    try:
        yield
    finally:
        _quiet.on = before


def send(to: str, subject: str, body: str) -> None:
    """Queue one message for delivery by SMTP, or to the outbox folder without SMTP."""
    queue_message(build_message(to, subject, body))


def queue_message(message: EmailMessage) -> None:
    """Queue a message made by build_message() (which needs the app; this does not
    compose anything, so it costs the same for any message)."""
    if getattr(_quiet, "on", False):
        return
    metrics.count_mail("queued")
    _sender.put(message, current_app.config.get("SMTP_URL"),
                Path(current_app.config["OUTBOX_DIR"]), current_app.config["MAIL_DELAY"])


def flush(timeout: float = 10.0) -> bool:
    """Wait until every queued message of this process is delivered (or kept as failed);
    False if the timeout came first."""
    return _sender.flush(timeout)


atexit.register(flush, FLUSH_AT_EXIT)


def deliver(message: EmailMessage, smtp_url: str | None, outbox: Path) -> None:
    """Deliver one message now: by SMTP when a URL is configured, else into the outbox."""
    if smtp_url:
        _send_smtp(smtp_url, message)
    else:
        _write_outbox(message, outbox)


def _write_outbox(message: EmailMessage, outbox: Path) -> Path:
    outbox.mkdir(parents=True, exist_ok=True)
    stamp = formatdate(usegmt=True)[5:25].replace(" ", "-").replace(":", "")
    name = f"{stamp}-{uuid.uuid4().hex}.eml"
    tmp = outbox / (name + ".tmp")
    tmp.write_bytes(bytes(message))
    tmp.rename(outbox / name)  # atomic: readers never see half a message
    return outbox / name


def _smtp_client(url: str) -> smtplib.SMTP:
    """A connected, logged-in client. smtp://user:pass@host:587 uses STARTTLS when the
    server offers it; smtps:// uses TLS from the start."""
    parts = urlsplit(url)
    host = parts.hostname or "localhost"
    if parts.scheme == "smtps":
        client = smtplib.SMTP_SSL(host, parts.port or 465, context=ssl.create_default_context(),
                                  timeout=30)
    else:
        client = smtplib.SMTP(host, parts.port or 587, timeout=30)
    try:
        client.ehlo_or_helo_if_needed()  # has_extn() knows nothing before EHLO
        if parts.scheme == "smtp" and client.has_extn("starttls"):
            client.starttls(context=ssl.create_default_context())
        if parts.username:
            client.login(unquote(parts.username), unquote(parts.password or ""))
    except BaseException:
        client.close()
        raise
    return client


def _send_smtp(url: str, message: EmailMessage) -> None:
    with _smtp_client(url) as client:
        client.send_message(message)
