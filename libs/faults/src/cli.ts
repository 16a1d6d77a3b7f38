#!/usr/bin/env node
/**
 * `npm run faults`: the whole platform under a steady load from simulated devices while one fault at a
 * time is injected; after each, what devices got acknowledged is compared with what attendance
 * (PostgreSQL read model) and ClickHouse hold. Results go to docs/reliability.md. Exits 1 when any
 * scenario lost, doubled or dead-lettered a punch (or did not recover / quiesce). The `uplink` scenario
 * (uplink.ts) does the same for reporting's uploads to a national platform simulator: every record held
 * upstream exactly once through a kill, an outage and a rate-limit storm.
 *
 * Runs on its own stack (deploy/local/stack.sh with REALNAME_STACK_DIR=tmp/faults-stack and other
 * ports, its own Keycloak included: the services check tokens of that issuer), never the shared local
 * stack, and brings it down at the end.
 */
import { execSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_MIX, DEVICE_ADMINISTRATOR, parseMix } from '@realname/bench';
import { REPO_ROOT } from '@realname/testing';
import { writeReport } from './report';
import { describeLost, runScenario, ScenarioResult } from './run-scenario';
import { s, SCENARIOS } from './scenarios';
import { FAULTS_STACK_PORTS as P, FaultStack } from './stack';
import { runUplinkScenario, UPLINK_SCENARIO } from './uplink';

const ALL = [...SCENARIOS.map((x) => ({ id: x.id, title: x.title })), UPLINK_SCENARIO];

const USAGE = `Usage: npm run faults -- [options]
  --scenarios a,b     scenarios to run (default: all): ${ALL.map((x) => x.id).join(', ')}
  --rate 150          punches per second offered by the devices
  --duration 20       seconds of traffic per scenario: half before the fault, half after it
  --devices 60        simulated devices (mixed families)
  --mix ${DEFAULT_MIX}
  --quiescence-timeout 240   --recovery-timeout 240   (seconds)
  --out docs/reliability.md  --no-write   --keep-stack (leave the suite's stack running)
  --uplink-down 600   --uplink-storm 40   (seconds: the uplink scenario's platform outage and rate-limit storm)

Runs on its own stack in tmp/faults-stack (PostgreSQL ${P.REALNAME_PG_PORT}, ClickHouse ${P.REALNAME_CH_HTTP_PORT}, Kafka ${P.REALNAME_KAFKA_PORT} and
Keycloak ${P.REALNAME_OIDC_PORT}: the services check OAuth 2.0 tokens of http://127.0.0.1:${P.REALNAME_OIDC_PORT}/realms/realname;
the suite registers devices as ${DEVICE_ADMINISTRATOR}). Faults stop PostgreSQL, ClickHouse and Kafka, never Keycloak.`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      scenarios: { type: 'string' },
      rate: { type: 'string', default: '150' },
      duration: { type: 'string', default: '20' },
      devices: { type: 'string', default: '60' },
      mix: { type: 'string', default: DEFAULT_MIX },
      'quiescence-timeout': { type: 'string', default: '240' },
      'recovery-timeout': { type: 'string', default: '240' },
      'uplink-down': { type: 'string', default: '600' },
      'uplink-storm': { type: 'string', default: '40' },
      out: { type: 'string', default: join(REPO_ROOT, 'docs', 'reliability.md') },
      'no-write': { type: 'boolean', default: false },
      'keep-stack': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    allowPositionals: false,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const num = (name: string, v: string) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got "${v}"`);
    return n;
  };
  const wanted = values.scenarios ? values.scenarios.split(',').map((x) => x.trim()) : ALL.map((x) => x.id);
  const unknown = wanted.filter((w) => !ALL.some((x) => x.id === w));
  if (unknown.length) throw new Error(`unknown scenario(s) ${unknown.join(', ')}\n${USAGE}`);
  const scenarios = ALL.filter((x) => wanted.includes(x.id));
  const o = {
    rate: num('rate', values.rate),
    durationS: num('duration', values.duration),
    devices: Math.round(num('devices', values.devices)),
    mix: parseMix(values.mix),
    quiescenceTimeoutS: num('quiescence-timeout', values['quiescence-timeout']),
    recoveryTimeoutS: num('recovery-timeout', values['recovery-timeout']),
  };
  const uplink = {
    downS: num('uplink-down', values['uplink-down']),
    stormS: num('uplink-storm', values['uplink-storm']),
    recoveryTimeoutS: o.recoveryTimeoutS,
  };

  // startService adds an exit listener per started process (a few per scenario).
  process.setMaxListeners(200);
  const stack = new FaultStack();
  const t0 = Date.now();
  log(
    `starting the suite's own stack in ${stack.dir} (PostgreSQL ${stack.postgresUrl.split('@')[1]}, ClickHouse ${stack.clickhouseUrl}, Kafka ${stack.kafkaBrokers[0]}, OpenID Connect issuer ${stack.issuer})`,
  );
  await stack.up();
  const results: ScenarioResult[] = [];
  let interrupted = false;
  process.once('SIGINT', () => {
    interrupted = true;
    log('interrupted: finishing the current scenario, then stopping');
  });
  try {
    for (const [i, sc] of scenarios.entries()) {
      if (interrupted) break;
      const punches = SCENARIOS.find((x) => x.id === sc.id);
      log(
        punches
          ? `=== ${sc.id}: ${sc.title} (${o.rate}/s, ${o.durationS} s of traffic) ===`
          : `=== ${sc.id}: ${sc.title} (platform down ${uplink.downS} s, storm ${uplink.stormS} s) ===`,
      );
      const plog = (m: string) => log(`[${sc.id}] ${m}`);
      try {
        // A scenario that stopped a server and failed midway must not leave it stopped for the next.
        await stack.up();
        const r = punches
          ? await runScenario(punches, i, stack, o, plog)
          : await runUplinkScenario(i, stack, uplink, plog);
        results.push(r);
        printResult(r, plog);
      } catch (err) {
        plog(`harness failure: ${err instanceof Error ? err.stack : String(err)}`);
        results.push(harnessFailure(sc.id, sc.title, punches ? o.rate : 0, err, !punches));
      }
    }
  } finally {
    if (!values['keep-stack']) {
      log("bringing the suite's stack down");
      await stack.down().catch((err: unknown) => log(`stack down failed: ${String(err)}`));
    }
  }
  const totalS = (Date.now() - t0) / 1000;
  const machine = `${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GB, Node ${process.version}`;
  let commit = 'unknown';
  try {
    commit = execSync('git rev-parse --short HEAD', { cwd: REPO_ROOT }).toString().trim();
  } catch {
    /* not a git checkout */
  }
  if (!values['no-write']) {
    await writeReport(values.out, { results, machine, commit, totalS, options: o, date: new Date() });
    log(`results written to ${values.out}`);
  }
  const failed = results.filter((r) => !r.pass);
  log(
    `faults: ${results.length - failed.length} passed, ${failed.length} failed${failed.length ? ` (${failed.map((r) => r.id).join(', ')})` : ''} in ${s(totalS * 1000)}`,
  );
  return failed.length || results.length < scenarios.length ? 1 : 0;
}

function printResult(r: ScenarioResult, log: (m: string) => void) {
  if (r.uplink) return printUplinkResult(r, log);
  log(
    `${r.pass ? 'PASS' : 'FAIL'}: acknowledged ${r.acknowledged} (${ackRate(r)}/s over ${s(r.trafficS * 1000)}), attendance ${r.attendance.found}, ClickHouse ${r.clickhouse.found}, lost ${r.lost}, doubled ${r.doubled}, DLQ ${r.dlq}, recovered ${r.recoverS === null ? 'no' : s(r.recoverS * 1000)}, took ${s(r.tookS * 1000)}`,
  );
  for (const p of r.attendance.lost.slice(0, 10)) log(`  lost in attendance: ${describeLost(p)}`);
  for (const p of r.clickhouse.lost.slice(0, 10)) log(`  lost in ClickHouse: ${describeLost(p)}`);
  for (const d of [...r.attendance.doubled, ...r.clickhouse.doubled].slice(0, 10))
    log(`  doubled: person ${d.personId} found ${d.times} times`);
  for (const [reason, n] of r.dlqReasons) log(`  DLQ x${n}: ${reason}`);
  for (const n of r.notes) log(`  note: ${n}`);
  if (r.firstError) log(`  devices: ${r.refused} refused, ${r.errors} errors (first: ${r.firstError})`);
}

function printUplinkResult(r: ScenarioResult, log: (m: string) => void) {
  const u = r.uplink!;
  const recovered = u.phases
    .map((p) => `${p.id} ${p.recoverS === null ? 'no' : s(p.recoverS * 1000)}`)
    .join(', ');
  log(
    `${r.pass ? 'PASS' : 'FAIL'}: expected ${u.expected} records upstream, accepted ${u.accepted}, doubled ${u.doubled}, missing ${u.missing}, ledger ${JSON.stringify(u.ledger)}, DLQ ${r.dlq}, recovered ${recovered}, took ${s(r.tookS * 1000)}`,
  );
  for (const c of u.byMethod)
    log(
      `  ${c.method}: expected ${c.expected}, accepted ${c.accepted}, doubled ${c.doubled.length}, missing ${c.missing.length}`,
    );
  for (const [reason, n] of r.dlqReasons) log(`  DLQ x${n}: ${reason}`);
  for (const n of r.notes) log(`  note: ${n}`);
}

function ackRate(r: ScenarioResult): number {
  return r.trafficS > 0 ? Math.round(r.acknowledged / r.trafficS) : 0;
}

function harnessFailure(
  id: string,
  title: string,
  rate: number,
  err: unknown,
  uplink: boolean,
): ScenarioResult {
  const empty = { acknowledged: 0, found: 0, lost: [], doubled: [], unacknowledged: 0 };
  return {
    id,
    title,
    rate,
    acknowledged: 0,
    trafficS: 0,
    attendance: empty,
    clickhouse: empty,
    lost: 0,
    doubled: 0,
    dlq: 0,
    dlqReasons: new Map(),
    recoverS: null,
    quiesced: false,
    quiescenceS: 0,
    refused: 0,
    errors: 0,
    notes: [`the harness failed: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`],
    pass: false,
    tookS: 0,
    logs: [],
    ...(uplink
      ? {
          uplink: {
            expected: 0,
            accepted: 0,
            missing: 0,
            doubled: 0,
            byMethod: [],
            ledger: {},
            phases: [],
            calls: { writes: 0, polls: 0, lookups: 0, refused: 0, failed: 0 },
          },
        }
      : {}),
  };
}

function log(msg: string) {
  process.stdout.write(`${new Date().toISOString().slice(11, 19)} [faults] ${msg}\n`);
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`[faults] failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(2);
  },
);
