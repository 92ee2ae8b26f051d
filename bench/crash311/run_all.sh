#!/bin/sh
# Run both standalone reproductions on each interpreter given (default: the ones found).
#   sh bench/crash311/run_all.sh [python ...]
# gc_in_setattr.py needs nothing; sqlalchemy_session_close.py needs SQLAlchemy 2.x importable
# by that interpreter (it is skipped otherwise). Each line: exit code and the script's verdict.
cd "$(dirname "$0")"
if [ $# -eq 0 ]; then
  set --
  for p in /usr/bin/python3.11 python3.11-dbg "$HOME"/.pyenv/versions/3.11*/bin/python \
           "$HOME"/.pyenv/versions/3.12*/bin/python "$HOME"/.pyenv/versions/3.13*/bin/python \
           ../../.venv/bin/python; do
    command -v "$p" >/dev/null 2>&1 && set -- "$@" "$p"
  done
fi
for py in "$@"; do
  version=$("$py" -c 'import sys; print(sys.version.split()[0])')
  out=$("$py" gc_in_setattr.py 2>&1); rc=$?
  out=$(printf '%s\n' "$out" | grep -E 'survived|Assertion' | tail -n 1)
  echo "$py ($version) gc_in_setattr.py: exit $rc${out:+ | $out}"
  if "$py" -c 'import sqlalchemy' 2>/dev/null; then
    "$py" sqlalchemy_session_close.py >/dev/null 2>&1; rc=$?
    sa=$("$py" -c 'import sqlalchemy; print(sqlalchemy.__version__)')
    echo "$py ($version, SQLAlchemy $sa) sqlalchemy_session_close.py: exit $rc"
    "$py" sqlalchemy_session_close.py 50 --workaround >/dev/null 2>&1; rc=$?
    echo "$py ($version, SQLAlchemy $sa) sqlalchemy_session_close.py --workaround: exit $rc"
  fi
done
echo "exit 139 = SIGSEGV, 134 = SIGABRT (a failed assertion in a debug build), 0 = survived"
