#!/usr/bin/env bash
# The platform on this machine with simulated devices: starts the local stack (real PostgreSQL,
# ClickHouse and Kafka), builds and starts the services and the integrity-platform simulator, enters
# workers on the registry's projects, puts one simulated gate device of every family (ZKTeco, Hikvision
# through a site agent, Uface, HTTPv2, open protocol) on each project, lets the platform push the
# workers to the devices, and has the workers punch, with a progress display until Ctrl-C. Reporting
# uploads the day's attendance as it happens to a simulated national platform (realname-uplink-simulators,
# libs/uplink-simulators): the site registers each project's keys there and puts them into reporting.
# The services check OAuth 2.0 access tokens of the stack's Keycloak (REALNAME_OIDC_ISSUER); the demo site
# gets its own from there (libs/demo: dev-hz, municipal-hangzhou, hz-city, ops) and renews them, and the
# gateway fetches head photos as its client svc-device-gateway, reporting ID numbers and head photos as
# svc-reporting. The printed examples show how to get one.
# This is `npm run demo`.
#
# Ports (override with the variables): gateway http 8081, attendance http 8082, attendance gRPC 9082,
# registry http 8083, reporting http 8084 and gRPC 9084, integrity simulator 8090, national simulator 8095 (admin API 8096).
# Extra arguments go to the demo site (e.g. `npm run demo -- --projects 2 --workers 12 --speed 10`).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
GATEWAY_PORT="${GATEWAY_HTTP_PORT:-8081}"
ATTENDANCE_PORT="${ATTENDANCE_HTTP_PORT:-8082}"
GRPC_PORT="${ATTENDANCE_GRPC_PORT:-9082}"
REGISTRY_PORT="${REGISTRY_HTTP_PORT:-8083}"
INTEGRITY_PORT="${INTEGRITY_SIMULATOR_PORT:-8090}"
REPORTING_PORT="${REPORTING_HTTP_PORT:-8084}"
REPORTING_GRPC="${REPORTING_GRPC_PORT:-9084}"
NATIONAL_PORT="${NATIONAL_SIMULATOR_PORT:-8095}"
NATIONAL_ADMIN_PORT="${NATIONAL_SIMULATOR_ADMIN_PORT:-8096}"
RUN_DIR="$ROOT/.local-stack/demo"
mkdir -p "$RUN_DIR"

[ -d node_modules ] || npm ci --no-audit --no-fund
bash deploy/local/stack.sh up
eval "$(bash deploy/local/stack.sh env)"
echo "building ..."
npm run --silent build

for port in "$GATEWAY_PORT" "$ATTENDANCE_PORT" "$GRPC_PORT" "$REGISTRY_PORT" "$INTEGRITY_PORT" \
  "$REPORTING_PORT" "$REPORTING_GRPC" "$NATIONAL_PORT" "$NATIONAL_ADMIN_PORT"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "port $port is already in use (an earlier demo still running?). Stop it or set GATEWAY_HTTP_PORT / ATTENDANCE_HTTP_PORT / ATTENDANCE_GRPC_PORT / REGISTRY_HTTP_PORT / INTEGRITY_SIMULATOR_PORT / REPORTING_HTTP_PORT / REPORTING_GRPC_PORT / NATIONAL_SIMULATOR_PORT / NATIONAL_SIMULATOR_ADMIN_PORT." >&2
    exit 1
  fi
done

# Every API wants an OAuth 2.0 access token from the local OpenID Connect issuer (Keycloak of the stack,
# REALNAME_OIDC_ISSUER); the demo site gets its own tokens. Local test passwords and client secrets are
# read from the realm file.
if [ -z "${REALNAME_OIDC_ISSUER:-}" ]; then
  echo "the local stack runs without its OpenID Connect provider (REALNAME_OIDC=off?): the services need one" >&2
  exit 1
fi
REALM_FILE="$ROOT/deploy/local/keycloak/realname-realm.json"
realm_secret() { # user name or client id -> its local password / secret
  node -e 'const r = require(process.argv[1]); const n = process.argv[2];
    const v = r.users.find((u) => u.username === n)?.credentials?.[0]?.value ?? r.clients.find((c) => c.clientId === n)?.secret;
    if (!v) { console.error(`no ${n} in ${process.argv[1]}`); process.exit(1); } process.stdout.write(v);' "$REALM_FILE" "$1"
}
# The gateway fetches workers' faces from the registry as this machine client (client credentials).
GATEWAY_CLIENT_ID=svc-device-gateway
GATEWAY_CLIENT_SECRET="$(realm_secret "$GATEWAY_CLIENT_ID")"
# Reporting reveals workers' ID numbers and fetches head photos in the registry as its own client.
REPORTING_CLIENT_ID=svc-reporting
REPORTING_CLIENT_SECRET="$(realm_secret "$REPORTING_CLIENT_ID")"
# A Keycloak started before the client was added to the realm file does not know it (the realm is imported at start).
if ! curl -fs -o /dev/null -d grant_type=client_credentials -d client_id="$REPORTING_CLIENT_ID" \
  -d client_secret="$REPORTING_CLIENT_SECRET" "$REALNAME_OIDC_ISSUER/protocol/openid-connect/token"; then
  echo "warning: the stack's Keycloak does not know $REPORTING_CLIENT_ID yet (started before it was added to the realm):" \
    "reporting cannot read ID numbers, so workers and attendance wait upstream. 'npm run stack -- restart keycloak' imports it." >&2
fi
OIDC_COMMON=(OIDC_ISSUER_URL="$REALNAME_OIDC_ISSUER" OIDC_AUDIENCE=realname-api)
# Personal-data keys of the demo: made once, kept with the demo's data (stored numbers stay readable).
KEYS="$RUN_DIR/personal-data-keys.env"
if [ ! -f "$KEYS" ]; then
  node -e 'const r=()=>require("crypto").randomBytes(32).toString("base64");
    console.log(`PII_KEYS=demo1:${r()}\nPII_ACTIVE_KEY_ID=demo1\nPII_HASH_KEY=${r()}\nINTEGRITY_API_KEY=${require("crypto").randomBytes(12).toString("hex")}`)' >"$KEYS"
  chmod 600 "$KEYS"
fi
# Device secrets at rest (the gateway's key), added to a keys file of an earlier demo that has none.
if ! grep -q '^DEVICE_SECRET_KEYS=' "$KEYS"; then
  node -e 'console.log(`DEVICE_SECRET_KEYS=demo1:${require("crypto").randomBytes(32).toString("base64")}\nDEVICE_SECRET_ACTIVE_KEY_ID=demo1`)' >>"$KEYS"
fi
# shellcheck disable=SC1090
set -a; . "$KEYS"; set +a
PIDS=()
cleanup() {
  trap - INT TERM EXIT
  echo
  echo "stopping the services (the local stack keeps running: 'npm run stack -- down' stops it) ..."
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup INT TERM EXIT

start() { # name, env...
  local name="$1"; shift
  env "$@" KAFKAJS_NO_PARTITIONER_WARNING=1 node "services/$name/dist/main.js" >"$RUN_DIR/$name.log" 2>&1 &
  PIDS+=($!)
}
# The provincial integrity platform, simulated: projects, units and key personnel of the demo region.
node libs/integrity-simulator/dist/cli.js --port "$INTEGRITY_PORT" --api-key "$INTEGRITY_API_KEY" --seed 13 --projects 3 \
  >"$RUN_DIR/integrity-simulator.log" 2>&1 &
PIDS+=($!)
start worker-registry DATABASE_URL="$REALNAME_PG_URL" KAFKA_BROKERS="$REALNAME_KAFKA_BROKERS" \
  REGISTRY_HTTP_PORT="$REGISTRY_PORT" INTEGRITY_URL="http://127.0.0.1:$INTEGRITY_PORT" INTEGRITY_API_KEY="$INTEGRITY_API_KEY" \
  INTEGRITY_SYNC_INTERVAL_S=60 PII_KEYS="$PII_KEYS" PII_ACTIVE_KEY_ID="$PII_ACTIVE_KEY_ID" PII_HASH_KEY="$PII_HASH_KEY" \
  "${OIDC_COMMON[@]}"
start device-gateway DATABASE_URL="$REALNAME_PG_URL" KAFKA_BROKERS="$REALNAME_KAFKA_BROKERS" \
  GATEWAY_HTTP_PORT="$GATEWAY_PORT" "${OIDC_COMMON[@]}" \
  OIDC_CLIENT_ID="$GATEWAY_CLIENT_ID" OIDC_CLIENT_SECRET="$GATEWAY_CLIENT_SECRET" \
  DEVICE_SECRET_KEYS="$DEVICE_SECRET_KEYS" DEVICE_SECRET_ACTIVE_KEY_ID="$DEVICE_SECRET_ACTIVE_KEY_ID" \
  REGISTRY_URL="http://127.0.0.1:$REGISTRY_PORT"
start attendance DATABASE_URL="$REALNAME_PG_URL" KAFKA_BROKERS="$REALNAME_KAFKA_BROKERS" \
  CLICKHOUSE_URL="$REALNAME_CLICKHOUSE_URL" ATTENDANCE_HTTP_PORT="$ATTENDANCE_PORT" ATTENDANCE_GRPC_URL="127.0.0.1:$GRPC_PORT" \
  "${OIDC_COMMON[@]}"
# The national platform, simulated: it knows each project once the demo site registers its keys (admin API).
# Its holdings are kept with the demo's data, as reporting's ledger is: what went up stays up on the next run.
node libs/uplink-simulators/dist/cli.js --port "$NATIONAL_PORT" --admin-port "$NATIONAL_ADMIN_PORT" --async-delay-ms 500 \
  --state "$RUN_DIR/national-simulator-state.json" >"$RUN_DIR/national-simulator.log" 2>&1 &
PIDS+=($!)
start reporting DATABASE_URL="$REALNAME_PG_URL" KAFKA_BROKERS="$REALNAME_KAFKA_BROKERS" \
  REPORTING_HTTP_PORT="$REPORTING_PORT" REPORTING_GRPC_URL="127.0.0.1:$REPORTING_GRPC" "${OIDC_COMMON[@]}" \
  PII_KEYS="$PII_KEYS" PII_ACTIVE_KEY_ID="$PII_ACTIVE_KEY_ID" PII_HASH_KEY="$PII_HASH_KEY" \
  UPLINK_TARGETS="national=http://127.0.0.1:$NATIONAL_PORT/open.api" \
  REGISTRY_URL="http://127.0.0.1:$REGISTRY_PORT" \
  OIDC_CLIENT_ID="$REPORTING_CLIENT_ID" OIDC_CLIENT_SECRET="$REPORTING_CLIENT_SECRET"

wait_ready() { # name, url
  for _ in $(seq 1 120); do
    if curl -fsS "$2" >/dev/null 2>&1; then echo "$1 is ready"; return 0; fi
    sleep 0.5
  done
  echo "$1 did not become ready; its log:" >&2
  tail -30 "$RUN_DIR/$1.log" >&2
  exit 1
}
wait_ready device-gateway "http://127.0.0.1:$GATEWAY_PORT/health/ready"
wait_ready attendance "http://127.0.0.1:$ATTENDANCE_PORT/health/ready"
wait_ready worker-registry "http://127.0.0.1:$REGISTRY_PORT/health/ready"
wait_ready reporting "http://127.0.0.1:$REPORTING_PORT/health/ready"

TODAY="$(TZ=Asia/Shanghai date +%F)"
TOKEN_URL="$REALNAME_OIDC_ISSUER/protocol/openid-connect/token"
token_line() { # variable, user: a ready-to-paste password grant through the public client realname-cli
  printf "%s=\$(curl -s -d grant_type=password -d client_id=realname-cli -d username=%s -d password='%s' %s | sed -E 's/.*\"access_token\":\"([^\"]+)\".*/\\\\1/')" \
    "$1" "$2" "$(realm_secret "$2")" "$TOKEN_URL"
}
client_token_line() { # variable, machine client: a ready-to-paste client credentials grant
  printf "%s=\$(curl -s -d grant_type=client_credentials -d client_id=%s -d client_secret='%s' %s | sed -E 's/.*\"access_token\":\"([^\"]+)\".*/\\\\1/')" \
    "$1" "$2" "$(realm_secret "$2")" "$TOKEN_URL"
}
cat <<TXT

The platform is running. Every API wants an access token (OAuth 2.0 bearer, 5 minutes) from the local
Keycloak ($REALNAME_OIDC_ISSUER; test users and roles in deploy/local/keycloak/realname-realm.json).
Paste these to get tokens of a city supervisor (reads) and a device administrator (gateway admin API):
  $(token_line TOKEN hz-city)
  $(token_line DEVICE_TOKEN dev-hz)
and of the Hangzhou municipal system (site writes; a project's uplink credentials in reporting):
  $(client_token_line MUNICIPAL_TOKEN municipal-hangzhou)
then, while the simulated devices punch, look at:
  Registry projects   curl -H "Authorization: Bearer \$TOKEN" http://127.0.0.1:$REGISTRY_PORT/api/v1/projects   (synced from the integrity simulator every 60 s)
  One project         curl -H "Authorization: Bearer \$TOKEN" http://127.0.0.1:$REGISTRY_PORT/api/v1/projects/<projectId from the list>   (key persons masked, mismatches)
  Sync status         curl -H "Authorization: Bearer \$TOKEN" http://127.0.0.1:$REGISTRY_PORT/api/v1/integrity-sync   (POST to sync now: a token of ops)
  Registry gRPC       grpcurl -plaintext -H "authorization: Bearer \$TOKEN" -d '{"projectId":"<projectId>"}' 127.0.0.1:9083 realname.registry.v1.RegistryService/GetProject
  Devices (REST)      curl -H "Authorization: Bearer \$DEVICE_TOKEN" http://127.0.0.1:$GATEWAY_PORT/api/v1/devices
  Device commands     curl -H "Authorization: Bearer \$DEVICE_TOKEN" http://127.0.0.1:$GATEWAY_PORT/api/v1/devices/<deviceId>/commands
  Fill a gap          curl -X POST -H "Authorization: Bearer \$DEVICE_TOKEN" -H 'Content-Type: application/json' \\
                        -d '{"from":"${TODAY}T00:00:00+08:00","to":"${TODAY}T23:59:59+08:00"}' http://127.0.0.1:$GATEWAY_PORT/api/v1/devices/<deviceId>/backfills
  Punches (REST)      curl -H "Authorization: Bearer \$TOKEN" 'http://127.0.0.1:$ATTENDANCE_PORT/api/v1/projects/<projectId>/punches?day=$TODAY&pageSize=5'
  Counts per day      curl -H "Authorization: Bearer \$TOKEN" 'http://127.0.0.1:$ATTENDANCE_PORT/api/v1/projects/<projectId>/punch-counts?from=$TODAY&to=$TODAY'
  API documents       http://127.0.0.1:$ATTENDANCE_PORT/api/docs   http://127.0.0.1:$GATEWAY_PORT/api/docs   http://127.0.0.1:$REGISTRY_PORT/api/docs   http://127.0.0.1:$REPORTING_PORT/api/docs
  gRPC (reflection)   grpcurl -plaintext -H "authorization: Bearer \$TOKEN" -d '{"projectId":"<projectId>","day":"$TODAY"}' 127.0.0.1:$GRPC_PORT realname.attendance.v1.AttendanceService/ListPunches
  Uploads of the day  curl -H "Authorization: Bearer \$TOKEN" 'http://127.0.0.1:$REPORTING_PORT/api/v1/reporting/projects/<projectId>/days/$TODAY/uploads?target=national'   (what waits, what was rejected and why)
  Rejections          curl -H "Authorization: Bearer \$TOKEN" http://127.0.0.1:$REPORTING_PORT/api/v1/reporting/projects/<projectId>/rejections
  Uplink credentials  curl -X PUT -H "Authorization: Bearer \$MUNICIPAL_TOKEN" -H 'Content-Type: application/json' -d '{"appid":"<projectId>","secret":"<32 characters>"}' \\
                        http://127.0.0.1:$REPORTING_PORT/api/v1/reporting/projects/<projectId>/uplinks/national/credentials   (the demo site puts them; a rotation is another PUT)
  National platform   curl http://127.0.0.1:$NATIONAL_ADMIN_PORT/accepted   (the simulator's accepted records per method; ?projectCode=<projectId>)
  ClickHouse          curl '$REALNAME_CLICKHOUSE_URL/?query=SELECT+project_id,day,count()+FROM+realname.punches+FINAL+GROUP+BY+project_id,day+FORMAT+PrettyCompact'
  Metrics             http://127.0.0.1:$GATEWAY_PORT/metrics   http://127.0.0.1:$ATTENDANCE_PORT/metrics   http://127.0.0.1:$REPORTING_PORT/metrics (uplink_backlog_records)
  Service logs        $RUN_DIR/*.log
The project ids and device ids are printed below (device id = <projectId>-<family>). Ctrl-C stops the devices and the services.

TXT
node libs/demo/dist/cli.js --gateway "http://127.0.0.1:$GATEWAY_PORT" --oidc-issuer "$REALNAME_OIDC_ISSUER" \
  --registry "http://127.0.0.1:$REGISTRY_PORT" --attendance "http://127.0.0.1:$ATTENDANCE_PORT" \
  --reporting "http://127.0.0.1:$REPORTING_PORT" --uplink-admin "http://127.0.0.1:$NATIONAL_ADMIN_PORT" "$@" || true
