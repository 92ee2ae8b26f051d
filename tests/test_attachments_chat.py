"""Files in chat (issue 18): the room's form takes them without JavaScript, the API attaches
uploads, broadcasts carry them, and nobody outside a room (site moderators and admins
included) reads a private room's files."""

import io
import re
import zipfile

from sqlalchemy import select

from forum.extensions import db
from forum.models import Attachment, User
from forum.services import attachments as files
from forum.services import chat

CANARY = "numbatcanary"


def docx() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


def test_room_form_takes_a_file_and_shows_it(app, people, room, login):
    client = login("asker")
    page = client.get(f"/chat/rooms/{room}").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page
    csrf = re.search(r'<input id="csrf_token" name="csrf_token" type="hidden" value="([^"]+)"',
                     page).group(1)
    client_id = re.search(r'name="client_id" type="hidden" value="([^"]+)"', page).group(1)
    response = client.client.post(
        f"/chat/rooms/{room}/messages", content_type="multipart/form-data",
        data={"csrf_token": csrf, "client_id": client_id, "body": "The supervision checklist",
              "files": [(io.BytesIO(docx()), "checklist.docx")]})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    page = login("helper").get(f"/chat/rooms/{room}").get_data(as_text=True)
    assert "checklist.docx" in page and "DOCX" in page
    with app.app_context():
        a = db.session.scalar(select(Attachment))
        assert a.state == "attached" and a.chat_message_id is not None


def test_private_room_files_stay_inside_and_api_history_lists_them(app, people, secret_room,
                                                                    login, api):
    with app.app_context():
        insider = db.session.get(User, people["insider"])
        upload = files.store_upload(insider, f"{CANARY}.docx", docx())
        message, _new = chat.send_message(insider, secret_room, "the plan", "c1",
                                          attachments=[upload.id], system=True)
        token = upload.token
    for who in ("outsider", "mod", "admin"):
        response = login(who).get(f"/files/{token}")
        assert response.status_code == 404 and CANARY.encode() not in response.data, who
    assert app.test_client().get(f"/files/{token}").status_code == 404
    inside = login("insider").get(f"/files/{token}")
    assert inside.status_code == 200
    assert inside.headers["Content-Disposition"].startswith("attachment")
    assert inside.headers["Cache-Control"].startswith("private")
    api.login("insider", "correct horse battery")
    items = api.get(f"/api/v1/chat/rooms/{secret_room}/messages").get_json()["items"]
    assert items[-1]["attachments"][0]["filename"] == f"{CANARY}.docx"
    with app.app_context():  # deleting the message hides its file, from its author too
        chat.delete_message(db.session.get(User, people["insider"]), message.id)
    assert login("insider").get(f"/files/{token}").status_code == 404
