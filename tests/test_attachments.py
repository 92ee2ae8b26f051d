"""Attachments (issue 18): uploading, attaching, serving, private groups, hostile files,
images re-encoded without their EXIF/GPS, PDF text, removal by a moderator."""

import io
import re
import zipfile

import pytest
from PIL import Image
from pypdf import PdfWriter
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from forum.extensions import db
from forum.models import Attachment, AuditEntry, User
from forum.services import attachments as files
from forum.services.qa import delete_post, post_answer

CANARY = "wombatcanary"


def jpeg_with_gps(payload: bytes = b"") -> bytes:
    """A JPEG whose EXIF has a GPS position (and, optionally, bytes appended after it)."""
    image = Image.new("RGB", (2400, 1200), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (12.0, 30.0, 0.0)
    gps[3], gps[4] = "W", (1.0, 31.0, 0.0)
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue() + payload


def pdf_with_text(text: str) -> bytes:
    """A one-page PDF whose content stream shows `text`."""
    writer = PdfWriter()
    page = writer.add_blank_page(200, 200)
    from pypdf.generic import (  # noqa: PLC0415  (test helpers only)
        DecodedStreamObject,
        DictionaryObject,
        NameObject,
    )
    font = DictionaryObject({NameObject("/Type"): NameObject("/Font"),
                             NameObject("/Subtype"): NameObject("/Type1"),
                             NameObject("/BaseFont"): NameObject("/Helvetica")})
    page[NameObject("/Resources")] = DictionaryObject({NameObject("/Font"): DictionaryObject(
        {NameObject("/F1"): writer._add_object(font)})})
    stream = DecodedStreamObject()
    stream.set_data(f"BT /F1 12 Tf 10 100 Td ({text}) Tj ET".encode())
    page[NameObject("/Contents")] = writer._add_object(stream)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def docx() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


def zip_bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", b"\0" * (60 * 1024 * 1024))
    return out.getvalue()


@pytest.fixture
def people(app, make_user, make_group, join):
    """An author, a stranger, a moderator; a public and a private group."""
    ids = {name: make_user(name) for name in ("author", "stranger")}
    ids["mod"] = make_user("mod", role="moderator")
    make_user("admin", role="admin")
    make_group("west-africa")
    make_group("secret", private=True)
    join(ids["author"], "secret", private=True)
    return ids


def upload(app, user_id, name, data):
    with app.app_context():
        return files.store_upload(db.session.get(User, user_id), name, data).token


def login(app, name):
    from tests.helpers import PageClient  # noqa: PLC0415
    client = PageClient(app.test_client())
    client.login(name, "correct horse battery")
    return client


def test_image_comes_out_without_gps_exif_and_capped_with_thumbnail(app, people):
    token = upload(app, people["author"], "../../stock card.JPG", jpeg_with_gps(b"<html>"))
    with app.app_context():
        a = db.session.scalar(select(Attachment).where(Attachment.token == token))
        assert (a.kind, a.content_type, a.filename) == ("image", "image/jpeg", "stock card.jpg")
        assert max(a.width, a.height) == 1600 and a.state == "pending"
        data = files.read_bytes(a)
        thumb = Image.open(io.BytesIO(files.read_bytes(a, thumb=True)))
    assert max(thumb.size) == 320
    image = Image.open(io.BytesIO(data))
    assert not image.getexif() and b"PhoneMaker" not in data and b"<html>" not in data
    assert image.getexif().get_ifd(0x8825) == {}


@pytest.mark.parametrize(("name", "data"), [
    ("guide.pdf", b"<html><script>alert(1)</script></html>"),
    ("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
    ("logo.png", b'<?xml version="1.0"?><svg><script>alert(1)</script></svg>'),
    ("fake.pdf", b"%PDF-1.7\n<html><script>alert(1)</script></html>"),
    ("plan.docx", b"PK\x03\x04 not a zip at all"),
    ("broken.jpg", b"\xff\xd8\xff\xe0 truncated"),
    ("macro.docm", None),
])
def test_hostile_files_are_refused(app, people, name, data):
    if data is None:
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as z:
            z.writestr("[Content_Types].xml", "<Types/>")
            z.writestr("word/document.xml", "<w:document/>")
            z.writestr("word/vbaProject.bin", "Sub AutoOpen()")
        data = out.getvalue()
    with app.app_context(), pytest.raises(files.InvalidInput) as refused:
        files.store_upload(db.session.get(User, people["author"]), name, data)
    assert "file" in refused.value.fields
    with app.app_context():
        assert db.session.scalar(select(Attachment.id)) is None


def test_zip_bomb_is_refused_and_a_real_docx_accepted(app, people):
    with app.app_context(), pytest.raises(files.InvalidInput, match="too much"):
        files.store_upload(db.session.get(User, people["author"]), "bomb.docx", zip_bomb())
    token = upload(app, people["author"], "plan.zip", docx())
    odt = io.BytesIO()
    with zipfile.ZipFile(odt, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        z.writestr("content.xml", "<office:document-content/>")
    odt_token = upload(app, people["author"], "notes", odt.getvalue())
    with app.app_context():
        a = db.session.scalar(select(Attachment).where(Attachment.token == token))
        assert (a.kind, a.filename) == ("document", "plan.docx")
        b = db.session.scalar(select(Attachment).where(Attachment.token == odt_token))
        assert (b.content_type, b.filename) == ("application/vnd.oasis.opendocument.text",
                                                "notes.odt")


def test_size_and_user_quota_give_clear_errors(make_app, people):
    app = make_app(ATTACH_MAX_BYTES=2000, ATTACH_USER_QUOTA_BYTES=4000)
    with app.app_context():
        author = db.session.get(User, people["author"])
        with pytest.raises(files.TooLarge):
            files.store_upload(author, "big.docx", b"PK\x03\x04" + b"x" * 3000)
        files.store_upload(author, "a.docx", docx())
        files.store_upload(author, "b.docx", docx())
        with pytest.raises(files.QuotaExceeded, match="storage is full"):
            for _n in range(20):
                files.store_upload(author, "c.docx", docx())


def test_pdf_text_joins_text_of_question_and_deleted_post_hides_its_files(
        app, people, make_question):
    qid = make_question(people["author"], "west-africa")
    with app.app_context():
        author = db.session.get(User, people["author"])
        pdf = files.store_upload(author, "guideline.pdf", pdf_with_text(f"implants {CANARY}"))
        post = post_answer(author, qid, "See the national guideline.", attachments=[pdf.id],
                           system=True)
        assert CANARY in files.text_of_question(qid)
        token, post_id = pdf.token, post.id
    anon = app.test_client()
    response = anon.get(f"/files/{token}")
    assert response.status_code == 200 and response.data.startswith(b"%PDF-")
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "public, max-age=3600"
    assert anon.get(f"/files/{token}", headers={"If-None-Match": response.headers["ETag"]}
                    ).status_code == 304
    page = anon.get(f"/questions/{qid}").get_data(as_text=True)
    assert f"/files/{token}" in page and "guideline.pdf" in page and "PDF" in page
    with app.app_context():
        delete_post(db.session.get(User, people["author"]), post_id)
        assert CANARY not in files.text_of_question(qid)
    assert anon.get(f"/files/{token}").status_code == 404


def test_only_the_uploader_sees_and_attaches_a_pending_upload(app, people, make_question):
    token = upload(app, people["author"], "chart.png", jpeg_with_gps())
    assert app.test_client().get(f"/files/{token}").status_code == 404
    assert login(app, "stranger").get(f"/files/{token}").status_code == 404
    owner = login(app, "author").get(f"/files/{token}")
    assert owner.status_code == 200 and owner.headers["Content-Type"] == "image/jpeg"
    assert owner.headers["Content-Disposition"].startswith("inline")
    assert owner.headers["Cache-Control"] == "private, max-age=3600"  # not "no-store"
    qid = make_question(people["author"], "west-africa")
    with app.app_context():
        ident = db.session.scalar(select(Attachment.id).where(Attachment.token == token))
        with pytest.raises(files.InvalidInput):
            post_answer(db.session.get(User, people["stranger"]), qid, "Mine now.",
                        attachments=[ident], system=True)
        assert db.session.get(Attachment, ident).state == "pending"


def test_private_group_files_never_reach_outsiders(app, people, make_question):
    qid = make_question(people["author"], "secret", title=f"The {CANARY} stock chart?")
    with app.app_context():
        author = db.session.get(User, people["author"])
        image = files.store_upload(author, f"{CANARY}.jpg", jpeg_with_gps())
        post = post_answer(author, qid, f"![chart](/files/{image.token})", system=True)
        token = image.token
        assert db.session.get(Attachment, image.id).post_id == post.id  # linked: attached
    for who in (None, "stranger", "mod"):
        client = login(app, who) if who else app.test_client()
        for path in (f"/files/{token}", f"/files/{token}/thumb", f"/files/{token}/remove"):
            response = client.get(path)
            expected = 302 if who is None and path.endswith("/remove") else 404  # log in
            assert response.status_code == expected, (who, path)
            assert CANARY.encode() not in response.data
    member = login(app, "author").get(f"/files/{token}/thumb")
    assert member.status_code == 200
    assert member.headers["Cache-Control"] == "private, max-age=3600"
    page = login(app, "author").get(f"/questions/{qid}").get_data(as_text=True)
    assert f'src="/files/{token}/thumb"' in page and 'loading="lazy"' in page


def test_moderator_removes_one_file_audited(app, people, make_question):
    qid = make_question(people["author"], "west-africa")
    with app.app_context():
        author = db.session.get(User, people["author"])
        a = files.store_upload(author, "a.docx", docx())
        b = files.store_upload(author, "b.docx", docx())
        post_answer(author, qid, "Two files.", attachments=[a.id, b.id], system=True)
        tokens = a.token, b.token
    assert login(app, "stranger").get(f"/files/{tokens[0]}/remove").status_code == 403
    mod = login(app, "mod")
    page = mod.get(f"/files/{tokens[0]}/remove")
    assert page.status_code == 200
    done = mod.post_form(f"/files/{tokens[0]}/remove", {"reason": "leaked names"},
                         page=page.get_data(as_text=True))
    assert done.status_code == 302
    anon = app.test_client()
    assert anon.get(f"/files/{tokens[0]}").status_code == 404
    assert anon.get(f"/files/{tokens[1]}").status_code == 200
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(
            AuditEntry.action == "attachment.remove"))
        assert entry.reason == "leaked names"


def test_api_upload_then_answer_lists_attachments(app, people, make_question, api):
    qid = make_question(people["author"], "west-africa")
    token = api.login("author", "correct horse battery")
    client = api.client
    response = client.post("/api/v1/uploads", headers={"Authorization": f"Bearer {token}"},
                           data={"file": (io.BytesIO(docx()), "job aid.docx")},
                           content_type="multipart/form-data")
    assert response.status_code == 201, response.get_json()
    uploaded = response.get_json()
    assert uploaded["kind"] == "document" and uploaded["url"].startswith("/files/")
    bad = client.post("/api/v1/uploads", headers={"Authorization": f"Bearer {token}"},
                      data={"file": (io.BytesIO(b"<html>"), "x.pdf")},
                      content_type="multipart/form-data")
    assert bad.status_code == 422 and "file" in bad.get_json()["error"]["fields"]
    answer = api.post(f"/api/v1/questions/{qid}/answers",
                      json={"body": "The job aid.", "attachments": [uploaded["id"]]},
                      token=token)
    assert answer.status_code == 201, answer.get_json()
    assert [a["id"] for a in answer.get_json()["attachments"]] == [uploaded["id"]]
    with app.app_context(), pytest.raises(files.InvalidInput):  # attached already
        post_answer(db.session.get(User, people["author"]), qid, "Again the job aid.",
                    attachments=[uploaded["id"]], system=True)
    thread = api.get(f"/api/v1/questions/{qid}").get_json()
    assert thread["answers"][0]["attachments"][0]["filename"] == "job aid.docx"
    assert "Attachment" in api.get("/api/openapi.json").get_json()["components"]["schemas"]


def test_answer_form_takes_files_without_javascript(app, people, make_question):
    qid = make_question(people["author"], "west-africa")
    client = login(app, "author")
    page = client.get(f"/questions/{qid}").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    big = {"csrf_token": csrf, "body": "The chart from our clinic.",
           "files": [(io.BytesIO(jpeg_with_gps()), "wall chart.jpg")]}
    response = client.client.post(f"/questions/{qid}/answer", data=big,
                                  content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    page = app.test_client().get(f"/questions/{qid}").get_data(as_text=True)
    assert "wall chart.jpg" in page and 'loading="lazy"' in page


def test_upload_page_takes_a_file_over_the_site_body_limit_and_gives_markdown(app, people):
    import os  # noqa: PLC0415

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:  # incompressible: ~1.5 MB
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
        z.writestr("word/media/scan.bin", os.urandom(1536 * 1024))
    data = out.getvalue()
    assert len(data) > app.config["MAX_CONTENT_LENGTH"]
    client = login(app, "author")
    page = client.get("/files/upload").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    # Encoded here: the test client would spool a large body to a file it never closes.
    boundary, body = encode_multipart({"csrf_token": csrf,
                                       "file": FileStorage(io.BytesIO(data), "scan.docx")})
    response = client.client.post("/files/upload", data=body,
                                  content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 200, response.status_code
    html = response.get_data(as_text=True)
    token = re.search(r'value="\[scan\]\(/files/([A-Za-z0-9_-]+)\)"', html).group(1)
    assert client.get(f"/files/{token}").data == data
    too_big = client.client.post("/login", data={"x": "y" * (2 * 1024 * 1024)})
    assert too_big.status_code == 413  # other pages keep the site's limit


def test_a_refused_answer_keeps_its_uploaded_file_for_the_next_try(app, people, make_question):
    qid = make_question(people["author"], "west-africa")
    client = login(app, "author")
    page = client.get(f"/questions/{qid}").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    refused = client.client.post(f"/questions/{qid}/answer", content_type="multipart/form-data",
                                 data={"csrf_token": csrf, "body": "  ",
                                       "files": [(io.BytesIO(docx()), "aid.docx")]})
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert "Already uploaded:" in html and "aid.docx" in html
    kept = re.search(r'name="attachments" type="hidden" value="(\d+)"', html).group(1)
    done = client.client.post(f"/questions/{qid}/answer", content_type="multipart/form-data",
                              data={"csrf_token": csrf, "body": "The job aid.",
                                    "attachments": kept})
    assert done.status_code == 302
    with app.app_context():
        assert db.session.get(Attachment, int(kept)).state == "attached"


def test_a_thread_of_files_keeps_the_page_budget(app, people, make_question, make_post):
    qid = make_question(people["author"], "west-africa")
    with app.app_context():
        author = db.session.get(User, people["author"])
        for n in range(25):
            out = io.BytesIO()
            Image.new("RGB", (1200, 800), (n * 9, 80, 160)).save(out, "PNG")
            image = files.store_upload(author, f"clinic wall chart {n}.png", out.getvalue())
            pdf = files.store_upload(author, f"district guideline {n}.docx", docx())
            post_answer(author, qid, f"Answer {n} with its chart and guideline.",
                        attachments=[image.id, pdf.id], system=True)
    page = app.test_client().get(f"/questions/{qid}")
    html = page.get_data(as_text=True)
    assert html.count('loading="lazy"') == 25 and html.count("DOCX · ") == 25
    assert len(page.data) < 60 * 1024, len(page.data)
    print(f"thread page with 25 answers and 50 files: {len(page.data)} bytes")
