#!/usr/bin/env bash
# The API fuzzing stage: Schemathesis (from PyPI, in its own virtual environment) against the OpenAPI
# document of every REST service, started on the running local stack with a little data, once with a
# real token of each of two scopes, every check on. Exits non-zero on any failure.
#
#   bash libs/api-fuzz/api-fuzz.sh [--services attendance] [--max-examples 100] [--workers 2]
#
# Needs the local stack up (deploy/local/stack.sh up) with its OpenID Connect provider, and Python 3.9+.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
SCHEMATHESIS_VERSION=4.32.5
VENV="${REALNAME_SCHEMATHESIS_VENV:-${HOME:-/root}/.cache/realname/schemathesis-${SCHEMATHESIS_VERSION}}"
PYTHON="${PYTHON:-python3}"

# The virtual environment is made once and reused while it holds the pinned version.
if ! "$VENV/bin/schemathesis" --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION"; then
  echo "api-fuzz: installing schemathesis==$SCHEMATHESIS_VERSION into $VENV"
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi

[ -d node_modules ] || npm ci --no-audit --no-fund
eval "$(bash deploy/local/stack.sh env)"
if [ -z "${REALNAME_OIDC_ISSUER:-}" ]; then
  echo "api-fuzz: the local stack runs without its OpenID Connect provider: the services need one" >&2
  exit 1
fi
# The tool and the services it starts (each target's service is built by the tool).
npx tsc -b libs/api-fuzz
SCHEMATHESIS="$VENV/bin/schemathesis" exec node libs/api-fuzz/dist/cli.js "$@"
