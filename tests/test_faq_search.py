"""FAQ entries in the site search: ranked above threads with the same words, only current
entries, private groups, filters, the page, the API, and a fixed number of queries.

Every test runs on SQLite (FTS5) and, with FORUM_TEST_DB=postgresql, on PostgreSQL: the
expected orders are written out, so both databases give the same ones.
Budget: about 10 s.
"""

from contextlib import contextmanager
from datetime import date, timedelta

import pytest
from sqlalchemy import event, select

from forum.errors import InvalidInput, NotFound
from forum.extensions import db
from forum.markup import render_markdown
from forum.models import FaqEntry, FaqEntryTag, Group, Tag, User
from forum.services import faq
from forum.services import search as search_service
from forum.services.uow import unit_of_work

# -- helpers ----------------------------------------------------------------------------


@pytest.fixture
def people(make_user):
    """An asker, a member, an outsider, a site moderator and an admin (ids)."""
    return {name: make_user(name, role=role) for name, role in
            [("asker", "member"), ("member", "member"), ("outsider", "member"),
             ("mod", "moderator"), ("admin", "admin")]}


@pytest.fixture
def ask(make_question, people, group):
    """Ask a question in the public group."""

    def do(title, body="Details follow.", *, tags=("general",), lang="en", group_slug=None):
        return make_question(people["asker"], group_slug or group, title=title, body=body,
                             tags=list(tags), lang=lang)

    return do


@pytest.fixture
def entry(app, group):
    """Write a real FAQ entry row (as the FAQ service stores one) and index it."""

    def make(title, *, summary="", question="A question.", answer="An answer.",
             group_slug=None, tags=(), lang="en", status="current", review_by=None,
             search_text=True):
        with app.app_context(), unit_of_work():
            grp = db.session.scalar(select(Group).where(Group.slug == (group_slug or group)))
            parts = [render_markdown(t) if t else None for t in (summary, question, answer)]
            row = FaqEntry(
                group_id=grp.id, title=title, lang=lang, summary_source=summary,
                summary_html=parts[0].html if parts[0] else "", question_source=question,
                question_html=parts[1].html, answer_source=answer, answer_html=parts[2].html,
                search_text="\n".join([title, *(p.text for p in parts if p)])
                if search_text else "",
                markup_version=parts[1].version, source_answer_seen=answer,
                review_by=review_by or date.today() + timedelta(days=365), status=status)
            db.session.add(row)
            db.session.flush()
            for name in tags:
                tag = db.session.scalar(select(Tag).where(Tag.name == name))
                if tag is None:
                    tag = Tag(name=name)
                    db.session.add(tag)
                    db.session.flush()
                db.session.add(FaqEntryTag(entry_id=row.id, tag_id=tag.id))
            search_service.index_faq_entry(row.id)
            return row.id

    return make


def set_status(app, entry_id, status):
    with app.app_context(), unit_of_work():
        db.session.get(FaqEntry, entry_id).status = status
        search_service.index_faq_entry(entry_id)


def hits(app, q, who=None, **kwargs) -> list[tuple[str, int]]:
    """[(kind, id)] of what `who` (a user id, or None) finds, best first."""
    with app.app_context():
        user = db.session.get(User, who) if who else None
        return [(h.kind, h.id) for h in search_service.search(user, q, **kwargs).items]


@contextmanager
def counting(app):
    statements = []

    def before(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
        event.listen(engine, "before_cursor_execute", before)
        try:
            yield statements
        finally:
            event.remove(engine, "before_cursor_execute", before)


# -- ranking ----------------------------------------------------------------------------


def test_an_faq_entry_ranks_above_threads_matching_the_same_words(app, ask, entry):
    older = ask("Keeping vaccines cold without power", body="Solar fridges?")
    newer = ask("Vaccines cold storage without power", body="Ice packs or fridges?")
    faq = entry("Keeping vaccines cold without power",
                summary="Use a solar direct-drive fridge.", answer="Ice packs for outreach.")
    found = hits(app, "vaccines cold power")
    assert found == [("faq", faq), ("question", newer), ("question", older)]
    with app.app_context():
        results = search_service.search(None, "vaccines cold power")
    ranks = [h.rank for h in results.items]
    assert ranks == sorted(ranks, reverse=True) and ranks[0] > ranks[1]
    assert ranks[-1] > 0
    assert results.total == 3 and results.totals == {"question": 2, "faq": 1}


def test_a_thread_matching_more_words_still_ranks_above_an_entry(app, ask, entry):
    thread = ask("Misoprostol dose for postpartum haemorrhage", body="Which dose?")
    faq = entry("Misoprostol storage", answer="Keep it dry, in its blister.")
    assert hits(app, "misoprostol dose") == [("question", thread), ("faq", faq)]
    # Among entries the usual rules hold: more words first, titles before bodies.
    titled = entry("Implant removal training", answer="Ask the district team.")
    bodied = entry("Training for district teams", answer="Implant removal is covered.")
    assert hits(app, "implant removal", types=("faq",)) == [("faq", titled), ("faq", bodied)]


def test_entries_are_indexed_from_their_html_when_search_text_is_empty(app, entry):
    faq = entry("Cold boxes", answer="Freeze the **icepacks** overnight.", search_text=False)
    assert hits(app, "icepacks") == [("faq", faq)]


def test_similar_questions_never_offer_faq_entries(app, ask, entry):
    entry("Partograph on tablets", answer="Works offline.")
    with app.app_context():
        assert search_service.similar_questions(None, "partograph tablets") == []


# -- what is indexed ----------------------------------------------------------------------


def test_obsolete_and_withdrawn_entries_leave_the_results(app, ask, entry):
    thread = ask("Chlorhexidine for cord care", body="Gel or liquid?")
    faq = entry("Chlorhexidine cord care", answer="7.1% gel, once.")
    assert hits(app, "chlorhexidine") == [("faq", faq), ("question", thread)]
    set_status(app, faq, "obsolete")
    assert hits(app, "chlorhexidine") == [("question", thread)]
    set_status(app, faq, "current")
    assert hits(app, "chlorhexidine") == [("faq", faq), ("question", thread)]
    set_status(app, faq, "withdrawn")
    assert hits(app, "chlorhexidine") == [("question", thread)]
    # A deleted row leaves the index as well.
    other = entry("Chlorhexidine storage", answer="Room temperature.")
    with app.app_context(), unit_of_work():
        db.session.delete(db.session.get(FaqEntry, other))
        search_service.remove_faq_entry(other)
    assert hits(app, "chlorhexidine") == [("question", thread)]


def test_entries_due_for_review_are_still_found(app, entry):
    due = entry("Magnesium sulfate regimen", review_by=date.today() - timedelta(days=3))
    assert hits(app, "magnesium") == [("faq", due)]


def test_rebuild_index_restores_current_entries_only(app, ask, entry):
    thread = ask("Oxytocin in the cold chain")
    current = entry("Oxytocin storage", answer="Refrigerate it.")
    gone = entry("Oxytocin old advice", answer="Room temperature was fine.")
    with app.app_context(), unit_of_work():
        db.session.get(FaqEntry, gone).status = "obsolete"  # not re-indexed: stale on purpose
    with app.app_context():
        assert search_service.rebuild_index() == 1
    assert hits(app, "oxytocin") == [("faq", current), ("question", thread)]


# -- privacy ----------------------------------------------------------------------------


@pytest.fixture
def private_entry(app, people, make_group, join, entry):
    """A private group `inner` (member is in it) with an FAQ entry full of canaries."""
    make_group("inner", private=True)
    join(people["member"], "inner", private=True)
    return entry("Faqcanary stock rules inside", summary="The faqcanary summary.",
                 answer="Answercanary text.", group_slug="inner", tags=["secret-tag"])


def test_private_group_entries_are_found_by_members_and_admins_only(app, people,
                                                                     private_entry, entry):
    public = entry("Faqcanary in a public entry", answer="Public text.")
    for who in (None, people["outsider"], people["mod"]):
        assert hits(app, "faqcanary", who) == [("faq", public)], who
        assert hits(app, "answercanary", who) == [], who
        assert hits(app, "secret", who, tag="secret-tag") == [], who
    for who in (people["member"], people["admin"]):
        assert set(hits(app, "faqcanary", who)) == {("faq", public), ("faq", private_entry)}
        assert hits(app, "answercanary", who, group="inner") == [("faq", private_entry)]
    with app.app_context():
        outsider = db.session.get(User, people["outsider"])
        with pytest.raises(NotFound):
            search_service.search(outsider, "faqcanary", group="inner")


def test_private_group_entries_stay_out_of_the_page_and_the_api(app, people, private_entry,
                                                                 anon_client, api):
    for path in ("/search?q=faqcanary", "/search?q=answercanary",
                 "/search?q=secret&tag=secret-tag"):
        body = anon_client.get(path).get_data(as_text=True)
        assert "canary" not in body.replace("faqcanary", "").replace("answercanary", "")
        assert f"/faq/{private_entry}" not in body and "FAQ entr" not in body
    assert anon_client.get("/search?q=faqcanary&group=inner").status_code == 404
    data = api.get("/api/v1/search?q=faqcanary&type=faq").get_json()
    assert data["items"] == [] and data["total"] == 0
    api.login("outsider", "correct horse battery")
    assert api.get("/api/v1/search?q=answercanary").get_json()["total"] == 0
    api.login("member", "correct horse battery")
    data = api.get("/api/v1/search?q=answercanary").get_json()
    assert [(i["type"], i["id"]) for i in data["items"]] == [("faq", private_entry)]


# -- filters ----------------------------------------------------------------------------


def test_group_tag_and_language_filters_apply_to_entries(app, make_group, entry, ask):
    make_group("east-africa")
    west = entry("Sayana Press self-injection", tags=["dmpa-sc"])
    east = entry("Sayana Press in pharmacies", group_slug="east-africa", lang="fr",
                 tags=["pharmacy"])
    thread = ask("Sayana Press training", tags=["dmpa-sc"])
    assert hits(app, "sayana", group="east-africa") == [("faq", east)]
    assert hits(app, "sayana", tag="dmpa-sc") == [("faq", west), ("question", thread)]
    assert hits(app, "sayana", lang="fr") == [("faq", east)]
    assert hits(app, "sayana", types=("question",)) == [("question", thread)]
    with app.app_context(), pytest.raises(InvalidInput) as error:
        search_service.search(None, "sayana", types=("people",))
    assert "type" in error.value.fields


# -- the page and the API -----------------------------------------------------------------


def test_search_page_shows_faq_hits_with_a_badge_and_their_link(app, ask, entry, anon_client):
    thread = ask("Implant stock-outs in rural clinics", body="Every quarter.")
    faq = entry("Avoiding implant stock-outs", summary="Order **implants** a month early.",
                tags=["implants"])
    html = anon_client.get("/search?q=implants").get_data(as_text=True)
    assert html.index(f'href="/faq/{faq}"') < html.index(f'href="/questions/{thread}"')
    assert 'class="badge faq"' in html and ">FAQ</a>" in html
    assert "Order <mark>implants</mark> a month early." in html
    assert "1 question found, 1 FAQ entry" in html
    only_faq = anon_client.get("/search?q=early").get_data(as_text=True)
    assert "0 questions found, 1 FAQ entry" in only_faq


def test_api_search_returns_faq_items_by_default_and_on_request(app, ask, entry, api):
    thread = ask("Tranexamic acid timing", body="Within three hours?")
    faq = entry("Tranexamic acid timing", summary="Within three hours of birth.",
                tags=["pph"], lang="en")
    data = api.get("/api/v1/search?q=tranexamic+hours").get_json()
    assert data["total"] == 2
    first, second = data["items"]
    assert (first["type"], first["id"], second["type"], second["id"]) == (
        "faq", faq, "question", thread)
    assert first["url"] == f"/faq/{faq}" and first["title"] == "Tranexamic acid timing"
    assert "<mark>" in first["snippet_html"] and first["rank"] > second["rank"]
    assert first["group"] == "west-africa" and first["tags"] == ["pph"]
    assert first["lang"] == "en"
    faq_only = api.get("/api/v1/search?q=tranexamic&type=faq").get_json()
    assert [(i["type"], i["id"]) for i in faq_only["items"]] == [("faq", faq)]
    assert faq_only["total"] == 1
    questions = api.get("/api/v1/search?q=tranexamic&type=question").get_json()
    assert [(i["type"], i["id"]) for i in questions["items"]] == [("question", thread)]
    people_only = api.get("/api/v1/search?q=tranexamic&type=user").get_json()
    assert people_only["items"] == [] and people_only["total"] == 0
    assert api.get("/api/v1/search?q=tranexamic&type=faq,posts").status_code == 422
    assert api.get("/api/v1/search?type=faq").status_code == 422


# -- the same order on both databases, in a fixed number of queries ------------------------


def test_a_mixed_fixture_gives_the_written_order(app, ask, entry):
    """The same expected list on SQLite and PostgreSQL (run with FORUM_TEST_DB=postgresql)."""
    a = ask("Family planning counselling for adolescents", body="Youth-friendly services.")
    b = ask("Counselling adolescents", body="About family planning at school.")
    c = entry("Family planning for adolescents", answer="Youth-friendly counselling.")
    d = entry("Adolescents and clinics", answer="Opening hours after school.")
    e = ask("Planning the clinic week", body="Rotas.")
    assert hits(app, "family planning adolescents counselling") == [
        ("faq", c), ("question", a), ("question", b), ("faq", d), ("question", e)]
    assert hits(app, "adolescents school") == [
        ("faq", d), ("question", b), ("question", a), ("faq", c)]


def test_a_mixed_search_runs_a_fixed_number_of_queries(app, ask, entry, people):
    for n in range(2):
        ask(f"Injectable question number {n}", tags=[f"tag-{n}"])
        entry(f"Injectable entry number {n}", tags=[f"tag-{n}", "shared"])
    with counting(app) as small:
        assert len(hits(app, "injectable", people["member"])) == 4
    for n in range(2, 12):
        ask(f"Injectable question number {n}", tags=[f"tag-{n}"])
        entry(f"Injectable entry number {n}", tags=[f"tag-{n}", "shared"])
    with counting(app) as large:
        assert len(hits(app, "injectable", people["member"])) == 20
    # (+2 after index writes: the vocabulary and the moderators' thesaurus concepts.)
    assert len(large) == len(small) <= 10, large


# -- kept in step by the FAQ service -------------------------------------------------------


def test_the_faq_service_keeps_its_entries_in_the_search(app, people, ask, make_post):
    thread = ask("Zinc for childhood diarrhoea", body="How many days?")
    answer = make_post(people["member"], question_id=thread, body="Ten to fourteen days.")
    with app.app_context():
        mod = db.session.get(User, people["mod"])
        entry_id = faq.promote(mod, thread, answer_id=answer,
                               summary="Zinc with ORS, for 10 to 14 days.").id
    assert hits(app, "zinc diarrhoea") == [("faq", entry_id), ("question", thread)]
    with app.app_context():
        faq.edit_entry(db.session.get(User, people["mod"]), entry_id,
                       title="Zinc and ORS treatment")
    assert hits(app, "childhood", types=("faq",)) == []  # the old title is gone
    assert hits(app, "treatment") == [("faq", entry_id)]
    with app.app_context():
        faq.mark_obsolete(db.session.get(User, people["mod"]), entry_id, "New guidance.")
    assert hits(app, "zinc") == [("question", thread)]
    with app.app_context():
        faq.restore(db.session.get(User, people["mod"]), entry_id)
    assert hits(app, "zinc") == [("faq", entry_id), ("question", thread)]
    with app.app_context():
        faq.withdraw(db.session.get(User, people["mod"]), entry_id, "Made by mistake.")
    assert hits(app, "zinc") == [("question", thread)]
