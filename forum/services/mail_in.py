"""Reply by email: reading the replies to notification mails (docs/mail-in.md).

A per-thread notification mail carries `Reply-To: reply+<token>@REPLY_DOMAIN`
(services/reply_tokens.py: signed, per member and thread, expiring). The MTA hands each
mail to such an address to `flask --app wsgi mail receive` (standard input). `receive()`
checks the token, the sender (the token's user's confirmed address), refuses
auto-replies, keeps only the new text (quoted mail and signatures stripped), and posts it
through `qa.post_answer` / `qa.post_reply` as the web does: rate limits, new-member limits,
pre-moderation and the sanitizer apply. Every mail read is recorded once (`InboundMail`,
unique Message-ID: an MTA retry posts nothing twice); every refusal is a bounce line on the
`tacit.mail_in` log, and nothing is posted.
"""

import hashlib
import logging
import re
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr
from html.parser import HTMLParser

from mailparser_reply.parser import EmailMessage as ReplyText
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from forum.errors import NotFound, PermissionDenied, RateLimited, ServiceError
from forum.extensions import db
from forum.models import User, utcnow
from forum.models.attachments import InboundMail
from forum.services import attachments, qa
from forum.services.reply_tokens import (
    EX_DATAERR,
    EX_NOPERM,
    EX_NOUSER,
    EX_OK,
    LOCAL_PREFIX,
    Refused,
    ReplyTarget,
    read_token,
)
from forum.services.uow import rollback, unit_of_work

log = logging.getLogger("tacit.mail_in")

MAX_MESSAGE_BYTES = 25 * 1024 * 1024  # what the MTA hands over; attachments included
# The exit status of each refusal (a mail refused before is refused again the same way).
STATUS_OF = {"unknown_token": EX_NOUSER, "bad_token": EX_NOUSER, "expired_token": EX_NOUSER,
             "unknown_user": EX_NOUSER, "wrong_sender": EX_NOPERM, "not_allowed": EX_NOPERM,
             "not_found": EX_NOPERM}


def token_of(address: str) -> str | None:
    """The token of `reply+<token>@domain` (any domain: the signature is what counts);
    None for another address."""
    _name, addr = parseaddr(address or "")
    local, at, _domain = addr.rpartition("@")
    if not at or not local.lower().startswith(LOCAL_PREFIX):
        return None
    return local[len(LOCAL_PREFIX):]


# -- reading a message ---------------------------------------------------------------------

_AUTO_PRECEDENCE = {"bulk", "junk", "list", "auto_reply"}


def auto_reply_reason(message: EmailMessage) -> str | None:
    """Why this looks like a machine's mail (RFC 3834 and common practice), or None."""
    auto = str(message.get("Auto-Submitted", "") or "").strip().lower()
    if auto and auto.split(";")[0].strip() != "no":
        return f"Auto-Submitted: {auto[:40]}"
    precedence = str(message.get("Precedence", "") or "").strip().lower()
    if precedence in _AUTO_PRECEDENCE:
        return f"Precedence: {precedence}"
    for header in ("X-Autoreply", "X-Autorespond"):
        value = message.get(header)
        if value is not None:
            return f"{header}: {str(value)[:40]}"
    if message.get("List-Id") or message.get("List-Unsubscribe"):
        return "a mailing list's mail"
    sender = parseaddr(str(message.get("Return-Path", "") or ""))[1]
    if str(message.get("Return-Path", "")).strip() == "<>" or \
            sender.lower().startswith(("mailer-daemon@", "postmaster@")):
        return "a delivery report"
    if message.get_content_type() == "multipart/report":
        return "a delivery report"
    return None


class _Text(HTMLParser):
    """HTML mail to plain text: block elements break lines, quoted mail
    (<blockquote>, Gmail's and Outlook's quote containers) and scripts are dropped."""

    BLOCKS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "pre",
              "table", "ul", "ol", "hr"}
    SKIP = {"blockquote", "script", "style", "head", "title"}
    QUOTE_MARKS = ("gmail_quote", "moz-cite-prefix", "mail-quote")
    # Outlook quotes nothing: after these marks comes the old mail, to the end.
    OLD_MAIL_MARKS = ("appendonsend", "divrplyfwdmsg")

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping: list[str] = []  # tags whose content is dropped, innermost last
        self.stop = False  # everything after a reply header (Outlook) is the old mail
        self.links: list[tuple[str, int]] = []  # open <a href>: the address, where it began

    def handle_starttag(self, tag, attrs):
        if self.stop:
            return
        marks = " ".join(f"{v or ''}" for k, v in attrs if k in ("class", "id")).lower()
        if any(mark in marks for mark in self.OLD_MAIL_MARKS):
            self.stop = True
            return
        if self.skipping or tag in self.SKIP or any(m in marks for m in self.QUOTE_MARKS):
            if tag not in ("br", "hr", "img", "meta", "link", "input"):
                self.skipping.append(tag)
            return
        if tag == "a":
            href = dict(attrs).get("href") or ""
            if href.startswith(("http://", "https://")):
                self.links.append((href, len(self.parts)))
        elif tag == "li":
            self.parts.append("\n- ")
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if self.skipping:
            if tag in self.skipping:  # tags left open inside close with their container
                del self.skipping[len(self.skipping) - 1 - self.skipping[::-1].index(tag):]
            return
        if self.stop:
            return
        if tag == "a" and self.links:
            href, start = self.links.pop()
            if href not in "".join(self.parts[start:]):
                self.parts.append(f" ({href})")
        if tag in self.BLOCKS and tag != "br":
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.skipping and not self.stop:
            self.parts.append(re.sub(r"\s+", " ", data))

    def text(self) -> str:
        lines = [line.strip() for line in "".join(self.parts).splitlines()]
        return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def html_to_text(html: str) -> str:
    """The visible text of an HTML mail body, without its quoted part."""
    parser = _Text()
    parser.feed(html)
    parser.close()
    return parser.text()


_PHONE_SIGNATURE = re.compile(
    r"^\s*(sent from my|sent from outlook|get outlook for|envoy[ée] de mon|envoy[ée] depuis"
    r"|envoy[ée] à partir de|obtenir outlook pour)\b.*$", re.IGNORECASE | re.MULTILINE)
_SIGNATURE_DASHES = re.compile(r"^-- ?$", re.MULTILINE)
_TRAILING_QUOTE = re.compile(r"(\n>[^\n]*)+\s*\Z")


def reply_text(body: str) -> str:
    """The new text of a reply: quoted mail (Gmail, Outlook, Apple Mail, Thunderbird; EN
    and FR headers), the signature and "Sent from my phone" lines removed."""
    # The "-- " signature delimiter first: mail-parser-reply strips line ends before it
    # looks, and would then take any "--" (a Markdown rule, say) for one.
    body = body.replace("\r\n", "\n")
    match = _SIGNATURE_DASHES.search(body)
    if match:
        body = body[:match.start()]
    parsed = ReplyText(text=body, languages=["en", "fr"], keep_hyphen_lists=True).read()
    text = parsed.replies[0].body if parsed.replies else ""
    match = _PHONE_SIGNATURE.search(text)
    if match:
        text = text[:match.start()]
    # Quoted lines left at the end (a client that quotes without an "On ... wrote:" line);
    # quotes between the member's own lines stay, as Markdown quotes.
    text = _TRAILING_QUOTE.sub("", "\n" + text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def message_text(message: EmailMessage) -> str:
    """The body a person wrote: the text/plain part, else the HTML part as text."""
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        content = part.get_content()
    except (LookupError, UnicodeError, ValueError):
        payload = part.get_payload(decode=True) or b""
        content = payload.decode("utf-8", "replace")
    if not isinstance(content, str):
        return ""
    if part.get_content_type() == "text/html":
        return html_to_text(content)
    return content


def mail_attachments(message: EmailMessage) -> list[tuple[str, str, bytes]]:
    """(file name, declared type, bytes) of each attached file (not the body, nor the
    images embedded in the HTML body)."""
    found = []
    for part in message.iter_attachments():
        if part.is_multipart():
            continue
        if part.get("Content-ID") and part.get_content_disposition() != "attachment":
            continue  # an image the HTML part shows (a signature's logo): not a file sent
        data = part.get_payload(decode=True)
        if not data:
            continue
        name = part.get_filename() or "attachment"
        found.append((name, part.get_content_type(), data))
    return found


def _message_id(message: EmailMessage, raw: bytes) -> str:
    value = " ".join(str(message.get("Message-ID", "") or "").split())[:255]
    return value or f"<sha256-{hashlib.sha256(raw).hexdigest()}@tacit>"


def _recipients(message: EmailMessage, envelope: list[str] | None) -> list[str]:
    """Where to look for the reply address: the MTA's envelope recipient first (given on
    the command line), then the headers MTAs add, then To and Cc."""
    found = list(envelope or [])
    for header in ("Delivered-To", "X-Original-To", "Envelope-To", "To", "Cc"):
        values = [str(v) for v in message.get_all(header, [])]
        found.extend(addr for _name, addr in getaddresses(values))
    return found


# -- receiving ------------------------------------------------------------------------------

@dataclass
class Received:
    """What `receive()` did: `status` is the exit status of `mail receive`."""

    status: int
    line: str
    posted: bool = False
    duplicate: bool = False
    post_id: int | None = None
    held: bool = False
    code: str = "posted"


def _already(message_id: str) -> InboundMail | None:
    return db.session.scalar(select(InboundMail).where(InboundMail.message_id == message_id))


def _record_refusal(message_id: str, sender: str, target: ReplyTarget | None,
                    refusal: Refused) -> None:
    log.warning("bounce: %s from %s (message %s): %s", refusal.code, sender or "?",
                message_id, refusal.detail)
    try:
        with unit_of_work():
            db.session.add(InboundMail(
                message_id=message_id, sender=sender[:254], state="refused",
                user_id=target.user_id if target and db.session.get(User, target.user_id)
                else None,
                reason=f"{refusal.code}: {refusal.detail}"[:200], received_at=utcnow()))
    except IntegrityError:
        pass  # the same mail, recorded by a concurrent run


def receive(raw: bytes, *, recipients: list[str] | None = None) -> Received:
    """Read one RFC 5322 message (bytes, as the MTA hands it over) and post its reply.

    Never raises for a bad mail: returns a Received whose status is 0 when posted (or
    already posted: an MTA retry), 67 for an unknown, forged or expired reply address, 77
    for a sender or account not allowed to post there, 65 for anything else refused
    (auto-replies, an empty reply, the forum's own limits)."""
    if len(raw) > MAX_MESSAGE_BYTES:
        refusal = Refused("too_large", "the mail is too large", EX_DATAERR)
        log.warning("bounce: %s (%d bytes)", refusal.code, len(raw))
        return Received(refusal.status, f"refused ({refusal.code}): {refusal.detail}",
                        code=refusal.code)
    message = BytesParser(policy=policy.default).parsebytes(raw)
    message_id = _message_id(message, raw)
    sender = parseaddr(str(message.get("From", "") or ""))[1].strip()
    earlier = _already(message_id)
    if earlier is not None and earlier.state == "posted":
        log.info("message %s posted before: nothing done", message_id)
        return Received(EX_OK, f"already received: {message_id}", duplicate=True,
                        code="duplicate")
    if earlier is not None:  # refused before: refused again, for the same reason
        code = earlier.reason.split(":")[0]
        log.warning("bounce: %s from %s (message %s): refused before", code, sender or "?",
                    message_id)
        return Received(STATUS_OF.get(code, EX_DATAERR),
                        f"refused before ({earlier.reason})", duplicate=True, code=code)
    target = None
    try:
        target = _target(message, recipients)
        user = _check_sender(target, sender)
        reason = auto_reply_reason(message)
        if reason:
            raise Refused("auto_reply", f"an automatic reply ({reason})")
        body = reply_text(message_text(message))
        if not body:
            raise Refused("empty", "the reply is empty once quoted mail is removed")
        post = _post(user, target, body, message_id, sender, message)
    except Refused as refusal:
        rollback()
        _record_refusal(message_id, sender, target, refusal)
        return Received(refusal.status, f"refused ({refusal.code}): {refusal.detail}",
                        code=refusal.code)
    except IntegrityError:
        rollback()
        if _already(message_id) is None:
            raise
        # The same Message-ID, posted by a concurrent run of the command.
        log.info("message %s posted by a concurrent run: nothing done", message_id)
        return Received(EX_OK, f"already received: {message_id}", duplicate=True,
                        code="duplicate")
    held = post.held_at is not None
    kind = "reply" if post.parent_id else "answer"
    log.info("posted %s %d on question %d from %s (message %s)%s", kind, post.id,
             post.question_id, sender, message_id, " held for moderation" if held else "")
    return Received(EX_OK, f"posted {kind} {post.id} on question {post.question_id}"
                    + (" (held for moderation)" if held else ""), posted=True,
                    post_id=post.id, held=held)


def _target(message: EmailMessage, recipients: list[str] | None) -> ReplyTarget:
    tokens = [t for t in (token_of(a) for a in _recipients(message, recipients)) if t]
    if not tokens:
        raise Refused("unknown_token", "no reply address (reply+...@) among the recipients",
                      EX_NOUSER)
    return read_token(tokens[0])


def _check_sender(target: ReplyTarget, sender: str) -> User:
    user = db.session.get(User, target.user_id)
    if user is None or user.is_deleted or not user.email:
        raise Refused("unknown_user", "the account this address was made for is gone",
                      EX_NOUSER)
    if user.email_confirmed_at is None or sender.lower() != (user.email_key or "").lower():
        raise Refused("wrong_sender", "the sender is not the confirmed address of the "
                      "member this reply address belongs to", EX_NOPERM)
    return user


def _post(user: User, target: ReplyTarget, body: str, message_id: str, sender: str,
          message: EmailMessage):
    """Post through the web's own services and record the mail, in one write."""
    try:
        with unit_of_work():
            files = _store_files(user, message)
            if target.post_id:
                post = qa.post_reply(user, target.post_id, body)
            else:
                post = qa.post_answer(user, target.question_id, body)
            if post.question_id != target.question_id:
                raise Refused("bad_token", "the reply address is not valid", EX_NOUSER)
            if files:
                attachments.attach(user, files, post=post)
            db.session.add(InboundMail(
                message_id=message_id, sender=sender[:254], user_id=user.id,
                question_id=post.question_id, post_id=post.id, state="posted",
                received_at=utcnow()))
            db.session.flush()
    except PermissionDenied as error:  # suspended or banned
        raise Refused("not_allowed", _one_line(error), EX_NOPERM) from None
    except NotFound as error:  # deleted, or a private group the member left
        raise Refused("not_found", _one_line(error), EX_NOPERM) from None
    except RateLimited as error:
        raise Refused("rate_limited", _one_line(error), EX_DATAERR) from None
    except ServiceError as error:
        raise Refused("refused", _one_line(error), EX_DATAERR) from None
    return post


def _store_files(user: User, message: EmailMessage) -> list[int]:
    """Store the mail's files as the member's uploads, through the attachments service
    (its type, size, count and quota checks apply: a refused file refuses the mail); their
    ids, to attach to the post."""
    files = mail_attachments(message)
    if not files:
        return []
    return [attachments.store_upload(user, name, data).id for name, _type, data in files]


def _one_line(error: ServiceError) -> str:
    details = "; ".join(f"{k}: {v}" for k, v in (error.fields or {}).items())
    return " ".join(f"{error.message} {details}".split())[:180]
