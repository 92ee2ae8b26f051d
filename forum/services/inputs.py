"""Parsing of raw input: ids, text fields, tag names and the acting user.

Every transport (pages, the JSON API, socket events) hands the values it received to these
functions as they came, and every service checks its arguments with them, so that an id or
a body is refused the same way, with the same words, wherever it comes from. Nothing here
raises anything but a ServiceError: odd values (booleans, floats, "²", huge numbers) are
refusals, never a ValueError or an overflow in the database.
"""

import re
import unicodedata

from flask_babel import gettext as _

from forum import permissions
from forum.errors import InvalidInput, PermissionDenied
from forum.models import BANNED_UNTIL, utcnow

MAX_ID = 2**31 - 1  # ids are 32-bit integers on PostgreSQL
ID_DIGITS = len(str(MAX_ID))  # longer digit strings are refused before int() reads them
TAG_MAX_LEN = 30
JSON_MAX_DEPTH = 16  # no request body of ours nests deeper than 3
# What no text column can take: NUL (PostgreSQL refuses it) and lone surrogates (no UTF-8
# encoding exists for them; JSON "\ud800" escapes and socket payloads can carry them).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
# Control characters stripped from bodies: C0 but tab, line feed and carriage return; DEL.
_BODY_CONTROLS = re.compile("[\x01-\x08\x0b\x0c\x0e-\x1f\x7f]")
# What a header value we keep (a User-Agent) may not hold: controls, lone surrogates.
_HEADER_JUNK = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


# -- ids --------------------------------------------------------------------------------


def as_int(value) -> int | None:
    """A whole number from an int or a string of at most 10 ASCII digits, else None.

    Booleans, floats, signs, spaces and non-ASCII digits ("²", "١") are not numbers here.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit() \
            and len(value) <= ID_DIGITS:
        return int(value)
    return None


def as_id(value, *, minimum: int = 1) -> int | None:
    """An id (`minimum` to MAX_ID) from an int or an ASCII digit string, else None.

    The lenient parser, for values whose refusal is a plain "not found" (path segments,
    query strings, form values).
    """
    number = as_int(value)
    if number is not None and minimum <= number <= MAX_ID:
        return number
    return None


def id_field(value, field: str, errors: dict, *, minimum: int = 1,
             maximum: int = MAX_ID) -> int | None:
    """A whole number from `minimum` to `maximum` given as an int (JSON, socket payloads);
    anything else records why in errors[field] and gives None."""
    if isinstance(value, bool) or not isinstance(value, int):
        errors[field] = _("Must be a whole number.")
    elif value < minimum:
        errors[field] = _("Must be at least %(n)d.", n=minimum)
    elif value > maximum:
        errors[field] = _("At most %(n)d.", n=maximum)
    else:
        return value
    return None


def require_id(value, field: str, *, minimum: int = 1) -> int:
    """id_field() for a single value: the id, or InvalidInput naming the field."""
    errors: dict = {}
    ident = id_field(value, field, errors, minimum=minimum)
    if errors:
        raise InvalidInput(fields=errors)
    return ident


# -- text -------------------------------------------------------------------------------


def unstorable(value: str) -> str | None:
    """Why no database could store this text (a NUL, a lone surrogate), or None."""
    found = _UNSTORABLE.search(value)
    if found is None:
        return None
    if found.group() == "\x00":
        return _("Remove the NUL characters: they cannot be stored.")
    return _("Remove the characters that are not valid Unicode (lone surrogates).")


def json_problem(value) -> str | None:
    """Why a decoded JSON value cannot be taken as it is (nested deeper than
    JSON_MAX_DEPTH, or text that cannot be stored anywhere in it), or None.

    Walks without recursion, so no nesting the decoder accepted can overflow the stack.
    """
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, str):
            reason = unstorable(item)
            if reason:
                return reason
        elif isinstance(item, (list, dict)):
            if depth > JSON_MAX_DEPTH:
                return _("Nested too deeply: at most %(n)d levels.", n=JSON_MAX_DEPTH)
            if isinstance(item, dict):
                pending.extend((key, depth) for key in item)
                pending.extend((child, depth + 1) for child in item.values())
            else:
                pending.extend((child, depth + 1) for child in item)
    return None


def text(value, field: str, errors: dict) -> str:
    """`value` as text: None counts as empty; anything else but a string records
    "Must be text." in errors[field], and so does text no database can store (a NUL, a
    lone surrogate) with its own reason."""
    if value is None:
        return ""
    if not isinstance(value, str):
        errors[field] = _("Must be text.")
        return ""
    reason = unstorable(value)
    if reason:
        errors[field] = reason
        return ""
    return value


def header_text(value, max_len: int) -> str:
    """A request header's value (a User-Agent) as we keep it: text without control
    characters or lone surrogates, at most `max_len` characters; anything else is ""."""
    if not isinstance(value, str):
        return ""
    return _HEADER_JUNK.sub("", value)[:max_len]


def clean_body(value, errors: dict, *, max_len: int, field: str = "body",
               none_is_empty: bool = True) -> str:
    """Markdown of 1 to `max_len` characters, not only spaces, with Unix line ends and
    without control characters other than tab and line ends (they would only confuse
    what reads the source: search snippets mark matches with U+0001 and U+0002).

    None counts as empty text unless `none_is_empty` is False (then it is "Must be text.").
    Records the refusal in errors[field] (a NUL or a lone surrogate is one, see text()).
    """
    if value is None and not none_is_empty:
        errors[field] = _("Must be text.")
        return ""
    body = text(value, field, errors)
    if field in errors:
        return body
    body = _BODY_CONTROLS.sub("", body.replace("\r\n", "\n"))
    if not body.strip():
        errors[field] = _("Write something first.")
    elif len(body) > max_len:
        errors[field] = _("Use at most %(n)d characters.", n=max_len)
    return body


def _is_tag_char(ch: str) -> bool:
    return ch == "-" or ("0" <= ch <= "9") or (ch.isalpha() and ch == ch.lower())


def clean_tag_name(value) -> str | None:
    """A valid tag name (NFC, lower-case letters with accents, digits, hyphens), or None."""
    if not isinstance(value, str):
        return None
    name = unicodedata.normalize("NFC", value.strip())
    if not name or len(name) > TAG_MAX_LEN or not all(_is_tag_char(ch) for ch in name):
        return None
    if name.strip("-") == "":
        return None
    return name


# -- the acting user --------------------------------------------------------------------


def require_user(user) -> None:
    """Refuse anonymous visitors and deleted accounts: PermissionDenied."""
    if not permissions.is_user(user):
        raise PermissionDenied(_("Log in to do this."))


def require_active(user) -> None:
    """require_user(), and refuse suspended or banned accounts (they read but do not
    write): PermissionDenied saying until when and why."""
    require_user(user)
    until = getattr(user, "suspended_until", None)
    if until is not None and until > utcnow():
        if until >= BANNED_UNTIL:
            message = _("Your account is banned: %(reason)s", reason=user.suspension_reason)
        else:
            message = _("Your account is suspended until %(when)s: %(reason)s",
                        when=until.strftime("%Y-%m-%d %H:%M UTC"),
                        reason=user.suspension_reason)
        raise PermissionDenied(message)
