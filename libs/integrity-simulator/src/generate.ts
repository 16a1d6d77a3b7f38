/**
 * Generates what the integrity platform holds for a seed: projects, the enterprises that take part in
 * them, their participations and the registered key personnel, and the change feed that led there:
 * an initial load (every record once, references before the records that use them) followed by some
 * months of history (status changes, renamed enterprises, replaced or departed key staff, exits, a
 * participation registered by mistake and deleted).
 */
import type { EnterpriseRole, FakeSource } from './fake-source';
import { ChangeFeed, formatCst } from './feed';
import { createFakeSource } from './sources';
import {
  CATEGORIES_FOR_POST,
  ChangeInput,
  Enterprise,
  IntegritySnapshot,
  KeyPerson,
  keyOf,
  KeyPost,
  Participant,
  Project,
} from './model';

export interface GenerateOptions {
  seed: number;
  /** Number of projects (1..9999). */
  projects: number;
  /** Six-digit GB/T 2260 code the projects are registered in (default `330106`). */
  region?: string;
  /** Share of key persons registered with a category their post does not allow (default 0.05). */
  wrongCategoryRate?: number;
  /** Share of key posts (PM, chief supervising engineer) with no one registered (default 0.05). */
  emptyPostRate?: number;
  /** Generate months of history after the initial load (default true); false: the initial load only. */
  history?: boolean;
}

export interface EmptyPost {
  projectCode: string;
  creditCode: string;
  unitType: string;
  post: KeyPost;
}

export interface IntegrityFixtures extends IntegritySnapshot {
  seed: number;
  region: string;
  /** Deliberate irregularities, so that tests know which early warnings to expect. */
  anomalies: {
    /** Key persons whose registration category their post does not allow. */
    wrongCategory: KeyPerson[];
    /** Posts that need a key person and have none. */
    emptyPosts: EmptyPost[];
  };
  /** Seq of the last change of the generated feed (the feed is 1..lastSeq). */
  lastSeq: number;
}

export interface GeneratedData {
  fixtures: IntegrityFixtures;
  /** The generated feed, in seq order, each change with its `at`. */
  changes: (ChangeInput & { at: string })[];
}

export const DEFAULT_REGION = '330106';
export const DEFAULT_WRONG_CATEGORY_RATE = 0.05;
export const DEFAULT_EMPTY_POST_RATE = 0.05;

/** The initial load happened at 09:00 CST on this day; the history runs until `HISTORY_END`. */
export const INITIAL_LOAD_AT = Date.UTC(2026, 2, 2, 1, 0, 0);
export const HISTORY_END = Date.UTC(2026, 8, 30, 9, 0, 0);
const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const CST = 8 * HOUR_MS;

const PROVINCE_ABBR: Record<string, string> = {
  '11': '京', '12': '津', '13': '冀', '14': '晋', '15': '蒙', '21': '辽', '22': '吉', '23': '黑', '31': '沪',
  '32': '苏', '33': '浙', '34': '皖', '35': '闽', '36': '赣', '37': '鲁', '41': '豫', '42': '鄂', '43': '湘',
  '44': '粤', '45': '桂', '46': '琼', '50': '渝', '51': '川', '52': '贵', '53': '云', '54': '藏', '61': '陕',
  '62': '甘', '63': '青', '64': '宁', '65': '新',
}; // prettier-ignore

const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const msOf = (day: string) => Date.parse(`${day}T00:00:00Z`);
const addDays = (day: string, n: number) => dayOf(msOf(day) + n * DAY_MS);
const INITIAL_DAY = dayOf(INITIAL_LOAD_AT + CST);
/** The last day something may happen in the generated history (a week before it ends). */
const HISTORY_DAY = dayOf(HISTORY_END + CST - 7 * DAY_MS);
const dayBetween = (draw: Draw, from: string, to: string) =>
  addDays(from, draw.int(0, Math.max(0, Math.round((msOf(to) - msOf(from)) / DAY_MS))));

class Draw {
  constructor(private readonly source: FakeSource) {}
  random(): number {
    return this.source.random();
  }
  chance(p: number): boolean {
    return p > 0 && this.source.random() < p;
  }
  int(lo: number, hi: number): number {
    return hi <= lo ? lo : lo + Math.floor(this.source.random() * (hi - lo + 1));
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.source.random() * items.length)];
  }
  weighted<T>(items: readonly (readonly [T, number])[]): T {
    const total = items.reduce((s, [, w]) => s + w, 0);
    let r = this.source.random() * total;
    for (const [v, w] of items) {
      r -= w;
      if (r < 0) return v;
    }
    return items[items.length - 1][0];
  }
  digits(n: number): string {
    return Array.from({ length: n }, () => this.int(0, 9)).join('');
  }
}

/** A registration number of the category's usual shape, in the province of the holder's ID number. */
function certificateNumber(draw: Draw, category: string, idCardNumber: string): string {
  const prov = idCardNumber.slice(0, 2);
  const abbr = PROVINCE_ABBR[prov] ?? '浙';
  const yy = String(draw.int(8, 25)).padStart(2, '0');
  switch (category) {
    case '一级建造师':
      return `${abbr}1${prov}${yy}${draw.digits(7)}`;
    case '二级建造师':
      return `${abbr}2${prov}${yy}${draw.digits(7)}`;
    case '注册监理工程师':
      return `${prov}${draw.digits(6)}`;
    default:
      return `建[造]${yy}${prov}${draw.digits(6)}`;
  }
}

function renamedFrom(name: string): string {
  if (name.includes('建设集团有限公司')) return name.replace('建设集团有限公司', '建筑工程有限公司');
  if (name.endsWith('置业有限公司')) return name.replace(/置业有限公司$/, '房地产开发有限公司');
  return name.replace(/有限公司$/, '有限责任公司');
}

type Timed = { atMs: number; order: number; change: ChangeInput };

export function generateIntegrityData(options: GenerateOptions, source?: FakeSource): GeneratedData {
  const region = options.region ?? DEFAULT_REGION;
  const wrongRate = options.wrongCategoryRate ?? DEFAULT_WRONG_CATEGORY_RATE;
  const emptyRate = options.emptyPostRate ?? DEFAULT_EMPTY_POST_RATE;
  const withHistory = options.history ?? true;
  if (!Number.isInteger(options.projects) || options.projects < 0 || options.projects > 9999)
    throw new RangeError(`projects must be a whole number from 0 to 9999 (got ${options.projects})`);
  if (!/^\d{6}$/.test(region)) throw new RangeError(`region must be a six-digit code (got "${region}")`);
  for (const [name, rate] of [
    ['wrongCategoryRate', wrongRate],
    ['emptyPostRate', emptyRate],
  ] as const)
    if (!(rate >= 0 && rate <= 1)) throw new RangeError(`${name} must be from 0 to 1 (got ${rate})`);

  const fakes = source ?? createFakeSource(options.seed);
  const draw = new Draw(fakes);

  const initial: ChangeInput[] = [];
  const history: Timed[] = [];
  const emptyPosts: EmptyPost[] = [];
  /** A time in office hours (08:30-18:00 CST) at least a day after `afterMs`, before the history ends. */
  const someTimeAfter = (afterMs = INITIAL_LOAD_AT): number => {
    const t = draw.int(Math.max(afterMs, INITIAL_LOAD_AT) + DAY_MS, HISTORY_END);
    const dayStart = Math.floor((t + CST) / DAY_MS) * DAY_MS - CST;
    return dayStart + 8.5 * HOUR_MS + ((t - dayStart) % (9.5 * HOUR_MS));
  };
  /** Office hours on a day (`YYYY-MM-DD`). */
  const onDay = (day: string): number => msOf(day) - CST + 9 * HOUR_MS + draw.int(0, 8 * 60) * 60_000;
  const later = (change: ChangeInput, atMs: number) => history.push({ atMs, order: history.length, change });
  /** In the initial load, or at `sinceMs` for what appeared after it. */
  const emit = (change: ChangeInput, sinceMs: number | undefined) =>
    sinceMs === undefined ? initial.push(change) : later(change, sinceMs);

  // Enterprises: pools per role, reused across projects as real firms are.
  const pools: Record<string, Enterprise[]> = {};
  const published = new Set<string>();
  const enterpriseFor = (role: EnterpriseRole, reuse: number, taken: Set<string>): Enterprise => {
    const pool = (pools[role] ??= []);
    const free = pool.filter((e) => !taken.has(e.creditCode));
    const reused = free.length > 0 && draw.chance(reuse) ? draw.pick(free) : undefined;
    const e = reused ?? newEnterprise(role);
    if (!reused) pool.push(e);
    taken.add(e.creditCode);
    return e;
  };
  const newEnterprise = (role: EnterpriseRole): Enterprise => {
    // Owners and supervisors are mostly local; contractors often come from elsewhere.
    const local = role === 'owner' || role === 'supervision' ? 0.9 : 0.6;
    const f = fakes.enterprise(role, { region: draw.chance(local) ? region : undefined, asOf: INITIAL_DAY });
    return {
      creditCode: f.creditCode,
      name: f.name,
      registrationType: f.registrationType,
      legalRepresentative: f.legalRepresentative,
      region: f.region,
    };
  };
  /** Every enterprise is in the initial load, before the first record that refers to it. */
  const publish = (e: Enterprise) => {
    if (published.has(e.creditCode)) return;
    published.add(e.creditCode);
    if (withHistory && draw.chance(0.06)) {
      initial.push({ kind: 'enterprise', op: 'upsert', data: { ...e, name: renamedFrom(e.name) } });
      later({ kind: 'enterprise', op: 'upsert', data: e }, someTimeAfter());
    } else {
      initial.push({ kind: 'enterprise', op: 'upsert', data: e });
    }
  };

  const keyPerson = (participant: Participant, post: KeyPost, sinceMs: number | undefined): void => {
    /** Someone registered for the post; with `wrong`, registered in a category the post does not allow. */
    const person = (wrong: boolean): KeyPerson => {
      const p = fakes.keyPerson({ post, asOf: INITIAL_DAY });
      const category = wrong
        ? draw.pick(
            post === 'project-manager' ? ['注册监理工程师', '注册造价工程师'] : ['二级建造师', '一级建造师'],
          )
        : p.registrationCategory;
      return {
        projectCode: participant.projectCode,
        creditCode: participant.creditCode,
        post,
        name: p.name,
        idCardNumber: p.idCardNumber,
        registrationCategory: category,
        certificateNumber: wrong ? certificateNumber(draw, category, p.idCardNumber) : p.certificateNumber,
      };
    };
    const registeredAt = sinceMs === undefined ? undefined : sinceMs + draw.int(10, 120) * 60_000;
    if (draw.chance(emptyRate)) {
      emptyPosts.push({
        projectCode: participant.projectCode,
        creditCode: participant.creditCode,
        unitType: participant.unitType,
        post,
      });
      // Half of the empty posts had someone who left without a successor being registered.
      if (withHistory && draw.chance(0.5)) {
        const gone = person(false);
        emit({ kind: 'key-person', op: 'upsert', data: gone }, registeredAt);
        later(
          {
            kind: 'key-person',
            op: 'delete',
            data: { projectCode: gone.projectCode, creditCode: gone.creditCode, post },
          },
          someTimeAfter(registeredAt),
        );
      }
      return;
    }
    const final = person(draw.chance(wrongRate));
    if (withHistory && draw.chance(0.15)) {
      // Replaced: someone else held the post first.
      emit({ kind: 'key-person', op: 'upsert', data: person(false) }, registeredAt);
      later({ kind: 'key-person', op: 'upsert', data: final }, someTimeAfter(registeredAt));
    } else {
      emit({ kind: 'key-person', op: 'upsert', data: final }, registeredAt);
    }
  };

  const projectCodes = new Set<string>();
  for (let i = 0; i < options.projects; i++) {
    const taken = new Set<string>();
    const owner = enterpriseFor('owner', 0.2, taken);
    const gc = enterpriseFor('general-contractor', 0.4, taken);
    const supervision = enterpriseFor('supervision', 0.5, taken);
    const fp = fakes.project({ region, asOf: INITIAL_DAY, generalContractor: gc, owner });
    let projectCode = fp.projectCode;
    while (projectCodes.has(projectCode)) {
      // Two projects registered on the same day drew the same serial: take the next free one.
      const serial = (Number(projectCode.slice(-4)) + 1) % 10_000;
      projectCode = projectCode.slice(0, -4) + String(serial).padStart(4, '0');
    }
    projectCodes.add(projectCode);
    const { status, startDate } = fp;
    const notStarted = status === '001' || status === '002';
    const project: Project = {
      projectCode,
      name: fp.name,
      region: fp.region,
      category: fp.category,
      status,
      address: fp.address,
      lng: fp.lng,
      lat: fp.lat,
      generalContractorCode: gc.creditCode,
      constructionOwnerCode: owner.creditCode,
      startDate,
    };

    // Participations: owner, general contractor and supervision from the registration or the start;
    // subcontractors once work is under way (some after the initial load), some already gone again.
    type Member = { p: Participant; enterprise: Enterprise; sinceMs?: number; exitAtMs?: number };
    const completion = status === '004' ? (fp.completedOn ?? addDays(INITIAL_DAY, -1)) : undefined;
    const firstDay = notStarted ? fp.registeredOn : startDate;
    const member = (enterprise: Enterprise, unitType: string, entryDate: string): Member => ({
      p: { projectCode, creditCode: enterprise.creditCode, unitType, entryDate },
      enterprise,
    });
    const members: Member[] = [
      member(owner, '008', notStarted ? firstDay : addDays(startDate, -draw.int(0, 30))),
      member(gc, '009', firstDay),
      member(supervision, '007', firstDay),
    ];
    if (completion) for (const m of members) m.p.exitDate = completion;
    if (!notStarted) {
      const subs = draw.int(1, 3);
      const lastEntry = completion ? addDays(completion, -30) : status === '005' ? INITIAL_DAY : HISTORY_DAY;
      for (let s = 0; s < subs; s++) {
        const labour = draw.chance(0.45);
        const e = enterpriseFor(labour ? 'labour' : 'subcontractor', 0.3, taken);
        let entryDate = addDays(startDate, draw.int(10, 400));
        if (entryDate > lastEntry || (s === 0 && entryDate > INITIAL_DAY)) {
          entryDate = dayBetween(
            draw,
            startDate,
            s === 0 && lastEntry > INITIAL_DAY ? INITIAL_DAY : lastEntry,
          );
        }
        const m = member(e, labour ? '006' : '001', entryDate);
        if (entryDate > INITIAL_DAY) {
          if (!withHistory) continue;
          m.sinceMs = onDay(entryDate);
        }
        if (completion) {
          m.p.exitDate = addDays(completion, -draw.int(0, 20));
          if (m.p.exitDate < entryDate) m.p.exitDate = completion;
        } else if (status === '003' && draw.chance(0.25)) {
          const exit = addDays(entryDate, draw.int(30, 400));
          if (exit < INITIAL_DAY) m.p.exitDate = exit;
          else if (withHistory && exit < HISTORY_DAY) m.exitAtMs = onDay(exit);
        }
        members.push(m);
      }
    }

    // Enterprises first, then the project, its participants and their key staff.
    for (const m of members) publish(m.enterprise);
    if (withHistory && status === '003' && draw.chance(0.3)) {
      initial.push({ kind: 'project', op: 'upsert', data: { ...project, status: '002' } });
      later({ kind: 'project', op: 'upsert', data: project }, someTimeAfter());
    } else if (withHistory && status === '005' && draw.chance(0.5)) {
      initial.push({ kind: 'project', op: 'upsert', data: { ...project, status: '003' } });
      later({ kind: 'project', op: 'upsert', data: project }, someTimeAfter());
    } else {
      initial.push({ kind: 'project', op: 'upsert', data: project });
    }
    for (const m of members) {
      emit({ kind: 'participant', op: 'upsert', data: m.p }, m.sinceMs);
      if (m.exitAtMs !== undefined) {
        const exitDate = dayOf(m.exitAtMs + CST);
        later({ kind: 'participant', op: 'upsert', data: { ...m.p, exitDate } }, m.exitAtMs);
      }
    }
    if (withHistory && status === '003' && draw.chance(0.08)) {
      // A participation registered by mistake and deleted again.
      const e = enterpriseFor('subcontractor', 0.5, taken);
      publish(e);
      const mistake: Participant = {
        projectCode,
        creditCode: e.creditCode,
        unitType: draw.pick(['001', '012']),
        entryDate: addDays(INITIAL_DAY, -draw.int(1, 20)),
      };
      initial.push({ kind: 'participant', op: 'upsert', data: mistake });
      later(
        { kind: 'participant', op: 'delete', data: { projectCode, creditCode: e.creditCode } },
        someTimeAfter(),
      );
    }
    for (const m of members) {
      const t = m.p.unitType;
      if (t === '009' || t === '001' || t === '006') keyPerson(m.p, 'project-manager', m.sinceMs);
      else if (t === '007') keyPerson(m.p, 'chief-supervising-engineer', m.sinceMs);
    }
  }

  // Number the feed: the initial load a few seconds apart, then the history in time order.
  const changes: (ChangeInput & { at: string })[] = [];
  let t = INITIAL_LOAD_AT;
  for (const c of initial) {
    changes.push({ ...c, at: formatCst(t) });
    t += draw.int(1, 3) * 1000;
  }
  history.sort((a, b) => a.atMs - b.atMs || a.order - b.order);
  for (const h of history) changes.push({ ...h.change, at: formatCst(Math.max(h.atMs, t)) });

  const feed = new ChangeFeed();
  for (const c of changes) feed.append(c);
  const snapshot = feed.snapshot();
  return {
    fixtures: {
      seed: options.seed,
      region,
      ...snapshot,
      anomalies: {
        wrongCategory: snapshot.keyPersons.filter(
          (k) => !CATEGORIES_FOR_POST[k.post].includes(k.registrationCategory),
        ),
        emptyPosts: emptyPosts.sort((a, b) => {
          const [x, y] = [keyOf('key-person', a), keyOf('key-person', b)];
          return x < y ? -1 : x > y ? 1 : 0;
        }),
      },
      lastSeq: feed.lastSeq,
    },
    changes,
  };
}
