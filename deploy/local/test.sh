#!/usr/bin/env bash
# Runs every test level against real servers: build, proto check, lint, unit, integration, end-to-end,
# API fuzzing.
# Starts the local stack (deploy/local/stack.sh) when it is not up. This is `npm test`.
#
#   npm test                   everything
#   npm test -- unit           one level: unit | integration | e2e | static (build, proto check, lint)
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
if [ ! -d node_modules ]; then npm ci --no-audit --no-fund || exit 1; fi
LEVELS=("${@:-all}")
want() { [[ " ${LEVELS[*]} " == *" all "* || " ${LEVELS[*]} " == *" $1 "* ]]; }

REPORT_DIR="$ROOT/tmp/test-reports"
mkdir -p "$REPORT_DIR"
rm -f "$REPORT_DIR"/*.json
declare -a FAILED_STEPS=()
step() { # name, command...
  local name="$1"; shift
  printf '\n=== %s ===\n' "$name"
  local t0=$SECONDS
  if "$@"; then printf -- '--- %s: ok (%ss)\n' "$name" $((SECONDS - t0)); else
    printf -- '--- %s: FAILED (%ss)\n' "$name" $((SECONDS - t0)); FAILED_STEPS+=("$name"); fi
}
jest_level() { # project-name report-name extra-args...
  local project="$1" report="$2"; shift 2
  npx jest --selectProjects "$project" --json --outputFile="$REPORT_DIR/$report.json" "$@"
}

if want integration || want e2e; then
  step "local stack up" bash deploy/local/stack.sh up
  eval "$(bash deploy/local/stack.sh env)"
fi
if want static || want e2e; then
  step "build (tsc -b, strict)" npm run --silent build
fi
if want static; then
  step "protobuf lint, breaking and staleness" bash proto/proto.sh check
  step "local identity provider realm up to date" node deploy/local/keycloak/realm.mjs --check
  step "lint (nx run-many -t lint)" npx nx run-many -t lint --outputStyle=static
  step "formatting (prettier --check)" npx prettier --check . --log-level warn
fi
want unit && step "unit tests" jest_level unit unit
# --forceExit: a test that times out can leave a Kafka client running; the run must still end.
want integration && step "integration tests (real PostgreSQL, Kafka, ClickHouse)" jest_level integration integration --runInBand --forceExit --testTimeout=60000
want e2e && step "end-to-end tests (services as processes)" jest_level e2e e2e --runInBand --forceExit --testTimeout=240000
# Schemathesis against the OpenAPI document of every REST service it knows, with real tokens of two
# scopes, every check on (libs/api-fuzz; docs/testing.md).
want e2e && step "API fuzzing (Schemathesis, OpenAPI conformance)" bash libs/api-fuzz/api-fuzz.sh --no-build --report "$REPORT_DIR/api-fuzz.json"

# One summary line over every level that ran: "N passed, N failed".
node -e '
  const fs = require("fs"); const dir = process.argv[1];
  let passed = 0, failed = 0, skipped = 0; const parts = [];
  for (const f of fs.readdirSync(dir).filter((f) => f.endsWith(".json")).sort()) {
    const r = JSON.parse(fs.readFileSync(dir + "/" + f, "utf8"));
    passed += r.numPassedTests; failed += r.numFailedTests; skipped += r.numPendingTests + r.numTodoTests;
    parts.push(`${f.replace(".json", "")} ${r.numPassedTests}/${r.numTotalTests}`);
  }
  console.log("\nby level: " + (parts.join(", ") || "none"));
  fs.writeFileSync(dir + "/summary.txt", `${passed} passed, ${failed} failed, ${skipped} skipped\n`);
' "$REPORT_DIR"
if ((${#FAILED_STEPS[@]})); then echo "failed steps: ${FAILED_STEPS[*]}"; fi
echo "tests: $(cat "$REPORT_DIR/summary.txt")"
((${#FAILED_STEPS[@]} == 0))
