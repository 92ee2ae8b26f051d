"""Reply by email's addresses: `reply+<token>@REPLY_DOMAIN`, signed per member and thread.

The token is signed with the app's secret key (its own salt), names the recipient, the
question and, when the mail was about a post, that post, and expires after REPLY_TOKEN_DAYS
(30). Notification mails (services/mailing.py) carry it; services/mail_in.py reads it.
"""

from dataclasses import dataclass

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner

SALT = "tacit-reply-by-mail"
LOCAL_PREFIX = "reply+"
DEFAULT_TOKEN_DAYS = 30
# Exit statuses of `mail receive` (sysexits.h, what an MTA pipe understands).
EX_OK, EX_DATAERR, EX_NOUSER, EX_TEMPFAIL, EX_NOPERM = 0, 65, 67, 75, 77


class _Signer(TimestampSigner):
    """A TimestampSigner whose issuing time may be given (tests make expired tokens)."""

    def __init__(self, *args, issued_at: int | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.issued_at = issued_at

    def get_timestamp(self) -> int:
        return self.issued_at if self.issued_at is not None else super().get_timestamp()


def _signer(issued_at: int | None = None) -> _Signer:
    return _Signer(current_app.secret_key, salt=SALT, issued_at=issued_at)


def _b36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if not number:
            return out


def reply_token(user_id: int, question_id: int, post_id: int | None = None, *,
                issued_at: int | None = None) -> str:
    """A signed token naming the user, the question and (optionally) the post replied to:
    `<ids in base 36>.<timestamp>.<HMAC>`, about 45 characters, fit for an address's local
    part (64 at most). `issued_at` (Unix seconds) defaults to now."""
    ids = [user_id, question_id] + ([post_id] if post_id else [])
    payload = "-".join(_b36(int(i)) for i in ids)
    return _signer(issued_at).sign(payload).decode()


def reply_address(user_id: int, question_id: int, post_id: int | None = None) -> str | None:
    """`reply+<token>@REPLY_DOMAIN`, or None when reply by email is off (no REPLY_DOMAIN)."""
    domain = current_app.config.get("REPLY_DOMAIN")
    if not domain:
        return None
    return f"{LOCAL_PREFIX}{reply_token(user_id, question_id, post_id)}@{domain}"


@dataclass(frozen=True)
class ReplyTarget:
    user_id: int
    question_id: int
    post_id: int | None


class Refused(Exception):
    """A mail that is not posted: `code` (a short word for the log and InboundMail.reason),
    `detail` (one line for the MTA), `status` (the exit status of `mail receive`)."""

    def __init__(self, code: str, detail: str, status: int = EX_DATAERR) -> None:
        super().__init__(detail)
        self.code, self.detail, self.status = code, detail, status


def read_token(token: str) -> ReplyTarget:
    """The target a token names. Raises Refused: `bad_token` (forged, garbled or
    truncated) or `expired_token` (older than REPLY_TOKEN_DAYS)."""
    days = int(current_app.config.get("REPLY_TOKEN_DAYS", DEFAULT_TOKEN_DAYS))
    if not token or len(token) > 64:
        raise Refused("bad_token", "the reply address is not valid", EX_NOUSER)
    try:
        payload = _signer().unsign(token, max_age=days * 86400).decode()
    except SignatureExpired:
        raise Refused("expired_token", f"the reply address expired (after {days} days); "
                      "answer on the forum instead", EX_NOUSER) from None
    except BadSignature:
        raise Refused("bad_token", "the reply address is not valid", EX_NOUSER) from None
    try:
        ids = [int(part, 36) for part in payload.split("-")]
    except ValueError:
        raise Refused("bad_token", "the reply address is not valid", EX_NOUSER) from None
    if len(ids) not in (2, 3):
        raise Refused("bad_token", "the reply address is not valid", EX_NOUSER)
    return ReplyTarget(ids[0], ids[1], ids[2] if len(ids) == 3 else None)
