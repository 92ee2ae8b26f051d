"""Full-text search: matching rules, ranking, index upkeep, privacy, the page and the API.

Every test runs on SQLite (FTS5) and, with FORUM_TEST_DB=postgresql, on PostgreSQL
(tsvector + GIN): the expected results and orders are the same on both.
"""

from contextlib import contextmanager

import pytest
from sqlalchemy import event, update

from forum.errors import InvalidInput, NotFound
from forum.extensions import db
from forum.models import Question, User
from forum.services import qa
from forum.services import search as search_service
from forum.services.search import parse_query, similar_questions, stem
from forum.services.uow import unit_of_work

# -- helpers ----------------------------------------------------------------------------


@pytest.fixture
def people(make_user):
    """An asker, a helper, an outsider, a moderator and an admin (ids)."""
    return {name: make_user(name, role=role) for name, role in
            [("asker", "member"), ("helper", "member"), ("outsider", "member"),
             ("mod", "moderator"), ("admin", "admin")]}


@pytest.fixture
def ask(make_question, people, group):
    """Ask a question in the public group with a title and body of your choosing."""

    def do(title, body="Details follow.", *, author="asker", tags=("general",), lang="en",
           group_slug=None):
        return make_question(people[author], group_slug or group, title=title, body=body,
                             tags=list(tags), lang=lang)

    return do


def find(app, q, who=None, **kwargs) -> list[int]:
    """Ids of the questions `who` (a user id, or None for anonymous) finds, best first."""
    with app.app_context():
        user = db.session.get(User, who) if who else None
        return [hit.question.id for hit in search_service.search(user, q, **kwargs).items]


def results(app, q, who=None, **kwargs):
    with app.app_context():
        user = db.session.get(User, who) if who else None
        found = search_service.search(user, q, **kwargs)
        return [(h.question.id, h.rank, h.snippet_html) for h in found.items], found.total


def as_user(app, user_id):
    return db.session.get(User, user_id)


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


# -- normalisation and parsing ----------------------------------------------------------


@pytest.mark.parametrize(
    ("words", "same"),
    [
        (["vaccines", "vaccine", "vaccin", "vaccins", "Vaccine"], True),
        (["formations", "formation"], True),
        (["méthodes", "méthode", "methode", "METHODE", "methods", "method"], True),
        (["injecting", "injected", "injects", "inject"], True),
        (["planning", "planned", "plans", "plan"], True),
        (["hôpitaux", "hôpital", "hopital"], True),
        (["clinics", "clinic"], True),
        (["cliniques", "clinique"], True),
        (["femmes", "femme"], True),
        (["studies", "study"], True),
        (["formée", "formées", "formé"], True),
        (["nurses", "nurse", "nursing"], True),
        # Conservative: nouns in -ion are not verbs, short words are left alone.
        (["injection", "inject"], False),
        (["formation", "form"], False),
        (["status", "stat"], False),
        (["using", "us"], False),
    ],
)
def test_stemming_folds_english_and_french_endings_conservatively(words, same):
    forms = {stem(w) for w in search_service.words(" ".join(words))}
    assert (len(forms) == 1) is same, forms


def test_query_parsing_words_phrases_exclusions_and_stop_words():
    parsed = parse_query('How do we store the Vaccines "cold chain" -fridge -"solar panel"')
    assert parsed.terms == ["stor", "vaccin"]
    assert parsed.phrases == [("cold", "chain")]
    assert parsed.excluded == [("fridg",), ("solar", "panel")]
    # A query of stop words only still looks for them.
    assert parse_query("the of").terms == ["the", "of"]
    # Similar questions read quotes and minus signs as plain text.
    assert parse_query('"cold chain" -fridge', operators=False).terms == [
        "cold", "chain", "fridg"]


def test_install_is_idempotent(app):
    with app.app_context():
        search_service.install(db.engine)
        search_service.install(db.engine)


# -- matching ---------------------------------------------------------------------------


def test_accents_fold_both_ways(app, ask):
    accented = ask("Planificación familiar en zonas rurales",
                   body="Une méthode simple pour les agents de santé.")
    plain = ask("Planificacion en la comunidad de salud",
                body="Une methode pour les sages-femmes du district.")
    for query in ("planificacion", "planificación", "PLANIFICACIÓN"):
        assert set(find(app, query)) == {accented, plain}, query
    for query in ("methode", "méthode", "Méthodes"):
        assert set(find(app, query)) == {accented, plain}, query


def test_stemmed_words_match_their_other_forms(app, ask):
    vaccines = ask("Keeping vaccines cold in district stores", body="We store them badly.")
    formation = ask("Formations pour les agents communautaires", body="Quel programme ?",
                    lang="fr")
    injecting = ask("Self-injecting DMPA-SC at home safely", body="Clients learn fast.")
    assert find(app, "vaccine") == [vaccines]
    # (Training words of the thesaurus, "learn" among them, also find the third, below.)
    assert find(app, "formation")[0] == formation
    assert find(app, "injected") == [injecting]
    assert find(app, "injection") == []  # a different word: not folded onto "inject"


def test_partial_matches_rank_more_matching_words_first(app, ask):
    one = ask("Question about vaccines only", body="Nothing else here.")
    three = ask("Storage question for the district", body="Vaccines need a solar fridge.")
    two = ask("Another question on this topic", body="The vaccine fridge broke down.")
    assert find(app, "vaccine solar fridge") == [three, two, one]


def test_title_matches_rank_before_body_matches(app, ask, people):
    in_body = ask("Supplies run out every quarter", body="Our implant stock is low.")
    in_title = ask("Implant removal training for nurses", body="Who trains the trainers?")
    with app.app_context():
        # Even a better-scored, newer body match stays behind.
        with unit_of_work():
            db.session.execute(update(Question).where(Question.id == in_body).values(score=9))
    assert find(app, "implant") == [in_title, in_body]


def test_rarer_words_rank_first_among_equal_counts(app, ask):
    rare = ask("A question about counselling youth", body="Nobody asks them.")
    common = [ask(f"Clinic question number {n}", body=f"Clinic detail {n}.") for n in range(3)]
    order = find(app, "clinic counselling")
    assert order[0] == rare
    assert set(order[1:]) == set(common)


def test_accepted_then_higher_score_first_among_equals(app, ask, people, make_post):
    plain = ask("Condom supply in the camp", body="How do we order more?")
    scored = ask("Condom stock in the camp", body="How do we count them?")
    accepted = ask("Condom demand in the camp", body="How do we forecast it?")
    answer = make_post(people["helper"], question_id=accepted, body="Use last year's data.")
    with app.app_context():
        with unit_of_work():
            db.session.execute(update(Question).where(Question.id == scored).values(score=5))
        qa.accept_answer(as_user(app, people["asker"]), accepted, answer)
    assert find(app, "condom camp") == [accepted, scored, plain]


def test_phrase_search_requires_the_words_together(app, ask):
    together = ask("Cold chain problems in rural areas", body="The cold chain breaks.")
    apart = ask("A night with a broken link", body="Unrelated cold chain? No: cold, then chain.")
    reversed_ = ask("Chain of cold storage rooms", body="Chain cold rooms.")
    assert find(app, '"cold chain"') == [together, apart]  # both hold the exact phrase
    with app.app_context():
        qa.edit_question(db.session.scalar(db.select(User).where(User.username == "asker")),
                         apart, body="A cold night, then a broken chain.")
    assert find(app, '"cold chain"') == [together]
    assert reversed_ not in find(app, '"cold chain" rooms')


def test_a_phrase_never_straddles_the_title_and_the_body(app, ask):
    ask("Trouble keeping things cold", body="Chain of supply broke down again.")
    assert find(app, '"cold chain"') == []
    assert find(app, "cold chain") != []


def test_excluded_words_and_phrases_leave_questions_out(app, ask):
    fridge = ask("Vaccine storage with a fridge", body="A solar panel powers it.")
    box = ask("Vaccine storage with a cold box", body="Ice packs only.")
    assert set(find(app, "vaccine storage")) == {fridge, box}
    assert find(app, "vaccine -fridges") == [box]
    assert find(app, 'vaccine -"solar panel"') == [box]
    assert find(app, "vaccine -solar -ice") == []


def test_filters_by_group_tag_and_language(app, ask, people, make_group, group):
    make_group("east-africa", region="East Africa")
    west_en = ask("Implant training in the west", tags=["implants", "training"])
    west_fr = ask("Formation implant dans l'ouest", tags=["implants"], lang="fr")
    east = ask("Implant training in the east", tags=["training"], group_slug="east-africa")
    assert set(find(app, "implant")) == {west_en, west_fr, east}
    assert set(find(app, "implant", group=group)) == {west_en, west_fr}
    assert set(find(app, "implant", tag="training")) == {west_en, east}
    assert find(app, "implant", lang="fr") == [west_fr]
    assert find(app, "implant", group="east-africa", tag="implants") == []
    assert find(app, "implant", tag="nothing-like-it") == []
    with app.app_context():
        with pytest.raises(InvalidInput) as bad:
            search_service.search(None, "implant", lang="de", tag="Bad Tag!")
        assert set(bad.value.fields) == {"lang", "tag"}
        with pytest.raises(NotFound):
            search_service.search(None, "implant", group="nowhere")


@pytest.mark.parametrize("q", ["", "   ", "x" * 201, "-only -exclusions", "!!! ???"])
def test_empty_too_long_or_wordless_queries_are_refused(app, q):
    with app.app_context():
        with pytest.raises(InvalidInput) as bad:
            search_service.search(None, q)
        assert "q" in bad.value.fields


def test_snippets_highlight_matches_and_escape_the_text(app, ask):
    qid = ask("Register hygiene at the clinic",
              body="Never paste <script>alert(1)</script> into the clinic register & ledger.")
    [(found_id, _rank, snippet)], _total = results(app, "registers")
    assert found_id == qid
    assert "<mark>register</mark>" in snippet
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in snippet
    assert "<script>" not in snippet and "&amp;" in snippet
    # Accents and endings are highlighted as written.
    ask("Les méthodes de planification", body="Quelles méthodes choisir en premier ?",
        lang="fr")
    [(_id, _r, snippet)], _t = results(app, "methode")
    assert "<mark>méthodes</mark>" in snippet


def test_long_body_snippet_centres_on_the_matches(app, ask):
    filler = " ".join(f"word{n}" for n in range(200))
    ask("A long question about many things", body=f"{filler} the midwife rota {filler}")
    [(_id, _rank, snippet)], _total = results(app, "midwife")
    assert snippet.startswith("… ") and snippet.endswith(" …")
    assert "<mark>midwife</mark>" in snippet and len(snippet) < 400


# -- the index follows writes -----------------------------------------------------------


def test_index_follows_question_edits(app, ask, people):
    qid = ask("Storage of implants at the depot", body="The depot is damp.")
    assert find(app, "damp") == [qid]
    with app.app_context():
        qa.edit_question(as_user(app, people["asker"]), qid, title="Storage of pills at the depot",
                         body="The depot is hot.")
    assert find(app, "damp") == []
    assert find(app, "implants") == []
    assert find(app, "hot pills") == [qid]


def test_answers_are_searched_and_leave_the_index_when_deleted(app, ask, people, make_post):
    qid = ask("Who supplies the health posts?", body="Asking for the district.")
    answer = make_post(people["helper"], question_id=qid, body="The regional pharmacy warehouse.")
    make_post(people["asker"], parent_id=answer, body="Thanks, the zanzibarwarehouse.")
    [(hit_id, _rank, snippet)], _total = results(app, "pharmacy")
    assert hit_id == qid and "<mark>pharmacy</mark>" in snippet  # snippet from the answer
    assert find(app, "zanzibarwarehouse") == []  # replies are not indexed
    with app.app_context():
        qa.edit_post(as_user(app, people["helper"]), answer, "The central medical stores.")
    assert find(app, "pharmacy") == []
    assert find(app, "medical stores") == [qid]
    with app.app_context():
        qa.delete_post(as_user(app, people["helper"]), answer)
    assert find(app, "medical") == []
    assert find(app, "district") == [qid]


def test_deleted_questions_are_not_found(app, ask, people):
    qid = ask("Temporary question about ultrasound", body="Ultrasound for dating.")
    with app.app_context():
        qa.delete_question(as_user(app, people["asker"]), qid)
    assert find(app, "ultrasound") == []
    assert find(app, "ultrasound", people["mod"]) == []
    with app.app_context():
        assert similar_questions(None, "ultrasound question") == []


def test_rebuild_index_restores_every_live_question(app, ask, people, make_post):
    kept = ask("Partograph use in maternity wards", body="Paper or tablet?")
    make_post(people["helper"], question_id=kept, body="Tablets with offline sync.")
    gone = ask("Partograph question to delete", body="Soon gone.")
    with app.app_context():
        qa.delete_question(as_user(app, people["asker"]), gone)
        with unit_of_work():
            db.session.execute(db.text("DELETE FROM question_fts"))
    assert find(app, "partograph") == []
    with app.app_context():
        assert search_service.rebuild_index() == 1
    assert find(app, "partograph") == [kept]
    assert find(app, "offline sync") == [kept]


# -- privacy ----------------------------------------------------------------------------


@pytest.fixture
def private_canary(app, people, make_group, make_question, make_post, join):
    """A private group `inner` (asker and helper are members) whose thread holds canaries."""
    make_group("inner", private=True)
    join(people["asker"], "inner", private=True)
    join(people["helper"], "inner", private=True)
    qid = make_question(people["asker"], "inner", title="Zebracanary stock question inside",
                        body="The zebracanary body text.", tags=["secret-tag"])
    make_post(people["helper"], question_id=qid, body="An answercanary reply.")
    return qid


def test_private_questions_are_found_by_members_only(app, people, private_canary, ask):
    public = ask("Zebracanary in a public question", body="Public text.")
    for who in (None, people["outsider"], people["mod"]):
        assert find(app, "zebracanary") == [public], who
        assert find(app, "answercanary", who) == []
    assert set(find(app, "zebracanary", people["helper"])) == {public, private_canary}
    assert find(app, "answercanary", people["asker"]) == [private_canary]
    assert set(find(app, "zebracanary", people["admin"])) == {public, private_canary}
    with app.app_context():
        outsider = as_user(app, people["outsider"])
        with pytest.raises(NotFound):
            search_service.search(outsider, "zebracanary", group="inner")
        assert [q.id for q in similar_questions(outsider, "zebracanary stock")] == [public]
        assert [q.id for q in similar_questions(None, "zebracanary stock")] == [public]
        member = as_user(app, people["helper"])
        assert [q.id for q in similar_questions(member, "zebracanary stock")] == [
            private_canary, public]


def test_private_questions_stay_out_of_the_page_and_the_api(app, people, private_canary,
                                                            anon_client, api):
    for path in ("/search?q=zebracanary", "/search?q=answercanary",
                 "/search?q=secret&tag=secret-tag"):
        body = anon_client.get(path).get_data(as_text=True)
        assert "canary" not in body.replace("zebracanary", "").replace("answercanary", "")
        assert "Zebracanary stock question" not in body
    assert anon_client.get("/search?q=zebracanary&group=inner").status_code == 404
    response = api.get("/api/v1/search?q=zebracanary")
    assert response.status_code == 200 and response.get_json()["items"] == []
    api.login("outsider", "correct horse battery")
    assert api.get("/api/v1/search?q=answercanary").get_json()["total"] == 0
    assert api.get("/api/v1/search?q=zebracanary&group=inner").status_code == 404
    api.login("helper", "correct horse battery")
    data = api.get("/api/v1/search?q=answercanary").get_json()
    assert [item["id"] for item in data["items"]] == [private_canary]


# -- the page ---------------------------------------------------------------------------


def test_search_page_shows_results_with_highlights(app, ask, anon_client):
    qid = ask("Vaccine carriers for outreach days", body="Which vaccine carrier lasts longest?",
              tags=["vaccines", "outreach"])
    page = anon_client.get("/search")
    assert page.status_code == 200 and 'name="q"' in page.get_data(as_text=True)
    response = anon_client.get("/search?q=vaccines")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'href="/questions/{qid}"' in html
    assert "Vaccine carriers for outreach days" in html
    assert "<mark>vaccine</mark>" in html
    assert "1 question found" in html
    empty = anon_client.get("/search?q=hysterectomy").get_data(as_text=True)
    assert "No questions match your search" in empty


def test_search_page_paginates(app, ask, anon_client):
    for n in range(25):
        ask(f"Misoprostol question number {n}", body=f"Dose question {n}.")
    first = anon_client.get("/search?q=misoprostol").get_data(as_text=True)
    assert first.count('class="q"') == 20 and "25 questions found" in first
    assert 'rel="next"' in first and "page=2" in first
    second = anon_client.get("/search?q=misoprostol&page=2").get_data(as_text=True)
    assert second.count('class="q"') == 5 and 'rel="prev"' in second


def test_search_page_refuses_bad_input_with_422(app, anon_client):
    response = anon_client.get("/search?q=" + "x" * 201)
    assert response.status_code == 422
    assert 'aria-invalid="true"' in response.get_data(as_text=True)
    assert anon_client.get("/search?q=implant&lang=de").status_code == 422


# -- the API ----------------------------------------------------------------------------


def test_api_search_answers_the_documented_shape(app, ask, people, make_post, api):
    qid = ask("Postpartum IUD insertion training", body="Who trains midwives?",
              tags=["iud"])
    make_post(people["helper"], question_id=qid, body="The regional hospital team.")
    response = api.get("/api/v1/search?q=hospital+iud&type=question&per_page=5")
    assert response.status_code == 200
    data = response.get_json()
    assert data["page"] == 1 and data["per_page"] == 5 and data["total"] == 1
    (item,) = data["items"]
    assert {"type", "id", "title", "snippet_html", "url", "rank"} <= set(item)
    assert item["type"] == "question" and item["id"] == qid
    assert item["url"] == f"/questions/{qid}" and item["title"].startswith("Postpartum")
    assert isinstance(item["rank"], float) and item["rank"] > 0
    assert item["group"] == "west-africa" and item["tags"] == ["iud"]
    # No FAQ entry matches, and people have no results here (the directory searches them).
    data = api.get("/api/v1/search?q=iud&type=faq,user").get_json()
    assert data["items"] == [] and data["total"] == 0
    assert api.get("/api/v1/search?q=iud&type=question,faq").get_json()["total"] == 1


@pytest.mark.parametrize(
    ("query", "field"),
    [("", "q"), ("q=", "q"), ("q=" + "y" * 201, "q"), ("q=-alone", "q"),
     ("q=iud&type=posts", "type"), ("q=iud&lang=de", "lang"), ("q=iud&tag=Bad%20Tag", "tag"),
     ("q=iud&per_page=500", "per_page"), ("q=iud&page=0", "page")],
)
def test_api_search_refuses_bad_input_with_422(app, api, query, field):
    response = api.get("/api/v1/search?" + query)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "invalid" and field in error["fields"]


def test_nul_bytes_and_odd_characters_never_cause_errors(app, ask, api, anon_client):
    qid = ask("Odd characters in a question", body="Tabs\tand émojis 🙂 and l’apostrophe.")
    assert find(app, "apostrophe\x00 🙂") == [qid]
    assert api.get("/api/v1/search?q=odd%00&group=west%00").status_code == 400
    assert api.get("/api/v1/search?q=%00%00").status_code == 400
    assert anon_client.get("/search?q=odd&tag=%00").status_code == 400
    assert api.get("/api/v1/search?q=" + "%E2%80%8B" * 3).status_code == 422
    for query in ('"', '-"', '"unclosed phrase', "a:b OR NOT (x)", "* ^ \\ '; --", "NEAR(a b)"):
        assert api.get("/api/v1/search", query_string={"q": query}).status_code in (200, 422)


def test_api_search_refuses_a_bad_token(app, api):
    response = api.get("/api/v1/search?q=iud", token="not-a-token")
    assert response.status_code == 401


# -- similar questions ------------------------------------------------------------------


def test_similar_questions_returns_up_to_five_best_first(app, ask):
    best = ask("Heavy bleeding after implant insertion", body="Week two, heavy bleeding.")
    second = ask("Bleeding with the implant", body="Some spotting.")
    others = [ask(f"Implant question {n}", body=f"Detail {n}.") for n in range(5)]
    ask("Unrelated question on condoms", body="Nothing in common.")
    with app.app_context():
        found = [q.id for q in similar_questions(None, "Heavy bleeding after my implant?")]
        assert found[:2] == [best, second]
        assert len(found) == 5 and set(found[2:]) <= set(others)
        assert len(similar_questions(None, "implant", limit=3)) == 3
        assert similar_questions(None, "") == []
        assert similar_questions(None, "the and of") == []


# -- query counts -----------------------------------------------------------------------


def test_a_search_runs_a_fixed_number_of_queries(app, ask, people, make_post):
    for n in range(3):
        ask(f"Injectable question number {n}", body=f"Injectable detail {n}.",
            tags=[f"tag-{n}", "shared"])
    with counting(app) as small:
        assert len(find(app, "injectable", people["helper"])) == 3
    for n in range(3, 15):
        ask(f"Injectable question number {n}", body=f"Injectable detail {n}.",
            tags=[f"tag-{n}", "shared"], author="helper")
    with counting(app) as large:
        assert len(find(app, "injectable", people["helper"])) == 15
    # (Both searches follow index writes: the vocabulary and the moderators' thesaurus
    # concepts are read again, two statements of the seven.)
    assert len(large) == len(small) <= 7, large
