"""Request parsing, bearer-token auth and pagination shared by every API endpoint."""

from functools import wraps

from flask import g, request
from flask_babel import gettext as _
from sqlalchemy import func, select

from forum.errors import BadRequest, InvalidInput, Unauthorized
from forum.extensions import db
from forum.services.accounts import token_user

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
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise BadRequest(_("The body must be a JSON object."))
    errors = {key: _("Unknown field.") for key in data if key not in allowed}
    errors.update({key: _("Remove the NUL characters: they cannot be stored.")
                   for key, value in data.items() if key in allowed and _has_nul(value)})
    errors.update({key: _("This field is required.") for key in required if key not in data})
    if errors:
        raise InvalidInput(fields=errors)
    return data


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, list):
        return any(_has_nul(item) for item in value)
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    return False


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
    if not errors and values["per_page"] > MAX_PER_PAGE:
        errors["per_page"] = _("At most %(n)d.", n=MAX_PER_PAGE)
    if errors:
        raise InvalidInput(fields=errors)
    return values["page"], values["per_page"]


def paginate(stmt, serialize) -> dict:
    """Run a select() for one page and answer {items, page, per_page, total}.

    The count and the page are two queries whatever the page size; `serialize` receives the
    page's rows at once so it can load related data in a fixed number of queries too.
    """
    page, per_page = page_args()
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    rows = db.session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)).all()
    return {"items": serialize(rows), "page": page, "per_page": per_page, "total": total}
