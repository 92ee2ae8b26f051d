"""forum.services.inputs: every parser refuses odd values cleanly (None, a field error or a
ServiceError, never a ValueError), and the transports that hand it raw values do too."""

import pytest

from forum.errors import InvalidInput, PermissionDenied
from forum.extensions import db, socketio
from forum.models import ChatMessage, LoginSession, Question
from forum.services import inputs
from forum.services.inputs import MAX_ID
from tests.helpers import PageClient

PASSWORD = "correct horse battery"

# Values no id parser may take: "²" is a digit to str.isdigit() but not to int().
NOT_IDS = ["²", "١٢", "0", "2147483648", True, False, " 12 ", "12 ", "-1", "+1", "1_000",
           "0x1f", "", "12a", "9" * 5000, 12.0, None, [12], {"id": 12}, 0, -1, MAX_ID + 1,
           10**30]


@pytest.mark.dbless
@pytest.mark.parametrize("value", NOT_IDS, ids=repr)
def test_the_lenient_id_parser_refuses_with_none(value):
    assert inputs.as_id(value) is None


@pytest.mark.dbless
@pytest.mark.parametrize(("value", "expected"), [
    (12, 12), ("12", 12), ("0012", 12), (1, 1), (MAX_ID, MAX_ID), (str(MAX_ID), MAX_ID)])
def test_the_lenient_id_parser_takes_ints_and_ascii_digit_strings(value, expected):
    assert inputs.as_id(value) == expected


@pytest.mark.dbless
def test_a_minimum_of_zero_lets_zero_through_and_nothing_below():
    assert inputs.as_id("0", minimum=0) == 0 and inputs.as_id(0, minimum=0) == 0
    assert inputs.as_id("-1", minimum=0) is None and inputs.as_id(-1, minimum=0) is None


@pytest.mark.dbless
@pytest.mark.parametrize("value", ["²", "١٢", True, " 12 ", "-1", "+1", 12.0, None, "",
                                   "12345678901", [1]], ids=repr)
def test_as_int_refuses_what_is_not_a_plain_whole_number(value):
    assert inputs.as_int(value) is None


@pytest.mark.dbless
def test_as_int_reads_digits_but_checks_no_range():
    assert inputs.as_int("0") == 0 and inputs.as_int("2147483648") == 2147483648
    assert inputs.as_int(-5) == -5


@pytest.mark.dbless
@pytest.mark.parametrize(("value", "reason"), [
    ("²", "Must be a whole number."),
    ("0", "Must be a whole number."),
    ("12", "Must be a whole number."),
    (" 12 ", "Must be a whole number."),
    ("-1", "Must be a whole number."),
    ("2147483648", "Must be a whole number."),
    (True, "Must be a whole number."),
    (12.0, "Must be a whole number."),
    (None, "Must be a whole number."),
    ([12], "Must be a whole number."),
    (0, "Must be at least 1."),
    (-1, "Must be at least 1."),
    (2147483648, "At most 2147483647."),
    (10**30, "At most 2147483647."),
], ids=repr)
def test_the_strict_id_field_records_why_it_refuses(value, reason):
    errors: dict = {}
    assert inputs.id_field(value, "room", errors) is None
    assert errors == {"room": reason}
    with pytest.raises(InvalidInput) as refused:
        inputs.require_id(value, "room")
    assert refused.value.fields == {"room": reason}


@pytest.mark.dbless
def test_the_strict_id_field_takes_ints_in_range_and_its_own_bounds():
    errors: dict = {}
    assert inputs.id_field(1, "a", errors) == 1
    assert inputs.id_field(MAX_ID, "b", errors) == MAX_ID
    assert inputs.id_field(0, "after", errors, minimum=0) == 0
    assert inputs.id_field(101, "limit", errors, maximum=100) is None
    assert errors == {"limit": "At most 100."}
    assert inputs.require_id(0, "after", minimum=0) == 0


@pytest.mark.dbless
@pytest.mark.parametrize(("value", "none_is_empty", "reason"), [
    (None, True, "Write something first."),
    (None, False, "Must be text."),
    ("", True, "Write something first."),
    ("  \r\n \t", True, "Write something first."),
    (12, True, "Must be text."),
    (["a"], True, "Must be text."),
    ("x" * 11, True, "Use at most 10 characters."),
], ids=repr)
def test_clean_body_refuses_empty_long_and_non_text(value, none_is_empty, reason):
    errors: dict = {}
    inputs.clean_body(value, errors, max_len=10, field="text", none_is_empty=none_is_empty)
    assert errors == {"text": reason}


@pytest.mark.dbless
def test_clean_body_keeps_unix_line_ends_and_counts_after_them():
    errors: dict = {}
    assert inputs.clean_body("a\r\nb" * 2, errors, max_len=6) == "a\nba\nb"
    assert errors == {}


@pytest.mark.dbless
@pytest.mark.parametrize(("value", "reason"), [
    ("a\x00b", "Remove the NUL characters: they cannot be stored."),
    ("\x00", "Remove the NUL characters: they cannot be stored."),
    ("a\ud800b", "Remove the characters that are not valid Unicode (lone surrogates)."),
    ("\udfff", "Remove the characters that are not valid Unicode (lone surrogates)."),
], ids=repr)
def test_text_no_database_can_store_is_refused(value, reason):
    for check in (lambda errors: inputs.text(value, "f", errors),
                  lambda errors: inputs.clean_body(value, errors, max_len=10, field="f")):
        errors: dict = {}
        check(errors)
        assert errors == {"f": reason}


@pytest.mark.dbless
def test_clean_body_strips_control_characters_but_tabs_and_line_ends():
    errors: dict = {}
    assert inputs.clean_body("a\x01b\x02\tc\r\nd\x7f\x1b", errors, max_len=20) == "ab\tc\nd"
    assert inputs.clean_body("\x01\x02", errors, max_len=20) == ""
    assert errors == {"body": "Write something first."}


@pytest.mark.dbless
def test_header_text_drops_controls_and_surrogates():
    assert inputs.header_text("Mozilla/5.0\x00 (X11)\r\n\x85\ud800", 255) == "Mozilla/5.0 (X11)"
    assert inputs.header_text("x" * 300, 255) == "x" * 255
    assert inputs.header_text(None, 255) == ""


@pytest.mark.dbless
@pytest.mark.parametrize(("value", "refused"), [
    ({"a": ["b", {"c": 1}]}, False), (None, False), (10**400, False), ([[[]]], False),
    ({"a": "\x00"}, True), ({"\x00": 1}, True), (["ok", ["\ud800"]], True),
    ({"k\udc00": 1}, True), (["x"] * 1000, False),
], ids=repr)
def test_json_problem_finds_unstorable_text_anywhere(value, refused):
    assert (inputs.json_problem(value) is not None) is refused


@pytest.mark.dbless
def test_json_problem_refuses_deep_nesting_without_recursing():
    deep: list = []
    for _level in range(50_000):  # far past the interpreter's recursion limit
        deep = [deep]
    assert inputs.json_problem(deep) == "Nested too deeply: at most 16 levels."
    shallow: list = []
    for _level in range(inputs.JSON_MAX_DEPTH - 1):
        shallow = [shallow]
    assert inputs.json_problem(shallow) is None


@pytest.mark.dbless
@pytest.mark.parametrize("value", [None, 5, "", "  ", "Bad", "under_score", "x" * 31, "---",
                                   "a b", "²"], ids=repr)
def test_clean_tag_name_refuses_with_none(value):
    assert inputs.clean_tag_name(value) is None


@pytest.mark.dbless
def test_clean_tag_name_normalises():
    assert inputs.clean_tag_name(" santé-2 ") == "santé-2"
    assert inputs.clean_tag_name("sante\u0301") == "santé"  # NFC


@pytest.mark.dbless
def test_require_user_refuses_anonymous_visitors():
    with pytest.raises(PermissionDenied) as refused:
        inputs.require_user(None)
    assert refused.value.message == "Log in to do this."


# -- the transports hand raw values to inputs ------------------------------------------


@pytest.fixture
def app_config():
    """Posting limits off."""
    return {"RATE_LIMITS": False}


@pytest.fixture
def thread(people, group, make_question, make_post):
    """A question by asker with one answer by helper; returns their ids."""
    qid = make_question(people["asker"], group)
    return {"question": qid, "answer": make_post(people["helper"], question_id=qid)}


@pytest.mark.parametrize("answer_id", ["²", "0", "2147483648", " 12 ", "-1", ""])
def test_accepting_a_non_id_on_the_page_is_a_flash_not_a_500(app, login, thread, answer_id):
    page = login("asker")
    qid = thread["question"]
    response = page.post_form(f"/questions/{qid}/accept", {"answer_id": answer_id},
                              page=f"/questions/{qid}")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/questions/{qid}#answers"
    assert "Choose an answer of this question." in page.get(f"/questions/{qid}").get_data(
        as_text=True)
    with app.app_context():
        assert db.session.get(Question, qid).accepted_answer_id is None


def test_accepting_with_leading_zeros_on_the_page_anchors_the_answer(app, login, thread):
    page = login("asker")
    qid, aid = thread["question"], thread["answer"]
    response = page.post_form(f"/questions/{qid}/accept", {"answer_id": f"00{aid}"},
                              page=f"/questions/{qid}")
    assert response.headers["Location"] == f"/questions/{qid}#post-{aid}"


@pytest.mark.parametrize("answer_id", ["²", "12", True, 12.0, None, 0, MAX_ID + 1])
def test_accepting_a_non_id_over_the_api_is_a_422(api, thread, answer_id):
    token = api.login("asker", PASSWORD)
    response = api.put(f"/api/v1/questions/{thread['question']}/accepted",
                       {"answer_id": answer_id}, token=token)
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {
        "answer_id": "Choose an answer of this question."}


@pytest.mark.parametrize(("query", "reason"), [
    ("before=²", "Must be a whole number."),
    ("before=%2012", "Must be a whole number."),
    ("before=0", "Must be at least 1."),
    ("after=-1", "Must be a whole number."),
    ("before=2147483648", "At most 2147483647."),
    ("limit=101", "At most 100."),
])
def test_chat_history_over_the_api_refuses_non_ids(app, api, people, room, query, reason):
    token = api.login("asker", PASSWORD)
    response = api.get(f"/api/v1/chat/rooms/{room}/messages?{query}", token=token)
    assert response.status_code == 422
    assert list(response.get_json()["error"]["fields"].values()) == [reason]


@pytest.mark.parametrize("query", ["before=²", "after=²", "before=-1", "after=2147483648"])
def test_the_chat_room_page_ignores_a_cursor_that_is_not_an_id(app, login, people, room,
                                                               query):
    page = login("asker")
    assert page.get(f"/chat/rooms/{room}?{query}").status_code == 200


@pytest.mark.parametrize("value", ["²", "1", " 1 ", 1.0, True, 0, MAX_ID + 1, None])
def test_live_sockets_refuse_a_question_id_that_is_not_an_int_id(app, thread, value):
    client = socketio.test_client(app, namespace="/live")
    try:
        ack = client.emit("watch_question", {"question_id": value}, namespace="/live",
                          callback=True)
        assert ack["ok"] is False and ack["error"]["code"] == "invalid"
        assert set(ack["error"]["fields"]) == {"question_id"}
        assert client.is_connected("/live")
    finally:
        client.disconnect(namespace="/live")


@pytest.mark.parametrize("value", ["²", "1", 1.0, True, 0, MAX_ID + 1, None])
def test_chat_sockets_refuse_a_room_that_is_not_an_int_id(app, login, people, room, value):
    page = login("asker")
    page.get("/")
    client = socketio.test_client(app, namespace="/chat", flask_test_client=page.client,
                                  auth={"csrf": page.last_csrf})
    try:
        ack = client.emit("join", {"room": value}, namespace="/chat", callback=True)
        assert ack["ok"] is False and ack["error"]["code"] == "invalid"
        assert set(ack["error"]["fields"]) == {"room"}
    finally:
        client.disconnect(namespace="/chat")


# -- text no database can store, from every transport (issue 10, findings 7 and 8) -------


def chat_socket(app, login, username):
    page = login(username)
    page.get("/")
    client = socketio.test_client(app, namespace="/chat", flask_test_client=page.client,
                                  auth={"csrf": page.last_csrf})
    assert client.is_connected("/chat")
    return client


@pytest.mark.parametrize(("body", "client_id", "field"), [
    ("before\x00after", "c1", "body"), ("fine", "c\x00", "client_id"),
    ("\ud800 lone", "c2", "body"), ("fine", "c\udfff", "client_id"),
])
def test_a_socket_message_with_unstorable_text_is_invalid_and_stores_nothing(
        app, login, people, room, body, client_id, field):
    client = chat_socket(app, login, "asker")
    try:
        assert client.emit("join", {"room": room}, namespace="/chat", callback=True)["ok"]
        ack = client.emit("send_message", {"room": room, "body": body, "client_id": client_id},
                          namespace="/chat", callback=True)
        assert ack["ok"] is False and ack["error"]["code"] == "invalid", ack
        assert set(ack["error"]["fields"]) == {field}
        fine = client.emit("send_message", {"room": room, "body": "fine", "client_id": "ok"},
                           namespace="/chat", callback=True)
        assert fine["ok"] is True, fine
    finally:
        client.disconnect(namespace="/chat")
    with app.app_context():
        assert [m.body_source for m in db.session.scalars(db.select(ChatMessage))] == ["fine"]


def test_a_login_with_a_nul_user_agent_works_and_keeps_a_clean_one(app, login, people):
    page = PageClient(app.test_client())
    response = page.post_form("/login", {"login": "asker", "password": PASSWORD},
                              headers={"User-Agent": "Evil\x00Browser/1.0\x01\x1b[31m"})
    assert response.status_code == 302
    with app.app_context():
        [record] = db.session.scalars(db.select(LoginSession)).all()
        assert record.user_agent == "EvilBrowser/1.0[31m"
    assert page.get("/chat").status_code == 200  # the session works


def test_api_bodies_nested_past_the_decoder_are_a_400_even_without_a_token(api):
    for body in ["[" * 100_000, '{"login": ' + "[" * 100_000, "[" * 900 + "]" * 900]:
        response = api.client.post("/api/v1/tokens", data=body,
                                    content_type="application/json")
        assert response.status_code == 400, body[:20]
        assert response.get_json()["error"]["code"] == "bad_request"


def test_api_bodies_with_unstorable_text_are_a_422_naming_the_field(api, people):
    for raw, field in [('{"login": "\\ud800", "password": "x"}', "login"),
                       ('{"login": "asker", "password": "a\\u0000"}', "password"),
                       ('{"login": "asker", "password": "x", "\\udc00": 1}', "\udc00"),
                       ('{"login": "asker", "password": ' + "[" * 30 + "]" * 30 + "}",
                        "password")]:
        response = api.client.post("/api/v1/tokens", data=raw, content_type="application/json")
        assert response.status_code == 422, raw
        error = response.get_json()["error"]
        assert error["code"] == "invalid" and set(error["fields"]) == {field}, raw
