#!/usr/bin/env bash
# Protobuf toolchain (see docs/adr/0003-protobuf-toolchain.md).
#
#   bash proto/proto.sh generate   regenerate libs/proto/src/generated from proto/   (npm run proto:gen)
#   bash proto/proto.sh lint       buf lint (STANDARD, configured in proto/buf.yaml)
#   bash proto/proto.sh breaking   buf breaking (FILE) against the `main` branch; skipped without a baseline
#   bash proto/proto.sh check      lint + breaking + fail if the committed generated code is stale (npm run proto:check)
#
# Environment:
#   PROTO_BREAKING_BRANCH   baseline branch for `breaking` (default: main)
#   PROTO_BREAKING_AGAINST  full buf input to compare against instead, e.g.
#                           '.git#ref=origin/main,subdir=proto' (relative to the repo root) or a remote git URL
#
# buf and protoc-gen-ts_proto both come from node_modules (npm packages @bufbuild/buf and ts-proto);
# nothing is downloaded and no buf registry is used.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PROTO_DIR="$ROOT/proto"
# Must match `out:` in proto/buf.gen.yaml (which is relative to proto/).
GEN_REL="libs/proto/src/generated"
GEN_DIR="$ROOT/$GEN_REL"
PLUGIN="$ROOT/node_modules/.bin/protoc-gen-ts_proto"

log() { printf '[proto] %s\n' "$*" >&2; }
die() { printf '[proto] ERROR: %s\n' "$*" >&2; exit 1; }

buf() {
  if [[ -x "$ROOT/node_modules/.bin/buf" ]]; then
    "$ROOT/node_modules/.bin/buf" "$@"
  else
    npx --no-install buf "$@"
  fi
}

require_plugin() {
  [[ -x "$PLUGIN" ]] || die "ts-proto plugin not found at $PLUGIN (run npm ci at the repo root)"
}

# buf generate into <base>/$GEN_REL. buf.gen.yaml has `out: ../libs/proto/src/generated`,
# so with `-o <base>/proto` the files land in <base>/libs/proto/src/generated.
generate_into() {
  local base="$1"
  require_plugin
  (cd "$PROTO_DIR" && buf generate -o "$base/proto")
  [[ -d "$base/$GEN_REL" ]] || die "buf generate produced nothing under $base/$GEN_REL; does 'out:' in proto/buf.gen.yaml still point at ../$GEN_REL?"
}

cmd_generate() {
  log "generating TypeScript into $GEN_REL"
  rm -rf "$GEN_DIR"
  generate_into "$ROOT"
  # Deliberately not formatted: ts-proto output is deterministic as is, and running prettier on it would
  # make the staleness check depend on the prettier version/config. $GEN_REL is listed in .prettierignore.
  log "done: $(find "$GEN_DIR" -type f -name '*.ts' | wc -l | tr -d ' ') file(s)"
}

cmd_lint() {
  log "buf lint (proto/)"
  (cd "$PROTO_DIR" && buf lint)
  log "lint ok"
}

cmd_breaking() {
  local against branch="${PROTO_BREAKING_BRANCH:-main}"
  if [[ -n "${PROTO_BREAKING_AGAINST:-}" ]]; then
    against="$PROTO_BREAKING_AGAINST"
  else
    if ! git -C "$ROOT" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
      log "breaking: SKIPPED - $ROOT is not a git work tree, no baseline to compare against"
      return 0
    fi
    if ! git -C "$ROOT" rev-parse --verify -q "refs/heads/$branch^{commit}" >/dev/null; then
      log "breaking: SKIPPED - no local branch '$branch' with commits yet, no baseline to compare against"
      return 0
    fi
    if ! git -C "$ROOT" ls-tree -r --name-only "refs/heads/$branch" -- proto/ | grep -q '\.proto$'; then
      log "breaking: SKIPPED - branch '$branch' has no .proto files under proto/ yet, no baseline to compare against"
      return 0
    fi
    against=".git#branch=$branch,subdir=proto"
  fi
  log "buf breaking (FILE) against $against"
  # Run from the repo root so that relative inputs such as '.git#...' resolve; the module under test is proto/.
  (cd "$ROOT" && buf breaking proto --against "$against")
  log "breaking ok"
}

cmd_check() {
  cmd_lint
  cmd_breaking
  local tmp
  tmp="$(mktemp -d "${TMPDIR:-/tmp}/proto-check.XXXXXX")"
  # shellcheck disable=SC2064
  trap "rm -rf '$tmp'" EXIT
  log "regenerating into a temp dir to compare with $GEN_REL"
  generate_into "$tmp"
  if [[ ! -d "$GEN_DIR" ]]; then
    die "generated code is stale: $GEN_REL does not exist - run npm run proto:gen"
  fi
  if ! diff -r "$tmp/$GEN_REL" "$GEN_DIR" >&2; then
    die "generated code is stale: run npm run proto:gen (and commit $GEN_REL)"
  fi
  log "generated code is up to date"
}

case "${1:-}" in
  generate) cmd_generate ;;
  lint) cmd_lint ;;
  breaking) cmd_breaking ;;
  check) cmd_check ;;
  *)
    echo "usage: bash proto/proto.sh {generate|lint|breaking|check}" >&2
    exit 2
    ;;
esac
