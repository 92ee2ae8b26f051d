"""Flask extensions, created unbound and initialised by create_app()."""

import sys

from flask_babel import Babel
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_socketio import SocketIO
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.orm.state import InstanceState


def protect_instance_states_on_cpython_311() -> bool:
    """Work around a CPython 3.11 bug that crashed worker processes (docs/known-issues.md).

    On 3.11 the garbage collector can run inside an attribute store that builds an object's
    `__dict__`; when SQLAlchemy's weakref callback (InstanceState._cleanup) then stores on the
    same state, its attribute values are freed twice and the process later dies with SIGSEGV.
    Giving every InstanceState its `__dict__` when it is made (reading it builds it) means no
    later store has to build one. 3.12 and newer run the collector only between bytecodes:
    nothing to do there. Returns whether the protection is (now) in place.
    """
    if sys.version_info[:2] != (3, 11):
        return False
    init = InstanceState.__init__
    if getattr(init, "tacit_protected", False):
        return True

    def init_with_dict(self, obj, manager):
        self.__dict__  # noqa: B018 - the read builds the dict, outside any collection
        init(self, obj, manager)

    init_with_dict.tacit_protected = True
    InstanceState.__init__ = init_with_dict
    return True


protect_instance_states_on_cpython_311()

# A naming convention gives every constraint a stable name, so Alembic can alter and drop
# them on SQLite (batch mode) and PostgreSQL alike.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
socketio = SocketIO()


def _no_request_key() -> str:
    # Limits are applied by forum/ratelimit.py with explicit keys, never per route.
    return "unused"


limiter = Limiter(key_func=_no_request_key, default_limits=[])
