import {
  AcknowledgedPunch,
  compareExactness,
  describeDevices,
  Exactness,
  familyBatches,
  FamilyMix,
  OpenLoopLoad,
  planDevices,
  registerDevices,
  sleep,
} from '@realname/bench';
import { uniqueName } from '@realname/testing';
import { Observer } from './observe';
import { s, Scenario } from './scenarios';
import { FaultSite } from './site';
import { FaultStack } from './stack';
import type { UplinkOutcome } from './uplink';

export interface RunOptions {
  rate: number;
  /** Seconds of traffic before the fault and again after it (half each). */
  durationS: number;
  devices: number;
  mix: FamilyMix;
  /** Give up waiting for quiescence / recovery after this long. */
  quiescenceTimeoutS: number;
  recoveryTimeoutS: number;
}

export interface ScenarioResult {
  id: string;
  title: string;
  rate: number;
  acknowledged: number;
  /** Seconds the devices were sending (before, during and after the fault). */
  trafficS: number;
  attendance: Exactness;
  clickhouse: Exactness;
  lost: number;
  doubled: number;
  dlq: number;
  dlqReasons: Map<string, number>;
  /** Fault end -> services ready and everything acknowledged before the fault end in both stores. */
  recoverS: number | null;
  quiesced: boolean;
  quiescenceS: number;
  refused: number;
  errors: number;
  firstError?: string;
  notes: string[];
  pass: boolean;
  tookS: number;
  logs: string[];
  /** The uplink scenario's own measures (its punch fields stay empty). */
  uplink?: UplinkOutcome;
}

export async function runScenario(
  sc: Scenario,
  index: number,
  stack: FaultStack,
  o: RunOptions,
  log: (msg: string) => void,
): Promise<ScenarioResult> {
  const t0 = Date.now();
  const run = uniqueName(`faults_${index}`);
  const site = new FaultSite(run, stack);
  const notes: string[] = [];
  const observer = new Observer(stack, site);
  let load: OpenLoopLoad | undefined;
  let passed = false;
  try {
    log(`starting registry, gateway and attendance (run ${run})`);
    await site.start();
    const devices = planDevices(run, o.devices, o.mix, 5);
    await registerDevices(devices, site.url('device-gateway'), site.adminToken);
    log(`${devices.length} devices registered (${describeDevices(devices)})`);
    load = new OpenLoopLoad({
      devices,
      rate: o.rate,
      mix: o.mix,
      batch: familyBatches(5, 20),
      gateway: new URL(site.url('device-gateway')),
      firstPerson: 1_000_000_000 + index * 10_000_000,
      keepHistory: sc.id === 'resend-3x',
    });
    const l = load;
    let stopTraffic = false;
    const trafficStart = Date.now() + 200;
    let recoverS: number | null = null;
    let trafficEnd = 0;
    // Once the platform is quiescent nothing more will arrive: recovery is then decided.
    let quiescenceDone = false;
    let recovery: Promise<number | null> = Promise.resolve(null);
    const traffic = l.run(trafficStart, Number.POSITIVE_INFINITY, () => stopTraffic);
    const progress = setInterval(
      () =>
        log(
          `  ${s(Date.now() - trafficStart)}: ${l.acknowledged.size} acknowledged, ${l.refused} refused, ${l.errors} errors`,
        ),
      10_000,
    );
    try {
      const half = (o.durationS * 1000) / 2;
      await sleep(half);
      log(`fault: ${sc.title}`);
      const inj = await sc.inject({ site, stack, load: l, log });
      if (inj.note) notes.push(inj.note);
      // Time to recover, measured while the traffic goes on.
      const before = [...l.acknowledged.values()]
        .filter((p) => p.ackedAt <= inj.faultEnd)
        .map((p) => p.personId);
      recovery = measureRecovery(
        site,
        observer,
        before,
        inj.faultEnd,
        o.recoveryTimeoutS * 1000,
        () => quiescenceDone,
      );
      await sleep(half);
      // The suite's own restart must have finished before the traffic stops (a service that is not
      // back cannot be compared).
      const restartNote = await inj.restarted.catch((err: unknown) => `restart failed: ${String(err)}`);
      if (restartNote) notes.push(restartNote);
      stopTraffic = true;
      await traffic;
      trafficEnd = Date.now();
    } finally {
      clearInterval(progress);
      stopTraffic = true;
    }
    log(
      `traffic stopped: ${l.acknowledged.size} punches acknowledged of ${l.sentPunches} sent (${l.refused} refused, ${l.errors} errors)`,
    );
    await site.settled();
    const q = await waitQuiescent(observer, o.quiescenceTimeoutS * 1000, log);
    quiescenceDone = true;
    const recoverMs = await recovery;
    log(
      recoverMs === null
        ? `NOT recovered: punches acknowledged before the fault's end are still missing (or a service is not ready)`
        : `recovered ${s(recoverMs)} after the fault's end`,
    );
    recoverS = recoverMs === null ? null : recoverMs / 1000;
    if (!q.quiesced)
      notes.push(
        `no quiescence within ${o.quiescenceTimeoutS} s (last: attendance ${q.last.attendance}, ClickHouse ${q.last.clickhouse}, lag ${q.last.consumerLag}, outbox ${q.last.outbox}, sink ${q.last.sink})`,
      );
    const [attCounts, chCounts, dlq] = await Promise.all([
      observer.attendanceCounts(),
      observer.clickhouseCounts(),
      observer.dlq(),
    ]);
    const attendance = compareExactness(l.acknowledged, attCounts);
    const clickhouse = compareExactness(l.acknowledged, chCounts);
    const dlqReasons = new Map<string, number>();
    for (const e of dlq) {
      const key = `${e.topic.slice(site.topicPrefix.length)}: ${e.reason.slice(0, 300)}`;
      dlqReasons.set(key, (dlqReasons.get(key) ?? 0) + 1);
    }
    notes.push(...site.unexpectedExits);
    const lostPersons = new Set([...attendance.lost, ...clickhouse.lost].map((p) => p.personId));
    const doubledPersons = new Set([...attendance.doubled, ...clickhouse.doubled].map((p) => p.personId));
    const pass =
      lostPersons.size === 0 &&
      doubledPersons.size === 0 &&
      dlq.length === 0 &&
      q.quiesced &&
      recoverS !== null;
    passed = pass;
    return {
      id: sc.id,
      title: sc.title,
      rate: o.rate,
      acknowledged: l.acknowledged.size,
      trafficS: (trafficEnd - trafficStart) / 1000,
      attendance,
      clickhouse,
      lost: lostPersons.size,
      doubled: doubledPersons.size,
      dlq: dlq.length,
      dlqReasons,
      recoverS,
      quiesced: q.quiesced,
      quiescenceS: q.tookMs / 1000,
      refused: l.refused,
      errors: l.errors,
      firstError: l.firstError,
      notes,
      pass,
      tookS: (Date.now() - t0) / 1000,
      logs: site.logFiles(),
    };
  } finally {
    load?.close();
    await site.stop();
    // A scenario that passed leaves nothing behind; a failed one keeps its data for investigation.
    if (passed)
      await observer.dropRun().catch((err: unknown) => log(`could not drop the run's data: ${String(err)}`));
    await observer.close();
  }
}

/**
 * Polls from the fault's end until every service answers ready and every punch acknowledged before the
 * fault's end is in attendance and in ClickHouse; ms after the fault's end, or null on timeout.
 */
async function measureRecovery(
  site: FaultSite,
  observer: Observer,
  before: string[],
  faultEnd: number,
  timeoutMs: number,
  quiescent: () => boolean,
): Promise<number | null> {
  for (;;) {
    // Read first: one last look after quiescence still counts.
    const last = quiescent();
    const ready = Object.values(await site.readiness()).every((st) => st === 200);
    if (ready) {
      const found = await observer.foundOf(before);
      if (found.attendance === before.length && found.clickhouse === before.length)
        return Date.now() - faultEnd;
    }
    if (last || Date.now() - faultEnd > timeoutMs) return null;
    await sleep(500);
  }
}

interface QuiescenceState {
  attendance: number | null;
  clickhouse: number | null;
  consumerLag: number;
  outbox: number;
  sink: number;
}

/**
 * After the traffic: attendance and ClickHouse counts stop changing (3 readings a second apart),
 * consumer lag is 0 and the outbox and sink backlogs are 0.
 */
async function waitQuiescent(
  observer: Observer,
  timeoutMs: number,
  log: (msg: string) => void,
): Promise<{ quiesced: boolean; tookMs: number; last: QuiescenceState }> {
  const t0 = Date.now();
  let stable = 0;
  let prev: QuiescenceState | undefined;
  let last: QuiescenceState = { attendance: null, clickhouse: null, consumerLag: -1, outbox: -1, sink: -1 };
  let lastLog = 0;
  while (Date.now() - t0 < timeoutMs) {
    const [totals, backlog] = await Promise.all([observer.totals(), observer.backlog()]);
    last = { ...totals, ...backlog };
    const drained =
      last.attendance !== null &&
      last.clickhouse !== null &&
      last.consumerLag === 0 &&
      last.outbox === 0 &&
      last.sink === 0;
    stable =
      drained && prev && prev.attendance === last.attendance && prev.clickhouse === last.clickhouse
        ? stable + 1
        : 0;
    prev = last;
    if (stable >= 2) {
      log(
        `quiescent after ${s(Date.now() - t0)}: attendance ${last.attendance}, ClickHouse ${last.clickhouse}, lag 0, backlog 0`,
      );
      return { quiesced: true, tookMs: Date.now() - t0, last };
    }
    if (Date.now() - lastLog > 15_000) {
      lastLog = Date.now();
      log(
        `  waiting for quiescence: attendance ${last.attendance}, ClickHouse ${last.clickhouse}, consumer lag ${last.consumerLag}, outbox backlog ${last.outbox}, sink backlog ${last.sink}`,
      );
    }
    await sleep(1000);
  }
  log(`NOT quiescent after ${s(timeoutMs)}: ${JSON.stringify(last)}`);
  return { quiesced: false, tookMs: Date.now() - t0, last };
}

export function describeLost(p: AcknowledgedPunch): string {
  return `${p.personId} (${p.family} ${p.deviceId}, punched ${p.at.toISOString()}, acknowledged ${new Date(p.ackedAt).toISOString()})`;
}
