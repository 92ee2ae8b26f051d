"""The evaluation corpus: the demo community plus the distractor threads, in a database."""

from sqlalchemy import select

from forum import mail
from forum.demo import seed_demo
from forum.extensions import db
from forum.models import Question, User
from forum.services import search
from forum.services.qa import ask_question, post_answer
from tests.search_eval.distractors import threads

# Members of each group who ask and answer the distractor threads (demo usernames).
PEOPLE = {
    "east-africa": ["joseph", "achieng", "otieno"],
    "west-africa-anglophone": ["kofi", "amina", "joseph"],
    "south-asia": ["rahul", "siti", "nasrin"],
    "west-africa": ["awa", "mariam", "fatou"],
}


def seed_corpus() -> dict[str, int]:
    """Seed the demo content and the distractors (inside an app context, on an empty
    database with the search structures installed); returns {title: question id}."""
    seed_demo()
    users = {u.username: u for u in db.session.scalars(select(User))}
    with mail.suppressed():
        for n, spec in enumerate(threads()):
            asker, answerer, _third = PEOPLE[spec["group"]][n % 3:] + \
                PEOPLE[spec["group"]][:n % 3]
            question = ask_question(users[asker], title=spec["title"], body=spec["body"],
                                    group=spec["group"], tags=spec["tags"], lang=spec["lang"],
                                    system=True)
            post_answer(users[answerer], question.id, spec["answer"], lang=spec["lang"],
                        system=True)
    search.rebuild_index()
    return dict(db.session.execute(select(Question.title, Question.id)).all())
