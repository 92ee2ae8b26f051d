"""Outgoing email: SMTP when FORUM_SMTP_URL is set, otherwise files in the outbox folder."""

import smtplib
import ssl
import uuid
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from urllib.parse import unquote, urlsplit

from flask import current_app


def build_message(to: str, subject: str, body: str) -> EmailMessage:
    """A plain-text UTF-8 message from the configured sender."""
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="tacit.local")
    message.set_content(body)
    return message


def send(to: str, subject: str, body: str) -> None:
    """Send one message; without SMTP it is written to the outbox so nothing is lost."""
    message = build_message(to, subject, body)
    url = current_app.config.get("SMTP_URL")
    if url:
        _send_smtp(url, message)
    else:
        _write_outbox(message)


def _write_outbox(message: EmailMessage) -> Path:
    outbox = Path(current_app.config["OUTBOX_DIR"])
    outbox.mkdir(parents=True, exist_ok=True)
    stamp = formatdate(usegmt=True)[5:25].replace(" ", "-").replace(":", "")
    name = f"{stamp}-{uuid.uuid4().hex}.eml"
    tmp = outbox / (name + ".tmp")
    tmp.write_bytes(bytes(message))
    tmp.rename(outbox / name)  # atomic: readers never see half a message
    return outbox / name


def _send_smtp(url: str, message: EmailMessage) -> None:
    """smtp://user:pass@host:587 uses STARTTLS; smtps:// uses TLS from the start."""
    parts = urlsplit(url)
    host = parts.hostname or "localhost"
    if parts.scheme == "smtps":
        client = smtplib.SMTP_SSL(host, parts.port or 465, context=ssl.create_default_context(),
                                  timeout=30)
    else:
        client = smtplib.SMTP(host, parts.port or 587, timeout=30)
    with client:
        if parts.scheme == "smtp" and client.has_extn("starttls"):
            client.starttls(context=ssl.create_default_context())
        if parts.username:
            client.login(unquote(parts.username), unquote(parts.password or ""))
        client.send_message(message)
