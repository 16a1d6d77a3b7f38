#!/usr/bin/env bash
# Local stack of real servers for development and integration tests, without Docker:
#   PostgreSQL (Debian package), ClickHouse (Debian package), Apache Kafka 3.9.x in KRaft mode
#   (jars from Maven Central), Keycloak (OpenID Connect provider, distribution from Maven Central,
#   realm deploy/local/keycloak/realname-realm.json). Everything listens on 127.0.0.1 only.
#
# Usage: deploy/local/stack.sh up|down|status|env|logs [-f] [kafka|postgres|clickhouse|keycloak]
#                              |stop|start|restart postgres|clickhouse|kafka|keycloak
#                              |kafka-topics <args...>|psql [args...]
# See deploy/local/README.md.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"

HOST=127.0.0.1
PG_PORT="${REALNAME_PG_PORT:-55432}"
PG_USER=realname
PG_PASSWORD=realname
PG_DB=realname
CH_HTTP_PORT="${REALNAME_CH_HTTP_PORT:-58123}"
CH_TCP_PORT="${REALNAME_CH_TCP_PORT:-59000}"
CH_INTERSERVER_PORT="${REALNAME_CH_INTERSERVER_PORT:-59009}"
KAFKA_PORT="${REALNAME_KAFKA_PORT:-59092}"
KAFKA_CONTROLLER_PORT="${REALNAME_KAFKA_CONTROLLER_PORT:-59093}"
KAFKA_VERSION="${REALNAME_KAFKA_VERSION:-3.9.2}"
KAFKA_LIBS="${REALNAME_KAFKA_LIBS:-${HOME:-/root}/.cache/realname/kafka-${KAFKA_VERSION}-libs}"
KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xmx768m -Xms256m}"
KAFKA_JVM_PERFORMANCE_OPTS="${KAFKA_JVM_PERFORMANCE_OPTS:--server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true -Djava.net.preferIPv4Stack=true}"
TIMEOUT="${REALNAME_STACK_TIMEOUT:-120}"
# OpenID Connect provider (Keycloak, docs/adr/0013-local-openid-provider.md). REALNAME_OIDC=off leaves it out.
OIDC_ENABLED="${REALNAME_OIDC:-on}"
OIDC_PORT="${REALNAME_OIDC_PORT:-58180}"
OIDC_MANAGEMENT_PORT="${REALNAME_OIDC_MANAGEMENT_PORT:-58190}"
KEYCLOAK_VERSION="${REALNAME_KEYCLOAK_VERSION:-26.7.3}"
KEYCLOAK_CACHE="${REALNAME_KEYCLOAK_DIST:-${HOME:-/root}/.cache/realname/keycloak-${KEYCLOAK_VERSION}}"
KEYCLOAK_HEAP_OPTS="${KEYCLOAK_HEAP_OPTS:--Xms64m -Xmx512m}"
# Keycloak takes about a minute on a busy 2-core machine (more on its first start: schema + realm import).
OIDC_TIMEOUT="${REALNAME_OIDC_TIMEOUT:-$((TIMEOUT > 300 ? TIMEOUT : 300))}"
# The bootstrap administrator of Keycloak's master realm: a LOCAL TEST VALUE (loopback only).
OIDC_ADMIN_PASSWORD="${REALNAME_OIDC_ADMIN_PASSWORD:-local-admin}"
OIDC_REALM=realname
OIDC_REALM_FILE="$SCRIPT_DIR/keycloak/realname-realm.json"

PG_URL="postgres://${PG_USER}:${PG_PASSWORD}@${HOST}:${PG_PORT}/${PG_DB}"
CH_URL="http://${HOST}:${CH_HTTP_PORT}"
KAFKA_BROKERS="${HOST}:${KAFKA_PORT}"
OIDC_URL="http://${HOST}:${OIDC_PORT}"
OIDC_ISSUER="${OIDC_URL}/realms/${OIDC_REALM}"
oidc_on() { [[ "$OIDC_ENABLED" != off && "$OIDC_ENABLED" != false && "$OIDC_ENABLED" != 0 ]]; }

# ---------------------------------------------------------------------------------------------
# helpers

log() { printf '[stack] %s\n' "$*" >&2; }
die() { printf '[stack] ERROR: %s\n' "$*" >&2; exit 1; }
is_root() { [[ "$(id -u)" == 0 ]]; }

# Resolve the stack dir to an absolute path (creating it) without touching anything else.
resolve_stack_dir() {
  local d="${REALNAME_STACK_DIR:-$REPO_ROOT/.local-stack}"
  mkdir -p "$d"
  STACK_DIR="$(cd "$d" && pwd -P)"
  RUN_DIR="$STACK_DIR/run"
  LOG_DIR="$STACK_DIR/logs"
  CH_DIR="$STACK_DIR/clickhouse"
  KAFKA_DIR="$STACK_DIR/kafka"
  KC_DIR="$STACK_DIR/keycloak"
  mkdir -p "$RUN_DIR" "$LOG_DIR"
}

pg_bin_dir() {
  if [[ -n "${REALNAME_PG_BIN:-}" ]]; then echo "$REALNAME_PG_BIN"; return; fi
  if [[ -x /usr/lib/postgresql/15/bin/initdb ]]; then echo /usr/lib/postgresql/15/bin; return; fi
  local d
  d="$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n1)"
  [[ -x "$d/initdb" ]] || d=/usr/lib/postgresql/15/bin
  echo "$d"
}

clickhouse_server_bin() {
  command -v clickhouse-server 2>/dev/null || { [[ -x /usr/sbin/clickhouse-server ]] && echo /usr/sbin/clickhouse-server; } || true
}

python_bin() { command -v python3 2>/dev/null || true; }

# Where the PostgreSQL cluster lives. The postgres OS user must be able to reach it: if it cannot
# traverse the stack dir (e.g. a private /tmp/tmp.XXXX or /root/...), use /var/tmp/realname-stack-<hash>.
# The choice is recorded in $STACK_DIR/postgres.location so later runs (and `down`) find it.
resolve_pg_base() {
  local loc="$STACK_DIR/postgres.location"
  if [[ -s "$loc" ]]; then PG_BASE="$(cat "$loc")"; else
    PG_BASE="$STACK_DIR/postgres"
    if is_root && ! runuser -u postgres -- test -x "$STACK_DIR" 2>/dev/null; then
      local h; h="$(printf '%s' "$STACK_DIR" | sha256sum | cut -c1-12)"
      PG_BASE="/var/tmp/realname-stack-$h/postgres"
    fi
    if [[ "${1:-}" == create ]]; then printf '%s\n' "$PG_BASE" >"$loc"; fi
  fi
  PG_DATA="$PG_BASE/data"
  PG_LOG="$PG_BASE/postgres.log"
}

# Run a PostgreSQL server binary as the postgres OS user when we are root (initdb refuses root).
as_pg() {
  if is_root; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

port_in_use() { [[ -n "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]]; }
port_open() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }

# pid_ok PIDFILE MARKER: the pid in PIDFILE is alive and its command line contains MARKER
pid_ok() {
  local f="$1" marker="$2" pid
  [[ -s "$f" ]] || return 1
  pid="$(cat "$f")"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [[ -r "/proc/$pid/cmdline" ]] || return 1
  local cmdline; cmdline="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)"
  [[ "$cmdline" == *"$marker"* ]]
}

# Start a command fully detached (new session, no controlling terminal, stdin from /dev/null),
# recording the pid of the final exec'd process in PIDFILE. Usage: launch PIDFILE LOGFILE cmd...
launch() {
  local pidfile="$1" logfile="$2"; shift 2
  rm -f "$pidfile"
  # shellcheck disable=SC2016
  # 9>&-: do not hand the stack lock (fd 9) down to the server
  setsid -f bash -c 'echo $$ >"$0.tmp" && mv "$0.tmp" "$0" && exec "$@"' "$pidfile" "$@" \
    </dev/null >>"$logfile" 2>&1 9>&-
  local _
  for _ in $(seq 1 50); do [[ -s "$pidfile" ]] && return 0; sleep 0.1; done
  die "could not start: $* (no pid file $pidfile)"
}

# stop_pid NAME PIDFILE MARKER: SIGTERM the recorded process if it is still ours, wait for exit.
stop_pid() {
  local name="$1" f="$2" marker="$3" pid _
  if ! pid_ok "$f" "$marker"; then
    [[ -e "$f" ]] && { log "$name: stale pid file removed"; rm -f "$f"; }
    log "$name: not running"
    return 0
  fi
  pid="$(cat "$f")"
  log "$name: stopping pid $pid"
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 $((TIMEOUT * 5))); do
    pid_ok "$f" "$marker" || break
    sleep 0.2
  done
  if pid_ok "$f" "$marker"; then
    log "$name: did not exit after ${TIMEOUT}s, sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    while [[ -e "/proc/$pid" ]]; do sleep 0.2; done
  fi
  rm -f "$f"
  log "$name: stopped"
}

fail_with_log() {
  local name="$1"; shift
  log "$name did not become ready (it exited, or ${TIMEOUT}s timeout). Last log lines:"
  local f
  for f in "$@"; do
    [[ -f "$f" ]] || continue
    printf -- '----- %s -----\n' "$f" >&2
    tail -n 40 "$f" >&2 || true
  done
  exit 1
}

lock_stack() {
  exec 9>"$STACK_DIR/.lock"
  flock -w 900 9 || die "another stack.sh up/down holds $STACK_DIR/.lock"
}

# ---------------------------------------------------------------------------------------------
# packages

ensure_packages() {
  local pkgs=()
  [[ -x "$(pg_bin_dir)/initdb" ]] || pkgs+=(postgresql)
  [[ -n "$(clickhouse_server_bin)" ]] || pkgs+=(clickhouse-server)
  command -v clickhouse-client >/dev/null 2>&1 || pkgs+=(clickhouse-client)
  command -v java >/dev/null 2>&1 || pkgs+=(openjdk-17-jre-headless)
  local need_mvn=0
  [[ -f "$KAFKA_LIBS/.complete" ]] || need_mvn=1
  if oidc_on && [[ ! -f "$KEYCLOAK_CACHE/.complete" ]]; then
    need_mvn=1
    command -v unzip >/dev/null 2>&1 || pkgs+=(unzip)
  fi
  if ((need_mvn)) && ! command -v mvn >/dev/null 2>&1; then pkgs+=(maven); fi
  command -v curl >/dev/null 2>&1 || pkgs+=(curl)
  [[ -n "$(python_bin)" ]] || pkgs+=(python3)
  command -v ss >/dev/null 2>&1 || pkgs+=(iproute2)
  ((${#pkgs[@]})) || return 0

  local cmd="apt-get install -y --no-install-recommends ${pkgs[*]}"
  if ! is_root; then
    die "missing packages; run as root: apt-get update && $cmd"
  fi
  local p need_update=0
  for p in "${pkgs[@]}"; do
    # (capture first: 'grep -q' on a pipe would trip pipefail with SIGPIPE)
    local policy; policy="$(apt-cache policy "$p" 2>/dev/null || true)"
    [[ "$policy" == *"Candidate: "[!\(]* ]] || need_update=1
  done
  if ((need_update)); then
    log "apt-get update"
    apt-get update -q >"$LOG_DIR/apt.log" 2>&1 || log "apt-get update reported errors (see $LOG_DIR/apt.log); trying the install anyway"
  fi
  log "$cmd"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${pkgs[@]}" >>"$LOG_DIR/apt.log" 2>&1 \
    || { tail -n 30 "$LOG_DIR/apt.log" >&2; die "apt-get install failed"; }
}

# ---------------------------------------------------------------------------------------------
# PostgreSQL

pg_running() { [[ -f "$PG_DATA/postmaster.pid" ]] && as_pg "$(pg_bin_dir)/pg_ctl" status -D "$PG_DATA" >/dev/null 2>&1; }
pg_ready() { "$(pg_bin_dir)/pg_isready" -q -h "$HOST" -p "$PG_PORT" -t 2 >/dev/null 2>&1; }
pg_sql() { PGPASSWORD="$PG_PASSWORD" PGCONNECT_TIMEOUT=3 "$(pg_bin_dir)/psql" -X -q -v ON_ERROR_STOP=1 -h "$HOST" -p "$PG_PORT" -U "$PG_USER" "$@"; }

pg_up() {
  local bin; bin="$(pg_bin_dir)"
  resolve_pg_base create
  mkdir -p "$PG_BASE"
  if is_root; then
    chown postgres:postgres "$PG_BASE"
    runuser -u postgres -- test -w "$PG_BASE" || die "postgres OS user cannot write $PG_BASE"
  fi
  chmod 700 "$PG_BASE"

  if [[ ! -f "$PG_DATA/PG_VERSION" ]]; then
    log "postgres: initdb in $PG_DATA"
    local pw="$PG_BASE/.pwfile"
    printf '%s\n' "$PG_PASSWORD" >"$pw"
    is_root && chown postgres:postgres "$pw"
    as_pg "$bin/initdb" -D "$PG_DATA" -U "$PG_USER" --pwfile="$pw" -E UTF8 --locale=C.UTF-8 \
      --auth-local=scram-sha-256 --auth-host=scram-sha-256 >"$PG_BASE/initdb.log" 2>&1 \
      || { rm -f "$pw"; cat "$PG_BASE/initdb.log" >&2; die "initdb failed"; }
    rm -f "$pw"
    # loopback TCP only, password auth
    as_pg tee "$PG_DATA/pg_hba.conf" >/dev/null <<'EOF'
# Managed by deploy/local/stack.sh: TCP on 127.0.0.1 only, password (SCRAM) auth.
# TYPE  DATABASE  USER  ADDRESS        METHOD
host    all       all   127.0.0.1/32   scram-sha-256
EOF
    printf "\ninclude 'realname-stack.conf'\n" | as_pg tee -a "$PG_DATA/postgresql.conf" >/dev/null
  fi
  # Regenerated on every up so port overrides apply.
  as_pg tee "$PG_DATA/realname-stack.conf" >/dev/null <<EOF
# Managed by deploy/local/stack.sh (rewritten on every 'up')
listen_addresses = '$HOST'
port = $PG_PORT
unix_socket_directories = ''
max_connections = 200
fsync = on
shared_buffers = 128MB
log_timezone = 'UTC'
timezone = 'UTC'
log_line_prefix = '%m [%p] %q%u@%d '
EOF

  if pg_running; then
    log "postgres: already running (data $PG_DATA)"
  else
    if port_in_use "$PG_PORT"; then die "port $PG_PORT is already in use by another process: $(ss -Hltnp "sport = :$PG_PORT")"; fi
    log "postgres: starting on $HOST:$PG_PORT"
    # setsid -w: own session (survives this shell), but still wait for pg_ctl's result
    if ! as_pg setsid -w "$bin/pg_ctl" start -D "$PG_DATA" -l "$PG_LOG" -w -t "$TIMEOUT" -s </dev/null >/dev/null 9>&-; then
      fail_with_log postgres "$PG_LOG"
    fi
  fi
  local _ ok=0
  for _ in $(seq 1 $((TIMEOUT * 2))); do
    if pg_ready && pg_sql -d postgres -tAc 'select 1' >/dev/null 2>&1; then ok=1; break; fi
    sleep 0.5
  done
  ((ok)) || fail_with_log postgres "$PG_LOG"
  if [[ "$(pg_sql -d postgres -tAc "select 1 from pg_database where datname = '$PG_DB'")" != 1 ]]; then
    log "postgres: creating database $PG_DB"
    pg_sql -d postgres -c "create database \"$PG_DB\" owner \"$PG_USER\""
  fi
  [[ "$(pg_sql -d "$PG_DB" -tAc 'select 1')" == 1 ]] || fail_with_log postgres "$PG_LOG"
  head -n1 "$PG_DATA/postmaster.pid" >"$RUN_DIR/postgres.pid"
  ln -sfn "$PG_LOG" "$LOG_DIR/postgres.log"
}

pg_down() {
  resolve_pg_base
  if [[ -f "$PG_DATA/PG_VERSION" ]] && pg_running; then
    log "postgres: stopping"
    as_pg "$(pg_bin_dir)/pg_ctl" stop -D "$PG_DATA" -m fast -w -t "$TIMEOUT" -s \
      || die "pg_ctl stop failed (see $PG_LOG)"
    log "postgres: stopped"
  else
    log "postgres: not running"
  fi
  rm -f "$RUN_DIR/postgres.pid"
}

# ---------------------------------------------------------------------------------------------
# ClickHouse

CH_MARKER() { echo "--config-file=$CH_DIR/config.xml"; }
ch_ready() { [[ "$(curl -fsS -m 3 "$CH_URL/?query=SELECT%201" 2>/dev/null)" == 1 ]]; }

ch_write_config() {
  mkdir -p "$CH_DIR"/{data,tmp,user_files,format_schemas}
  local py; py="$(python_bin)"
  [[ -n "$py" ]] || die "python3 is needed to generate the ClickHouse config"
  [[ -f /etc/clickhouse-server/config.xml && -f /etc/clickhouse-server/users.xml ]] \
    || die "/etc/clickhouse-server/{config,users}.xml not found (is clickhouse-server installed?)"
  "$py" - "$CH_DIR" "$HOST" "$CH_HTTP_PORT" "$CH_TCP_PORT" "$CH_INTERSERVER_PORT" "$LOG_DIR" <<'PY'
import sys, xml.etree.ElementTree as ET
ch_dir, host, http_port, tcp_port, inter_port, log_dir = sys.argv[1:]

def setf(root, tag, text):
    el = root.find(tag)
    if el is None:
        el = ET.SubElement(root, tag)
    el.text = text

cfg = ET.parse('/etc/clickhouse-server/config.xml')
r = cfg.getroot()
for el in r.findall('listen_host'):
    r.remove(el)
ET.SubElement(r, 'listen_host').text = host
setf(r, 'http_port', http_port)
setf(r, 'tcp_port', tcp_port)
setf(r, 'interserver_http_port', inter_port)
setf(r, 'interserver_http_host', host)
for t in ('https_port', 'tcp_port_secure', 'mysql_port', 'postgresql_port'):
    for el in r.findall(t):
        r.remove(el)
setf(r, 'path', ch_dir + '/data/')
setf(r, 'tmp_path', ch_dir + '/tmp/')
setf(r, 'user_files_path', ch_dir + '/user_files/')
setf(r, 'format_schema_path', ch_dir + '/format_schemas/')
setf(r, 'users_config', ch_dir + '/users.xml')
# never pick up the system-wide substitutions file (/etc/metrika.xml)
setf(r, 'include_from', ch_dir + '/metrika.xml')
with open(ch_dir + '/metrika.xml', 'w') as f:
    f.write('<?xml version="1.0"?>\n<yandex>\n</yandex>\n')
setf(r, 'timezone', 'UTC')
setf(r, 'uncompressed_cache_size', str(512 * 1024 * 1024))
setf(r, 'mark_cache_size', str(512 * 1024 * 1024))
lg = r.find('logger')
if lg is None:
    lg = ET.SubElement(r, 'logger')
setf(lg, 'level', 'information')
setf(lg, 'log', log_dir + '/clickhouse.log')
setf(lg, 'errorlog', log_dir + '/clickhouse.err.log')
setf(lg, 'size', '100M')
setf(lg, 'count', '3')
# the sample cluster definitions point at localhost:9000 (a system ClickHouse); point them at ours
for port in r.iter('port'):
    if port.text and port.text.strip() == '9000':
        port.text = tcp_port

def drop_includes(root):
    # Substitutions (incl="...") would come from include_from; we use none. Drop empty placeholders
    # (zookeeper, macros, compression) and keep the inline content of the others.
    for parent in list(root.iter()):
        for el in list(parent):
            if 'incl' in el.attrib:
                if len(el) == 0 and not (el.text or '').strip():
                    parent.remove(el)
                else:
                    del el.attrib['incl']

drop_includes(r)
if hasattr(ET, 'indent'):
    ET.indent(cfg)
cfg.write(ch_dir + '/config.xml', encoding='utf-8', xml_declaration=True)

users = ET.parse('/etc/clickhouse-server/users.xml')
for nets in users.getroot().iter('networks'):
    for ip in list(nets):
        nets.remove(ip)
    ET.SubElement(nets, 'ip').text = '127.0.0.1'
    ET.SubElement(nets, 'ip').text = '::1'
drop_includes(users.getroot())
users.write(ch_dir + '/users.xml', encoding='utf-8', xml_declaration=True)
PY
}

ch_up() {
  local pidf="$RUN_DIR/clickhouse.pid"
  ch_write_config
  if pid_ok "$pidf" "$(CH_MARKER)"; then
    log "clickhouse: already running (pid $(cat "$pidf"))"
    return 0
  fi
  rm -f "$pidf"
  if port_in_use "$CH_HTTP_PORT" || port_in_use "$CH_TCP_PORT" || port_in_use "$CH_INTERSERVER_PORT"; then
    die "a ClickHouse port ($CH_HTTP_PORT/$CH_TCP_PORT/$CH_INTERSERVER_PORT) is already in use by another process"
  fi
  log "clickhouse: starting on $HOST:$CH_HTTP_PORT (http) / $HOST:$CH_TCP_PORT (tcp)"
  launch "$pidf" "$LOG_DIR/clickhouse.out" "$(clickhouse_server_bin)" "$(CH_MARKER)"
}

ch_wait() {
  local pidf="$RUN_DIR/clickhouse.pid" _
  for _ in $(seq 1 $((TIMEOUT * 2))); do
    ch_ready && return 0
    pid_ok "$pidf" "$(CH_MARKER)" || { log "clickhouse: process exited"; break; }
    sleep 0.5
  done
  fail_with_log clickhouse "$LOG_DIR/clickhouse.out" "$LOG_DIR/clickhouse.err.log" "$LOG_DIR/clickhouse.log"
}

ch_down() { stop_pid clickhouse "$RUN_DIR/clickhouse.pid" "$(CH_MARKER)"; }

# ---------------------------------------------------------------------------------------------
# Kafka

KAFKA_MARKER() { echo "$KAFKA_DIR/server.properties"; }

kafka_libs() {
  if [[ -f "$KAFKA_LIBS/.complete" ]]; then return 0; fi
  command -v mvn >/dev/null 2>&1 || die "mvn not found (needed once to fetch the Kafka jars)"
  log "kafka: resolving Apache Kafka $KAFKA_VERSION jars with Maven into $KAFKA_LIBS"
  local tmp="$KAFKA_LIBS.tmp.$$"
  rm -rf "$tmp"; mkdir -p "$(dirname "$KAFKA_LIBS")"
  if ! (cd "$SCRIPT_DIR/kafka" && mvn -q -B -f pom.xml -Dkafka.version="$KAFKA_VERSION" \
        dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$tmp") >"$LOG_DIR/maven.log" 2>&1; then
    tail -n 30 "$LOG_DIR/maven.log" >&2; rm -rf "$tmp"; die "maven could not resolve the Kafka jars"
  fi
  ls "$tmp"/kafka_2.13-"$KAFKA_VERSION".jar >/dev/null || die "kafka_2.13-$KAFKA_VERSION.jar missing after maven"
  touch "$tmp/.complete"
  rm -rf "$KAFKA_LIBS"; mv "$tmp" "$KAFKA_LIBS"
}

kafka_write_config() {
  mkdir -p "$KAFKA_DIR/data"
  cat >"$KAFKA_DIR/server.properties" <<EOF
# Managed by deploy/local/stack.sh (rewritten on every 'up'). Single node, KRaft combined mode.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$HOST:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://$HOST:$KAFKA_PORT,CONTROLLER://$HOST:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$HOST:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$KAFKA_DIR/data
auto.create.topics.enable=false
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
# One broker on a 2-core machine: a small offsets topic makes the first consumer group ready in seconds.
offsets.topic.num.partitions=5
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
delete.topic.enable=true
num.network.threads=2
num.io.threads=4
log.retention.hours=168
log.segment.bytes=104857600
EOF
  cat >"$KAFKA_DIR/log4j.properties" <<'EOF'
# Managed by deploy/local/stack.sh. Kafka 3.x logs through log4j 1 (reload4j).
log4j.rootLogger=INFO, kafkaAppender
log4j.appender.kafkaAppender=org.apache.log4j.RollingFileAppender
log4j.appender.kafkaAppender.File=${kafka.logs.dir}/kafka.log
log4j.appender.kafkaAppender.MaxFileSize=50MB
log4j.appender.kafkaAppender.MaxBackupIndex=3
log4j.appender.kafkaAppender.layout=org.apache.log4j.PatternLayout
log4j.appender.kafkaAppender.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka=INFO
log4j.logger.org.apache.kafka=INFO
log4j.logger.kafka.request.logger=WARN
log4j.logger.kafka.network.RequestChannel$=WARN
log4j.logger.kafka.log.LogCleaner=INFO
log4j.logger.state.change.logger=INFO
log4j.logger.kafka.authorizer.logger=INFO
EOF
  kafka_write_tools_config
}

kafka_write_tools_config() {
  mkdir -p "$KAFKA_DIR"
  cat >"$KAFKA_DIR/tools-log4j.properties" <<'EOF'
log4j.rootLogger=WARN, stderr
log4j.appender.stderr=org.apache.log4j.ConsoleAppender
log4j.appender.stderr.layout=org.apache.log4j.PatternLayout
log4j.appender.stderr.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.appender.stderr.Target=System.err
EOF
  cat >"$KAFKA_DIR/admin.properties" <<'EOF'
request.timeout.ms=5000
default.api.timeout.ms=10000
EOF
}

kafka_tool() {
  # Run a Kafka main class (tools JVM: small heap, fast startup).
  java -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.awt.headless=true -Djava.net.preferIPv4Stack=true \
    -Dlog4j.configuration="file:$KAFKA_DIR/tools-log4j.properties" \
    -cp "$KAFKA_LIBS/*" "$@"
}

# A real Kafka protocol round trip (ApiVersions v0) without starting a JVM.
kafka_ping() {
  local py; py="$(python_bin)"
  if [[ -z "$py" ]]; then port_open "$KAFKA_PORT"; return; fi
  "$py" - "$HOST" "$KAFKA_PORT" <<'PY' 2>/dev/null
import socket, struct, sys
host, port = sys.argv[1], int(sys.argv[2])
cid = b'realname-stack'
body = struct.pack('>hhih', 18, 0, 7, len(cid)) + cid
with socket.create_connection((host, port), timeout=2) as s:
    s.settimeout(2)
    s.sendall(struct.pack('>i', len(body)) + body)
    hdr = s.recv(4)
    n = struct.unpack('>i', hdr)[0]
    data = b''
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            break
        data += chunk
    corr, err = struct.unpack('>ih', data[:6])
    sys.exit(0 if corr == 7 and err == 0 else 1)
PY
}

kafka_up() {
  local pidf="$RUN_DIR/kafka.pid"
  kafka_libs
  if pid_ok "$pidf" "$(KAFKA_MARKER)"; then
    kafka_write_tools_config
    log "kafka: already running (pid $(cat "$pidf"))"
    KAFKA_STARTED=0
    return 0
  fi
  rm -f "$pidf"
  if port_in_use "$KAFKA_PORT" || port_in_use "$KAFKA_CONTROLLER_PORT"; then
    die "a Kafka port ($KAFKA_PORT/$KAFKA_CONTROLLER_PORT) is already in use by another process"
  fi
  kafka_write_config
  if [[ ! -f "$KAFKA_DIR/data/meta.properties" ]]; then
    local cid
    if [[ -s "$KAFKA_DIR/cluster.id" ]]; then cid="$(cat "$KAFKA_DIR/cluster.id")"; else
      cid="$(kafka_tool kafka.tools.StorageTool random-uuid)"
      printf '%s\n' "$cid" >"$KAFKA_DIR/cluster.id"
    fi
    log "kafka: formatting storage (cluster id $cid)"
    kafka_tool kafka.tools.StorageTool format -t "$cid" -c "$KAFKA_DIR/server.properties" >"$LOG_DIR/kafka-format.log" 2>&1 \
      || { cat "$LOG_DIR/kafka-format.log" >&2; die "kafka storage format failed"; }
  fi
  log "kafka: starting $KAFKA_VERSION on $HOST:$KAFKA_PORT (controller $HOST:$KAFKA_CONTROLLER_PORT)"
  # shellcheck disable=SC2086
  launch "$pidf" "$LOG_DIR/kafka.out" java $KAFKA_HEAP_OPTS $KAFKA_JVM_PERFORMANCE_OPTS \
    -Dkafka.logs.dir="$LOG_DIR" -Dlog4j.configuration="file:$KAFKA_DIR/log4j.properties" \
    -cp "$KAFKA_LIBS/*" kafka.Kafka "$KAFKA_DIR/server.properties"
  KAFKA_STARTED=1
}

kafka_wait() {
  local pidf="$RUN_DIR/kafka.pid" ok=0 deadline=$((SECONDS + TIMEOUT))
  while ((SECONDS < deadline)); do
    pid_ok "$pidf" "$(KAFKA_MARKER)" || { log "kafka: process exited"; fail_with_log kafka "$LOG_DIR/kafka.out" "$LOG_DIR/kafka.log"; }
    if kafka_ping; then ok=1; break; fi
    sleep 0.5
  done
  ((ok)) || fail_with_log kafka "$LOG_DIR/kafka.out" "$LOG_DIR/kafka.log"
  if [[ "${KAFKA_STARTED:-1}" == 0 ]]; then return 0; fi
  # Fresh start: also make a real metadata call through the admin client.
  while ((SECONDS < deadline)); do
    if kafka_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$KAFKA_BROKERS" \
         --command-config "$KAFKA_DIR/admin.properties" --list >/dev/null 2>>"$LOG_DIR/kafka-tools.log"; then
      return 0
    fi
    sleep 1
  done
  fail_with_log kafka "$LOG_DIR/kafka.out" "$LOG_DIR/kafka.log" "$LOG_DIR/kafka-tools.log"
}

kafka_down() { stop_pid kafka "$RUN_DIR/kafka.pid" "$(KAFKA_MARKER)"; }

# ---------------------------------------------------------------------------------------------
# Keycloak (OpenID Connect provider)
#
# The distribution is fetched once from Maven Central (org.keycloak:keycloak-quarkus-dist), unpacked
# and built (`kc.sh build`: dev-file database, health endpoints) into $KEYCLOAK_CACHE. Each stack dir
# gets its own copy made of hard links ($KC_DIR/dist) whose data/ (H2 database, realm import) is its
# own. The realm is imported at start; when deploy/local/keycloak/realname-realm.json changed since
# the last import, the stack's Keycloak database is dropped first, so the file is what you get.

KC_HOME() { echo "$KC_DIR/dist"; }
KC_MARKER() { echo "$KC_DIR/dist/bin/kc.sh"; }
kc_ready() {
  curl -fsS -m 3 "http://$HOST:$OIDC_MANAGEMENT_PORT/health/ready" >/dev/null 2>&1 || return 1
  local doc; doc="$(curl -fsS -m 3 "$OIDC_ISSUER/.well-known/openid-configuration" 2>/dev/null)" || return 1
  [[ "$doc" == *"\"issuer\":\"$OIDC_ISSUER\""* ]] || return 1
  [[ "$(curl -fsS -m 3 "$OIDC_ISSUER/protocol/openid-connect/certs" 2>/dev/null)" == *'"kid"'* ]]
}

keycloak_dist() {
  if [[ -f "$KEYCLOAK_CACHE/.complete" ]]; then return 0; fi
  command -v mvn >/dev/null 2>&1 || die "mvn not found (needed once to fetch Keycloak)"
  log "keycloak: fetching org.keycloak:keycloak-quarkus-dist:$KEYCLOAK_VERSION with Maven into $KEYCLOAK_CACHE"
  local tmp="$KEYCLOAK_CACHE.tmp.$$"
  rm -rf "$tmp"; mkdir -p "$tmp"
  if ! mvn -q -B dependency:copy -Dartifact="org.keycloak:keycloak-quarkus-dist:$KEYCLOAK_VERSION:zip" \
        -DoutputDirectory="$tmp" >"$LOG_DIR/maven-keycloak.log" 2>&1; then
    tail -n 30 "$LOG_DIR/maven-keycloak.log" >&2; rm -rf "$tmp"; die "maven could not fetch Keycloak $KEYCLOAK_VERSION"
  fi
  (cd "$tmp" && unzip -q "keycloak-quarkus-dist-$KEYCLOAK_VERSION.zip" && rm -f "keycloak-quarkus-dist-$KEYCLOAK_VERSION.zip") \
    || { rm -rf "$tmp"; die "could not unpack the Keycloak distribution"; }
  local home="$tmp/keycloak-$KEYCLOAK_VERSION"
  [[ -x "$home/bin/kc.sh" ]] || { rm -rf "$tmp"; die "bin/kc.sh missing in the Keycloak distribution"; }
  log "keycloak: building the distribution (once, about a minute)"
  if ! JAVA_OPTS_KC_HEAP="$KEYCLOAK_HEAP_OPTS" "$home/bin/kc.sh" build --db=dev-file --health-enabled=true \
        >"$LOG_DIR/keycloak-build.log" 2>&1 9>&-; then
    tail -n 30 "$LOG_DIR/keycloak-build.log" >&2; rm -rf "$tmp"; die "kc.sh build failed"
  fi
  # Nothing of a run may live in the cache: stacks share its files through hard links.
  rm -rf "$home/data"
  touch "$home/.complete"
  rm -rf "$KEYCLOAK_CACHE"; mkdir -p "$(dirname "$KEYCLOAK_CACHE")"; mv "$home" "$KEYCLOAK_CACHE"; rm -rf "$tmp"
}

# The stack's own Keycloak home: the cached distribution linked in (cp -al; a plain copy across file
# systems), with its own data/.
kc_home() {
  local home; home="$(KC_HOME)"
  if [[ ! -f "$home/.version" || "$(cat "$home/.version")" != "$KEYCLOAK_CACHE" ]]; then
    rm -rf "$home"; mkdir -p "$home"
    local e
    for e in "$KEYCLOAK_CACHE"/* "$KEYCLOAK_CACHE"/.complete; do
      cp -al "$e" "$home/" 2>/dev/null || cp -a "$e" "$home/"
    done
    printf '%s\n' "$KEYCLOAK_CACHE" >"$home/.version"
  fi
  mkdir -p "$home/data/import"
  local sum; sum="$(sha256sum "$OIDC_REALM_FILE" | cut -c1-64)"
  if [[ -d "$home/data/h2" && "$(cat "$KC_DIR/realm.sha256" 2>/dev/null)" != "$sum" ]]; then
    log "keycloak: $OIDC_REALM_FILE changed since the last import: dropping the stack's Keycloak database"
    rm -rf "$home/data/h2"
  fi
  rm -f "$home/data/import/"*.json
  cp "$OIDC_REALM_FILE" "$home/data/import/$OIDC_REALM-realm.json"
  printf '%s\n' "$sum" >"$KC_DIR/realm.sha256"
}

kc_up() {
  oidc_on || return 0
  local pidf="$RUN_DIR/keycloak.pid"
  keycloak_dist
  mkdir -p "$KC_DIR"
  if pid_ok "$pidf" "$(KC_MARKER)"; then
    log "keycloak: already running (pid $(cat "$pidf"))"
    return 0
  fi
  rm -f "$pidf"
  if port_in_use "$OIDC_PORT" || port_in_use "$OIDC_MANAGEMENT_PORT"; then
    die "a Keycloak port ($OIDC_PORT/$OIDC_MANAGEMENT_PORT) is already in use by another process (REALNAME_OIDC_PORT, REALNAME_OIDC_MANAGEMENT_PORT)"
  fi
  kc_home
  log "keycloak: starting $KEYCLOAK_VERSION on $OIDC_URL (issuer $OIDC_ISSUER)"
  launch "$pidf" "$LOG_DIR/keycloak.log" env JAVA_OPTS_KC_HEAP="$KEYCLOAK_HEAP_OPTS" \
    KC_BOOTSTRAP_ADMIN_USERNAME=admin KC_BOOTSTRAP_ADMIN_PASSWORD="$OIDC_ADMIN_PASSWORD" \
    bash "$(KC_MARKER)" start --optimized --import-realm \
    --http-enabled=true --http-host="$HOST" --http-port="$OIDC_PORT" \
    --http-management-port="$OIDC_MANAGEMENT_PORT" --hostname="$OIDC_URL"
}

kc_wait() {
  oidc_on || return 0
  local pidf="$RUN_DIR/keycloak.pid" deadline=$((SECONDS + OIDC_TIMEOUT))
  while ((SECONDS < deadline)); do
    kc_ready && return 0
    pid_ok "$pidf" "$(KC_MARKER)" || { log "keycloak: process exited"; break; }
    sleep 1
  done
  fail_with_log keycloak "$LOG_DIR/keycloak.log"
}

kc_down() {
  oidc_on || [[ -e "$RUN_DIR/keycloak.pid" ]] || return 0
  stop_pid keycloak "$RUN_DIR/keycloak.pid" "$(KC_MARKER)"
}

# ---------------------------------------------------------------------------------------------
# subcommands

cmd_up() {
  resolve_stack_dir
  lock_stack
  local t0=$SECONDS
  ensure_packages
  # Kafka and ClickHouse start in the background while PostgreSQL starts; then wait for all.
  kafka_up
  kc_up
  ch_up
  pg_up
  ch_wait
  kafka_wait
  kc_wait
  log "all servers up in $((SECONDS - t0))s (stack dir $STACK_DIR)"
  print_where
}

print_where() {
  resolve_pg_base
  cat <<EOF
postgres    $HOST:$PG_PORT   $PG_URL   (data $PG_DATA, log $PG_LOG)
clickhouse  $CH_URL (http), $HOST:$CH_TCP_PORT (native tcp)   (data $CH_DIR/data, logs $LOG_DIR/clickhouse*.log)
kafka       $KAFKA_BROKERS (controller $HOST:$KAFKA_CONTROLLER_PORT, Kafka $KAFKA_VERSION)   (data $KAFKA_DIR/data, log $LOG_DIR/kafka.log)
$(oidc_on && echo "keycloak    $OIDC_ISSUER (OpenID Connect issuer; admin console $OIDC_URL/admin, user admin)   (log $LOG_DIR/keycloak.log)")
Connection variables: eval "\$($0 env)"
EOF
}

cmd_down() {
  resolve_stack_dir
  lock_stack
  kc_down
  kafka_down
  ch_down
  pg_down
}

# One server at a time (fault injection, libs/faults): stop, start or restart postgres, clickhouse or kafka.
server_arg() {
  case "${1:-}" in
    postgres|clickhouse|kafka|keycloak) ;;
    *) die "usage: $0 stop|start|restart postgres|clickhouse|kafka|keycloak" ;;
  esac
}

cmd_stop_one() {
  server_arg "${1:-}"
  resolve_stack_dir
  lock_stack
  case "$1" in
    postgres) pg_down ;;
    clickhouse) ch_down ;;
    kafka) kafka_down ;;
    keycloak) kc_down ;;
  esac
}

cmd_start_one() {
  server_arg "${1:-}"
  resolve_stack_dir
  lock_stack
  case "$1" in
    postgres) pg_up ;;
    clickhouse) ch_up; ch_wait ;;
    kafka) kafka_up; kafka_wait ;;
    keycloak) kc_up; kc_wait ;;
  esac
}

# postgres: pg_ctl restart -m fast (clients are disconnected, the server is back at once);
# clickhouse and kafka: stop (SIGTERM, wait) then start and wait until it answers.
cmd_restart_one() {
  server_arg "${1:-}"
  resolve_stack_dir
  lock_stack
  case "$1" in
    postgres)
      resolve_pg_base
      if [[ -f "$PG_DATA/PG_VERSION" ]] && pg_running; then
        log "postgres: fast restart"
        as_pg setsid -w "$(pg_bin_dir)/pg_ctl" restart -D "$PG_DATA" -l "$PG_LOG" -m fast -w -t "$TIMEOUT" -s \
          </dev/null >/dev/null 9>&- || fail_with_log postgres "$PG_LOG"
      fi
      pg_up
      ;;
    clickhouse) ch_down; ch_up; ch_wait ;;
    kafka) kafka_down; kafka_up; kafka_wait ;;
    keycloak) kc_down; kc_up; kc_wait ;;
  esac
}

cmd_status() {
  resolve_stack_dir
  resolve_pg_base
  local all=0 s
  if pg_running && pg_ready && pg_sql -d "$PG_DB" -tAc 'select 1' >/dev/null 2>&1; then s=up; else s=down; all=1; fi
  printf '%-11s %-5s %s\n' postgres "$s" "$HOST:$PG_PORT ($PG_URL)"
  if pid_ok "$RUN_DIR/clickhouse.pid" "$(CH_MARKER)" && ch_ready; then s=up; else s=down; all=1; fi
  printf '%-11s %-5s %s\n' clickhouse "$s" "$CH_URL (tcp $HOST:$CH_TCP_PORT)"
  if pid_ok "$RUN_DIR/kafka.pid" "$(KAFKA_MARKER)" && kafka_ping; then s=up; else s=down; all=1; fi
  printf '%-11s %-5s %s\n' kafka "$s" "$KAFKA_BROKERS (controller $HOST:$KAFKA_CONTROLLER_PORT)"
  if oidc_on; then
    if pid_ok "$RUN_DIR/keycloak.pid" "$(KC_MARKER)" && kc_ready; then s=up; else s=down; all=1; fi
    printf '%-11s %-5s %s\n' keycloak "$s" "$OIDC_ISSUER"
  fi
  return "$all"
}

cmd_env() {
  cat <<EOF
export REALNAME_PG_URL=$PG_URL
export REALNAME_CLICKHOUSE_URL=$CH_URL
export REALNAME_KAFKA_BROKERS=$KAFKA_BROKERS
EOF
  if oidc_on; then
    cat <<EOF
export REALNAME_OIDC_ISSUER=$OIDC_ISSUER
export REALNAME_OIDC_AUDIENCE=realname-api
EOF
  fi
}

cmd_logs() {
  resolve_stack_dir
  resolve_pg_base
  local follow=() which=() f files=()
  for f in "$@"; do
    case "$f" in
      -f|--follow) follow=(-F) ;;
      kafka|postgres|clickhouse|keycloak) which+=("$f") ;;
      *) die "usage: $0 logs [-f] [kafka|postgres|clickhouse|keycloak]" ;;
    esac
  done
  ((${#which[@]})) || which=(postgres clickhouse kafka keycloak)
  for f in "${which[@]}"; do
    case "$f" in
      postgres) files+=("$PG_LOG") ;;
      clickhouse) files+=("$LOG_DIR/clickhouse.out" "$LOG_DIR/clickhouse.err.log" "$LOG_DIR/clickhouse.log") ;;
      kafka) files+=("$LOG_DIR/kafka.out" "$LOG_DIR/kafka.log") ;;
      keycloak) files+=("$LOG_DIR/keycloak.log") ;;
    esac
  done
  local existing=()
  for f in "${files[@]}"; do [[ -f "$f" ]] && existing+=("$f"); done
  ((${#existing[@]})) || die "no log files yet in $LOG_DIR"
  exec tail -n "${LINES_TO_SHOW:-100}" "${follow[@]}" "${existing[@]}"
}

cmd_kafka_topics() {
  resolve_stack_dir
  [[ -f "$KAFKA_LIBS/.complete" ]] || die "Kafka jars not found in $KAFKA_LIBS (run '$0 up' first)"
  kafka_write_tools_config
  local a extra=()
  for a in "$@"; do [[ "$a" == --bootstrap-server* ]] && extra=(SKIP); done
  if ((${#extra[@]})); then
    kafka_tool org.apache.kafka.tools.TopicCommand "$@"
  else
    kafka_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$KAFKA_BROKERS" "$@"
  fi
}

cmd_psql() {
  exec env PGPASSWORD="$PG_PASSWORD" "$(pg_bin_dir)/psql" -h "$HOST" -p "$PG_PORT" -U "$PG_USER" -d "$PG_DB" "$@"
}

usage() {
  cat <<EOF
Usage: $0 <command>
  up                 install missing Debian packages (as root), start PostgreSQL, ClickHouse, Kafka and
                     Keycloak (unless REALNAME_OIDC=off) on 127.0.0.1 and wait until each really
                     answers (idempotent)
  down               stop the servers started by 'up' (data is kept)
  stop SERVER        stop one server: postgres (pg_ctl stop -m fast), clickhouse, kafka or keycloak (SIGTERM)
  start SERVER       start one server again and wait until it answers
  restart SERVER     postgres: pg_ctl restart -m fast; clickhouse, kafka, keycloak: stop then start
  status             show each server up/down; exit 0 only if all are up
  env                print 'export' lines: REALNAME_PG_URL, REALNAME_CLICKHOUSE_URL, REALNAME_KAFKA_BROKERS,
                     REALNAME_OIDC_ISSUER, REALNAME_OIDC_AUDIENCE
  logs [-f] [kafka|postgres|clickhouse|keycloak]   show (or follow) server logs
  kafka-topics ARGS  run Kafka's TopicCommand against the local broker (e.g. --list)
  psql [ARGS]        open psql on the local database
Stack dir: \${REALNAME_STACK_DIR:-$REPO_ROOT/.local-stack}
EOF
}

main() {
  local cmd="${1:-}"; shift || true
  case "$cmd" in
    up) cmd_up ;;
    down) cmd_down ;;
    stop) cmd_stop_one "$@" ;;
    start) cmd_start_one "$@" ;;
    restart) cmd_restart_one "$@" ;;
    status) cmd_status ;;
    env) cmd_env ;;
    logs) cmd_logs "$@" ;;
    kafka-topics) cmd_kafka_topics "$@" ;;
    psql) cmd_psql "$@" ;;
    -h|--help|help) usage ;;
    *) usage >&2; exit 2 ;;
  esac
}

main "$@"
