"""Fuzzing every API route and every page route: whatever a client sends, the answer is
never a 500, and API errors keep their shape `{"error": {"code", "message"}}` (issue 10,
finding 7).

Routes come from app.url_map, so a new route is fuzzed without being listed here; which
fields a route reads comes from the OpenAPI document (API) and from the forms its pages
show (pages). Each route gets two passes, as a logged-in member and anonymously:

- poison: every field in turn carries each value that once made a 500 or could (NUL, lone
  surrogates, 4000-digit numbers, NaN, nesting, wrong types) while the other fields hold
  plausible values, so the poison travels as far into the service as it can; page forms go
  with a User-Agent holding NUL and escape bytes;
- property-based (hypothesis, derandomized, EXAMPLES per route): random JSON values and raw
  bytes (100,000 `[`, broken UTF-8, ...) for the API, random urlencoded forms (with the
  session's CSRF token, mostly) for pages, random query strings, User-Agent and
  Accept-Language, and path parameters that name seeded rows or junk.

EXAMPLES keeps the module under a minute on two cores while `make test` runs its SQLite
and PostgreSQL passes side by side.
"""

import json
import os
import re
import tempfile
from html.parser import HTMLParser
from urllib.parse import quote, urlencode, urlsplit

import pytest
from flask_wtf import FlaskForm
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.exceptions import HTTPException
from wtforms.fields.core import UnboundField

# Hypothesis keeps caches in .hypothesis/ of the working directory: not in the checkout
# (read when first needed, so setting it here, before any example runs, is in time).
os.environ.setdefault("HYPOTHESIS_STORAGE_DIRECTORY",
                      os.path.join(tempfile.gettempdir(), "tacit-hypothesis"))

from forum.extensions import db
from forum.models import User
from forum.services import chat
from forum.services.inputs import MAX_ID
from tests.helpers import ApiClient, PageClient

PASSWORD = "correct horse battery"
EXAMPLES = 8  # per route and identity; see the module docstring
FUZZ = settings(derandomize=True, max_examples=EXAMPLES, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.large_base_example])
ENDINGS = ("delete", "delete_post", "delete_question", "delete_message", "leave", "logout",
           "revoke_current_token", "delete_account", "leave_group", "remove_member")
PARAM = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")

# -- what to throw ------------------------------------------------------------------------

NASTY_TEXT = ["\x00", "a\x00b", "\ud800", "x\udfff y", "\u202e\ufeff", "\x01\x02", "9" * 5000,
              "99999999999999999999", "-1", "0", "1e309", "NaN", "   ", "", "x" * 5000,
              "²", "<script>", "[" * 200, "%00", "../..", "a\r\nb", "true", "null"]
# Mostly plausible text (so requests get past the first check and reach the services),
# then the nasty list, then any code point at all, lone surrogates included.
plain = st.text(st.characters(categories=["L", "N", "P", "Zs"]), max_size=60)
texts = st.one_of(plain, st.sampled_from(NASTY_TEXT), plain,
                  st.text(st.characters(exclude_categories=()), max_size=40))
# A form sends many fields at once, and one NUL anywhere refuses it all (400): rarer there.
form_texts = st.one_of(plain, plain, plain, st.sampled_from(NASTY_TEXT),
                       st.text(st.characters(exclude_categories=()), max_size=40))
HUGE = [2**31 - 1, 2**31, 2**63, 2**64, -(2**63) - 1, 10**30, 10**4000, -1, 0]
numbers = st.one_of(st.integers(0, 20), st.sampled_from(HUGE), st.integers(),
                    st.floats(allow_nan=True, allow_infinity=True))
scalars = st.one_of(texts, numbers, st.none(), st.booleans())
json_values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(texts, inner, max_size=4)), max_leaves=12)


def deep(depth: int) -> str:
    return "[" * depth + "]" * depth


# Bodies no JSON encoder writes, by name (so a failing example prints a name, not 100 kB).
RAW_BODIES = {
    "100k [": b"[" * 100_000,
    "object of 50k [": b'{"body": ' + b"[" * 50_000,
    "900 deep": deep(900).encode(),
    "escaped surrogate": b'{"body": "\\ud800", "title": "\\udfff"}',
    "escaped NUL": b'{"body": "\\u0000"}',
    "broken UTF-8": b"\xff\xfe\xed\xa0\x80",
    "raw surrogate in a string": b'{"body": "\xed\xa0\x80"}',
    "duplicate keys": b'{"body": 1, "body": 2}',
    "truncated": b"{",
    "empty": b"",
    "null": b"null",
    "5000 digits": b"1" * 5000,
    "huge exponent": b'{"body": 1e99999}',
    "NaN and Infinity": b'{"title": NaN, "body": Infinity, "id": -Infinity}',
}


def encode(value: str) -> bytes:
    """Text as bytes a client could send, lone surrogates included (as broken UTF-8)."""
    return value.encode("utf-8", "surrogatepass")


# -- routes -------------------------------------------------------------------------------


def rules(app, *, api: bool):
    """(method, rule, endpoint): every method of the API's routes, or every POST page
    route; the ones that delete or end something last, so the rest still find the rows."""
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        is_api = rule.rule.startswith("/api/")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if is_api and api or (not is_api and not api and method == "POST"):
                found.append((method, rule.rule, rule.endpoint))
    return sorted(found, key=lambda r: (r[0] == "DELETE" or r[2].endswith(ENDINGS), r))


def api_fields(app) -> dict:
    """{(method, OpenAPI path): ({body field: its schema}, [query parameters])}, from the
    served OpenAPI document."""
    document = app.test_client().get("/api/openapi.json").get_json()
    fields = {}
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            schema = (operation.get("requestBody", {}).get("content", {})
                      .get("application/json", {}).get("schema", {}))
            query = [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"]
            fields[(method.upper(), path)] = (schema.get("properties", {}), query)
    return fields


def plausible(schema: dict, seeded: dict):
    """A value of the type a field's schema documents, so that the other fields of a
    poisoned body pass and the poison reaches as far as it can."""
    if schema.get("enum"):
        return schema["enum"][0]
    kind = schema.get("type", "string")
    kind = next((k for k in kind if k != "null"), "string") if isinstance(kind, list) else kind
    if kind == "integer":
        return seeded["ids"][0]
    if kind == "boolean":
        return True
    if kind == "array":
        return [plausible(schema.get("items", {}), seeded)]
    if kind == "object":
        return {}
    return "How do we keep implants in stock in the rains?"


# Each alone in an otherwise plausible body, in every field of every route (see
# poison_api_route and poison_page_route): the values that once made 500s, and their kin.
JSON_POISONS = ["\x00", "a\ud800", "\udfff", 10**4000, 2**63, -1, 0, 1.5, float("inf"),
                float("nan"), True, None, "", " ", "9" * 5000, ["\x00"], {"$gt": ""},
                json.loads(deep(40))]
QUERY_POISONS = ["99999999999999999999", "9" * 5000, "-1", "0", "²", "a\ud800", "", "1.5"]
FORM_POISONS = ["a\ud800b", "9" * 5000, "-1", "0", "", "1e309", "²", "x" * 70_000, "\x01",
                "\x00"]


def form_fields() -> list[str]:
    """Every field name of the site's forms, and the few values views read directly."""
    names = {"action", "value", "answer_id", "answers", "next", "message_id"}
    pending = list(FlaskForm.__subclasses__())
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        names.update(name for name in dir(cls) if isinstance(getattr(cls, name), UnboundField))
    return sorted(names - {"csrf_token"})


class FormFinder(HTMLParser):
    """The forms of a page: (action, method, {field name: values the page offers})."""

    def __init__(self):
        super().__init__()
        self.forms: list[tuple[str, str, dict]] = []
        self.open = False

    def handle_endtag(self, tag):
        if tag == "form":
            self.open = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.open = True
            self.forms.append((attrs.get("action") or "", (attrs.get("method") or "get").upper(),
                               {}))
        elif tag in {"input", "textarea", "select", "button", "option"} and self.open:
            fields = self.forms[-1][2]
            if tag == "option":
                if fields:
                    fields[list(fields)[-1]].add(attrs.get("value") or "")
            elif attrs.get("name") and attrs["name"] != "csrf_token":
                values = fields.setdefault(attrs["name"], set())
                if attrs.get("value") is not None:
                    values.add(attrs["value"])


def page_forms(app, seeded) -> dict:
    """{endpoint: {field: offered values}} of every form on every page, as an admin (who
    sees the most forms), the member (in the chat rooms) and anonymously: which fields
    each POST route reads."""
    adapter = app.url_map.bind("localhost")
    clients = [PageClient(app.test_client()) for _n in range(3)]
    clients[0].login("admin", PASSWORD)
    clients[1].login("member", PASSWORD)
    found: dict = {}
    for client in clients:
        for rule in app.url_map.iter_rules():
            if "GET" not in rule.methods or rule.rule.startswith(("/api/", "/static")):
                continue
            path = PARAM.sub(lambda m: str((seeded["kinds"].get(m.group(2))
                                            or seeded["ids"])[0]), rule.rule)
            response = client.get(path)
            if response.mimetype != "text/html":
                continue
            finder = FormFinder()
            finder.feed(response.get_data(as_text=True))
            for action, method, fields in finder.forms:
                try:
                    endpoint, _args = adapter.match(urlsplit(action or path).path, method="POST")
                except HTTPException:
                    continue
                if method == "POST":
                    for name, values in fields.items():
                        found.setdefault(endpoint, {}).setdefault(name, set()).update(values)
    return {endpoint: {name: sorted(values) for name, values in fields.items()}
            for endpoint, fields in found.items()}


QUERY_NAMES = ["page", "per_page", "q", "group", "tag", "status", "sort", "lang", "type",
               "before", "after", "limit", "from", "title", "next"]


JUNK_IDS = [0, MAX_ID, 99_999]
JUNK_NAMES = ["", "x" * 300, "ü", "..", "a%2Fb", "%ED%A0%80", "%00", "%FF", "DROP TABLE"]


@st.composite
def paths(draw, rule: str, seeded: dict):
    """The rule with each parameter replaced by a seeded row's id or name, those of the
    kind the route names first (its own rows), or junk."""

    def value(match):
        before = rule[:match.start()]
        kind = next((k for k in seeded["kinds"] if k in before), None)
        if match.group(1) == "int":
            own = seeded["kinds"].get(kind, [])
            return str(draw(st.sampled_from([*own, *seeded["ids"], *JUNK_IDS])))
        own = seeded["kinds"].get(match.group(2), [])
        name = draw(st.sampled_from([*own, *seeded["names"], *JUNK_NAMES]))
        return name if "%" in name else quote(name, safe="")

    return PARAM.sub(value, rule)


@st.composite
def queries(draw) -> str:
    pairs = draw(st.lists(st.tuples(st.sampled_from([*QUERY_NAMES, "zz"]), texts), max_size=3))
    return urlencode([(k, encode(v)) for k, v in pairs])


@st.composite
def json_bodies(draw, fields: list[str]) -> bytes:
    """Mostly an object with any of the route's fields (values of any type), sometimes
    with unknown keys, another JSON value, a deeply nested one, or bytes no encoder writes."""
    kind = draw(st.sampled_from(["object"] * 6 + ["value", "raw"]))
    if kind == "raw":
        return RAW_BODIES[draw(st.sampled_from(sorted(RAW_BODIES)))]
    if kind == "value":
        data = draw(json_values)
    else:
        data = draw(st.fixed_dictionaries({}, optional={f: json_values for f in fields}))
        if draw(st.integers(0, 3)) == 3:
            data.update(draw(st.dictionaries(texts, json_values, max_size=3)))
    if draw(st.integers(0, 7)) == 7:  # deep, yet under the decoder's own limit
        for _level in range(draw(st.integers(1, 60))):
            data = [data]
    return json.dumps(data).encode()  # lone surrogates travel as "\ud800" escapes


@st.composite
def form_bodies(draw, fields: dict, names: list[str], csrf: str | None) -> bytes:
    """The route's own fields (`fields`: the values its pages offer, tried first), now and
    then any other field of the site, mostly with the session's CSRF token; now and then
    not a form at all."""
    optional = {f: st.one_of(st.sampled_from(offered), form_texts) if offered else form_texts
                for f, offered in fields.items()}
    pairs = list(draw(st.fixed_dictionaries({}, optional=optional)).items())
    pairs += draw(st.lists(st.tuples(st.sampled_from(names), form_texts), max_size=2))
    token = draw(st.sampled_from(["valid"] * 10 + ["missing", "junk"]))
    if token == "valid" and csrf:
        pairs.append(("csrf_token", csrf))
    elif token == "junk":
        pairs.append(("csrf_token", draw(texts)))
    if draw(st.integers(0, 15)) == 15:
        return encode(draw(texts))  # not even a form
    return urlencode([(encode(k), encode(v)) for k, v in pairs]).encode()


# -- the world the fuzzer plays in --------------------------------------------------------


@pytest.fixture
def app_config():
    """No rate limits: a refusal for speed would hide what comes after it."""
    return {"RATE_LIMITS": False}


@pytest.fixture
def seeded(app, make_user, make_group, join, make_question, make_post):
    """A member (who asked a question, answered, replied and chats) among other people,
    a public and a private group, tags; ids and names the paths are built from."""
    people = {name: make_user(name, role=role) for name, role in
              [("member", "member"), ("other", "member"), ("mod", "moderator"),
               ("admin", "admin")]}
    public, private = make_group("west-africa"), make_group("inner-circle", private=True)
    for name in ("member", "other", "mod"):
        join(people[name], public)
    join(people["other"], private, private=True)
    mine = make_question(people["member"], public, tags=("implants", "supply"))
    theirs = make_question(people["other"], public)
    hidden = make_question(people["other"], private, title="What do we keep to ourselves?")
    answer = make_post(people["other"], question_id=mine)
    own_answer = make_post(people["member"], question_id=theirs)
    reply = make_post(people["member"], parent_id=answer)
    with app.app_context():
        member, other = (db.session.get(User, people[n]) for n in ("member", "other"))
        room = chat.room_for_group(member, public)
        message, _new = chat.send_message(member, room.id, "hello", "seed-1", system=True)
        dm, _created = chat.open_direct(member, "other")
        dm_message, _new = chat.send_message(other, dm.id, "psst", "seed-2", system=True)
        rooms, messages = [room.id, dm.id], [message.id, dm_message.id]
    kinds = {"/questions/": [mine, theirs, hidden], "/posts/": [own_answer, reply, answer],
             "/chat/rooms/": rooms, "/chat/messages/": messages,
             "slug": [public, private], "username": ["member", "other", "mod"],
             "name": ["implants", "supply"]}
    return {"kinds": kinds,
            "ids": sorted({i for k, v in kinds.items() if k.startswith("/") for i in v}),
            "names": sorted({n for k, v in kinds.items() if not k.startswith("/") for n in v})}


class Visitor:
    """The member (logged in over both transports) or an anonymous visitor (with a session
    and its CSRF token), started afresh when a fuzzed request ended or replaced the session
    or the token (logout, a login as someone else, token revocation)."""

    def __init__(self, app, username: str | None):
        self.app, self.username = app, username
        self.page = self.api = None
        self.start()

    def start(self):
        self.page = PageClient(self.app.test_client())
        self.api = ApiClient(self.app.test_client())
        if self.username:
            self.page.login(self.username, PASSWORD)
            self.page.get("/")
            self.api.token = self.api.login(self.username, PASSWORD)
        else:
            self.page.get("/login")  # a page that starts a session: its CSRF token is good


def check_api_answer(response, what):
    assert response.status_code < 500, (what, response.get_data(as_text=True)[:500])
    if response.status_code >= 400:
        data = response.get_json(silent=True)
        assert isinstance(data, dict) and set(data) == {"error"}, (what, data)
        error = data["error"]
        assert isinstance(error.get("code"), str) and isinstance(error.get("message"), str), \
            (what, data)


WHO = pytest.mark.parametrize("who", ["member", None], ids=["member", "anonymous"])


def own_path(rule: str, seeded: dict) -> str:
    """The rule with each parameter replaced by the first seeded row of its kind."""

    def value(match):
        kind = next((k for k in seeded["kinds"] if k in rule[:match.start()]), match.group(2))
        return quote(str((seeded["kinds"].get(kind) or seeded["ids"])[0]), safe="")

    return PARAM.sub(value, rule)


def poison_api_route(visitor, seeded, method, rule, endpoint, schemas, query_names):
    path = own_path(rule, seeded)
    base = {name: plausible(schema, seeded) for name, schema in schemas.items()}
    tries = [("", json.dumps({**base, name: poison}).encode())
             for name in schemas for poison in JSON_POISONS]
    tries += [(urlencode({name: encode(poison)}), json.dumps(base).encode())
              for name in query_names for poison in QUERY_POISONS]
    for query, body in tries:
        response = visitor.api.call(method, path, query_string=query, data=body,
                                    content_type="application/json")
        check_api_answer(response, (method, path, query, body[:300]))
        if endpoint in {"api.revoke_current_token", "api.create_token"}:
            visitor.start()


def fuzz_api_route(visitor, seeded, method, rule, endpoint, body_fields):
    @FUZZ
    @given(data=st.data())
    def fuzz(data):
        path = data.draw(paths(rule, seeded), label="path")
        query = data.draw(queries(), label="query")
        body = data.draw(json_bodies(body_fields), label="body")
        response = visitor.api.call(method, path, query_string=query, data=body,
                                    content_type="application/json")
        check_api_answer(response, (method, path, query, body[:300]))
        if endpoint in {"api.revoke_current_token", "api.create_token"}:
            visitor.start()

    fuzz()


@WHO
def test_no_api_route_answers_500_whatever_it_is_sent(app, seeded, who):
    visitor = Visitor(app, who)
    fields = api_fields(app)
    for method, rule, endpoint in rules(app, api=True):
        schemas, query_names = fields.get(
            (method, PARAM.sub(lambda m: "{" + m.group(2) + "}", rule)), ({}, []))
        poison_api_route(visitor, seeded, method, rule, endpoint, schemas, query_names)
        fuzz_api_route(visitor, seeded, method, rule, endpoint, sorted(schemas))


# Latin-1 without line ends: what a header can carry through WSGI at all.
header_texts = st.one_of(st.sampled_from(["Mozilla/5.0", "", "\x00", "a\x00b\x1b[0m", "é" * 300]),
                         st.text(st.characters(max_codepoint=255, exclude_characters="\r\n"),
                                 max_size=80))
# Known good values, so some logins succeed (with whatever User-Agent was drawn).
GOOD_VALUES = {"auth.login": {"login": ["member", "other"], "password": [PASSWORD]}}


def poison_page_route(visitor, seeded, rule, endpoint, fields):
    path = own_path(rule, seeded)
    base = {name: (offered[0] if offered else "How do we keep implants in stock?")
            for name, offered in fields.items()}
    for name in fields:
        for poison in FORM_POISONS:
            pairs = [*{**base, name: poison}.items(), ("csrf_token", visitor.page.last_csrf)]
            body = urlencode([(encode(k), encode(v)) for k, v in pairs]).encode()
            response = visitor.page.client.open(
                path, method="POST", data=body,
                # A User-Agent with NUL and escape bytes, as some servers hand it over.
                headers={"User-Agent": "Fuzz\x00/1.0 \x1b[31m"},
                content_type="application/x-www-form-urlencoded")
            assert response.status_code < 500, (path, body[:300],
                                                response.get_data(as_text=True)[:500])
            if endpoint.startswith("auth."):
                visitor.start()


def fuzz_page_route(visitor, seeded, method, rule, endpoint, fields, names):
    @FUZZ
    @given(data=st.data())
    def fuzz(data):
        page = visitor.page
        path = data.draw(paths(rule, seeded), label="path")
        query = data.draw(queries(), label="query")
        body = (data.draw(form_bodies(fields, names, page.last_csrf), label="body")
                if method == "POST" else b"")
        headers = {"User-Agent": data.draw(header_texts, label="User-Agent"),
                   "Accept-Language": data.draw(header_texts, label="Accept-Language")}
        response = page.client.open(path, method=method, query_string=query, data=body,
                                    headers=headers,
                                    content_type="application/x-www-form-urlencoded")
        assert response.status_code < 500, (path, query, body[:300],
                                            response.get_data(as_text=True)[:500])
        if method == "POST" and endpoint.startswith("auth."):
            visitor.start()

    fuzz()


@WHO
def test_no_page_route_answers_500_whatever_it_is_sent(app, seeded, who):
    visitor = Visitor(app, who)
    names = form_fields()
    offered = page_forms(app, seeded)
    page_rules = rules(app, api=False) + sorted(
        ("GET", rule.rule, rule.endpoint) for rule in app.url_map.iter_rules()
        if "GET" in rule.methods and not rule.rule.startswith(("/api/", "/static")))
    for method, rule, endpoint in page_rules:
        # A route no page shows a form for (or only to others): any of the site's fields.
        fields = offered.get(endpoint) or dict.fromkeys(names, [])
        for name, good in GOOD_VALUES.get(endpoint, {}).items():
            fields[name] = [*good, *fields.get(name, [])]
        if method == "POST" and endpoint in offered:
            poison_page_route(visitor, seeded, rule, endpoint, fields)
        fuzz_page_route(visitor, seeded, method, rule, endpoint, fields, names)
