/**
 * `npm run bench:upload`: a city's day of attendance goes up to the national platform. The reporting
 * service runs as its own process against the local stack (an own schema and topic prefix); the national
 * simulator runs in this process (20 punches per call, results after a delay, a rate limit per appid:
 * every project has its own appid). What earlier days put upstream (units, teams, workers, their ID
 * numbers and each project's credentials) is seeded, so the measured work is the day's attendance. With
 * `--source punches` (the default: the live path) each punch is an `AttendanceRecorded` event on
 * attendance.records.v1, resolved and with a direction, keyed by its person-day as attendance keys it;
 * with `--source days` each worker's `AttendanceDayFinalised` goes to attendance.days.v1. The events are
 * published at an even pace over `--publish-seconds`, and the run ends when the simulator holds every
 * punch. Results are appended to docs/benchmarks.md.
 *
 * Options (all optional, `--help` lists them): --source punches --workers 200000 --workers-per-project 200
 *   --publish-seconds 300 --rate-limit 2 --async-delay-ms 1000 --timeout 1800 --out docs/benchmarks.md
 *   --no-write
 */
import { execSync } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import {
  AttendanceDayFinalised,
  AttendanceDayFinalisedData,
  AttendanceRecorded,
  AttendanceRecordedData,
  createEvent,
  Topics,
  toKafkaRecord,
  withTopicPrefix,
} from '@realname/contracts';
import { creditCodeCheckChar, residentIdCheckChar } from '@realname/domain-rules';
import { createKafka, Database, Sql } from '@realname/eventstore';
import { PersonalDataVault } from '@realname/personal-data';
import {
  freePort,
  REPO_ROOT,
  RunningService,
  startService,
  testInfrastructure,
  testIssuer,
  uniqueName,
} from '@realname/testing';
import { canonicalJson, dependencyRank, JsonObject } from '@realname/uplinks';
import { NationalSimulator, startNationalSimulator } from '@realname/uplink-simulators';
import { resourceServerEnv } from './auth';
import { coresUsed, cpuSnapshot } from './cpu';
import { parseUploadArgs, UPLOAD_USAGE, UploadBenchOptions } from './upload-args';

const TARGET = 'national';
const REGION = '330106';
const TEAM_SIZE = 20;
/** The issue's target: every punch accepted upstream within 10 minutes of the day's last one. */
const TARGET_S = 600;
const ATTENDANCE_METHOD = 'WorkerAttendance.Add';

/** Reporting's own repository of project credentials, as built (`tsc -b`): the bench stores them as the service does. */
interface CredentialsRepository {
  put(sql: Sql, target: string, projectId: string, input: { appid: string; secret: string }): Promise<void>;
}

function reportingCredentials(schema: string, vault: PersonalDataVault): CredentialsRepository {
  const file = join(REPO_ROOT, 'services', 'reporting', 'dist', 'uplinks', 'credentials.repository.js');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { UplinkCredentialsRepository } = require(file);
  return new UplinkCredentialsRepository(schema, vault) as CredentialsRepository;
}

/** Shanghai calendar day of an instant. */
const shanghaiDay = (at: Date) => new Date(at.getTime() + 8 * 3600_000).toISOString().slice(0, 10);

/** The city: projects of `perProject` workers, teams of 20, one labour subcontractor per project. */
class City {
  readonly projects: number;
  readonly run: string;

  constructor(
    readonly workers: number,
    readonly perProject: number,
    run: string,
  ) {
    this.projects = Math.ceil(workers / perProject);
    this.run = run.replace(/[^a-z0-9]/gi, '').slice(-10);
  }

  projectId = (p: number) => `3301bu${this.run}${String(p).padStart(5, '0')}`;
  appid = (p: number) => `app-${this.run}-${p}`;
  projectOf = (w: number) => Math.floor(w / this.perProject);
  teamOf = (w: number) => Math.floor((w % this.perProject) / TEAM_SIZE);
  teamsOf = (p: number) =>
    Math.ceil((Math.min(this.workers, (p + 1) * this.perProject) - p * this.perProject) / TEAM_SIZE);

  corpCode(p: number): string {
    const base = `91330100MA${String(p).padStart(7, '0')}`;
    return base + creditCodeCheckChar(base);
  }

  /** Distinct valid resident ID numbers: a birth day per thousand workers, the sequence within it. */
  idNumber(w: number): string {
    const birth = new Date(Date.UTC(1970, 0, 1) + Math.floor(w / 1000) * 86_400_000);
    const base = `${REGION}${birth.toISOString().slice(0, 10).replace(/-/g, '')}${String(w % 1000).padStart(3, '0')}`;
    return base + residentIdCheckChar(base);
  }
}

/**
 * The worker's day: present with one or two intervals (2 or 4 punches), some incomplete (1 or 3), about
 * 3 punches a day on average.
 */
function dayOf(city: City, w: number, day: string): AttendanceDayFinalisedData {
  const p = city.projectOf(w);
  const h = createHash('sha1').update(`${w}`).digest();
  const at = (minutes: number) =>
    new Date(Date.parse(`${day}T00:00:00+08:00`) + minutes * 60_000 + (h[2] % 60) * 1000).toISOString();
  const shape = h[0] % 20; // 0-8: one interval, 9-17: two, 18: a lone in, 19: two and a lone in
  const start = 7 * 60 + (h[1] % 60);
  const intervals: AttendanceDayFinalisedData['intervals'] = [];
  const end = (minutes: number, direction: 'in' | 'out') => ({
    at: at(minutes),
    direction,
    inferred: false,
  });
  if (shape <= 8) intervals.push({ in: end(start, 'in'), out: end(start + 600, 'out'), minutes: 600 });
  if (shape >= 9 && shape !== 18) {
    intervals.push({ in: end(start, 'in'), out: end(start + 270, 'out'), minutes: 270 });
    if (shape <= 17)
      intervals.push({ in: end(start + 330, 'in'), out: end(start + 600, 'out'), minutes: 270 });
  }
  if (shape >= 18) intervals.push({ in: end(start + 330, 'in'), minutes: 0 });
  const punches = intervals.reduce((n, i) => n + (i.in ? 1 : 0) + (i.out ? 1 : 0), 0);
  const workedMinutes = intervals.reduce((n, i) => n + i.minutes, 0);
  return {
    projectId: city.projectId(p),
    region: REGION,
    enrolmentId: `en-${w}`,
    workerId: `w-${city.run}-${w}`,
    teamId: `team-${city.teamOf(w)}`,
    participantId: 'pa-1',
    keyPosts: [],
    day,
    revision: 1,
    status: shape >= 18 ? 'incomplete' : 'present',
    calendar: { working: true, kind: 'workday', version: '2026' },
    intervals,
    workedMinutes,
    punches,
    corrections: [],
    rules: { timeZone: 'Asia/Shanghai', dayBoundary: '04:00', version: '1' },
    cause: 'finalised',
  };
}

/** A worker's punches of the day (the ends of its intervals), as attendance records them live. */
function punchesOf(day: AttendanceDayFinalisedData): { at: string; direction: 'in' | 'out' }[] {
  return day.intervals.flatMap((i) => [
    ...(i.in ? [{ at: i.in.at, direction: i.in.direction as 'in' | 'out' }] : []),
    ...(i.out ? [{ at: i.out.at, direction: i.out.direction as 'in' | 'out' }] : []),
  ]);
}

/** The AttendanceRecorded of a worker's punch: resolved to the worker's enrolment, team and unit. */
function recordedOf(
  city: City,
  w: number,
  day: AttendanceDayFinalisedData,
  punch: { at: string; direction: 'in' | 'out' },
  n: number,
): AttendanceRecordedData {
  return {
    punchEventId: randomUUID(),
    projectId: day.projectId,
    personId: `${10_000 + w}`,
    day: day.day,
    punchedAt: punch.at,
    direction: punch.direction,
    deviceId: `dev-${city.run}-${city.projectOf(w)}-${punch.direction}`,
    deviceRecordId: `${w}-${n}`,
    verifyMode: 'face',
    receivedAt: new Date(Date.parse(punch.at) + 2000).toISOString(),
    resolution: {
      status: 'resolved',
      enrolmentId: day.enrolmentId,
      workerId: day.workerId,
      teamId: day.teamId,
      participantId: day.participantId,
    },
  };
}

const hashOf = (payload: JsonObject) => createHash('sha256').update(canonicalJson(payload)).digest('hex');

/**
 * Earlier days, upstream: the simulator holds the corps, projects, units, teams and workers; the ledger
 * holds them accepted (teams with their `teamSysNo`); identities and credentials are stored encrypted.
 * Bulk inserts (unnest) in chunks; the encryption contexts are reporting's own.
 */
async function seed(
  city: City,
  simulator: NationalSimulator,
  db: Database,
  schema: string,
  vault: PersonalDataVault,
  secrets: string[],
): Promise<void> {
  const t = `"${schema}".upload_ledger`;
  const projects = Array.from({ length: city.projects }, (_, p) => p);
  const teams = projects.flatMap((p) =>
    Array.from({ length: city.teamsOf(p) }, (_, k) => ({ p, k, name: `班组${k + 1}` })),
  );
  const teamSysNos = simulator.seed({
    corps: projects.map((p) => ({ corpCode: city.corpCode(p), corpName: `劳务公司${p}` })),
    projects: projects.map((p) => ({
      projectCode: city.projectId(p),
      name: `项目${p}`,
      contractorCorpCode: city.corpCode(p),
    })),
    units: projects.map((p) => ({ projectCode: city.projectId(p), corpCode: city.corpCode(p) })),
    teams: teams.map((team) => ({
      projectCode: city.projectId(team.p),
      corpCode: city.corpCode(team.p),
      teamName: team.name,
    })),
    workers: Array.from({ length: city.workers }, (_, w) => ({
      projectCode: city.projectId(city.projectOf(w)),
      idCardNumber: city.idNumber(w),
    })),
  });

  interface Row {
    kind: 'participating-unit' | 'team' | 'project-worker';
    key: string;
    p: number;
    workerId: string | null;
    dependsOn: string;
    payload: JsonObject;
    keys: JsonObject;
  }
  const insert = async (rows: Row[]) => {
    for (let i = 0; i < rows.length; i += 5000) {
      const chunk = rows.slice(i, i + 5000);
      await db.execute(
        `INSERT INTO ${t} (target, kind, record_key, revision, project_id, region, kind_rank, worker_id,
           depends_on, payload, payload_hash, status, platform_keys, accepted_at, settled_at)
         SELECT $1, kind, key, 1, project_id, $2, rank, worker_id, string_to_array(depends_on, '|'),
                payload::jsonb, hash, 'accepted', keys::jsonb, now(), now()
           FROM unnest($3::text[], $4::text[], $5::text[], $6::smallint[], $7::text[], $8::text[], $9::text[],
                       $10::text[], $11::text[])
             AS r(kind, key, project_id, rank, worker_id, depends_on, payload, hash, keys)`,
        [
          TARGET,
          REGION,
          chunk.map((r) => r.kind),
          chunk.map((r) => r.key),
          chunk.map((r) => city.projectId(r.p)),
          chunk.map((r) => dependencyRank(r.kind)),
          chunk.map((r) => r.workerId),
          chunk.map((r) => r.dependsOn),
          chunk.map((r) => JSON.stringify(r.payload)),
          chunk.map((r) => hashOf(r.payload)),
          chunk.map((r) => JSON.stringify(r.keys)),
        ],
      );
    }
  };
  await insert(
    projects.map((p) => ({
      kind: 'participating-unit',
      key: `${city.projectId(p)}/pa-1`,
      p,
      workerId: null,
      dependsOn: '',
      payload: {
        header: { projectCode: city.projectId(p) },
        items: [{ corpCode: city.corpCode(p), corpName: `劳务公司${p}`, corpType: '009' }],
      },
      keys: {},
    })),
  );
  await insert(
    teams.map((team, i) => ({
      kind: 'team',
      key: `${city.projectId(team.p)}/team-${team.k}`,
      p: team.p,
      workerId: null,
      dependsOn: `participating-unit:${city.projectId(team.p)}/pa-1`,
      payload: {
        header: { projectCode: city.projectId(team.p) },
        items: [{ corpCode: city.corpCode(team.p), corpName: `劳务公司${team.p}`, teamName: team.name }],
      },
      keys: { teamSysNo: teamSysNos[i] },
    })),
  );
  const workerRows: Row[] = [];
  for (let w = 0; w < city.workers; w++) {
    const p = city.projectOf(w);
    workerRows.push({
      kind: 'project-worker',
      key: `${city.projectId(p)}/en-${w}`,
      p,
      workerId: `w-${city.run}-${w}`,
      dependsOn: `team:${city.projectId(p)}/team-${city.teamOf(w)}`,
      payload: {
        header: {
          projectCode: city.projectId(p),
          corpCode: city.corpCode(p),
          teamName: `班组${city.teamOf(w) + 1}`,
        },
        items: [{ workerName: `工人${w}`, isTeamLeader: 0, workType: '010', workRole: 20 }],
      },
      keys: {},
    });
  }
  await insert(workerRows);

  for (let i = 0; i < city.workers; i += 5000) {
    const ws = Array.from({ length: Math.min(5000, city.workers - i) }, (_, j) => i + j);
    const ids = ws.map((w) => `w-${city.run}-${w}`);
    await db.execute(
      `INSERT INTO "${schema}".worker_identities (worker_id, id_card_type, id_encrypted)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[])`,
      [
        ids,
        ws.map(() => '01'),
        ws.map((w, j) => vault.encrypt(city.idNumber(w), `worker:${ids[j]}:idCardNumber`)),
      ],
    );
  }
  const credentials = reportingCredentials(schema, vault);
  for (const p of projects) {
    await credentials.put(db, TARGET, city.projectId(p), { appid: city.appid(p), secret: secrets[p] });
  }
}

/** Resident set size now and at its peak (kB → MiB) of a process, from /proc. */
function memoryOf(pid: number): { rss: number; peak: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
    return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
  } catch {
    return { rss: 0, peak: 0 };
  }
}

interface Result {
  source: UploadBenchOptions['source'];
  days: number;
  punches: number;
  /** Ledger rows of attendance the day makes: one per punch (punches) or per worker's day (days). */
  rows: number;
  projects: number;
  publishS: number;
  /** From the last event published until the simulator held every punch; undefined: timed out. */
  afterLastS?: number;
  /** From the first event until the ledger held every row. */
  ledgerS?: number;
  accepted: number;
  attendanceCalls: number;
  pollCalls: number;
  otherCalls: number;
  rateLimited: number;
  failedCalls: number;
  ledger: Record<string, number>;
  cores: Map<string, number>;
  windowS: number;
  rssMiB: number;
  peakRssMiB: number;
  settings: string;
}

async function main() {
  const args = parseUploadArgs(process.argv.slice(2), join(REPO_ROOT, 'docs', 'benchmarks.md'));
  if (args.kind === 'help') return void process.stdout.write(UPLOAD_USAGE);
  if (args.kind === 'error') {
    process.stderr.write(`[bench:upload] ${args.message} (see --help)\n`);
    process.exit(2);
  }
  const o = args.options;
  const run = uniqueName('bench');
  const city = new City(o.workers, o.workersPerProject, run);
  const infra = await testInfrastructure();
  const schema = `rep_${run}`.toLowerCase();
  const prefix = `${run}.`.toLowerCase();
  const groupId = `reporting-${run}`;
  const keys = {
    PII_KEYS: `k1:${randomBytes(32).toString('base64')}`,
    PII_ACTIVE_KEY_ID: 'k1',
    PII_HASH_KEY: randomBytes(32).toString('base64'),
  };
  const vault = new PersonalDataVault({ keys: keys.PII_KEYS, activeKeyId: 'k1', hashKey: keys.PII_HASH_KEY });
  const secrets = Array.from({ length: city.projects }, () => randomBytes(16).toString('hex'));
  const simulator = await startNationalSimulator({
    projects: secrets.map((secret, p) => ({ appid: city.appid(p), secret })),
    asyncDelayMs: o.asyncDelayMs,
  });
  // A city's settings (docs/reporting.md): calls spaced to the platform's rate limit, 16 rounds side by
  // side, claims of 1,000 rows. Any service setting can be passed through instead:
  // BENCH_UPLOAD_UPLOAD_CONCURRENCY=8 → UPLOAD_CONCURRENCY=8.
  const passed: Record<string, string> = {
    UPLOAD_CALLS_PER_SECOND: String(o.rateLimit),
    UPLOAD_CONCURRENCY: '16',
    UPLOAD_CLAIM_SIZE: '1000',
    ...Object.fromEntries(
      Object.entries(process.env)
        .filter(([k, v]) => k.startsWith('BENCH_UPLOAD_') && v !== undefined)
        .map(([k, v]) => [k.slice('BENCH_UPLOAD_'.length), v as string]),
    ),
  };
  const port = await freePort();
  log(
    `run ${run}: ${city.workers} workers on ${city.projects} projects; starting reporting (schema ${schema}) and the national simulator (${o.rateLimit} calls/s per appid, results after ${o.asyncDelayMs} ms)`,
  );
  let service: RunningService | undefined;
  const db = await Database.connect({ url: infra.postgresUrl, poolSize: 4 });
  const kafka = createKafka({ brokers: infra.kafkaBrokers, clientId: `bench-${run}` });
  const producer = kafka.producer();
  try {
    service = await startService(
      'reporting',
      {
        DATABASE_URL: infra.postgresUrl,
        DATABASE_SCHEMA: schema,
        KAFKA_BROKERS: infra.kafkaBrokers.join(','),
        KAFKA_TOPIC_PREFIX: prefix,
        KAFKA_GROUP_ID: groupId,
        REPORTING_HTTP_PORT: String(port),
        // Its own gRPC port too: the default 9084 is the demo's (or another run's).
        REPORTING_GRPC_URL: `127.0.0.1:${await freePort()}`,
        UPLINK_TARGETS: `${TARGET}=${simulator.url}`,
        LOG_LEVEL: 'warn',
        ...resourceServerEnv(testIssuer()),
        ...keys,
        ...passed,
      },
      `http://127.0.0.1:${port}/health/ready`,
    );
    const started = Date.now();
    await seed(city, simulator, db, schema, vault, secrets);
    log(`seeded upstream in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    simulator.setRateLimit({ callsPerSecond: o.rateLimit, answer: 'http-429' });

    const topic = withTopicPrefix(
      prefix,
      o.source === 'punches' ? Topics.attendanceRecords : Topics.attendanceDays,
    ).name;
    await producer.connect();
    // The day that just ended in Shanghai: every punch is in the past for the platform's checks.
    const day = shanghaiDay(new Date(Date.now() - 86_400_000));
    // Workers leave in no particular order of project: a fixed shuffle of the city's workers.
    const order = Array.from({ length: city.workers }, (_, w) => w);
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    // The events, in publishing order: days in the shuffled order of workers; punches in the order they
    // were made over the working day (a worker's in before its out), each with its worker and number.
    const days = order.map((w) => dayOf(city, w, day));
    const punches = days.reduce((n, d) => n + d.punches, 0);
    const live =
      o.source === 'punches'
        ? days
            .flatMap((d, i) => punchesOf(d).map((punch, n) => ({ i, punch, n, at: Date.parse(punch.at) })))
            .sort((a, b) => a.at - b.at)
        : [];
    const total = o.source === 'punches' ? live.length : days.length;
    const rows = total;
    const eventOf = (k: number) => {
      if (o.source === 'days') {
        const data = days[k];
        return createEvent(AttendanceDayFinalised, data, {
          source: '/realname/attendance',
          subject: `timesheet-${data.projectId}-${data.enrolmentId}-${day}`,
          region: REGION,
        });
      }
      const { i, punch, n } = live[k];
      const data = recordedOf(city, order[i], days[i], punch, n);
      // Attendance's stream: the person-day (the Kafka key), so a person's punches keep their order.
      return createEvent(AttendanceRecorded, data, {
        source: '/realname/attendance',
        subject: `attendance-${data.projectId}-${data.personId}-${day}`,
        region: REGION,
      });
    };
    let sent = 0;
    const pid = service.process.pid!;
    const groupOf = (p: number, comm: string) =>
      p === pid
        ? 'reporting'
        : p === process.pid
          ? 'bench (simulator, producer)'
          : comm === 'postgres'
            ? 'PostgreSQL'
            : comm === 'java'
              ? 'Kafka'
              : undefined;
    // Per process, then per group: other work on the machine starts and ends processes (test runs'
    // PostgreSQL backends), and a group's total would drop when one of them exits.
    const perProcess = (p: number, comm: string) => `${groupOf(p, comm) ?? 'other'}|${p}`;
    const cpuAtStart = cpuSnapshot(perProcess);
    const firstAt = Date.now();
    let peakRss = 0;
    let ledgerS: number | undefined;
    const ledgerCount = async () =>
      Number(
        (
          await db.query<{ n: string }>(
            `SELECT count(*) AS n FROM "${schema}".upload_ledger WHERE kind = 'attendance'`,
          )
        )[0].n,
      );
    const progress = setInterval(() => {
      peakRss = Math.max(peakRss, memoryOf(pid).rss);
      void ledgerCount().then((n) => {
        if (ledgerS === undefined && n >= rows) ledgerS = (Date.now() - firstAt) / 1000;
        const calls = simulator.calls();
        log(
          `${((Date.now() - firstAt) / 1000).toFixed(0)} s: published ${sent}/${total} ${o.source === 'punches' ? 'punch' : 'day'} events, ledger ${n}, accepted ${simulator.acceptedCount(ATTENDANCE_METHOD)}/${punches} punches, ${calls.length} calls (${calls.filter((c) => c.httpStatus === 429).length} refused 429), reporting RSS ${memoryOf(pid).rss.toFixed(0)} MiB`,
        );
      });
    }, 10_000);
    try {
      // Published in slices of 100 ms, at an even pace over the window (0: all at once).
      const slice = 100;
      const slices = Math.max(1, Math.ceil((o.publishSeconds * 1000) / slice));
      for (let s = 0; s < slices; s++) {
        const upTo = Math.round(((s + 1) / slices) * total);
        const messages = [];
        for (; sent < upTo; sent++) messages.push(toKafkaRecord(eventOf(sent)));
        for (let i = 0; i < messages.length; i += 2000)
          await producer.send({ topic, messages: messages.slice(i, i + 2000) });
        const wait = firstAt + (s + 1) * slice - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
      const lastAt = Date.now();
      const publishS = (lastAt - firstAt) / 1000;
      log(
        `published ${sent} ${o.source === 'punches' ? 'punch' : 'day'} events (${punches} punches) in ${publishS.toFixed(0)} s; waiting for the platform`,
      );
      let afterLastS: number | undefined;
      while (Date.now() - lastAt < o.timeoutS * 1000) {
        if (simulator.acceptedCount(ATTENDANCE_METHOD) >= punches) {
          afterLastS = (Date.now() - lastAt) / 1000;
          break;
        }
        await new Promise((r) => setTimeout(r, 200));
      }
      const windowS = (Date.now() - firstAt) / 1000;
      const cores = new Map<string, number>();
      for (const [key, c] of coresUsed(cpuAtStart, cpuSnapshot(perProcess), windowS)) {
        const group = key.slice(0, key.lastIndexOf('|'));
        cores.set(group, (cores.get(group) ?? 0) + c);
      }
      const memory = memoryOf(pid);
      if (ledgerS === undefined && (await ledgerCount()) >= rows) ledgerS = windowS;
      const calls = simulator.calls();
      const statuses = await db.query<{ status: string; n: string }>(
        `SELECT status, count(*) AS n FROM "${schema}".upload_ledger WHERE kind = 'attendance' GROUP BY status`,
      );
      report(o, {
        source: o.source,
        days: days.length,
        punches,
        rows,
        projects: city.projects,
        publishS,
        afterLastS,
        ledgerS,
        accepted: simulator.acceptedCount(ATTENDANCE_METHOD),
        attendanceCalls: calls.filter((c) => c.method === ATTENDANCE_METHOD).length,
        pollCalls: calls.filter((c) => c.method === 'AsyncHandleResult.Query').length,
        otherCalls: calls.filter(
          (c) => c.method !== ATTENDANCE_METHOD && c.method !== 'AsyncHandleResult.Query',
        ).length,
        rateLimited: calls.filter((c) => c.httpStatus === 429).length,
        failedCalls: calls.filter((c) => c.httpStatus !== 200 && c.httpStatus !== 429).length,
        ledger: Object.fromEntries(statuses.map((r) => [r.status, Number(r.n)])),
        cores,
        windowS,
        rssMiB: Math.max(peakRss, memory.rss),
        peakRssMiB: memory.peak,
        settings: Object.entries(passed)
          .map(([k, v]) => `${k}=${v}`)
          .join(', '),
      });
    } finally {
      clearInterval(progress);
    }
  } finally {
    await producer.disconnect().catch(() => undefined);
    await service?.stop().catch(() => undefined);
    const admin = kafka.admin();
    await admin
      .connect()
      .then(async () => {
        const topics = (await admin.listTopics()).filter((name) => name.startsWith(prefix));
        await admin.deleteTopics({ topics }).catch(() => undefined);
      })
      .catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
    await db.execute(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
    await db.close();
    await simulator.close();
  }
}

function report(o: UploadBenchOptions, r: Result) {
  let commit = 'unknown';
  try {
    commit = execSync('git rev-parse --short HEAD', { cwd: REPO_ROOT }).toString().trim();
  } catch {
    // not a git checkout: the run is still reported
  }
  const machine = `${cpus().length} cores (${cpus()[0]?.model ?? 'unknown CPU'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
  const n = (x: number) => x.toLocaleString('en');
  const cores = [...r.cores]
    .sort((a, b) => b[1] - a[1])
    .map(([group, c]) => `${group} ${c.toFixed(2)}`)
    .join(', ');
  const reporting = r.cores.get('reporting') ?? 0;
  const lines = [
    `Source ${r.source}: ${r.source === 'punches' ? `${n(r.punches)} punches of ${n(r.days)} workers as live AttendanceRecorded events` : `${n(r.days)} workers' finalised days (${n(r.punches)} punches)`} on ${n(r.projects)} projects (one appid each), published over ${r.publishS.toFixed(0)} s; platform: 20 punches per call, results after ${o.asyncDelayMs} ms, ${o.rateLimit} calls/s per appid (HTTP 429 beyond)${r.settings ? `; service settings ${r.settings}` : ''}.`,
    r.afterLastS !== undefined
      ? `accepted upstream: all ${n(r.accepted)} punches **${r.afterLastS.toFixed(0)} s after the last event** — target ${TARGET_S} s: ${r.afterLastS <= TARGET_S ? 'met' : 'MISSED'}`
      : `accepted upstream: only ${n(r.accepted)} of ${n(r.punches)} punches ${o.timeoutS} s after the last event — target ${TARGET_S} s: MISSED`,
    `ledger: ${r.ledgerS !== undefined ? `all ${n(r.rows)} rows written ${r.ledgerS.toFixed(0)} s after the first event (${n(Math.round(r.rows / r.ledgerS))} rows/s; published at ${n(Math.round(r.rows / Math.max(1, r.publishS)))} events/s)` : `not every ${r.source === 'punches' ? 'punch' : 'day'} has its row`}; attendance rows by status: ${Object.entries(
      r.ledger,
    )
      .map(([s, c]) => `${s} ${n(c)}`)
      .join(', ')}`,
    `calls: ${n(r.attendanceCalls)} WorkerAttendance.Add (${(r.punches / Math.max(1, r.attendanceCalls)).toFixed(1)} punches per call), ${n(r.pollCalls)} result polls, ${n(r.otherCalls)} other; ${n(r.rateLimited)} refused with 429, ${n(r.failedCalls)} other failures`,
    `CPU over the ${r.windowS.toFixed(0)} s from the first event to the last acceptance (cores of ${cpus().length}): ${cores}; reporting ${((reporting * r.windowS * 1e6) / Math.max(1, r.punches)).toFixed(0)} µs per punch`,
    `reporting memory: RSS up to ${r.rssMiB.toFixed(0)} MiB during the run (peak ${r.peakRssMiB.toFixed(0)} MiB)`,
  ];
  for (const l of lines) log(l);
  if (!o.write) return;
  if (!existsSync(o.out)) writeFileSync(o.out, '# Benchmarks\n');
  appendFileSync(
    o.out,
    [
      '',
      `### Upload run ${new Date().toISOString()} (commit ${commit})`,
      '',
      `- Machine: ${machine}; the whole local stack on it (PostgreSQL, Kafka, reporting, the simulator and the producer), shared with other work.`,
      ...lines.map((l) => `- ${l}`),
      '',
    ].join('\n'),
  );
  log(`appended to ${o.out}`);
}

function log(msg: string) {
  process.stdout.write(`[bench:upload] ${new Date().toISOString().slice(11, 19)} ${msg}\n`);
}

main().catch((err) => {
  process.stderr.write(`[bench:upload] failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
