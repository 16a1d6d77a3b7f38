/**
 * `npm run bench:analytics`: generates a province-sized month of attendance directly in ClickHouse (a
 * bench database migrated with attendance's own migration files), then measures the load rate, the
 * storage per row and the monthly analytics queries with the very SQL text the attendance service sends
 * (its built `analytics-queries.js`). Results are appended to docs/benchmarks.md.
 *
 * The month: 11 cities of Zhejiang weighted by size, about 3,000 projects with Zipf-like sizes (density
 * of workers over project rank ~ rank^-1/3: the largest ~20 times the smallest), teams of 10-40 workers, subcontracting units shared across
 * projects, four key persons per project; every worker has a timesheet every day of the month (present,
 * incomplete, absent or leave on working days; rest or weekend work otherwise) and two to four punches
 * on a day present (one or three when incomplete).
 *
 * Options: --punches 100000000 --month 2026-11 --runs 7 --keep --out docs/benchmarks.md --no-write
 */
import { execSync } from 'node:child_process';
import { appendFileSync, existsSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { ClickHouseClient, createClient } from '@clickhouse/client';
import { REPO_ROOT, testInfrastructure, uniqueName } from '@realname/testing';
import { ANALYTICS_USAGE, AnalyticsBenchOptions, parseAnalyticsArgs } from './analytics-args';

type Scope = { kind: 'province' | 'city' | 'county' | 'project'; code: string };

/** The attendance service's own migration runner and query builders, as built (`tsc -b`). */
interface AttendanceAnalytics {
  migrateClickHouse(client: ClickHouseClient, database: string): Promise<string[]>;
  regionMonthCitiesSql(database: string, month: string, region: string, scope: Scope): string;
  regionMonthProjectsSql(database: string, month: string, region: string, scope: Scope): string;
  teamSheetSql(database: string, month: string, projectId: string, scope: Scope): string;
  keyPersonnelSql(database: string, month: string, region: string, scope: Scope): string;
}

function attendanceAnalytics(): AttendanceAnalytics {
  const dist = join(REPO_ROOT, 'services', 'attendance', 'dist', 'analytics');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return { ...require(join(dist, 'clickhouse.js')), ...require(join(dist, 'analytics-queries.js')) };
}

const PROJECTS = 3000;
/** Zhejiang's 11 cities and their cumulative share of projects (%), Hangzhou largest. */
const CITIES = ['3301', '3302', '3303', '3304', '3305', '3306', '3307', '3308', '3309', '3310', '3311'];
const CITY_SHARE = [22, 38, 50, 58, 64, 73, 83, 87, 90, 97, 100];
const POSTS = ['project-manager', 'chief-supervising-engineer', 'safety-officer', 'technical-lead'];
/**
 * Punches per worker and month of the distribution below, for sizing: working days 85% present with
 * 2 or 4 punches, 3% incomplete with 1 or 3; non-working days 40% worked with 2 or 4.
 */
const punchesPerWorker = (working: number, other: number) =>
  working * (0.85 * 3 + 0.03 * 2) + other * 0.4 * 3;
/** Rows per INSERT ... SELECT: ClickHouse's memory stays bounded, and progress is visible. */
const CHUNK_ROWS = 10_000_000;
/** Keeps one insert to two threads and a few GB on this shared machine. */
const INSERT_SETTINGS = { max_threads: 2, max_memory_usage: '6000000000' } as const;

/**
 * The person-days n in [from, from + count) of the month, with everything both tables derive from
 * them (one expression for both, so punches and attendance days describe the same month).
 */
function personDaysSql(month: string, workers: number, days: number, from: number, count: number): string {
  const q = (s: string) => `'${s}'`;
  return `SELECT
      n, w, di, day, p, l, team, unit, county, project_id, code, punches, minutes,
      concat(project_id, '-t', toString(team)) AS team_id,
      concat('pa-', toString(cityHash64(p, unit) % 20000)) AS participant_id,
      lower(hex(cityHash64('enrolment', w))) AS enrolment_id,
      lower(hex(cityHash64('worker', w))) AS worker_id
    FROM (
      SELECT number AS n, intDiv(n, ${days}) AS w, n % ${days} AS di,
        toDate(${q(month + '-01')}) + di AS day,
        toUInt32(floor(${PROJECTS} * pow(w / ${workers}, 1.5))) AS p,
        toUInt64(ceil(${workers} * pow(p / ${PROJECTS}, 1 / 1.5))) AS first_worker,
        if(w >= first_worker, w - first_worker, 0) AS l,
        intDiv(l, 10 + p % 31) AS team,
        intDiv(team, 4) AS unit,
        arrayElement([${CITIES.map(q).join(', ')}], arrayFirstIndex(x -> x > cityHash64(p) % 100, [${CITY_SHARE.join(', ')}])) AS city4,
        concat(city4, '0', toString(1 + cityHash64(p, 1) % 9)) AS county,
        concat(county, '2026', substring(toString(100000000 + p), 2)) AS project_id,
        toDayOfWeek(day) <= 5 AS is_working,
        cityHash64(w, di) % 1000 AS h,
        cityHash64(w, di, 7) AS h2,
        multiIf(is_working, multiIf(h < 850, 1, h < 880, 2, h < 960, 3, 4), h < 400, 1, 5) AS code,
        multiIf(code = 1, 2 + 2 * (h2 % 2), code = 2, 1 + 2 * (h2 % 2), 0) AS punches,
        multiIf(code = 1, 420 + h2 % 240, code = 2 AND punches = 3, 180 + h2 % 120, 0) AS minutes
      FROM numbers(${from}, ${count})
    )`;
}

function attendanceDaysInsert(db: string, from: string): string {
  return `INSERT INTO ${db}.attendance_days
      (day, province, city, county, project_id, participant_id, team_id, enrolment_id, worker_id, status,
       working, present, leave, worked_minutes, punches, key_posts, revision, sign)
    SELECT day, concat(substring(county, 1, 2), '0000'), concat(substring(county, 1, 4), '00'), county,
      project_id, participant_id, team_id, enrolment_id, worker_id,
      CAST(toUInt8(code) AS Enum8('present' = 1, 'incomplete' = 2, 'absent' = 3, 'leave' = 4, 'rest' = 5)),
      toUInt8(toDayOfWeek(day) <= 5), toUInt8(code <= 2), toUInt8(code = 4), toUInt32(minutes),
      toUInt32(punches),
      if(l < ${POSTS.length}, [arrayElement([${POSTS.map((s) => `'${s}'`).join(', ')}], toUInt32(l + 1))], emptyArrayString()),
      toUInt32(1), toInt8(1)
    FROM (${from})`;
}

/**
 * One punch per `k` below the person-day's count. generateUUIDv4() does not depend on `k`, so ClickHouse
 * computes it once per person-day, before the ARRAY JOIN: `k` is written into its last digit to keep the
 * event ids (part of the punches' sorting key, collapsed when equal) distinct. The punch event id is the
 * event id reversed: 18.16's generateUUIDv4 takes no argument, so a second call would be the same value.
 */
function punchesInsert(db: string, from: string): string {
  return `INSERT INTO ${db}.punches
      (event_id, punch_event_id, region, project_id, person_id, day, punched_at, direction, device_id,
       device_record_id, verify_mode, received_at, resolution_status, unresolved_reason, enrolment_id,
       worker_id, worker_name, team_id, team_name, participant_id, corp_name, work_type)
    SELECT concat(substring(toString(generateUUIDv4()), 1, 35), toString(k)) AS id, reverse(id), county, project_id, toString(w), day,
      toDateTime(toUInt32(day) * 86400 - 3600 + k * 14400 + (h2 + k) % 900) AS at,
      if(k % 2 = 0, 'in', 'out'), concat(project_id, '-gate-', toString(w % 3)), toString(n * 4 + k), 'face',
      at + 2, 'resolved', '', enrolment_id, worker_id, concat('工人', toString(w % 10000)), team_id,
      concat('班组', toString(team)), participant_id, concat('劳务公司', toString(cityHash64(p, unit) % 20000)),
      arrayElement(['木工', '钢筋工', '混凝土工', '架子工', '电工', '普工'], toUInt32(1 + w % 6))
    FROM (SELECT *, cityHash64(w, di, 7) AS h2 FROM (${from}))
    ARRAY JOIN range(toUInt32(punches)) AS k`;
}

interface Load {
  rows: number;
  seconds: number;
}

async function loadInChunks(
  ch: ClickHouseClient,
  what: string,
  totalPersonDays: number,
  perChunk: number,
  insert: (from: number, count: number) => string,
  table: string,
): Promise<Load> {
  const before = await countRows(ch, table);
  const start = Date.now();
  for (let from = 0; from < totalPersonDays; from += perChunk) {
    const count = Math.min(perChunk, totalPersonDays - from);
    await ch.command({ query: insert(from, count), clickhouse_settings: INSERT_SETTINGS });
    log(
      `${what}: person-days ${from + count}/${totalPersonDays} (${((Date.now() - start) / 1000).toFixed(0)} s)`,
    );
  }
  const seconds = (Date.now() - start) / 1000;
  return { rows: (await countRows(ch, table)) - before, seconds };
}

async function countRows(ch: ClickHouseClient, table: string): Promise<number> {
  return Number((await select<{ n: string }>(ch, `SELECT count() AS n FROM ${table}`))[0].n);
}

async function select<T>(ch: ClickHouseClient, query: string): Promise<T[]> {
  return (await ch.query({ query, format: 'JSONEachRow' })).json<T>();
}

/** Waits (at most `maxS`) until no merge of the bench database runs, so queries are not timed against them. */
async function settle(ch: ClickHouseClient, db: string, maxS: number): Promise<number> {
  const start = Date.now();
  while (Date.now() - start < maxS * 1000) {
    const [m] = await select<{ n: string }>(
      ch,
      `SELECT count() AS n FROM system.merges WHERE database = '${db}'`,
    );
    if (Number(m.n) === 0) return (Date.now() - start) / 1000;
    await new Promise((r) => setTimeout(r, 5000));
  }
  return -1;
}

interface Timing {
  label: string;
  target: number;
  median: number;
  min: number;
  max: number;
  rows: number;
}

/** Times `run` (what the service does for one request; resolves to the rows it answered). */
async function time(
  label: string,
  target: number,
  run: () => Promise<number>,
  runs: number,
): Promise<Timing> {
  await run(); // one warm-up run: the figures are for a server that has seen the tables
  const ms: number[] = [];
  let rows = 0;
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint();
    rows = await run();
    ms.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  ms.sort((a, b) => a - b);
  const r = {
    label,
    target,
    median: ms[Math.floor(ms.length / 2)],
    min: ms[0],
    max: ms[ms.length - 1],
    rows,
  };
  log(
    `${label}: median ${r.median.toFixed(0)} ms (min ${r.min.toFixed(0)}, max ${r.max.toFixed(0)}), ${rows} rows`,
  );
  return r;
}

interface Storage {
  table: string;
  rows: number;
  bytes: number;
  parts: number;
}

async function storage(ch: ClickHouseClient, db: string): Promise<Storage[]> {
  const rows = await select<{ table: string; rows: string; bytes: string; parts: string }>(
    ch,
    `SELECT table, sum(rows) AS rows, sum(bytes_on_disk) AS bytes, count() AS parts FROM system.parts
     WHERE database = '${db}' AND active GROUP BY table ORDER BY table`,
  );
  return rows.map((r) => ({
    table: r.table,
    rows: Number(r.rows),
    bytes: Number(r.bytes),
    parts: Number(r.parts),
  }));
}

async function main() {
  const args = parseAnalyticsArgs(process.argv.slice(2), join(REPO_ROOT, 'docs', 'benchmarks.md'));
  if (args.kind === 'help') return void process.stdout.write(ANALYTICS_USAGE);
  if (args.kind === 'error') {
    process.stderr.write(`[bench:analytics] ${args.message} (see --help)\n`);
    process.exit(2);
  }
  const o = args.options;
  const att = attendanceAnalytics();
  const infra = await testInfrastructure();
  const ch = createClient({ url: infra.clickhouseUrl, request_timeout: 3_600_000 });
  const db = uniqueName('bench_analytics').toLowerCase();
  const [year, mon] = o.month.split('-').map(Number);
  const days = new Date(Date.UTC(year, mon, 0)).getUTCDate();
  const working = Array.from({ length: days }, (_, d) =>
    new Date(Date.UTC(year, mon - 1, d + 1)).getUTCDay(),
  ).filter((wd) => wd >= 1 && wd <= 5).length;
  // A little over the target: the punch count of a generated month is only known once it is generated.
  const workers = Math.ceil((o.punches / punchesPerWorker(working, days - working)) * 1.005);
  const personDays = workers * days;
  log(`database ${db}: ${workers} workers x ${days} days = ${personDays} person-days, ~${o.punches} punches`);
  try {
    const [{ version }] = await select<{ version: string }>(ch, 'SELECT version() AS version');
    const applied = await att.migrateClickHouse(ch, db);
    log(`migrations applied: ${applied.join(', ')}`);
    const punchChunk = Math.ceil(CHUNK_ROWS / 2.2);
    const punchLoad = await loadInChunks(
      ch,
      'punches',
      personDays,
      punchChunk,
      (from, count) => punchesInsert(db, personDaysSql(o.month, workers, days, from, count)),
      `${db}.punches`,
    );
    const dayLoad = await loadInChunks(
      ch,
      'attendance_days',
      personDays,
      CHUNK_ROWS,
      (from, count) => attendanceDaysInsert(db, personDaysSql(o.month, workers, days, from, count)),
      `${db}.attendance_days`,
    );
    log(
      `loaded: ${punchLoad.rows} punches in ${punchLoad.seconds.toFixed(0)} s, ${dayLoad.rows} attendance days in ${dayLoad.seconds.toFixed(0)} s`,
    );
    const settled = await settle(ch, db, 900);
    const store = await storage(ch, db);

    const province: Scope = { kind: 'province', code: '330000' };
    const [biggest] = await select<{ project_id: string; workers: string }>(
      ch,
      `SELECT project_id, uniqExact(enrolment_id) AS workers FROM ${db}.attendance_months
       WHERE month = toDate('${o.month}-01') GROUP BY project_id ORDER BY workers DESC LIMIT 1`,
    );
    const [median] = await select<{ project_id: string; workers: string }>(
      ch,
      `SELECT project_id, workers FROM (SELECT project_id, uniqExact(enrolment_id) AS workers FROM ${db}.attendance_months
       WHERE month = toDate('${o.month}-01') GROUP BY project_id ORDER BY workers) LIMIT 1 OFFSET ${PROJECTS / 2}`,
    );
    const rowsOf = (sql: string) => async () => (await select(ch, sql)).length;
    const timings = [
      // As AnalyticsQueries.regionMonth does it: the city query (WITH TOTALS) and the project query side by side.
      await time(
        'province report by city and project (33)',
        1000,
        async () => {
          const [cities, projects] = await Promise.all([
            ch
              .query({ query: att.regionMonthCitiesSql(db, o.month, '33', province), format: 'JSON' })
              .then((r) => r.json()),
            select(ch, att.regionMonthProjectsSql(db, o.month, '33', province)),
          ]);
          return cities.data.length + projects.length;
        },
        o.runs,
      ),
      await time(
        `team sheet of the largest project (${biggest.workers} workers)`,
        200,
        rowsOf(att.teamSheetSql(db, o.month, biggest.project_id, province)),
        o.runs,
      ),
      await time(
        `team sheet of a median project (${median.workers} workers)`,
        200,
        rowsOf(att.teamSheetSql(db, o.month, median.project_id, province)),
        o.runs,
      ),
      await time(
        'key-personnel presence rates, Hangzhou (3301)',
        1000,
        rowsOf(att.keyPersonnelSql(db, o.month, '3301', province)),
        o.runs,
      ),
      await time(
        'key-personnel presence rates, province (33)',
        1000,
        rowsOf(att.keyPersonnelSql(db, o.month, '33', province)),
        o.runs,
      ),
      // The city half of the report without the roll-up, for the ADR: what the materialised views save.
      await time(
        'province report by city from attendance_days (no roll-up; for comparison)',
        0,
        rowsOf(
          `SELECT city, sum(sign * present) AS dp, uniqExactIf(cityHash64(worker_id), present = 1 AND sign = 1) AS workers,
             sum(sign * worked_minutes) AS minutes
           FROM ${db}.attendance_days
           WHERE day >= toDate('${o.month}-01') AND day < addMonths(toDate('${o.month}-01'), 1) AND county LIKE '33%'
           GROUP BY city WITH TOTALS`,
        ),
        Math.min(o.runs, 3),
      ),
    ];
    report(o, { version, workers, personDays, punchLoad, dayLoad, settled, store, timings });
  } finally {
    if (!o.keep) await ch.command({ query: `DROP DATABASE IF EXISTS ${db}` });
    else log(`kept database ${db}`);
    await ch.close();
  }
}

interface Result {
  version: string;
  workers: number;
  personDays: number;
  punchLoad: Load;
  dayLoad: Load;
  settled: number;
  store: Storage[];
  timings: Timing[];
}

function report(o: AnalyticsBenchOptions, r: Result) {
  let commit = 'unknown';
  try {
    commit = execSync('git rev-parse --short HEAD', { cwd: REPO_ROOT }).toString().trim();
  } catch {
    // not a git checkout: the run is still reported
  }
  const machine = `${cpus().length} cores (${cpus()[0]?.model ?? 'unknown CPU'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, ClickHouse ${r.version}`;
  const perRow = (t: string) => {
    const s = r.store.find((x) => x.table === t);
    return s && s.rows > 0
      ? `${(s.bytes / s.rows).toFixed(1)} bytes/row (${s.rows.toLocaleString('en')} rows, ${(s.bytes / 2 ** 20).toFixed(0)} MiB, ${s.parts} parts)`
      : 'n/a';
  };
  const rate = (l: Load) =>
    `${Math.round(l.rows / l.seconds).toLocaleString('en')} rows/s (${l.rows.toLocaleString('en')} rows in ${l.seconds.toFixed(0)} s)`;
  const lines = [
    `Generated: ${o.month}, ${r.workers.toLocaleString('en')} workers on ${PROJECTS} projects in 11 cities, ${r.personDays.toLocaleString('en')} person-days.`,
    `Load, punches (INSERT ... SELECT in chunks of ~10M rows, with its materialised view): ${rate(r.punchLoad)}.`,
    `Load, attendance_days (with the three materialised views: months, key posts, written ledger): ${rate(r.dayLoad)}.`,
    `Merges ${r.settled >= 0 ? `settled ${r.settled.toFixed(0)} s after the load` : 'still running after 900 s (queries timed beside them)'}.`,
    ...[
      'punches',
      'attendance_days',
      'attendance_months',
      'attendance_key_posts',
      'attendance_days_written',
    ].map((t) => `Storage ${t}: ${perRow(t)}.`),
    ...r.timings.map(
      (t) =>
        `${t.label}: median **${t.median.toFixed(0)} ms** of ${o.runs} runs (min ${t.min.toFixed(0)}, max ${t.max.toFixed(0)}; ${t.rows} rows)` +
        (t.target > 0 ? ` — target < ${t.target} ms: ${t.median < t.target ? 'met' : 'MISSED'}` : ''),
    ),
  ];
  for (const l of lines) log(l);
  if (!o.write) return;
  if (!existsSync(o.out)) writeFileSync(o.out, '# Benchmarks\n');
  appendFileSync(
    o.out,
    [
      '',
      `### Analytics run ${new Date().toISOString()} (commit ${commit})`,
      '',
      `- Machine: ${machine}; the whole local stack on it, shared with other work.`,
      ...lines.map((l) => `- ${l}`),
      '',
    ].join('\n'),
  );
  log(`appended to ${o.out}`);
}

function log(msg: string) {
  process.stdout.write(`[bench:analytics] ${msg}\n`);
}

main().catch((err) => {
  process.stderr.write(`[bench:analytics] failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
