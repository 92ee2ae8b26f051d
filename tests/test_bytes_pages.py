"""Fewer bytes and round trips on the Q&A pages: votes and accept answered with a few bytes
of JSON for the page's script (forms without JavaScript still redirect), the Socket.IO
client only where a page may go live, and `Save-Data: on`."""

import re

import pytest

from tests.helpers import PageClient, csrf_from

JSON = {"Accept": "application/json"}
IO = "socket.io.min.js"


@pytest.fixture
def thread(make_user, group, make_question, make_post, user):
    asker = make_user("asker", display_name="Asker Amina")
    helper = make_user("helper", display_name="Helper Kofi")
    question = make_question(asker, group, title="How do we avoid implant stock-outs?")
    answer = make_post(helper, question_id=question, body="Order three months ahead.")
    return {"question": question, "answer": answer, "asker": asker}


def token_of(page_client, path) -> str:
    return csrf_from(page_client.get(path).get_data(as_text=True))


def test_a_vote_from_the_page_script_gets_json_and_a_form_still_gets_the_redirect(
        client, thread):
    path = f"/questions/{thread['question']}"
    token = token_of(client, path)
    answer = f"/posts/{thread['answer']}/vote"
    voted = client.client.post(answer, data={"csrf_token": token, "value": "1"}, headers=JSON)
    assert voted.status_code == 200 and voted.get_json() == {"score": 1, "my_vote": 1}
    assert len(voted.data) < 100
    again = client.client.post(answer, data={"csrf_token": token, "value": "0"})
    assert again.status_code == 302 and again.headers["Location"].endswith(
        f"#post-{thread['answer']}")
    on_question = client.client.post(f"{path}/vote", data={"csrf_token": token, "value": "-1"},
                                     headers=JSON)
    assert on_question.get_json() == {"score": -1, "my_vote": -1}
    assert "score-for=\"question\">-1<" in client.get(path).get_data(as_text=True)


def test_a_refused_vote_from_the_page_script_gets_a_json_error_and_records_nothing(
        client, thread):
    path = f"/questions/{thread['question']}"
    token = token_of(client, path)
    refused = client.client.post(f"/posts/{thread['answer']}/vote",
                                 data={"csrf_token": token, "value": "7"}, headers=JSON)
    assert refused.status_code == 422
    assert refused.get_json()["error"]["message"]
    missing = client.client.post("/posts/999999/vote", data={"csrf_token": token, "value": "1"},
                                 headers=JSON)
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "not_found"
    no_token = client.client.post(f"/posts/{thread['answer']}/vote", data={"value": "1"},
                                  headers=JSON)
    assert no_token.status_code == 400  # the script then sends the form itself
    html = client.get(path).get_data(as_text=True)
    assert re.search(rf'id="post-{thread["answer"]}".*?class="score"[^>]*>0<', html, re.S)


def test_accept_from_the_page_script_gets_the_accepted_answer(app, thread, anon_client):
    asker = PageClient(app.test_client())
    asker.login("asker", "correct horse battery")
    path = f"/questions/{thread['question']}"
    token = token_of(asker, path)
    accepted = asker.client.post(f"{path}/accept", headers=JSON,
                                 data={"csrf_token": token, "answer_id": thread["answer"]})
    assert accepted.get_json() == {"accepted_answer_id": thread["answer"]}
    assert "accepted" in anon_client.get(path).get_data(as_text=True)
    withdrawn = asker.client.post(f"{path}/unaccept", headers=JSON, data={"csrf_token": token})
    assert withdrawn.get_json() == {"accepted_answer_id": None}
    refused = asker.client.post(f"{path}/accept", headers=JSON,
                                data={"csrf_token": token, "answer_id": "abc"})
    assert refused.status_code == 422 and refused.get_json()["error"]["message"]


def test_accept_on_someone_elses_question_is_a_json_403(client, thread):
    path = f"/questions/{thread['question']}"
    refused = client.client.post(f"{path}/accept", headers=JSON, data={
        "csrf_token": token_of(client, path), "answer_id": thread["answer"]})
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "forbidden"


def test_the_socket_client_comes_with_the_page_for_signed_in_readers_only(
        client, anon_client, thread):
    path = f"/questions/{thread['question']}"
    anonymous = anon_client.get(path).get_data(as_text=True)
    scripts = re.findall(r'<script src="/static/[0-9a-f]{10}/([^"]+)"', anonymous)
    assert scripts == ["js/tacit.js"]
    assert re.search(r'js/tacit\.js" defer data-io="/static/[0-9a-f]{10}/vendor/socket\.io/'
                     r'socket\.io\.min\.js"', anonymous)
    signed_in = client.get(path).get_data(as_text=True)
    assert re.findall(r'<script src="/static/[0-9a-f]{10}/([^"]+)"', signed_in) == [
        "vendor/socket.io/socket.io.min.js", "js/tacit.js"]
    assert re.search(r'<script src="/static/[0-9a-f]{10}/vendor/socket\.io/socket\.io\.min\.js"'
                     r' defer></script>', signed_in)


def test_save_data_gets_no_live_updates_and_shorter_lists(client, anon_client, make_user,
                                                          group, make_question, thread):
    asker = thread["asker"]
    for number in range(14):
        make_question(asker, group, title=f"Question number {number} about supplies")
    path = f"/questions/{thread['question']}"
    saving = {"Save-Data": "on"}
    for page_client in (anon_client, client):
        html = page_client.get(path, headers=saving).get_data(as_text=True)
        assert IO not in html, "a page for Save-Data loads the socket client"
    response = anon_client.get("/questions", headers=saving)
    assert "Save-Data" in response.headers["Vary"]
    short = response.get_data(as_text=True).count('<li class="q">')
    full = anon_client.get("/questions").get_data(as_text=True).count('<li class="q">')
    assert (short, full) == (10, 15)


def test_a_reply_from_the_page_script_gets_its_id_and_a_refusal_its_message(client, thread):
    path = f"/questions/{thread['question']}"
    token = token_of(client, path)
    reply = f"/posts/{thread['answer']}/reply"
    posted = client.client.post(reply, headers=JSON, data={
        "csrf_token": token, "body": "Which supplier do you order from?"})
    assert posted.status_code == 200
    found = posted.get_json()
    assert found["parent_id"] == thread["answer"] and "location" not in found
    assert found["message"] == "Your reply is posted."
    fragment = client.get(f"/posts/{found['id']}/fragment").get_data(as_text=True)
    assert "Which supplier do you order from?" in fragment
    assert "Your reply is posted." not in client.get(path).get_data(as_text=True)  # no flash
    empty = client.client.post(reply, headers=JSON, data={"csrf_token": token, "body": " "})
    assert empty.status_code == 422 and empty.get_json()["error"]["message"]
