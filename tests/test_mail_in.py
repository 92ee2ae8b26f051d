"""Reply by email: signed reply addresses on notification mails, stripping what mail clients
quote, refusing what must not be posted, and a real SMTP server feeding `mail receive`."""

import io
import logging
import os
import smtplib
import subprocess
import sys
import time
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import make_msgid
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from PIL import Image
from sqlalchemy import func, select

from forum.extensions import db
from forum.models import Attachment, Post, User
from forum.models.attachments import InboundMail
from forum.services import groups, mail_in, moderation
from forum.services.reply_tokens import read_token, reply_address, reply_token
from forum.services.uow import unit_of_work
from tests.helpers import free_port

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
DOMAIN = "reply.tacit.example"


@pytest.fixture
def app_config():
    """Reply by email on."""
    return {"REPLY_DOMAIN": DOMAIN}


@pytest.fixture
def thread(make_user, group, make_question):
    """An asker and a confirmed member `ada` who replies by mail; a question by the asker."""
    asker = make_user("asker", email_confirmed=True)
    ada = make_user("ada", email="Ada@Clinic.example", email_confirmed=True)
    question = make_question(asker, group)
    return {"asker": asker, "ada": ada, "question": question}


def address(app, user_id, question_id, post_id=None, **kwargs):
    with app.app_context():
        if kwargs:
            return f"reply+{reply_token(user_id, question_id, post_id, **kwargs)}@{DOMAIN}"
        return reply_address(user_id, question_id, post_id)


def mail(to, body, *, sender="Ada <ada@clinic.example>", headers=None, html=None,
         message_id=None, files=()):
    """A mail as a client sends it."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = "Re: New answer on your question"
    message["Message-ID"] = message_id or make_msgid(domain="clinic.example")
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    if html is not None:
        message.add_alternative(html, subtype="html")
    for name, kind, data in files:
        main, sub = kind.split("/")
        message.add_attachment(data, maintype=main, subtype=sub, filename=name)
    return bytes(message)


def receive(app, raw, **kwargs):
    with app.app_context():
        return mail_in.receive(raw, **kwargs)


def posts_by(app, user_id):
    with app.app_context():
        return [(p.body_source, p.parent_id, p.question_id) for p in db.session.scalars(
            select(Post).where(Post.author_id == user_id).order_by(Post.id))]


def inbound(app):
    with app.app_context():
        return [(m.state, m.reason.split(":")[0], m.user_id) for m in
                db.session.scalars(select(InboundMail).order_by(InboundMail.id))]


# -- the reply address ---------------------------------------------------------------------


def test_reply_token_names_user_question_and_post_and_fits_a_local_part(app):
    with app.app_context():
        token = reply_token(123456, 7890123, 4567890)
        target = read_token(token)
        assert (target.user_id, target.question_id, target.post_id) == (123456, 7890123,
                                                                        4567890)
        assert read_token(reply_token(5, 6)).post_id is None
        assert len("reply+" + token) <= 64
        assert address(app, 5, 6).endswith("@" + DOMAIN)


@pytest.mark.parametrize("app_config", [{}])
def test_no_reply_address_when_reply_domain_is_not_configured(app):
    with app.app_context():
        assert reply_address(1, 2) is None


def test_forged_and_expired_tokens_are_refused(app, make_app):
    with app.app_context():
        token = reply_token(1, 2)
        payload, stamp, signature = token.split(".")
        forged = [f"{'3-2'}.{stamp}.{signature}",  # another user, same signature
                  f"{payload}.{stamp}.{signature[:-1]}{'A' if signature[-1] != 'A' else 'B'}",
                  token[:-3], "", "x" * 80]
        for bad in forged:
            with pytest.raises(mail_in.Refused) as refused:
                read_token(bad)
            assert refused.value.code == "bad_token"
            assert refused.value.status == 67
        old = reply_token(1, 2, issued_at=int(time.time()) - 31 * 86400)
        with pytest.raises(mail_in.Refused) as refused:
            read_token(old)
        assert refused.value.code == "expired_token"
        assert read_token(reply_token(1, 2, issued_at=int(time.time()) - 29 * 86400))
    other = make_app(SECRET_KEY="another forum's secret key")
    with other.app_context(), pytest.raises(mail_in.Refused) as refused:
        read_token(token)
    assert refused.value.code == "bad_token"


def test_notification_mail_carries_the_reply_address_and_says_so(app, thread, make_post,
                                                                 outbox):
    answer = make_post(thread["ada"], question_id=thread["question"], body="Order in March.")
    mails = [m for m in outbox.messages() if m["To"] == "asker@example.org"]
    assert len(mails) == 1
    reply_to = mails[0]["Reply-To"]
    assert reply_to.startswith("reply+") and reply_to.endswith("@" + DOMAIN)
    with app.app_context():
        target = read_token(mail_in.token_of(reply_to))
    assert (target.user_id, target.question_id, target.post_id) == (
        thread["asker"], thread["question"], answer)
    assert mails[0].get_content().startswith("Reply to this mail to reply to this post")


def test_a_mention_in_a_question_mail_is_answered_by_replying(app, thread, make_question,
                                                             group, outbox):
    question = make_question(thread["asker"], group, title="Who has stock cards to share?",
                             body="@ada, you ran the pilot: what did it teach you?")
    mails = [m for m in outbox.messages() if m["To"] == "Ada@Clinic.example"]
    assert len(mails) == 1
    with app.app_context():
        target = read_token(mail_in.token_of(mails[0]["Reply-To"]))
    assert (target.user_id, target.question_id, target.post_id) == (thread["ada"], question,
                                                                    None)
    assert mails[0].get_content().startswith("Reply to this mail to answer.\n")


def test_french_notification_mail_says_it_in_french(app, make_user, thread, make_post,
                                                    outbox):
    # Passes once /tmp/i18n/mailin.po is merged into the catalogue.
    with app.app_context(), unit_of_work():
        db.session.get(User, thread["asker"]).locale = "fr"
    make_post(thread["ada"], question_id=thread["question"], body="Commandez en mars.")
    body = outbox.messages()[-1].get_content()
    assert body.startswith("Répondez à ce courriel pour répondre à ce message")


@pytest.mark.parametrize("app_config", [{}])
def test_notification_mail_has_no_reply_address_when_off(app, thread, make_post, outbox):
    make_post(thread["ada"], question_id=thread["question"], body="Order in March.")
    message = outbox.messages()[-1]
    assert message["Reply-To"] is None
    assert "Reply to this mail" not in message.get_content()


# -- what the member wrote -----------------------------------------------------------------

CLIENTS = {
    "gmail_en": ("We order in March, before the rains.\n\n"
                 "On Tue, 1 Dec 2026 at 10:02, Tacit <no-reply@tacit.example> wrote:\n"
                 "> Nurse Ada answered: How do we avoid implant stock-outs?\n>\n> Link\n"),
    "gmail_fr": ("Nous commandons en mars, avant les pluies.\n\n"
                 "Le mar. 1 déc. 2026 à 10:02, Tacit <no-reply@tacit.example> a écrit :\n"
                 "> Nouvelle réponse\n"),
    "thunderbird_fr": ("Nous commandons en mars, avant les pluies.\n\n"
                       "Le 01/12/2026 à 10:02, Tacit a écrit :\n> Nouvelle réponse\n"),
    "outlook_en": ("We order in March, before the rains.\n\n"
                   "-----Original Message-----\nFrom: Tacit <no-reply@tacit.example>\n"
                   "Sent: Tuesday, December 1, 2026 10:02 AM\nTo: Ada\n"
                   "Subject: New answer\n\nNurse Ada answered\n"),
    "outlook_fr": ("Nous commandons en mars, avant les pluies.\n\n"
                   "De : Tacit <no-reply@tacit.example>\n"
                   "Envoyé : mardi 1 décembre 2026 10:02\nÀ : Ada\n"
                   "Objet : Nouvelle réponse\n\nAda a répondu\n"),
    "apple_mail": ("We order in March, before the rains.\n\n"
                   "> On 1 Dec 2026, at 10:02, Tacit <no-reply@tacit.example> wrote:\n>\n"
                   "> Nurse Ada answered\n"),
    "signature": ("We order in March, before the rains.\n\n-- \nAda Mensah\n"
                  "Midwife, Tamale clinic\n+233 20 000 0000\n"),
    "iphone_en": "We order in March, before the rains.\n\nSent from my iPhone\n",
    "iphone_fr": "Nous commandons en mars, avant les pluies.\n\nEnvoyé de mon iPhone\n",
}


@pytest.mark.parametrize("client", sorted(CLIENTS))
def test_quoted_mail_and_signatures_are_stripped(client):
    text = mail_in.reply_text(CLIENTS[client])
    assert text in ("We order in March, before the rains.",
                    "Nous commandons en mars, avant les pluies.")


def test_markdown_lists_and_rules_are_kept():
    body = "Three steps:\n\n- count the stock\n- order early\n\n---\n\nThat is all.\n"
    text = mail_in.reply_text(body)
    assert "- count the stock\n- order early" in text
    assert text.endswith("That is all.")


def test_html_only_mail_becomes_text_without_its_quote():
    html = ('<html><head><style>p{color:red}</style></head><body>'
            '<div dir="ltr">We order in <b>March</b>.<br>Before the rains.</div>'
            '<div class="gmail_quote"><div>On Tue, Tacit wrote:</div>'
            '<blockquote>Old text</blockquote></div></body></html>')
    message = BytesParser(policy=policy.default).parsebytes(
        mail("x@y", "", html=html).replace(b"Content-Type: text/plain", b"X-Dropped: 1"))
    text = mail_in.reply_text(mail_in.html_to_text(html))
    assert text == "We order in March.\nBefore the rains."
    assert "Old text" not in mail_in.message_text(message)


def test_html_links_are_kept_and_unclosed_tags_in_a_quote_end_with_it():
    html = ('<div>See <a href="https://who.int/fp">the WHO handbook</a> and '
            '<a href="https://x.example/a">https://x.example/a</a>.</div>'
            '<blockquote><p>old<p>older</blockquote><div>Thanks.</div>')
    assert mail_in.html_to_text(html) == (
        "See the WHO handbook (https://who.int/fp) and https://x.example/a.\n\nThanks.")


def test_outlook_html_mail_loses_the_old_mail_after_its_header():
    html = ('<html><body><div>We order in March.</div><div id="appendonsend"></div>'
            '<hr><div id="divRplyFwdMsg"><b>From:</b> Tacit</div>'
            '<div>Nurse Ada answered: old text</div></body></html>')
    assert mail_in.html_to_text(html) == "We order in March."


def test_quotes_between_the_members_lines_stay_trailing_ones_go():
    body = "> Order in March?\n\nYes, and keep a buffer.\n\n> old line\n> older line\n"
    assert mail_in.reply_text(body) == "> Order in March?\n\nYes, and keep a buffer."


# -- receiving --------------------------------------------------------------------------------


def test_reply_to_a_question_mail_posts_an_answer(app, thread, caplog):
    to = address(app, thread["ada"], thread["question"])
    raw = mail(to, CLIENTS["gmail_en"] + "\n<script>alert(1)</script>\n")
    with caplog.at_level(logging.INFO, logger="tacit.mail_in"):
        result = receive(app, raw)
    assert result.status == 0 and result.posted, result.line
    assert posts_by(app, thread["ada"]) == [
        ("We order in March, before the rains.", None, thread["question"])]
    with app.app_context():
        post = db.session.get(Post, result.post_id)
        assert "<script" not in post.body_html  # the web's sanitizer
    assert inbound(app) == [("posted", "", thread["ada"])]
    assert "posted answer" in caplog.text


def test_reply_to_a_post_mail_posts_a_reply_under_it(app, thread, make_post):
    answer = make_post(thread["asker"], question_id=thread["question"], body="Order early.")
    result = receive(app, mail(address(app, thread["ada"], thread["question"], answer),
                               CLIENTS["outlook_fr"]))
    assert result.status == 0, result.line
    assert posts_by(app, thread["ada"]) == [
        ("Nous commandons en mars, avant les pluies.", answer, thread["question"])]


def test_same_message_id_posts_once(app, thread):
    raw = mail(address(app, thread["ada"], thread["question"]), "Order in March.")
    first, again = receive(app, raw), receive(app, raw)
    assert first.posted and again.status == 0 and again.duplicate and not again.posted
    assert len(posts_by(app, thread["ada"])) == 1
    assert len(inbound(app)) == 1


def test_a_mail_refused_once_is_refused_again_the_same_way(app, thread):
    raw = mail(address(app, thread["ada"], thread["question"]), "Order in March.",
               sender="eve@evil.example")
    first, again = receive(app, raw), receive(app, raw)
    assert (first.code, first.status) == (again.code, again.status) == ("wrong_sender", 77)
    assert again.duplicate and len(inbound(app)) == 1
    assert posts_by(app, thread["ada"]) == []


def refused(app, raw, code, status, caplog, **kwargs):
    with caplog.at_level(logging.WARNING, logger="tacit.mail_in"):
        result = receive(app, raw, **kwargs)
    assert (result.code, result.status) == (code, status), result.line
    assert not result.posted
    assert f"bounce: {code}" in caplog.text
    assert inbound(app)[-1][:2] == ("refused", code)
    return result


@pytest.mark.parametrize(("to", "code", "status"), [
    ("somebody@clinic.example", "unknown_token", 67),
    ("reply+not-a-token@" + DOMAIN, "bad_token", 67),
])
def test_mail_without_a_valid_reply_address_is_refused(app, thread, caplog, to, code, status):
    refused(app, mail(to, "Order in March."), code, status, caplog)
    assert posts_by(app, thread["ada"]) == []


def test_forged_and_expired_addresses_are_refused(app, thread, caplog):
    to = address(app, thread["ada"], thread["question"])
    local, domain = to.split("@")
    payload, stamp, signature = local[len("reply+"):].split(".")
    with app.app_context():
        asker_payload = reply_token(thread["asker"], thread["question"]).split(".")[0]
    forged = f"reply+{asker_payload}.{stamp}.{signature}@{domain}"
    refused(app, mail(forged, "Order in March."), "bad_token", 67, caplog)
    expired = address(app, thread["ada"], thread["question"],
                      issued_at=int(time.time()) - 40 * 86400)
    refused(app, mail(expired, "Order in March."), "expired_token", 67, caplog)
    assert posts_by(app, thread["ada"]) == posts_by(app, thread["asker"]) == []


def test_sender_must_be_the_tokens_confirmed_address(app, thread, make_user, caplog):
    to = address(app, thread["ada"], thread["question"])
    refused(app, mail(to, "Order in March.", sender="Eve <eve@evil.example>"),
            "wrong_sender", 77, caplog)
    unconfirmed = make_user("bob")  # bob@example.org, never confirmed
    refused(app, mail(address(app, unconfirmed, thread["question"]), "Order in March.",
                      sender="bob@example.org"), "wrong_sender", 77, caplog)
    assert posts_by(app, thread["ada"]) == posts_by(app, unconfirmed) == []


AUTO_REPLIES = [
    {"Auto-Submitted": "auto-replied"},
    {"Auto-Submitted": "auto-generated"},
    {"Precedence": "bulk"},
    {"Precedence": "junk"},
    {"Precedence": "list"},
    {"X-Autoreply": "yes"},
    {"X-Autorespond": "Out of office"},
]


def test_auto_replies_are_refused(app, thread, caplog):
    to = address(app, thread["ada"], thread["question"])
    for headers in AUTO_REPLIES:  # one test: each case costs a database, not a mail
        caplog.clear()
        raw = mail(to, f"I am out of the office until Monday ({headers}).", headers=headers)
        refused(app, raw, "auto_reply", 65, caplog)
    assert posts_by(app, thread["ada"]) == []
    assert len(inbound(app)) == len(AUTO_REPLIES)


def test_auto_submitted_no_is_a_person(app, thread):
    raw = mail(address(app, thread["ada"], thread["question"]), "Order in March.",
               headers={"Auto-Submitted": "no"})
    assert receive(app, raw).posted


def test_a_reply_with_nothing_but_the_quote_is_refused(app, thread, caplog):
    raw = mail(address(app, thread["ada"], thread["question"]),
               "\nOn Tue, 1 Dec 2026 at 10:02, Tacit <a@b.example> wrote:\n> old text\n")
    refused(app, raw, "empty", 65, caplog)


def test_suspended_member_is_refused(app, thread, make_user, caplog):
    make_user("mod", role="moderator")
    with app.app_context():
        mod = db.session.scalar(select(User).where(User.username == "mod"))
        moderation.suspend(mod, "ada", days=3, reason="Spam")
    refused(app, mail(address(app, thread["ada"], thread["question"]), "Order in March."),
            "not_allowed", 77, caplog)
    assert posts_by(app, thread["ada"]) == []


def test_member_who_left_a_private_group_is_refused(app, thread, make_user, make_group,
                                                    make_question, join, caplog):
    make_user("root", role="admin")
    make_group("midwives", private=True)
    join(thread["ada"], "midwives", private=True)
    join(thread["asker"], "midwives", private=True)
    question = make_question(thread["asker"], "midwives", title="Private question here")
    to = address(app, thread["ada"], question)
    assert receive(app, mail(to, "Before leaving.")).posted
    with app.app_context():
        groups.leave_group(db.session.get(User, thread["ada"]), "midwives")
    refused(app, mail(to, "After leaving."), "not_found", 77, caplog)
    assert [p[0] for p in posts_by(app, thread["ada"])] == ["Before leaving."]


def test_the_webs_posting_limits_apply(app, thread, caplog):
    to = address(app, thread["ada"], thread["question"])
    assert receive(app, mail(to, "Order in March.")).posted
    # Another mail at once: the one-post-per-5-seconds limit (and the duplicate check).
    refused(app, mail(to, "And keep a buffer."), "rate_limited", 65, caplog)
    assert len(posts_by(app, thread["ada"])) == 1


def test_mail_attachments_become_the_posts_attachments(app, thread):
    png = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(png, "PNG")
    message = BytesParser(policy=policy.default).parsebytes(mail(
        address(app, thread["ada"], thread["question"]), "Our stock card.",
        html="<p>Our stock card.</p><img src='cid:logo@clinic'>",
        files=[("stock-card.png", "image/png", png.getvalue())]))
    html = message.get_body(preferencelist=("html",))
    html.add_related(png.getvalue(), maintype="image", subtype="png", cid="<logo@clinic>")
    raw = bytes(message)
    result = receive(app, raw)
    assert result.posted, result.line
    with app.app_context():
        files = db.session.scalars(select(Attachment).where(
            Attachment.post_id == result.post_id)).all()
        assert [(f.kind, f.state, f.uploader_id) for f in files] == [
            ("image", "attached", thread["ada"])]


def test_a_refused_attachment_refuses_the_mail_and_stores_nothing(app, thread, caplog):
    raw = mail(address(app, thread["ada"], thread["question"]), "See the file.",
               files=[("guide.pdf", "application/pdf", b"<html><script>x</script></html>")])
    refused(app, raw, "refused", 65, caplog)
    with app.app_context():
        assert db.session.scalar(select(func.count(Attachment.id))) == 0
    assert posts_by(app, thread["ada"]) == []


# -- through a real SMTP server and the command ---------------------------------------------


class PipeToCommand:
    """An aiosmtpd handler that pipes each mail into `flask --app wsgi mail receive`, as a
    Postfix pipe (or an LMTP bridge) does, and answers with what the command said."""

    REPLIES = {0: "250 2.0.0 Posted", 67: "550 5.1.1 {}", 77: "550 5.7.1 {}",
               65: "554 5.6.0 {}"}

    def __init__(self, env):
        self.env = env
        self.results = []

    async def handle_DATA(self, server, session, envelope):
        done = subprocess.run(
            [str(VENV_BIN / "flask"), "--app", "wsgi", "mail", "receive",
             *(arg for rcpt in envelope.rcpt_tos for arg in ("--recipient", rcpt))],
            input=envelope.original_content, cwd=ROOT, env=self.env, capture_output=True,
            timeout=60)
        # The one line: on standard output when posted, else last on standard error.
        line = (done.stderr if done.returncode else done.stdout).decode().splitlines()[-1]
        self.results.append((done.returncode, line))
        return self.REPLIES.get(done.returncode, "451 4.3.0 {}").format(line)


def test_mail_through_a_real_smtp_server_and_the_command(app, thread, database_url, tmp_path):
    env = {**os.environ, "FORUM_DATABASE_URL": database_url,
           "FORUM_SECRET_KEY": app.secret_key, "FORUM_INSTANCE_PATH": str(tmp_path / "inst"),
           "FORUM_OUTBOX_DIR": str(tmp_path / "cli-outbox")}
    env.pop("FORUM_TEST_DB", None)
    handler = PipeToCommand(env)
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    to = address(app, thread["ada"], thread["question"])
    try:
        with smtplib.SMTP("127.0.0.1", controller.port, timeout=60) as smtp:
            smtp.sendmail("ada@clinic.example", [to], mail(to, CLIENTS["gmail_fr"]))
            with pytest.raises(smtplib.SMTPDataError) as forged:
                bad = to.replace("reply+", "reply+1-").replace("@", "x@")
                smtp.sendmail("ada@clinic.example", [bad], mail(bad, "Forged."))
            with pytest.raises(smtplib.SMTPDataError) as auto:
                smtp.sendmail("ada@clinic.example", [to], mail(
                    to, "Out of office.", headers={"Auto-Submitted": "auto-replied"}))
    finally:
        controller.stop()
    assert [code for code, _line in handler.results] == [0, 67, 65], handler.results
    assert handler.results[0][1].startswith("posted answer")
    assert (forged.value.smtp_code, auto.value.smtp_code) == (550, 554)
    assert b"bad_token" in forged.value.smtp_error
    assert b"auto_reply" in auto.value.smtp_error
    assert posts_by(app, thread["ada"]) == [
        ("Nous commandons en mars, avant les pluies.", None, thread["question"])]
    assert [row[:2] for row in inbound(app)] == [
        ("posted", ""), ("refused", "bad_token"), ("refused", "auto_reply")]


def test_a_failure_of_ours_asks_the_mta_to_try_again_later(tmp_path):
    env = {**os.environ, "FORUM_DATABASE_URL": f"sqlite:///{tmp_path}/missing/dir/forum.db",
           "FORUM_SECRET_KEY": "k" * 32, "FORUM_INSTANCE_PATH": str(tmp_path / "inst")}
    env.pop("FORUM_TEST_DB", None)
    raw = mail(f"reply+x@{DOMAIN}", "Order in March.")
    done = subprocess.run([str(VENV_BIN / "flask"), "--app", "wsgi", "mail", "receive"],
                          input=raw, cwd=ROOT, env=env, capture_output=True, timeout=60)
    assert done.returncode == 75, done.stderr.decode()[-2000:]
    assert done.stderr.decode().splitlines()[-1].startswith("temporary failure")
