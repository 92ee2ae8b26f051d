"""The curated FAQ's services: promotion with its own copy and provenance, the source-changed
diff (take or keep), revisions for every change, obsolete / restore / withdraw, translations,
pins and their order, due status and the review queue, review invitations, and a private
group's entries never reaching non-members.

Budget: about 25 s on SQLite.
"""

from datetime import timedelta

import pytest
from sqlalchemy import event, func, select, update

from forum.errors import Conflict, Gone, InvalidInput, NotFound, PermissionDenied, Unauthorized
from forum.extensions import db
from forum.models import (
    ChatMessage,
    ChatRoom,
    FaqContributor,
    FaqEntry,
    FaqPin,
    FaqRevision,
    Group,
    GroupMembership,
    Notification,
    Post,
    Question,
    Tag,
    User,
    UserExpertise,
    utcnow,
)
from forum.services import faq, qa
from forum.services.uow import unit_of_work

CANARY = "zanzibarcanary"


def build_world(app, make_user, make_group, join, make_question, make_post) -> dict:
    """Groups, people in every role, and an answered thread (with a reply) in west-africa.

    Returns ids: groups by slug, users by name, `question`, `answer`, `reply`, `other_answer`.
    """
    make_group("west-africa")
    make_group("east-africa", region="East Africa")
    make_group("secret-circle", region="West Africa", private=True)
    ids = {name: make_user(name, role=role) for name, role in (
        ("admin", "admin"), ("sitemod", "moderator"), ("groupmod", "member"),
        ("othermod", "member"), ("member", "member"), ("expert", "member"),
        ("asker", "member"), ("answerer", "member"), ("replier", "member"),
        ("helper", "member"), ("outsider", "member"))}
    for name in ("groupmod", "member", "expert", "asker", "answerer", "replier", "helper"):
        join(ids[name], "west-africa")
    join(ids["othermod"], "east-africa")
    question = make_question(ids["asker"], "west-africa", tags=("implants", "supply"),
                             body="Our clinics run out of implants every quarter.")
    answer = make_post(ids["answerer"], question_id=question,
                       body="Order earlier.\nKeep a buffer of three months.")
    reply = make_post(ids["replier"], parent_id=answer, body="This worked for us too.")
    other = make_post(ids["helper"], question_id=question, body="Ask the district store.")
    with app.app_context():
        with unit_of_work():
            for name in ("groupmod", "othermod"):
                db.session.execute(update(GroupMembership).where(
                    GroupMembership.user_id == ids[name]).values(role="moderator"))
            db.session.execute(update(User).where(User.id == ids["expert"])
                               .values(verified_expert=True))
            tag_id = db.session.scalar(select(Tag.id).where(Tag.name == "implants"))
            db.session.add(UserExpertise(user_id=ids["expert"], tag_id=tag_id))
        qa.accept_answer(db.session.get(User, ids["asker"]), question, answer)
    ids.update(question=question, answer=answer, reply=reply, other_answer=other)
    return ids


@pytest.fixture
def world(app, make_user, make_group, join, make_question, make_post):
    return build_world(app, make_user, make_group, join, make_question, make_post)


def user(name_or_id, ids=None):
    ident = ids[name_or_id] if ids is not None else name_or_id
    return db.session.get(User, ident)


def promote_as(ids, name="groupmod", **kwargs) -> int:
    return faq.promote(user(name, ids), ids["question"], **kwargs).id


def actions(entry_id) -> list[str]:
    return list(db.session.scalars(select(FaqRevision.action).where(
        FaqRevision.entry_id == entry_id).order_by(FaqRevision.number)))


def faq_notifications(user_id) -> list[Notification]:
    return list(db.session.scalars(select(Notification).where(
        Notification.user_id == user_id, Notification.kind == "faq")
        .order_by(Notification.id)))


# -- promotion --------------------------------------------------------------------------


def test_promotion_copies_the_thread_with_its_provenance_and_notifies_the_answerer(app, world):
    ids = world
    with app.app_context():
        with unit_of_work():  # the thread was made from a chat message of the group's room
            room = db.session.scalar(select(ChatRoom).where(
                ChatRoom.group_id == _group_id("west-africa")))
            if room is None:
                room = ChatRoom(kind="group", group_id=_group_id("west-africa"))
                db.session.add(room)
                db.session.flush()
            message = ChatMessage(room_id=room.id, author_id=ids["asker"], client_id="c-1",
                                  body_source="Stock-outs again?", body_html="<p>x</p>",
                                  markup_version=1, promoted_question_id=ids["question"])
            db.session.add(message)
            db.session.flush()
            source = (room.id, message.id)
        entry_id = promote_as(ids, summary="Plan **ahead**.", credited=["@Helper"])
        entry = db.session.get(FaqEntry, entry_id)
        assert entry.title == "How do we avoid implant stock-outs?"
        assert entry.answer_id == ids["answer"] and entry.question_id == ids["question"]
        assert [t.name for t in entry.tags] == ["implants", "supply"]
        assert entry.lang == "en" and entry.status == "current"
        assert entry.review_by == utcnow().date() + timedelta(days=365)
        assert "<strong>ahead</strong>" in entry.summary_html
        assert "Keep a buffer of three months." in entry.answer_html
        assert "every quarter" in entry.question_html
        assert entry.source_answer_seen == "Order earlier.\nKeep a buffer of three months."
        assert "buffer" in entry.search_text and "Plan" in entry.search_text
        assert entry.promoted_by_id == ids["groupmod"]
        assert (entry.chat_room_id, entry.chat_message_id) == source
        roles = {(c.user_id, c.role) for c in db.session.scalars(
            select(FaqContributor).where(FaqContributor.entry_id == entry_id))}
        assert roles == {(ids["asker"], "asker"), (ids["answerer"], "answerer"),
                         (ids["replier"], "credited"), (ids["helper"], "credited")}
        assert db.session.get(Question, ids["question"]).in_faq is True
        assert actions(entry_id) == ["promoted"]
        snapshot = db.session.scalar(select(FaqRevision.snapshot).where(
            FaqRevision.entry_id == entry_id))
        assert snapshot["tags"] == ["implants", "supply"] and snapshot["status"] == "current"
        texts = [n.text for n in faq_notifications(ids["answerer"])]
        assert len(texts) == 1 and "FAQ" in texts[0]
        assert faq_notifications(ids["groupmod"]) == []
        assert faq_notifications(ids["asker"]) == []

        # The same answer twice: a conflict naming the first entry.
        with pytest.raises(Conflict) as refused:
            promote_as(ids, name="sitemod")
        assert str(entry_id) in refused.value.message
        # Another answer of the thread, named, with its own title, tags and language.
        second = faq.promote(user("admin", ids), ids["question"], answer_id=ids["other_answer"],
                             title="Ask the district store first", tags="stores, new-tag",
                             lang="fr", review_by="2099-01-31")
        assert second.lang == "fr" and [t.name for t in second.tags] == ["new-tag", "stores"]
        assert second.review_by.isoformat() == "2099-01-31"


def test_later_edits_to_the_thread_do_not_change_the_entry_until_taken_in(app, world):
    ids = world
    with app.app_context():
        entry_id = promote_as(ids)
        asker, answerer = user("asker", ids), user("answerer", ids)
        qa.edit_question(asker, ids["question"], body="Edited question body, new words.")
        qa.edit_post(answerer, ids["answer"], "Order earlier.\nKeep a buffer of six months.\n"
                     "Count every Friday.")
        entry = db.session.get(FaqEntry, entry_id)
        assert "three months" in entry.answer_html and "every quarter" in entry.question_html
        diff = faq.source_change(entry)
        assert ("same", "Order earlier.") in diff
        assert ("removed", "Keep a buffer of three months.") in diff
        assert ("added", "Keep a buffer of six months.") in diff
        assert ("added", "Count every Friday.") in diff
        queue = faq.review_queue(user("groupmod", ids))
        assert [(i.entry.id, i.source_changed, i.due) for i in queue] == [(entry_id, True, False)]

        faq.keep_curated(user("groupmod", ids), entry_id)
        entry = db.session.get(FaqEntry, entry_id)
        assert faq.source_change(entry) is None and "three months" in entry.answer_html
        assert faq.review_queue(user("groupmod", ids)) == []

        qa.edit_post(answerer, ids["answer"], "Order earlier.\nKeep a buffer of nine months.")
        assert faq.source_change(db.session.get(FaqEntry, entry_id)) is not None
        faq.take_source_change(user("sitemod", ids), entry_id)
        entry = db.session.get(FaqEntry, entry_id)
        assert "nine months" in entry.answer_html and "nine months" in entry.search_text
        assert faq.source_change(entry) is None
        assert actions(entry_id) == ["promoted", "source_kept", "source_taken"]


def test_promotion_refusals_name_the_field_and_write_nothing(app, world, make_question,
                                                             make_post):
    ids = world
    unanswered = make_question(ids["asker"], "west-africa", title="Where to store vaccines?")
    with app.app_context():
        groupmod = user("groupmod", ids)
        with pytest.raises(InvalidInput) as refused:
            faq.promote(groupmod, unanswered)
        assert "answer_id" in refused.value.fields
        with pytest.raises(InvalidInput) as refused:
            faq.promote(groupmod, ids["question"], answer_id=ids["reply"])
        assert "answer_id" in refused.value.fields
        for bad in ({"credited": ["nobody-here"]}, {"review_by": "2001-01-01"},
                    {"review_by": "tomorrow"}, {"tags": ["Bad Tag!"]}, {"lang": "de"},
                    {"summary": "x" * 2001}, {"title": "short"}):
            with pytest.raises(InvalidInput) as refused:
                faq.promote(groupmod, ids["question"], **bad)
            assert set(refused.value.fields) == {next(iter(bad))}, bad
        with pytest.raises(PermissionDenied):
            faq.promote(user("member", ids), ids["question"])
        with pytest.raises(PermissionDenied):
            faq.promote(user("expert", ids), ids["question"])
        with pytest.raises(PermissionDenied):
            faq.promote(user("othermod", ids), ids["question"])
        with pytest.raises(Unauthorized):
            faq.promote(None, ids["question"])
        assert db.session.scalar(select(func.count()).select_from(FaqEntry)) == 0
        assert db.session.get(Question, ids["question"]).in_faq is False


# -- curation ---------------------------------------------------------------------------


def test_edit_verify_obsolete_restore_and_withdraw_keep_every_revision(app, world):
    ids = world
    with app.app_context():
        first = promote_as(ids)
        second = faq.promote(user("groupmod", ids), ids["question"],
                             answer_id=ids["other_answer"], title="Ask the district store").id
        groupmod = user("groupmod", ids)
        faq.edit_entry(groupmod, first, title="Avoiding implant stock-outs",
                       answer="Curated answer text.", tags=["implants"])
        entry = db.session.get(FaqEntry, first)
        assert entry.title == "Avoiding implant stock-outs"
        assert "Curated answer text." in entry.answer_html
        assert [t.name for t in entry.tags] == ["implants"]
        with pytest.raises(InvalidInput):
            faq.edit_entry(groupmod, first, question="   ")
        old_review = entry.review_by
        faq.verify(groupmod, first, review_by=utcnow().date() + timedelta(days=30))
        entry = db.session.get(FaqEntry, first)
        assert entry.review_by != old_review and entry.reviewed_by_id == ids["groupmod"]

        # Obsolete: needs a note; the replacement must be another current entry.
        with pytest.raises(InvalidInput) as refused:
            faq.mark_obsolete(groupmod, first, "")
        assert "note" in refused.value.fields
        with pytest.raises(InvalidInput) as refused:
            faq.mark_obsolete(groupmod, first, "Outdated", replaced_by=first)
        assert "replaced_by" in refused.value.fields
        faq.mark_obsolete(groupmod, first, "The supply chain changed.", replaced_by=second)
        entry = faq.get_entry(None, first)  # keeps its URL for everyone
        assert faq.entry_status(entry) == "obsolete" and entry.replaced_by_id == second
        assert entry.note == "The supply chain changed."
        listed = [e.id for e in faq.list_entries(None).items]
        assert listed == [second]
        assert [e.id for e in faq.list_entries(None, q="stock-outs").items] == []
        with pytest.raises(InvalidInput):  # an obsolete entry replaces nothing
            faq.mark_obsolete(groupmod, second, "Also old", replaced_by=first)
        faq.restore(groupmod, first)
        assert {e.id for e in faq.list_entries(None).items} == {first, second}

        # Withdraw: 410 with the note for readers, curators still see it; revisions kept.
        faq.withdraw(groupmod, first, "Promoted by mistake.")
        for reader in (None, user("member", ids), user("othermod", ids)):
            with pytest.raises(Gone) as gone:
                faq.get_entry(reader, first)
            assert gone.value.message == "Promoted by mistake."
            with pytest.raises(Gone):
                faq.revisions(reader, first)
        assert faq.get_entry(user("sitemod", ids), first).status == "withdrawn"
        assert [r.action for r in faq.revisions(groupmod, first)] == [
            "withdrawn", "restored", "obsolete", "verified", "edited", "promoted"]
        assert db.session.get(Question, ids["question"]).in_faq is True  # `second` lives
        for change in (lambda: faq.edit_entry(groupmod, first, title="Changed after all"),
                       lambda: faq.mark_obsolete(groupmod, first, "Old"),
                       lambda: faq.verify(groupmod, first)):
            with pytest.raises(Conflict):
                change()
        assert len(faq.revisions(groupmod, first)) == 6
        faq.withdraw(groupmod, second, "Also a mistake.")
        assert db.session.get(Question, ids["question"]).in_faq is False
        assert faq.entries_for_question(None, ids["question"]) == []
        # A withdrawn answer may be promoted again.
        third = promote_as(ids, name="admin")
        assert third not in (first, second)
        # `flask markup rerender`'s FAQ pass: old renderings only, unless forced.
        with unit_of_work():
            db.session.execute(update(FaqEntry).where(FaqEntry.id == third).values(
                markup_version=0, answer_html="<p>stale</p>"))
        assert faq.rerender_entries() == 1 and faq.rerender_entries() == 0
        assert "three months" in db.session.get(FaqEntry, third).answer_html
        assert faq.rerender_entries(force=True) == 3


def test_translations_are_linked_on_both_sides(app, world):
    ids = world
    with app.app_context():
        groupmod = user("groupmod", ids)
        english = promote_as(ids)
        french = faq.promote(groupmod, ids["question"], answer_id=ids["other_answer"],
                             title="Éviter les ruptures de stock", lang="fr").id
        with pytest.raises(InvalidInput):
            faq.link_translation(groupmod, english, english)
        faq.link_translation(groupmod, english, french)
        assert db.session.get(FaqEntry, english).translation_id == french
        assert db.session.get(FaqEntry, french).translation_id == english
        assert actions(english)[-1] == "translation" and actions(french)[-1] == "translation"
        with pytest.raises(InvalidInput) as refused:  # its translation is in French
            faq.edit_entry(groupmod, english, lang="fr")
        assert "lang" in refused.value.fields
        with pytest.raises(PermissionDenied):
            faq.link_translation(user("member", ids), english, french)
        faq.unlink_translation(groupmod, french)
        assert db.session.get(FaqEntry, english).translation_id is None
        assert db.session.get(FaqEntry, french).translation_id is None
        faq.edit_entry(groupmod, french, lang="en")
        with pytest.raises(InvalidInput) as refused:  # both English now
            faq.link_translation(groupmod, english, french)
        assert "entry_id" in refused.value.fields


def test_pins_come_first_and_reorder(app, world, make_question, make_post):
    ids = world
    threads = []
    for n in range(2):
        question = make_question(ids["asker"], "west-africa", title=f"Cold chain question {n}",
                                 tags=("implants",))
        threads.append((question, make_post(ids["answerer"], question_id=question,
                                            body=f"Answer {n}.")))
    with app.app_context():
        groupmod, member = user("groupmod", ids), user("member", ids)
        entries = [promote_as(ids)]
        for question, answer in threads:
            entries.append(faq.promote(groupmod, question, answer_id=answer).id)
        newest_first = [e.id for e in faq.list_entries(None, group="west-africa").items]
        assert newest_first == entries[::-1]
        faq.pin(groupmod, entries[0], "group", "west-africa")
        faq.pin(groupmod, entries[1], "group", "west-africa")
        faq.pin(groupmod, entries[1], "group", "west-africa")  # idempotent
        assert faq.pins("group", "west-africa") == [entries[0], entries[1]]
        assert [e.id for e in faq.list_entries(None, group="west-africa").items] == [
            entries[0], entries[1], entries[2]]
        faq.move_pin(groupmod, "group", "west-africa", entries[1], "up")
        assert [e.id for e in faq.list_entries(None, group="west-africa").items] == [
            entries[1], entries[0], entries[2]]
        assert [e.id for e in faq.entries_for_group(None, _group_id("west-africa"))] == [
            entries[1], entries[0], entries[2]]
        faq.move_pin(groupmod, "group", "west-africa", entries[1], "up")  # already first
        assert faq.pins("group", "west-africa") == [entries[1], entries[0]]
        # Tag pins: site moderators, or curators of the entry's group; the tag must be its.
        faq.pin(user("sitemod", ids), entries[2], "tag", "implants")
        assert [e.id for e in faq.list_entries(None, tag="implants").items][0] == entries[2]
        with pytest.raises(InvalidInput):
            faq.pin(groupmod, entries[1], "tag", "supply")
        for outsider in (member, user("othermod", ids), user("expert", ids)):
            with pytest.raises(PermissionDenied):
                faq.pin(outsider, entries[2], "group", "west-africa")
            with pytest.raises(PermissionDenied):
                faq.move_pin(outsider, "group", "west-africa", entries[0], "down")
        with pytest.raises(InvalidInput):
            faq.pin(groupmod, entries[2], "group", "east-africa")
        faq.unpin(groupmod, entries[1], "group", "west-africa")
        assert faq.pins("group", "west-africa") == [entries[0]]
        faq.mark_obsolete(groupmod, entries[0], "Old")  # leaves its pins
        assert faq.pins("group", "west-africa") == []
        assert db.session.scalar(select(func.count()).select_from(FaqPin)) == 1


def _group_id(slug) -> int:
    return db.session.scalar(select(Group.id).where(Group.slug == slug))


# -- review -----------------------------------------------------------------------------


def _make_due(entry_id, days_ago: int) -> None:
    with unit_of_work():
        db.session.execute(update(FaqEntry).where(FaqEntry.id == entry_id).values(
            review_by=utcnow().date() - timedelta(days=days_ago)))


def test_due_status_review_queue_and_invitations(app, world):
    ids = world
    with app.app_context():
        entry_id = promote_as(ids)
        entry = db.session.get(FaqEntry, entry_id)
        today = utcnow().date()
        assert faq.entry_status(entry) == "current"
        assert faq.entry_status(entry, entry.review_by + timedelta(days=1)) == "due"
        assert faq.review_queue(user("groupmod", ids)) == []
        _make_due(entry_id, 1)
        entry = db.session.get(FaqEntry, entry_id)
        assert faq.entry_status(entry) == "due"
        assert [e.id for e in faq.list_entries(None).items] == [entry_id]  # still listed
        for curator in ("groupmod", "sitemod", "admin"):
            assert [(i.entry.id, i.due) for i in faq.review_queue(user(curator, ids))] == [
                (entry_id, True)]
        assert faq.review_queue(user("othermod", ids)) == []
        with pytest.raises(PermissionDenied):
            faq.review_queue(user("member", ids))
        with pytest.raises(Unauthorized):
            faq.review_queue(None)
        before = {name: len(faq_notifications(ids[name]))
                  for name in ("answerer", "expert", "member", "asker")}

    # Invitations: the answerer and the matching expert, on the day it falls due (the day
    # after its review-by date) and every 30 days after; never twice the same day.
    result = app.test_cli_runner().invoke(args=["faq", "invite-reviews"])
    assert result.exit_code == 0 and result.output.startswith("1 FAQ"), result.output
    with app.app_context():
        now = utcnow()
        assert faq.invite_reviews(now) == 0
        after = {name: len(faq_notifications(ids[name])) for name in before}
        assert after == {**before, "answerer": before["answerer"] + 1,
                         "expert": before["expert"] + 1}
        invite = faq_notifications(ids["expert"])[-1]
        assert invite.url == f"/faq/{entry_id}" and "check" in invite.text
        assert faq.invite_reviews(now + timedelta(days=1)) == 0
        assert faq.invite_reviews(now + timedelta(days=30)) == 1
        assert len(faq_notifications(ids["expert"])) == after["expert"] + 1

        faq.verify(user("groupmod", ids), entry_id)
        assert faq.entry_status(db.session.get(FaqEntry, entry_id)) == "current"
        assert faq.review_queue(user("groupmod", ids)) == []
        assert faq.invite_reviews(now + timedelta(days=60)) == 0
        # The source answer deleted: the entry keeps its text, the diff has nothing to show.
        qa.delete_post(user("answerer", ids), ids["answer"])
        entry = db.session.get(FaqEntry, entry_id)
        assert faq.source_change(entry) is None and "three months" in entry.answer_html
        assert db.session.get(Post, ids["answer"]).deleted_at is not None
        assert faq.entry_status(entry, today) == "current"


# -- privacy ----------------------------------------------------------------------------


def test_private_group_entries_never_reach_non_members(app, world, join, make_question,
                                                       make_post):
    ids = world
    join(ids["member"], "secret-circle", private=True)
    join(ids["groupmod"], "secret-circle", private=True)
    question = make_question(ids["member"], "secret-circle", title=f"The {CANARY} question",
                             body=f"Secret {CANARY} body.", tags=("implants",))
    answer = make_post(ids["groupmod"], question_id=question, body=f"Secret {CANARY} answer.")
    with app.app_context():
        with pytest.raises(NotFound):  # a site moderator outside the group sees nothing
            faq.promote(user("sitemod", ids), question, answer_id=answer)
        with unit_of_work():
            db.session.execute(update(GroupMembership).where(
                GroupMembership.user_id == ids["groupmod"],
                GroupMembership.group_id == _group_id("secret-circle")).values(role="moderator"))
        entry_id = faq.promote(user("groupmod", ids), question, answer_id=answer,
                               summary=f"{CANARY} summary").id
        public = promote_as(ids)
        for reader in (None, user("outsider", ids), user("sitemod", ids), user("expert", ids)):
            assert [e.id for e in faq.list_entries(reader).items] == [public]
            assert faq.list_entries(reader, q=CANARY).items == []
            assert faq.list_entries(reader, group="secret-circle").items == []
            assert [e.id for e in faq.top_entries(reader)] == [public]
            assert faq.entries_for_question(reader, question) == []
            assert faq.entries_for_group(reader, _group_id("secret-circle")) == []
            with pytest.raises(NotFound):
                faq.get_entry(reader, entry_id)
            with pytest.raises(NotFound):
                faq.revisions(reader, entry_id)
        for reader in (user("member", ids), user("admin", ids)):
            assert {e.id for e in faq.list_entries(reader, q=CANARY).items} == {entry_id}
            assert faq.get_entry(reader, entry_id).id == entry_id
        _make_due(entry_id, 1)
        assert [i.entry.id for i in faq.review_queue(user("sitemod", ids))] == []
        # Invitations reach only people who may read the group: the expert is not a member.
        before = len(faq_notifications(ids["expert"]))
        faq.invite_reviews(utcnow())
        assert len(faq_notifications(ids["expert"])) == before
        # The answerer (who promoted it, so was not told then) is invited, as a member.
        assert [n.url for n in faq_notifications(ids["groupmod"])] == [f"/faq/{entry_id}"]


# -- query counts -----------------------------------------------------------------------


def _count(app, fn):
    with app.app_context():
        engine = db.engine
    statements = []

    def before(conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK")):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        with app.app_context():
            result = fn()
    finally:
        event.remove(engine, "before_cursor_execute", before)
    return len(statements), result


def test_lists_load_in_a_fixed_number_of_queries(app, world, make_question, make_post):
    ids = world

    def listing():
        page = faq.list_entries(None, tag="implants", prefer_lang="fr")
        people = faq.contributors([e.id for e in page.items])
        for entry in page.items:
            _ = ([t.name for t in entry.tags], entry.group.slug,
                 [(u.username, role) for u, role in people[entry.id]])
        return len(page.items)

    with app.app_context():
        promote_as(ids)
    one, shown = _count(app, listing)
    assert shown == 1
    for n in range(3):
        question = make_question(ids[("asker", "member", "expert")[n]], "west-africa",
                                 title=f"Another question number {n}", tags=("implants",))
        answer = make_post(ids["helper"], question_id=question, body=f"Answer {n}.")
        with app.app_context():
            faq.promote(user("admin", ids), question, answer_id=answer)
    many, shown = _count(app, listing)
    assert shown == 4
    assert many == one, (one, many)
