/**
 * `npm run bench:ingest`: drives the device gateway with many simulated devices of mixed families
 * against the whole running stack (PostgreSQL, Kafka, ClickHouse; gateway and attendance as their own
 * processes), and reports accepted punches per second, acknowledgement latency and the latency until a
 * punch is queryable in attendance. Results are appended to docs/benchmarks.md. The services check
 * OAuth 2.0 tokens of the local stack's issuer (REALNAME_OIDC_ISSUER); the devices are registered with
 * a device administrator's token (dev-hz), renewed as needed.
 *
 * Options (all optional, `--help` lists them): --rate 5000 --duration 300 --warmup 15 --devices 200
 *   --mix hikvision-isapi:30,uface:20,httpv2:15,zkteco-push:20,open-v1:15   (share of punches, %)
 *   --zkteco-batch 5 --open-batch 20 --sample 20 --out docs/benchmarks.md --no-write
 */
import { execSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import {
  freePort,
  REPO_ROOT,
  RunningService,
  startService,
  testInfrastructure,
  testIssuer,
  uniqueName,
} from '@realname/testing';
import { deviceAdminToken, resourceServerEnv } from './auth';
import { BENCH_FAMILIES, BenchDevice } from './families';
import { IngestOptions as Options, parseIngestArgs, USAGE } from './ingest-args';
import { describeDevices, OpenLoopLoad, planDevices, registerDevices, sleep } from './load';
import { coresUsed, cpuSnapshot, CpuSnapshot } from './cpu';
import { PerSecond, Samples } from './stats';

/** Shanghai local day of an instant. */
const dayOf = (d: Date) => new Date(d.getTime() + 8 * 3600_000).toISOString().slice(0, 10);

async function main() {
  const args = parseIngestArgs(process.argv.slice(2), join(REPO_ROOT, 'docs', 'benchmarks.md'));
  if (args.kind === 'help') return void process.stdout.write(USAGE);
  if (args.kind === 'error') {
    process.stderr.write(`[bench:ingest] ${args.message} (see --help)\n`);
    process.exit(2);
  }
  const o = args.options;
  const run = uniqueName('bench');
  const infra = await testInfrastructure();
  const [gwPort, attPort, attGrpc] = [await freePort(), await freePort(), await freePort()];
  const gatewayUrl = `http://127.0.0.1:${gwPort}`;
  // The services check OAuth 2.0 tokens of the local stack's issuer (REALNAME_OIDC_ISSUER).
  const issuer = testIssuer();
  const adminToken = deviceAdminToken(issuer);
  const common = {
    DATABASE_URL: infra.postgresUrl,
    KAFKA_BROKERS: infra.kafkaBrokers.join(','),
    KAFKA_TOPIC_PREFIX: `${run}.`,
    LOG_LEVEL: 'warn',
    ...resourceServerEnv(issuer),
  };
  const attSchema = `att_${run}`;
  const services: RunningService[] = [];
  const stopAll = async () => {
    for (const s of services.reverse()) await s.stop().catch(() => undefined);
  };
  process.once('SIGINT', () => void stopAll().then(() => process.exit(130)));
  // Early and plain: without the issuer no device can be registered.
  await adminToken();
  log(`starting device-gateway and attendance (run ${run}; tokens from ${issuer})`);
  services.push(
    await startService(
      'device-gateway',
      {
        ...common,
        GATEWAY_HTTP_PORT: String(gwPort),
        DATABASE_SCHEMA: `gw_${run}`,
        DEVICE_SECRET_KEYS: `k1:${randomBytes(32).toString('base64')}`,
        DEVICE_SECRET_ACTIVE_KEY_ID: 'k1',
        KAFKA_GROUP_ID: `gateway-${run}`,
        // e.g. BENCH_GATEWAY_NODE_OPTIONS="--require ./profile.js" to profile the gateway under load
        ...(process.env.BENCH_INGEST_CONCURRENCY
          ? { INGEST_CONCURRENCY: process.env.BENCH_INGEST_CONCURRENCY }
          : {}),
        ...(process.env.BENCH_GATEWAY_NODE_OPTIONS
          ? { NODE_OPTIONS: process.env.BENCH_GATEWAY_NODE_OPTIONS }
          : {}),
      },
      `${gatewayUrl}/health/ready`,
    ),
    await startService(
      'attendance',
      {
        ...common,
        ATTENDANCE_HTTP_PORT: String(attPort),
        ATTENDANCE_GRPC_URL: `127.0.0.1:${attGrpc}`,
        DATABASE_SCHEMA: attSchema,
        KAFKA_GROUP_ID: `attendance-${run}`,
        CLICKHOUSE_URL: infra.clickhouseUrl,
        CLICKHOUSE_DATABASE: `bench_${run}`.toLowerCase(),
      },
      `http://127.0.0.1:${attPort}/health/ready`,
    ),
  );

  try {
    const devices = await setUpDevices(o, run, gatewayUrl, adminToken);
    const groups = (pid: number, comm: string) =>
      pid === services[0].process.pid
        ? 'device-gateway'
        : pid === services[1].process.pid
          ? 'attendance'
          : pid === process.pid
            ? 'load generator'
            : comm === 'postgres'
              ? 'PostgreSQL'
              : comm === 'java'
                ? 'Kafka'
                : comm.startsWith('clickhouse')
                  ? 'ClickHouse'
                  : undefined;
    const result = await drive(o, devices, new URL(gatewayUrl), infra.postgresUrl, attSchema, groups);
    report(o, result, devices);
  } finally {
    await stopAll();
  }
}

async function setUpDevices(
  o: Options,
  run: string,
  gatewayUrl: string,
  adminToken: () => Promise<string>,
): Promise<BenchDevice[]> {
  const devices = planDevices(run, o.devices, o.mix);
  log(`registering ${devices.length} devices (${describeDevices(devices)})`);
  await registerDevices(devices, gatewayUrl, adminToken);
  return devices;
}

interface DriveResult {
  offered: number;
  acknowledged: number;
  refused: number;
  errors: number;
  firstError?: string;
  ack: Samples;
  queryable: Samples;
  perSecond: number[];
  missingSamples: number;
  attendanceCount: number;
  drainS: number;
  /** Cores each group of processes used during the measured window. */
  cores: Map<string, number>;
}

async function drive(
  o: Options,
  devices: BenchDevice[],
  base: URL,
  pgUrl: string,
  attSchema: string,
  groupOf: (pid: number, comm: string) => string | undefined,
): Promise<DriveResult> {
  const start = Date.now() + 500;
  const measureFrom = start + o.warmupS * 1000;
  const end = measureFrom + o.durationS * 1000;
  const ack = new Samples();
  const queryable = new Samples();
  const accepted = new PerSecond(measureFrom);
  const r: DriveResult = {
    offered: 0,
    acknowledged: 0,
    refused: 0,
    errors: 0,
    ack,
    queryable,
    perSecond: [],
    missingSamples: 0,
    attendanceCount: 0,
    drainS: 0,
    cores: new Map(),
  };
  let cpuAtStart: CpuSnapshot | undefined;
  const cpuStartTimer = setTimeout(
    () => (cpuAtStart = cpuSnapshot(groupOf)),
    Math.max(0, measureFrom - Date.now()),
  );
  const cpuEndTimer = setTimeout(
    () => {
      if (cpuAtStart) r.cores = coresUsed(cpuAtStart, cpuSnapshot(groupOf), o.durationS);
    },
    Math.max(0, end - Date.now()),
  );
  // Sampled punches waiting to show up in attendance: project|day -> (personId -> sent at).
  const waiting = new Map<string, Map<string, { sentAt: number; at: Date; measured: boolean }>>();
  const load = new OpenLoopLoad({
    devices,
    rate: o.rate,
    mix: o.mix,
    batch: o.batch,
    gateway: base,
    firstPerson: 1_000_000_000,
    onSend(d, punches, sentAt) {
      const measured = sentAt >= measureFrom;
      for (const p of punches) {
        if (Number(p.personId) % o.sampleEvery !== 0) continue;
        const key = `${d.projectId}|${dayOf(p.at)}`;
        if (!waiting.has(key)) waiting.set(key, new Map());
        waiting.get(key)!.set(p.personId, { sentAt, at: p.at, measured });
      }
      if (measured) r.offered += punches.length;
    },
    onReply(d, punches, sentAt, done, outcome) {
      if (outcome.kind !== 'acknowledged') return;
      if (sentAt >= measureFrom && done <= end) {
        ack.add(done - sentAt);
        r.acknowledged += punches.length;
        accepted.add(done, punches.length);
      }
    },
  });

  const pg = new Client({ connectionString: pgUrl });
  await pg.connect();
  let polling = true;
  const poll = async () => {
    while (polling || [...waiting.values()].some((m) => m.size > 0)) {
      for (const [key, persons] of waiting) {
        if (persons.size === 0) continue;
        const [projectId, day] = key.split('|');
        const ids = [...persons.keys()];
        // By instant too, so the lookup is a range of the (project, day, punched_at) index: the poll must
        // not weigh on the database it measures.
        const instants = [...new Set([...persons.values()].map((w) => w.at.toISOString()))];
        const rows = await pg.query<{ person_id: string }>(
          `SELECT person_id FROM ${attSchema}.punches
            WHERE project_id = $1 AND day = $2 AND punched_at = ANY($3::timestamptz[]) AND person_id = ANY($4::text[])`,
          [projectId, day, instants, ids],
        );
        const now = Date.now();
        for (const row of rows.rows) {
          const w = persons.get(row.person_id);
          if (w?.measured) queryable.add(now - w.sentAt);
          persons.delete(row.person_id);
        }
      }
      if (!polling && Date.now() > end + 120_000) break;
      await sleep(100);
    }
  };

  log(`driving ${o.rate} punches/s for ${o.warmupS} s warm-up + ${o.durationS} s measured`);
  const progress = setInterval(() => {
    const s = Math.floor((Date.now() - measureFrom) / 1000);
    if (s > 0)
      log(
        `  ${s}s: ${r.acknowledged} acknowledged (${Math.round(r.acknowledged / s)}/s), ${r.refused} refused, ${r.errors} errors`,
      );
  }, 10_000);
  const poller = poll();
  await load.run(start, end);
  r.refused = load.refused;
  r.errors = load.errors;
  r.firstError = load.firstError;
  const ackedTotal = load.acknowledged.size;
  clearInterval(progress);
  clearTimeout(cpuStartTimer);
  await new Promise((res) => setTimeout(res, Math.max(0, end - Date.now()) + 50));
  clearTimeout(cpuEndTimer);
  const drainStart = Date.now();
  // Attendance holds every acknowledged punch, once.
  for (;;) {
    const { rows } = await pg.query<{ n: string }>(`SELECT count(*) AS n FROM ${attSchema}.punches`);
    r.attendanceCount = Number(rows[0].n);
    if (r.attendanceCount >= ackedTotal || Date.now() - drainStart > 180_000) break;
    await sleep(500);
  }
  r.drainS = (Date.now() - drainStart) / 1000;
  polling = false;
  await poller;
  r.missingSamples = [...waiting.values()].reduce((a, m) => a + m.size, 0);
  await pg.end();
  load.close();
  r.perSecond = accepted.series(0, o.durationS);
  (r as DriveResult & { ackedTotal: number }).ackedTotal = ackedTotal;
  return r;
}

function report(o: Options, r: DriveResult, devices: BenchDevice[]) {
  const ackedTotal = (r as DriveResult & { ackedTotal: number }).ackedTotal;
  const rate = r.acknowledged / o.durationS;
  const sorted = [...r.perSecond].sort((a, b) => a - b);
  const worstSecond = sorted[0] ?? 0;
  const p5Second = sorted[Math.floor(sorted.length * 0.05)] ?? 0;
  const f = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : 'n/a');
  const lines = [
    `accepted: ${r.acknowledged} punches in ${o.durationS} s = ${Math.round(rate)}/s (target ${o.rate}/s); worst second ${worstSecond}, 5th percentile second ${p5Second}`,
    `acknowledgement latency per request: p50 ${f(r.ack.percentile(50))} ms, p99 ${f(r.ack.percentile(99))} ms, max ${f(r.ack.max())} ms (${r.ack.count} requests)`,
    `queryable in attendance: p50 ${f(r.queryable.percentile(50))} ms, p99 ${f(r.queryable.percentile(99))} ms (${r.queryable.count} sampled punches, polled every 100 ms)`,
    `refused ${r.refused}, errors ${r.errors}${r.firstError ? ` (first: ${r.firstError})` : ''}`,
    `CPU during the measured window (cores of ${cpus().length}): ${[...r.cores.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(
        ([g, c]) =>
          `${g} ${c.toFixed(2)}${rate > 0 && g !== 'other' && g !== 'load generator' ? ` (${Math.round((c * 1e6) / rate)} µs/punch)` : ''}`,
      )
      .join(', ')}`,
    `exactness: ${ackedTotal} acknowledged in total (warm-up included), attendance holds ${r.attendanceCount} (${r.attendanceCount === ackedTotal ? 'exact' : 'MISMATCH'}), drained ${r.drainS.toFixed(1)} s after the load stopped; ${r.missingSamples} sampled punches never seen`,
  ];
  for (const l of lines) log(l);
  if (!o.write) return;
  const machine = `${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GB, Node ${process.version}`;
  let commit = 'unknown';
  try {
    commit = execSync('git rev-parse --short HEAD', { cwd: REPO_ROOT }).toString().trim();
  } catch {
    /* not a git checkout */
  }
  const mix = BENCH_FAMILIES.filter((x) => o.mix[x] > 0)
    .map(
      (x) =>
        `${x} ${o.mix[x]}% (${devices.filter((d) => d.family === x).length} devices, ${o.batch[x]}/request)`,
    )
    .join(', ');
  if (!existsSync(o.out)) writeFileSync(o.out, '# Benchmarks\n');
  appendFileSync(
    o.out,
    [
      '',
      `### Ingest run ${new Date().toISOString()} (commit ${commit})`,
      '',
      `- Machine: ${machine}; whole stack on it (PostgreSQL, Kafka, ClickHouse, gateway, attendance, load generator).`,
      `- Load: ${o.rate} punches/s offered for ${o.durationS} s after ${o.warmupS} s warm-up; ${mix}.`,
      ...lines.map((l) => `- ${l}`),
      '',
    ].join('\n'),
  );
  log(`appended to ${o.out}`);
}

function log(msg: string) {
  process.stdout.write(`[bench:ingest] ${msg}\n`);
}

main().catch((err) => {
  process.stderr.write(`[bench:ingest] failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
