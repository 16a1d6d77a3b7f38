import { randomBytes } from 'node:crypto';
import {
  formatLocalTime,
  isValidTimeZone,
  localDay,
  OpenV1Punch,
  parseDeviceTime,
  zoneOffsetMinutes,
} from '@realname/contracts';

// ---------------------------------------------------------------------------------------------------
// Deterministic randomness: every generated value comes from a seeded PRNG, so a seed is a test fixture.

/** mulberry32: a small, fast 32-bit PRNG; returns floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A 32-bit seed from any parts (FNV-1a over their text). */
export function seedFrom(...parts: (string | number)[]): number {
  let h = 0x811c9dc5;
  for (const ch of parts.join('|')) {
    h ^= ch.codePointAt(0)!;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function between(rng: () => number, lo: number, hi: number): number {
  return lo + Math.floor(rng() * (hi - lo + 1));
}

function pick<T>(rng: () => number, items: readonly T[]): T {
  return items[Math.floor(rng() * items.length)];
}

/** A roughly normal value (sum of three uniforms), mean 0, spread about ±1. */
function wobble(rng: () => number): number {
  return rng() + rng() + rng() - 1.5;
}

// ---------------------------------------------------------------------------------------------------
// Sites: projects, their gates (devices) and their workers.

export interface SiteOptions {
  projects: number;
  devicesPerProject: number;
  workersPerProject: number;
  seed: number;
  /** Six-digit administrative division code the projects are registered in (default 330106). */
  region?: string;
  /** The devices' zone (default Asia/Shanghai). */
  timeZone?: string;
  /**
   * The HMAC secret of each device. Default: 32 random hex digits from node:crypto, fresh per call (the
   * only part of a site that is not derived from the seed: a seed is public, a secret must not be).
   */
  secretFor?: (deviceId: string) => string;
}

export interface SimProject {
  /** Region code + registration date + serial, e.g. 330106202403150417 (18 digits). */
  projectId: string;
  name: string;
  region: string;
  deviceIds: string[];
  personIds: string[];
}

export interface SimDevice {
  deviceId: string;
  secret: string;
  projectId: string;
  region: string;
  timeZone: string;
  defaultDirection: 'unknown';
  /** Which gate of the site it stands at. */
  gate: string;
}

export interface SimWorker {
  /** The PIN enrolled on the project's devices, e.g. '10001'. */
  personId: string;
  projectId: string;
  /** Habitual arrival and leaving, in minutes after midnight (the day's times scatter around them). */
  arrivesAround: number;
  leavesAround: number;
  /** Goes out of the site for lunch on most days. */
  goesOutForLunch: boolean;
  /** Uses an IC card rather than the face reader. */
  usesCard: boolean;
  /** The gate they usually take. */
  usualDeviceId: string;
}

export interface Site {
  seed: number;
  region: string;
  timeZone: string;
  projects: SimProject[];
  devices: SimDevice[];
  workers: SimWorker[];
}

const SITE_NAMES = [
  'Riverside residential block',
  'Metro line depot',
  'Hospital extension',
  'Bridge approach',
  'School campus',
  'Logistics warehouse',
  'Office tower',
  'Sewage plant upgrade',
];

/** Builds sites (projects with gates and workers) from a seed: the same seed gives the same sites. */
export function buildSites(options: SiteOptions): Site {
  const { projects, devicesPerProject, workersPerProject, seed } = options;
  const region = options.region ?? '330106';
  const timeZone = options.timeZone ?? 'Asia/Shanghai';
  for (const [name, value, max] of [
    ['projects', projects, 9999],
    ['devicesPerProject', devicesPerProject, 99],
    ['workersPerProject', workersPerProject, 100_000],
  ] as const) {
    if (!Number.isInteger(value) || value < 1 || value > max) {
      throw new RangeError(`buildSites: ${name} must be an integer from 1 to ${max} (got ${value})`);
    }
  }
  if (!Number.isInteger(seed)) throw new RangeError(`buildSites: seed must be an integer (got ${seed})`);
  if (!/^\d{6}$/.test(region))
    throw new RangeError(`buildSites: region must be six digits such as 330106 (got "${region}")`);
  if (!isValidTimeZone(timeZone)) throw new RangeError(`buildSites: "${timeZone}" is not an IANA time zone`);
  const secretFor = options.secretFor ?? (() => randomBytes(16).toString('hex'));

  const rng = mulberry32(seedFrom('site', seed, region));
  const site: Site = { seed, region, timeZone, projects: [], devices: [], workers: [] };
  const usedIds = new Set<string>();
  let nextPin = 10001;
  for (let p = 0; p < projects; p++) {
    // Registered some day in 2023-2025; serials are per region and day, 4 digits.
    const registered = new Date(Date.UTC(2023, 0, 1) + between(rng, 0, 3 * 365 - 1) * 86_400_000);
    let serial = between(rng, 1, 9000);
    let projectId: string;
    do {
      projectId = `${region}${registered.toISOString().slice(0, 10).replace(/-/g, '')}${String(serial).padStart(4, '0')}`;
      serial = (serial % 9999) + 1;
    } while (usedIds.has(projectId));
    usedIds.add(projectId);

    const project: SimProject = {
      projectId,
      name: `${SITE_NAMES[p % SITE_NAMES.length]} ${Math.floor(p / SITE_NAMES.length) + 1} (simulated)`,
      region,
      deviceIds: [],
      personIds: [],
    };
    for (let d = 1; d <= devicesPerProject; d++) {
      const gate = `g${String(d).padStart(2, '0')}`;
      const deviceId = `sim-${projectId}-${gate}`;
      const secret = secretFor(deviceId);
      if (typeof secret !== 'string' || secret.length < 16) {
        throw new RangeError(`buildSites: the secret of ${deviceId} must be at least 16 characters`);
      }
      site.devices.push({ deviceId, secret, projectId, region, timeZone, defaultDirection: 'unknown', gate });
      project.deviceIds.push(deviceId);
    }
    for (let w = 0; w < workersPerProject; w++) {
      const personId = String(nextPin++);
      site.workers.push({
        personId,
        projectId,
        arrivesAround: between(rng, 6 * 60 + 40, 7 * 60 + 45),
        leavesAround: between(rng, 17 * 60 + 15, 18 * 60 + 45),
        goesOutForLunch: rng() < 0.35,
        usesCard: rng() < 0.12,
        usualDeviceId: pick(rng, project.deviceIds),
      });
      project.personIds.push(personId);
    }
    site.projects.push(project);
  }
  return site;
}

// ---------------------------------------------------------------------------------------------------
// One working day.

export interface SimulatedPunch {
  deviceId: string;
  projectId: string;
  /** The instant of the punch (its `time` read in the device zone). */
  at: Date;
  /** Exactly what the device uploads. */
  punch: OpenV1Punch;
}

export interface DayOptions {
  /**
   * Put before the record ids, which are otherwise `<YYYYMMDD><6-digit sequence per device and day>`
   * (20261121000001): unique per device across days, and the same on every run of the same seed.
   */
  recordIdTag?: string;
  /** Share of workers absent on a given day (default 0.05). */
  absenceRate?: number;
  /** Share of punches repeated a few seconds later because the reader did not react (default 0.02). */
  doublePunchRate?: number;
}

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/**
 * Every punch of one day at all gates of a site, ordered by time: each present worker comes in between
 * 06:30 and 08:00, some go out for lunch (11:30-12:10, back 12:40-13:20), all leave between 17:00 and
 * 19:00; about 5 % are absent. Deterministic for the site's seed and the day.
 */
export function punchesForDay(site: Site, day: string, options: DayOptions = {}): SimulatedPunch[] {
  const m = DAY.exec(day);
  const midnight = m ? parseDeviceTime(`${day} 00:00:00`, site.timeZone) : undefined;
  if (!m || !midnight) throw new RangeError(`punchesForDay: "${day}" is not a day (YYYY-MM-DD)`);
  const absenceRate = options.absenceRate ?? 0.05;
  const doubleRate = options.doublePunchRate ?? 0.02;
  const compactDay = day.replace(/-/g, '');
  // Zones without a clock change on that day (all of China) take a fast path: midnight + seconds.
  const noonOffset = zoneOffsetMinutes(new Date(midnight.getTime() + 12 * 3_600_000), site.timeZone);
  const steady =
    zoneOffsetMinutes(midnight, site.timeZone) === noonOffset &&
    zoneOffsetMinutes(new Date(midnight.getTime() + 23.9 * 3_600_000), site.timeZone) === noonOffset;

  const rng = mulberry32(seedFrom('day', site.seed, day));
  const devicesOf = new Map(site.projects.map((p) => [p.projectId, p.deviceIds]));
  type Draft = {
    second: number;
    deviceId: string;
    projectId: string;
    personId: string;
    direction: 'in' | 'out';
    verifyMode: 'face' | 'card';
  };
  const drafts: Draft[] = [];

  for (const worker of site.workers) {
    // Draw the same number of values for every worker, present or not, so one worker's day does not
    // shift the others' when rates change.
    const r = Array.from({ length: 64 }, rng);
    if (r[0] < absenceRate) continue;
    const gates = devicesOf.get(worker.projectId) ?? [worker.usualDeviceId];
    let k = 1;
    const next = () => r[k++ % r.length];
    const gate = () => (next() < 0.7 ? worker.usualDeviceId : gates[Math.floor(next() * gates.length)]);
    const mode = (): 'face' | 'card' =>
      worker.usesCard ? (next() < 0.1 ? 'face' : 'card') : next() < 0.04 ? 'card' : 'face';
    const at = (minute: number) => minute * 60 + Math.floor(next() * 60);
    const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, Math.round(v)));

    const times: { second: number; direction: 'in' | 'out' }[] = [];
    times.push({
      second: at(clamp(worker.arrivesAround + wobble(next) * 25, 6 * 60 + 30, 7 * 60 + 59)),
      direction: 'in',
    });
    if (worker.goesOutForLunch && next() < 0.85) {
      times.push({ second: at(between(next, 11 * 60 + 30, 12 * 60 + 9)), direction: 'out' });
      times.push({ second: at(between(next, 12 * 60 + 40, 13 * 60 + 19)), direction: 'in' });
    }
    times.push({
      second: at(clamp(worker.leavesAround + wobble(next) * 25, 17 * 60, 18 * 60 + 59)),
      direction: 'out',
    });

    for (const t of times) {
      const deviceId = gate();
      const verifyMode = mode();
      drafts.push({
        second: t.second,
        deviceId,
        projectId: worker.projectId,
        personId: worker.personId,
        direction: t.direction,
        verifyMode,
      });
      if (next() < doubleRate) {
        // The reader did not beep: the worker tries again a few seconds later at the same gate.
        drafts.push({
          second: t.second + 3 + Math.floor(next() * 30),
          deviceId,
          projectId: worker.projectId,
          personId: worker.personId,
          direction: t.direction,
          verifyMode,
        });
      }
    }
  }

  drafts.sort((a, b) => a.second - b.second || cmp(a.deviceId, b.deviceId) || cmp(a.personId, b.personId));
  const sequence = new Map<string, number>();
  const tag = options.recordIdTag ?? '';
  return drafts.map((d) => {
    const seq = (sequence.get(d.deviceId) ?? 0) + 1;
    sequence.set(d.deviceId, seq);
    const time = `${day} ${clock(d.second)}`;
    const at = steady
      ? new Date(midnight.getTime() + d.second * 1000)
      : parseDeviceTime(time, site.timeZone)!;
    return {
      deviceId: d.deviceId,
      projectId: d.projectId,
      at,
      punch: {
        recordId: `${tag}${compactDay}${String(seq).padStart(6, '0')}`,
        personId: d.personId,
        time,
        direction: d.direction,
        verifyMode: d.verifyMode,
      },
    };
  });
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function clock(second: number): string {
  const h = Math.floor(second / 3600);
  const m = Math.floor((second % 3600) / 60);
  const s = second % 60;
  return [h, m, s].map((v) => String(v).padStart(2, '0')).join(':');
}

/** The day after a YYYY-MM-DD day. */
export function nextDay(day: string): string {
  const [y, m, d] = day.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d + 1)).toISOString().slice(0, 10);
}

// ---------------------------------------------------------------------------------------------------
// Real time: a compressed clock that lets punches happen as it passes their time.

export interface LiveTickerOptions {
  /** The real clock in ms (default Date.now); tests drive it by hand. */
  realNow?: () => number;
  /** The first simulated day (default: today in the site's zone). */
  day?: string;
  /** Simulated time of day to start at, HH:mm (default 06:00). */
  startTime?: string;
  /**
   * After the last punch of a day, skip to the next day at startTime once the simulated clock reaches
   * this time of day, HH:mm (default 19:30).
   */
  dayEndTime?: string;
  /** Roughly how often (real seconds) to resend an already-sent slice of a device's records (default 12; 0: never). */
  resendEveryS?: number;
  /** Put before record ids (default `<unix seconds of the start>-`: ids differ from run to run). */
  recordIdTag?: string;
  /** Options of the generated days. */
  dayOptions?: Omit<DayOptions, 'recordIdTag'>;
}

export interface LivePunch {
  kind: 'punch';
  deviceId: string;
  projectId: string;
  at: Date;
  punch: OpenV1Punch;
}

/** Records this device emitted before, to be sent again as they were (the gateway must call them duplicates). */
export interface LiveResend {
  kind: 'resend';
  deviceId: string;
  projectId: string;
  punches: OpenV1Punch[];
}

export type LiveEmission = LivePunch | LiveResend;

/** Emits a site's punches as a compressed clock passes them; `poll()` it a few times a second. */
export class LiveTicker {
  /** Punches emitted so far (resends not counted). */
  emitted = 0;
  /** Resends emitted so far, and the records in them. */
  resends = 0;
  resentRecords = 0;

  private readonly realNow: () => number;
  private readonly tag: string;
  private readonly startMinute: number;
  private readonly endMinute: number;
  private readonly resendEveryMs: number;
  private readonly rng: () => number;
  private anchorReal: number;
  private anchorSim: number;
  private lastPollReal: number;
  private currentDay: string;
  private dayPunches: SimulatedPunch[] = [];
  private cursor = 0;
  private readonly history = new Map<string, { punch: OpenV1Punch; projectId: string; real: number }[]>();

  constructor(
    readonly site: Site,
    readonly speed: number,
    private readonly options: LiveTickerOptions = {},
  ) {
    if (!(speed > 0) || !Number.isFinite(speed))
      throw new RangeError(`liveTicker: speed must be a positive number (got ${speed})`);
    this.realNow = options.realNow ?? Date.now;
    this.startMinute = minuteOf(options.startTime ?? '06:00', 'startTime');
    this.endMinute = minuteOf(options.dayEndTime ?? '19:30', 'dayEndTime');
    this.resendEveryMs = (options.resendEveryS ?? 12) * 1000;
    this.rng = mulberry32(seedFrom('live', site.seed));
    const now = this.realNow();
    this.tag = options.recordIdTag ?? `${Math.floor(now / 1000)}-`;
    this.anchorReal = now;
    this.lastPollReal = now;
    this.currentDay = options.day ?? localDay(new Date(now), site.timeZone);
    this.anchorSim = this.startOf(this.currentDay);
    this.loadDay();
  }

  /** The simulated instant. */
  now(): Date {
    return new Date(this.anchorSim + (this.realNow() - this.anchorReal) * this.speed);
  }

  /** The simulated wall clock in the site's zone, `YYYY-MM-DD HH:mm:ss`. */
  clock(): string {
    return formatLocalTime(this.now(), this.site.timeZone);
  }

  /** The simulated day being played. */
  get day(): string {
    return this.currentDay;
  }

  /** Punches of the current day not emitted yet. */
  get remainingToday(): number {
    return this.dayPunches.length - this.cursor;
  }

  /** What happened since the last poll: punches whose time has come, and now and then a resend. */
  poll(): LiveEmission[] {
    const real = this.realNow();
    const out: LiveEmission[] = [];
    for (let guard = 0; guard < 1000; guard++) {
      const simNow = this.anchorSim + (real - this.anchorReal) * this.speed;
      while (this.cursor < this.dayPunches.length && this.dayPunches[this.cursor].at.getTime() <= simNow) {
        const p = this.dayPunches[this.cursor++];
        out.push({ kind: 'punch', deviceId: p.deviceId, projectId: p.projectId, at: p.at, punch: p.punch });
        this.remember(p, real);
        this.emitted++;
      }
      const dayEnd = this.startOf(this.currentDay) + (this.endMinute - this.startMinute) * 60_000;
      if (this.cursor < this.dayPunches.length || simNow < dayEnd) break;
      // The day is over: skip the night, carrying on from where the clock overshot the day's end.
      const overshoot = simNow - dayEnd;
      this.currentDay = nextDay(this.currentDay);
      this.anchorSim = this.startOf(this.currentDay) + overshoot;
      this.anchorReal = real;
      this.loadDay();
    }
    const elapsed = real - this.lastPollReal;
    this.lastPollReal = real;
    if (this.resendEveryMs > 0 && elapsed > 0 && this.rng() < elapsed / this.resendEveryMs) {
      const resend = this.pickResend(real);
      if (resend) {
        out.push(resend);
        this.resends++;
        this.resentRecords += resend.punches.length;
      }
    }
    return out;
  }

  private loadDay(): void {
    this.dayPunches = punchesForDay(this.site, this.currentDay, {
      ...this.options.dayOptions,
      recordIdTag: this.tag,
    });
    this.cursor = 0;
    // A day played from a later start time (startTime 12:00) does not replay its morning.
    const start = this.startOf(this.currentDay);
    while (this.cursor < this.dayPunches.length && this.dayPunches[this.cursor].at.getTime() < start)
      this.cursor++;
  }

  private startOf(day: string): number {
    const hh = String(Math.floor(this.startMinute / 60)).padStart(2, '0');
    const mm = String(this.startMinute % 60).padStart(2, '0');
    return parseDeviceTime(`${day} ${hh}:${mm}:00`, this.site.timeZone)!.getTime();
  }

  private remember(p: SimulatedPunch, real: number): void {
    let list = this.history.get(p.deviceId);
    if (!list) this.history.set(p.deviceId, (list = []));
    list.push({ punch: p.punch, projectId: p.projectId, real });
    if (list.length > 200) list.splice(0, list.length - 200);
  }

  /** A few consecutive records of one device, emitted at least 3 real seconds ago (so most likely sent). */
  private pickResend(real: number): LiveResend | undefined {
    const candidates: { deviceId: string; old: { punch: OpenV1Punch; projectId: string }[] }[] = [];
    for (const [deviceId, list] of this.history) {
      const old = list.filter((h) => real - h.real >= 3000);
      if (old.length > 0) candidates.push({ deviceId, old });
    }
    if (candidates.length === 0) return undefined;
    const { deviceId, old } = pick(this.rng, candidates);
    const length = Math.min(old.length, between(this.rng, 1, 5));
    const start = between(this.rng, 0, old.length - length);
    const slice = old.slice(start, start + length);
    return { kind: 'resend', deviceId, projectId: slice[0].projectId, punches: slice.map((h) => h.punch) };
  }
}

/** A compressed clock over a site: `speed` simulated seconds per real second (600: 10 minutes a second). */
export function liveTicker(site: Site, speed: number, options: LiveTickerOptions = {}): LiveTicker {
  return new LiveTicker(site, speed, options);
}

function minuteOf(hhmm: string, name: string): number {
  const m = /^(\d{2}):(\d{2})$/.exec(hhmm);
  if (!m || Number(m[1]) > 23 || Number(m[2]) > 59)
    throw new RangeError(`liveTicker: ${name} must be HH:mm (got "${hhmm}")`);
  return Number(m[1]) * 60 + Number(m[2]);
}
