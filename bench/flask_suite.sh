#!/usr/bin/env bash
# Run Flask's own test suite and four extensions' suites, unmodified, against
# aioflask (through `pytest -p aioflask.flask_alias`) and against the real Flask.
#
#   bash bench/flask_suite.sh                 # all suites
#   bash bench/flask_suite.sh flask flask-cors  # some of them
#
# Needs PyPI: the sdists (which carry the tests) are downloaded once into
# .cache/flask-suite/ and their test dependencies installed into .venv-compat/,
# beside aioflask (editable), the real Flask and Werkzeug. Both directories are
# git-ignored; nothing from them is committed. Not part of `make test`.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="$ROOT/.cache/flask-suite"
VENV="$ROOT/.venv-compat"
PY="${PYTHON:-python3}"

# The releases measured; change them here, and the stamp below reinstalls.
SDISTS=(flask==3.1.3 flask-login==0.6.3 flask-wtf==1.3.0 flask-sqlalchemy==3.1.1 flask-cors==6.0.5)
# What the suites need to run, from each project's test requirements.
# pytest and Werkzeug as in Flask 3.1.3's lock file (pytest 9.1 dropped a name its tests
# import); SQLAlchemy 2.1 breaks Flask-SQLAlchemy 3.1.1's own tests, with the real Flask too.
TEST_DEPS=(pytest==9.0.2 pytest-timeout werkzeug==3.1.5 asgiref greenlet python-dotenv blinker
  semantic-version "sqlalchemy>=2.0.16,<2.1" Flask-Babel flask-reuploaded)

quiet_pip() {
  # pip's warnings about unreachable extra indexes are noise here.
  "$VENV/bin/python" -m pip --disable-pip-version-check "$@" 2>&1 | grep -v '^WARNING: Location' || true
}

mkdir -p "$CACHE/sdists" "$CACHE/src"
# Reinstall when the measured releases, their test deps or aioflask's own deps change.
stamp="$CACHE/installed-$( { printf '%s ' "${SDISTS[@]}" "${TEST_DEPS[@]}"; cat "$ROOT/pyproject.toml"; } | cksum | cut -d' ' -f1)"

if [ ! -x "$VENV/bin/python" ]; then
  "$PY" -m venv "$VENV"
fi

for req in "${SDISTS[@]}"; do
  name="${req%%==*}"
  version="${req##*==}"
  found=""
  for archive in "$CACHE"/sdists/*.tar.gz; do
    # Sdist names vary in case and in '-' against '_' (Flask-Login-0.6.3, flask_wtf-1.3.0).
    normal="$(basename "$archive" | tr 'A-Z_' 'a-z-')"
    if [ "$normal" = "${name}-${version}.tar.gz" ]; then found=1; fi
  done
  if [ -z "$found" ]; then
    quiet_pip download --quiet --no-deps --no-binary :all: "$req" -d "$CACHE/sdists"
  fi
done

for archive in "$CACHE"/sdists/*.tar.gz; do
  dir="$CACHE/src/$(basename "$archive" .tar.gz)"
  [ -d "$dir" ] || tar -xzf "$archive" -C "$CACHE/src"
done

if [ ! -f "$stamp" ]; then
  quiet_pip install --quiet -e "$ROOT"
  quiet_pip install --quiet "${SDISTS[0]}" "${TEST_DEPS[@]}"
  # The extensions from the same sdists whose tests run (their deps pull nothing new).
  quiet_pip install --quiet "$CACHE"/sdists/[Ff]lask[-_][a-zA-Z]*.tar.gz
  touch "$stamp"
fi

exec "$VENV/bin/python" "$ROOT/bench/flask_suite.py" --src "$CACHE/src" "$@"
