"""Request parsing, bearer-token auth and pagination shared by every API endpoint."""

from functools import wraps

from flask import g, request
from flask_babel import gettext as _

from forum.errors import BadRequest, InvalidInput, Unauthorized
from forum.services import inputs
from forum.services.accounts import token_user
from forum.services.paging import MAX_PAGE, fetch_page

MAX_PER_PAGE = 100


def bearer_token() -> str | None:
    """The token of an `Authorization: Bearer` header, or None."""
    header = request.headers.get("Authorization", "")
    scheme, _sep, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def current_api_user():
    """The user of this request's bearer token, or None (the session cookie is ignored)."""
    if "api_user" not in g:
        found = token_user(bearer_token())
        g.api_user, g.api_token = found if found else (None, None)
    return g.api_user


def token_required(view):
    """Refuse with 401 unless a live bearer token is given."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if current_api_user() is None:
            if bearer_token():
                raise Unauthorized(_("This token is not valid: it is unknown, expired or revoked."))
            raise Unauthorized(_("Send an API token: Authorization: Bearer <token>."))
        return view(*args, **kwargs)

    return wrapper


def json_body(*, allowed: set[str], required: set[str] = frozenset()) -> dict:
    """The request's JSON object; unknown fields are refused (422), never silently dropped."""
    if not request.is_json:
        raise BadRequest(_("Send a JSON object with Content-Type: application/json."))
    try:
        data = request.get_json(silent=True)
    except RecursionError:  # nested past the decoder's depth: malformed, like bad syntax
        data = None
    if not isinstance(data, dict):
        raise BadRequest(_("The body must be a JSON object."))
    errors = {}
    for key, value in data.items():
        problem = inputs.json_problem(key) or (
            _("Unknown field.") if key not in allowed else inputs.json_problem(value))
        if problem:  # named as sent: JSON answers escape what is not ASCII
            errors[key] = problem
    errors.update({key: _("This field is required.") for key in required if key not in data})
    if errors:
        raise InvalidInput(fields=errors)
    return data


def has_nul(value) -> bool:
    """True for text (or a list or object holding text) with a NUL character: PostgreSQL
    text cannot store one, and bad input must be a 4xx naming the field, never a 500."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, list):
        return any(has_nul(item) for item in value)
    if isinstance(value, dict):
        return any(has_nul(k) or has_nul(v) for k, v in value.items())
    return False


def body_first(view):
    """Read the request body before the token lookup opens a database transaction.

    On SQLite every transaction holds the write lock (BEGIN IMMEDIATE). Waiting for a slow
    client's body inside one lets another greenlet of the gevent worker block the whole
    process in SQLite's busy wait: a 30-second freeze. Reading first avoids that.
    """

    @wraps(view)
    def wrapper(*args, **kwargs):
        request.get_data(cache=True)  # at most MAX_CONTENT_LENGTH, else 413
        return view(*args, **kwargs)

    return wrapper


def optional_user():
    """The token's user, or None when no token is sent; a bad token is 401, never anonymous."""
    user = current_api_user()
    if user is None and bearer_token():
        raise Unauthorized(_("This token is not valid: it is unknown, expired or revoked."))
    return user


def page_args() -> tuple[int, int]:
    """Validated ?page= and ?per_page= (at most 100)."""
    errors = {}
    values = {}
    for name, default in (("page", 1), ("per_page", 20)):
        raw = request.args.get(name, str(default))
        try:
            values[name] = int(raw)
        except ValueError:
            errors[name] = _("Must be a whole number.")
            continue
        if values[name] < 1:
            errors[name] = _("Must be at least 1.")
    if "page" not in errors and values["page"] > MAX_PAGE:
        errors["page"] = _("At most %(n)d.", n=MAX_PAGE)
    if not errors and values["per_page"] > MAX_PER_PAGE:
        errors["per_page"] = _("At most %(n)d.", n=MAX_PER_PAGE)
    if errors:
        raise InvalidInput(fields=errors)
    return values["page"], values["per_page"]


def paginate(stmt, serialize, *, rows: bool = False) -> dict:
    """Run a select() for one page and answer {items, page, per_page, total}.

    The count and the page are two queries whatever the page size; `serialize` receives the
    page's models (with `rows`, whole result rows) at once so it can load related data in a
    fixed number of queries too.
    """
    page, per_page = page_args()
    found = fetch_page(stmt, page=page, per_page=per_page, rows=rows, count=True)
    return {"items": serialize(found.items), "page": page, "per_page": per_page,
            "total": found.total}
