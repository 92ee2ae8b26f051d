"""SQLAlchemy + sqlite3 on CPython 3.11: closing a Session whose loaded objects are held
only by cyclic garbage crashes the interpreter. No web framework, no templates.

    python sqlalchemy_session_close.py [rounds] [--no-fill] [--workaround] [--forum]
                                       [--gc-off] [--gc-threshold=N]

Session.close() -> InstanceState._detach_states() stores `_strong_obj` on every state. When
that name is not in InstanceState's shared keys (3.11 keeps about 30 names there; a
long-running process fills them), the store builds the state's __dict__, the allocation
may start a GC, the GC frees the state's object and calls InstanceState._cleanup() (the
weakref callback), which stores attributes on that same state: CPython 3.11 then frees the
state's attribute values twice (see gc_in_setattr.py beside this file).

Exit 139 (SIGSEGV) on CPython 3.11.2 and 3.11.7 with SQLAlchemy 2.1.9 at the default GC
thresholds; SQLAlchemy 2.0.58 needs --gc-threshold=100 here (the GC timing differs).
--no-fill, --gc-off and --workaround (a real __dict__ for every new InstanceState) avoid it;
--forum imports forum.extensions, which puts the same protection in place as the forum does
(tests/test_cpython311.py runs it); 3.12 and 3.13 never crash.
"""
import gc
import sys

from sqlalchemy import ForeignKey, create_engine, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship
from sqlalchemy.orm.state import InstanceState

if "--workaround" in sys.argv:
    # Workaround on 3.11: give every InstanceState a real __dict__ when it is created, so
    # that no later attribute store has to build one (reading __dict__ builds it).
    _init = InstanceState.__init__

    def _init_with_dict(self, obj, manager):
        self.__dict__  # noqa: B018 - reading it builds the dict
        _init(self, obj, manager)

    InstanceState.__init__ = _init_with_dict
if "--forum" in sys.argv:
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    import forum.extensions  # noqa: F401  (its import protects InstanceState on 3.11)
if "--gc-off" in sys.argv:
    gc.disable()
for arg in sys.argv[1:]:
    if arg.startswith("--gc-threshold="):
        gc.set_threshold(int(arg.split("=", 1)[1]))


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str]


class Post(Base):
    __tablename__ = "posts"
    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str]
    author: Mapped[User] = relationship(lazy="joined")


class Node:
    """A view object that points back at itself (like a tree node with a parent link)."""

    def __init__(self, post):
        self.post = post
        self.me = self


engine = create_engine("sqlite://")
Base.metadata.create_all(engine)
with engine.begin() as conn:  # Core inserts: no ORM state touched yet
    conn.execute(User.__table__.insert(), [{"id": i, "name": f"u{i}"} for i in range(50)])
    conn.execute(Post.__table__.insert(),
                 [{"author_id": i % 50, "body": "x" * 200} for i in range(300)])

_fillers = []
if "--no-fill" not in sys.argv:
    # A long-running application stores many different attribute names on InstanceState
    # objects over time (a load stores key, identity_token, session_id, _instance_dict,
    # load_options, load_path, runid; closing a session then stores _strong_obj; other
    # paths store others). CPython 3.11 keeps at most about 30 names in a class's shared
    # keys; once they are full, storing a name that is not among them builds that
    # state's __dict__ on the spot, which allocates and may run the GC. Here: the names a
    # load stores, then filler names until the shared keys are full, so that
    # _strong_obj, stored when a session closes, is not among them.
    st = InstanceState.__new__(InstanceState)
    for name in ("key", "identity_token", "session_id", "_instance_dict", "load_options",
                 "load_path", "runid"):
        setattr(st, name, None)
    _fillers.append(st)
    for i in range(60):
        st = InstanceState.__new__(InstanceState)
        setattr(st, f"_filler_{i}", None)
        _fillers.append(st)

rounds = int(next((a for a in sys.argv[1:] if a.isdigit()), "50"))
for _ in range(rounds):
    with Session(engine) as s:
        nodes = [Node(p) for p in s.scalars(select(Post)).unique()]
        del nodes  # the posts are now reachable only from cyclic garbage
        # leaving the block closes the session: _detach_states() stores attributes on
        # every state; a GC triggered there frees the posts and runs
        # InstanceState._cleanup() on the very state being written
print(f"Python {sys.version.split()[0]}: {rounds} rounds survived")
