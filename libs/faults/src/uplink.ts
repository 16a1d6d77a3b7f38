/**
 * The uplink scenario (issue 12): the reporting service as a process on the suite's stack, the national
 * platform simulator in the suite's process, a day's uploads from registry and attendance events
 * published to Kafka, and three faults in turn, each while records are going up: SIGKILL reporting
 * (restarted at once, as a supervisor would), the platform down for ten minutes, and a rate-limit storm
 * (HTTP 429, then the busy code). Afterwards every expected record must be held upstream exactly once,
 * every ledger row accepted, nothing dead-lettered; each fault is recovered from within the bound.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { toKafkaRecord, withTopicPrefix } from '@realname/contracts';
import { createKafka, Database, ensureTopics } from '@realname/eventstore';
import { PersonalDataVault } from '@realname/personal-data';
import { resourceServerEnv } from '@realname/bench';
import { freePort, REPO_ROOT, RunningService, startService, uniqueName } from '@realname/testing';
import {
  ASYNC_RESULT_METHOD,
  NATIONAL_CODE,
  NationalCredentials,
  NationalPlatformUplink,
} from '@realname/uplinks';
import { NationalSimulator, startNationalSimulator } from '@realname/uplink-simulators';
import { readDeadLetters } from './observe';
import type { ScenarioResult } from './run-scenario';
import { s } from './scenarios';
import type { FaultStack } from './stack';
import {
  compareUpstream,
  dayEvents,
  DEFAULT_UPLINK_SIZE,
  expectedDayRecords,
  expectedRegistryRecords,
  planUplinkSite,
  registryEvents,
  SiteEvent,
  SiteProject,
  UpstreamCount,
  UplinkMethod,
  UplinkSiteSize,
  UPLINK_METHODS,
} from './uplink-site';

export const UPLINK_SCENARIO = {
  id: 'uplink',
  title: 'reporting uplink: SIGKILL mid-upload, national platform down, rate-limit storms',
};

export interface UplinkOptions {
  /** How long the national platform is down (seconds). */
  downS: number;
  /** How long the rate-limit storm lasts (seconds): half answered HTTP 429, half the busy code. */
  stormS: number;
  /** A fault not recovered from within this long fails the scenario (seconds). */
  recoveryTimeoutS: number;
  size?: UplinkSiteSize;
}

export interface UplinkPhase {
  id: 'kill' | 'down' | 'storm';
  fault: string;
  /** Records this phase's events put upstream. */
  records: number;
  /** Upstream when the fault struck, of this phase's records. */
  acceptedAtFault: number;
  /** Fault end -> every record so far held upstream and every ledger row settled; null: not within the bound. */
  recoverS: number | null;
  note?: string;
}

export interface UplinkOutcome {
  expected: number;
  accepted: number;
  missing: number;
  doubled: number;
  byMethod: UpstreamCount[];
  /** Ledger rows by status. */
  ledger: Record<string, number>;
  phases: UplinkPhase[];
  /** Calls the simulator answered, by kind. */
  calls: { writes: number; polls: number; lookups: number; refused: number; failed: number };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

const rateLimited = (c: { httpStatus: number; code?: number }) =>
  c.httpStatus === 429 || c.code === NATIONAL_CODE.rateLimited;

/** Rows of the ledger not settled yet: still to go up or waiting for the platform's answer. */
const LIVE = ['pending', 'sent'];

/** A class of reporting's build output, loaded by path: a tool has no compile-time dependency on a service. */
function reportingClass<T>(file: string, name: string): new (schema: string, vault: PersonalDataVault) => T {
  const path = join(REPO_ROOT, 'services', 'reporting', 'dist', file);
  let mod: Record<string, unknown>;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    mod = require(path);
  } catch (err) {
    throw new Error(`cannot load ${path} (build first: npx tsc -b tsconfig.json): ${String(err)}`);
  }
  const cls = mod[name];
  if (typeof cls !== 'function') throw new Error(`${path} does not export ${name}`);
  return cls as new (schema: string, vault: PersonalDataVault) => T;
}

interface CredentialsRepository {
  put(
    sql: Database,
    target: string,
    projectId: string,
    input: { appid: string; secret: string },
  ): Promise<void>;
}
interface IdentitiesRepository {
  put(
    sql: Database,
    workerId: string,
    identity: { idCardType: string; idCardNumber: string; headImage?: string },
  ): Promise<void>;
}

/** A small JPEG-looking head image (the platform checks the magic bytes and the 50 KB limit). */
const HEAD_IMAGE = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(600, 7)]).toString(
  'base64',
);

/** `days` calendar days before today in Asia/Shanghai, `yyyy-MM-dd`. */
function shanghaiDay(daysAgo: number): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(
    new Date(Date.now() - daysAgo * 86_400_000),
  );
}

export async function runUplinkScenario(
  index: number,
  stack: FaultStack,
  o: UplinkOptions,
  log: (msg: string) => void,
): Promise<ScenarioResult> {
  const t0 = Date.now();
  const run = uniqueName(`faults_${index}`);
  const schema = `rep_${run}`;
  const topicPrefix = `${run}.`;
  const groupId = `reporting-${run}`;
  const notes: string[] = [];
  const exits: string[] = [];
  const keys = {
    PII_KEYS: `k1:${randomBytes(32).toString('base64')}`,
    PII_ACTIVE_KEY_ID: 'k1',
    PII_HASH_KEY: randomBytes(32).toString('base64'),
  };
  const projects = planUplinkSite(run, o.size ?? DEFAULT_UPLINK_SIZE, () => randomBytes(16).toString('hex'));
  const kafka = createKafka({ brokers: stack.kafkaBrokers, clientId: `faults-${run}` });
  const producer = kafka.producer();
  let sim: NationalSimulator | undefined;
  let db: Database | undefined;
  let reporting: RunningService | undefined;
  let stopping = false;
  let passed = false;
  try {
    sim = await startNationalSimulator({
      projects: projects.map((p) => ({ appid: p.appid, secret: p.secret })),
      asyncDelayMs: 100,
    });
    const simulator = sim;
    await registerUpstream(simulator, projects);
    const [port, grpcPort] = [await freePort(), await freePort()];
    const url = `http://127.0.0.1:${port}`;
    const env = {
      DATABASE_URL: stack.postgresUrl,
      DATABASE_SCHEMA: schema,
      KAFKA_BROKERS: stack.kafkaBrokers.join(','),
      KAFKA_TOPIC_PREFIX: topicPrefix,
      KAFKA_GROUP_ID: groupId,
      KAFKA_SESSION_TIMEOUT_MS: '8000',
      LOG_LEVEL: 'warn',
      ...resourceServerEnv(stack.issuer),
      ...keys,
      REPORTING_HTTP_PORT: String(port),
      REPORTING_GRPC_URL: `127.0.0.1:${grpcPort}`,
      UPLINK_TARGETS: `national=${simulator.url}`,
      UPLOAD_INTERVAL_MS: '200',
      UPLOAD_BACKOFF_MS: '200',
      UPLOAD_BACKOFF_MAX_MS: '5000',
      UPLOAD_LEASE_MS: '5000',
      UPLOAD_POLL_MS: '200',
      UPLOAD_WAIT_MS: '500',
    };
    let killing = false;
    const start = async (): Promise<RunningService> => {
      const running = await startService('reporting', env, `${url}/health/ready`, 180_000);
      void running.exited.then((e) => {
        if (!stopping && reporting === running && !killing)
          exits.push(
            `reporting exited by itself (code ${e.code}, signal ${e.signal}); see ${running.logFile}`,
          );
      });
      return running;
    };
    log(`starting reporting (run ${run}) against the national simulator at ${simulator.url}`);
    reporting = await start();

    db = await Database.connect({ url: stack.postgresUrl, poolSize: 2 });
    const vault = new PersonalDataVault({
      keys: keys.PII_KEYS,
      activeKeyId: keys.PII_ACTIVE_KEY_ID,
      hashKey: keys.PII_HASH_KEY,
    });
    const Credentials = reportingClass<CredentialsRepository>(
      'uplinks/credentials.repository.js',
      'UplinkCredentialsRepository',
    );
    const Identities = reportingClass<IdentitiesRepository>(
      'identities/worker-identities.repository.js',
      'WorkerIdentitiesRepository',
    );
    const credentials = new Credentials(schema, vault);
    const identities = new Identities(schema, vault);
    for (const p of projects)
      await credentials.put(db, 'national', p.projectId, { appid: p.appid, secret: p.secret });
    for (const p of projects)
      for (const w of p.workers)
        await identities.put(db, w.workerId, {
          idCardType: '01',
          idCardNumber: w.idCardNumber,
          headImage: HEAD_IMAGE,
        });
    const workers = projects.reduce((a, p) => a + p.workers.length, 0);
    log(`${projects.length} projects' credentials and ${workers} workers' identities stored in reporting`);

    await producer.connect();
    const publish = async (events: SiteEvent[]) => {
      await ensureTopics(kafka, [
        ...new Map(events.map((e) => [e.topic.name, withTopicPrefix(topicPrefix, e.topic)])).values(),
      ]);
      for (let i = 0; i < events.length; i += 500) {
        const chunk = events.slice(i, i + 500);
        const byTopic = new Map<string, SiteEvent[]>();
        for (const e of chunk) byTopic.set(e.topic.name, [...(byTopic.get(e.topic.name) ?? []), e]);
        await producer.sendBatch({
          topicMessages: [...byTopic].map(([name, es]) => ({
            topic: `${topicPrefix}${name}`,
            messages: es.map((e) => toKafkaRecord(e.event)),
          })),
        });
      }
    };

    const expected = new Map<UplinkMethod, string[]>(UPLINK_METHODS.map((m) => [m, []]));
    const expectUpstream = (more: Map<UplinkMethod, string[]>) => {
      for (const [m, ks] of more) expected.get(m)!.push(...ks);
    };
    const upstream = () => compareUpstream(expected, simulator.accepted());
    const ledger = async (): Promise<Record<string, number>> => {
      const rows = await db!.query<{ status: string; n: number }>(
        `SELECT status, count(*)::int AS n FROM ${schema}.upload_ledger GROUP BY status`,
      );
      return Object.fromEntries(rows.map((r) => [r.status, r.n]));
    };
    /** Records the platform holds of the counted methods (a count, no copies: cheap to poll). */
    const held = () => UPLINK_METHODS.reduce((a, m) => a + simulator.acceptedCount(m), 0);
    const total = (keys: Map<UplinkMethod, string[]>) => [...keys.values()].reduce((a, k) => a + k.length, 0);

    /** Waits until `share` of the phase's records are upstream (the upload is under way). */
    const underWay = async (
      phase: Map<UplinkMethod, string[]>,
      baseline: number,
      share: number,
      timeoutMs = 120_000,
    ) => {
      const want = Math.ceil(total(phase) * share);
      for (const deadline = Date.now() + timeoutMs; Date.now() < deadline;) {
        const n = held() - baseline;
        if (n >= want) return n;
        await sleep(20);
      }
      throw new Error(
        `the upload did not get under way: fewer than ${want} of ${total(phase)} records upstream`,
      );
    };

    /** Fault end -> every expected record upstream and no ledger row pending or sent (ms), or null. */
    const recovery = async (faultEnd: number): Promise<number | null> => {
      let lastLog = Date.now();
      for (const deadline = faultEnd + o.recoveryTimeoutS * 1000; ;) {
        // The full comparison copies every record: only once the count says all could be there.
        const missing =
          held() < total(expected)
            ? total(expected) - held()
            : upstream().reduce((a, c) => a + c.missing.length, 0);
        const l = await ledger().catch(() => undefined);
        const live = l ? LIVE.reduce((a, st) => a + (l[st] ?? 0), 0) : -1;
        if (missing === 0 && live === 0) return Date.now() - faultEnd;
        if (Date.now() > deadline) return null;
        if (Date.now() - lastLog > 15_000) {
          lastLog = Date.now();
          log(`  recovering: ${missing} records not yet upstream, ledger ${JSON.stringify(l)}`);
        }
        await sleep(250);
      }
    };

    const phases: UplinkPhase[] = [];
    const days = [shanghaiDay(3), shanghaiDay(2), shanghaiDay(1)];

    // Phase 1: the site's units, teams, workers and first day go up; reporting is killed mid-upload.
    {
      const phase = expectedRegistryRecords(projects);
      phase.get('WorkerAttendance.Add')!.push(...expectedDayRecords(projects, days[0]));
      expectUpstream(phase);
      await publish([...registryEvents(projects), ...dayEvents(projects, days[0])]);
      log(`published the registry's events and ${days[0]}'s attendance (${total(phase)} records to go up)`);
      const atFault = await underWay(phase, 0, 0.4);
      const callsBefore = simulator.calls().length;
      const awaiting = (await ledger())['sent'] ?? 0;
      killing = true;
      await reporting.kill();
      killing = false;
      const faultEnd = Date.now();
      log(
        `reporting killed (SIGKILL) with ${atFault} of ${total(phase)} records upstream; starting it again`,
      );
      const restartedAt = Date.now();
      reporting = await start();
      const readyMs = Date.now() - restartedAt;
      const recoverMs = await recovery(faultEnd);
      log(
        recoverMs === null
          ? `NOT recovered within ${o.recoveryTimeoutS} s of the kill`
          : `recovered ${s(recoverMs)} after the kill (the restarted process was ready after ${s(readyMs)})`,
      );
      phases.push({
        id: 'kill',
        fault: 'SIGKILL reporting mid-upload, restarted at once',
        records: total(phase),
        acceptedAtFault: atFault,
        recoverS: recoverMs === null ? null : recoverMs / 1000,
        note: `killed after ${callsBefore} calls to the platform, with ${awaiting} ledger rows sent and awaiting the platform's answer; the restarted process was ready after ${s(readyMs)}`,
      });
    }

    // Phase 2: the next day goes up; the platform goes down mid-upload for the whole outage.
    {
      const phase = new Map<UplinkMethod, string[]>([
        ['WorkerAttendance.Add', expectedDayRecords(projects, days[1])],
      ]);
      expectUpstream(phase);
      const baseline = held();
      await publish(dayEvents(projects, days[1]));
      log(`published ${days[1]}'s attendance (${total(phase)} records to go up)`);
      const atFault = await underWay(phase, baseline, 0.25);
      simulator.setDown(true);
      const faultStart = Date.now();
      log(
        `national platform down with ${atFault} of ${total(phase)} records upstream; up again in ${o.downS} s`,
      );
      for (let left = o.downS * 1000; left > 0; left -= 60_000) {
        await sleep(Math.min(left, 60_000));
        if (left > 60_000)
          log(
            `  platform down ${s(Date.now() - faultStart)}: ledger ${JSON.stringify(await ledger().catch(() => '?'))}`,
          );
      }
      simulator.setDown(false);
      const faultEnd = Date.now();
      log(`national platform up again after ${s(faultEnd - faultStart)}`);
      const recoverMs = await recovery(faultEnd);
      log(
        recoverMs === null
          ? `NOT recovered within ${o.recoveryTimeoutS} s of the outage`
          : `recovered ${s(recoverMs)} after the outage`,
      );
      phases.push({
        id: 'down',
        fault: `national platform down ${o.downS} s`,
        records: total(phase),
        acceptedAtFault: atFault,
        recoverS: recoverMs === null ? null : recoverMs / 1000,
      });
    }

    // Phase 3: the last day goes up into a rate-limit storm: 2 calls a second, 429 then the busy code.
    {
      const phase = new Map<UplinkMethod, string[]>([
        ['WorkerAttendance.Add', expectedDayRecords(projects, days[2])],
      ]);
      expectUpstream(phase);
      const baseline = held();
      const before = simulator.calls().length;
      simulator.setRateLimit({ callsPerSecond: 2, answer: 'http-429' });
      const faultStart = Date.now();
      await publish(dayEvents(projects, days[2]));
      log(
        `published ${days[2]}'s attendance (${total(phase)} records) into a rate-limit storm: 2 calls/s, HTTP 429`,
      );
      await sleep((o.stormS * 1000) / 2);
      simulator.setRateLimit({ callsPerSecond: 2, answer: 'busy-code' });
      log(
        `  storm goes on answering the busy code (${held() - baseline} of ${total(phase)} records upstream)`,
      );
      await sleep((o.stormS * 1000) / 2);
      simulator.setRateLimit(undefined);
      const faultEnd = Date.now();
      const during = simulator.calls().slice(before);
      const refused = during.filter(rateLimited).length;
      const atEnd = held() - baseline;
      log(
        `storm over after ${s(faultEnd - faultStart)}: ${refused} of ${during.length} calls refused, ${atEnd} of ${total(phase)} records upstream`,
      );
      const recoverMs = await recovery(faultEnd);
      log(
        recoverMs === null
          ? `NOT recovered within ${o.recoveryTimeoutS} s of the storm`
          : `recovered ${s(recoverMs)} after the storm`,
      );
      phases.push({
        id: 'storm',
        fault: `rate-limit storm ${o.stormS} s (2 calls/s: HTTP 429, then the busy code)`,
        records: total(phase),
        acceptedAtFault: 0,
        recoverS: recoverMs === null ? null : recoverMs / 1000,
        note: `${refused} of ${during.length} calls refused during the storm; ${atEnd} records got up meanwhile`,
      });
    }

    // The verdict: upstream exactly once, every ledger row accepted, nothing dead-lettered.
    await sleep(2000);
    const byMethod = upstream();
    const finalLedger = await ledger();
    const dlq = await readDeadLetters(kafka, topicPrefix, run);
    const dlqReasons = new Map<string, number>();
    for (const e of dlq) {
      const key = `${e.topic.slice(topicPrefix.length)}: ${e.reason.slice(0, 300)}`;
      dlqReasons.set(key, (dlqReasons.get(key) ?? 0) + 1);
    }
    const calls = simulator.calls();
    const callStats = {
      writes: calls.filter((c) => c.method.endsWith('.Add')).length,
      polls: calls.filter((c) => c.method === ASYNC_RESULT_METHOD).length,
      lookups: calls.filter((c) => c.method.endsWith('.Query') && c.method !== ASYNC_RESULT_METHOD).length,
      refused: calls.filter(rateLimited).length,
      failed: calls.filter((c) => c.httpStatus >= 500).length,
    };
    const expectedN = byMethod.reduce((a, c) => a + c.expected, 0);
    const acceptedN = byMethod.reduce((a, c) => a + c.accepted, 0);
    const missing = byMethod.reduce((a, c) => a + c.missing.length, 0);
    const doubled = byMethod.reduce((a, c) => a + c.doubled.length, 0);
    const rows = Object.values(finalLedger).reduce((a, n) => a + n, 0);
    const notAccepted = rows - (finalLedger['accepted'] ?? 0);
    for (const c of byMethod) {
      if (c.missing.length)
        notes.push(
          `${c.method}: ${c.missing.length} missing upstream, e.g. ${c.missing.slice(0, 3).join('; ')}`,
        );
      if (c.doubled.length)
        notes.push(
          `${c.method}: ${c.doubled.length} held twice or more, e.g. ${c.doubled
            .slice(0, 3)
            .map((d) => `${d.key} x${d.times}`)
            .join('; ')}`,
        );
      if (c.unexpected) notes.push(`${c.method}: ${c.unexpected} records upstream that were not expected`);
    }
    if (notAccepted) notes.push(`ledger rows not accepted: ${JSON.stringify(finalLedger)}`);
    for (const p of phases) if (p.note) notes.push(`${p.id}: ${p.note}`);
    notes.push(
      `the simulator answered ${callStats.writes} writes, ${callStats.polls} result polls and ${callStats.lookups} look-ups ("already exists" reconciled); ${callStats.refused} calls refused by the rate limit`,
    );
    notes.push(...exits);
    const recovered = phases.every((p) => p.recoverS !== null);
    const pass =
      missing === 0 &&
      doubled === 0 &&
      notAccepted === 0 &&
      byMethod.every((c) => c.unexpected === 0) &&
      dlq.length === 0 &&
      recovered &&
      exits.length === 0;
    passed = pass;
    const empty = { acknowledged: 0, found: 0, lost: [], doubled: [], unacknowledged: 0 };
    return {
      id: UPLINK_SCENARIO.id,
      title: UPLINK_SCENARIO.title,
      rate: 0,
      acknowledged: expectedN,
      trafficS: 0,
      attendance: empty,
      clickhouse: empty,
      lost: missing,
      doubled,
      dlq: dlq.length,
      dlqReasons,
      recoverS: recovered ? Math.max(...phases.map((p) => p.recoverS!)) : null,
      quiesced: notAccepted === 0,
      quiescenceS: 0,
      refused: 0,
      errors: 0,
      notes,
      pass,
      tookS: (Date.now() - t0) / 1000,
      logs: reporting ? [reporting.logFile] : [],
      uplink: {
        expected: expectedN,
        accepted: acceptedN,
        missing,
        doubled,
        byMethod,
        ledger: finalLedger,
        phases,
        calls: callStats,
      },
    };
  } finally {
    stopping = true;
    await reporting?.stop().catch(() => undefined);
    await producer.disconnect().catch(() => undefined);
    await sim?.close().catch(() => undefined);
    // A scenario that passed leaves nothing behind; a failed one keeps its data for investigation.
    if (passed)
      await dropUplinkRun(db, kafka, schema, topicPrefix, groupId).catch((err: unknown) =>
        log(`could not drop the run's data: ${String(err)}`),
      );
    await db?.close().catch(() => undefined);
  }
}

/** The enterprises and projects, registered upstream by the integrity platform (not reporting's job). */
async function registerUpstream(sim: NationalSimulator, projects: readonly SiteProject[]): Promise<void> {
  for (const p of projects) {
    const upstream = new NationalPlatformUplink({
      endpoint: sim.url,
      credentials: new NationalCredentials({ appid: p.appid, secret: p.secret }),
    });
    for (const corp of [
      p.contractor,
      ...p.units.map((u) => ({ creditCode: u.creditCode, corpName: u.corpName })),
    ])
      await upstream.call('Corp.Upload', { corpCode: corp.creditCode, corpName: corp.corpName });
    // Writes are queued upstream; the project needs its contractor's registration applied first.
    await sleep(150);
    await upstream.call('Project.Add', {
      projectCode: p.projectId,
      name: `故障演练项目 ${p.projectId}`,
      contractorCorpCode: p.contractor.creditCode,
    });
  }
  await sleep(150);
}

async function dropUplinkRun(
  db: Database | undefined,
  kafka: ReturnType<typeof createKafka>,
  schema: string,
  topicPrefix: string,
  groupId: string,
): Promise<void> {
  await db?.execute(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  const admin = kafka.admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(topicPrefix));
    if (topics.length) await admin.deleteTopics({ topics, timeout: 10_000 });
    await admin.deleteGroups([groupId]).catch(() => undefined);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
