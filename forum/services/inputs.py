"""Parsing of raw input: ids, text fields, tag names and the acting user.

Every transport (pages, the JSON API, socket events) hands the values it received to these
functions as they came, and every service checks its arguments with them, so that an id or
a body is refused the same way, with the same words, wherever it comes from. Nothing here
raises anything but a ServiceError: odd values (booleans, floats, "²", huge numbers) are
refusals, never a ValueError or an overflow in the database.
"""

import unicodedata

from flask_babel import gettext as _

from forum import permissions
from forum.errors import InvalidInput, PermissionDenied

MAX_ID = 2**31 - 1  # ids are 32-bit integers on PostgreSQL
ID_DIGITS = len(str(MAX_ID))  # longer digit strings are refused before int() reads them
TAG_MAX_LEN = 30


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


def text(value, field: str, errors: dict) -> str:
    """`value` as text: None counts as empty; anything else but a string records
    "Must be text." in errors[field]."""
    if value is None:
        return ""
    if not isinstance(value, str):
        errors[field] = _("Must be text.")
        return ""
    return value


def clean_body(value, errors: dict, *, max_len: int, field: str = "body",
               none_is_empty: bool = True) -> str:
    """Markdown of 1 to `max_len` characters, not only spaces, with Unix line ends.

    None counts as empty text unless `none_is_empty` is False (then it is "Must be text.").
    Records the refusal in errors[field].
    """
    if value is None and not none_is_empty:
        errors[field] = _("Must be text.")
        return ""
    body = text(value, field, errors)
    if field in errors:
        return body
    body = body.replace("\r\n", "\n")
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
