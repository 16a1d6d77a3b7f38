/**
 * The uplink scenario's site, as data: projects with participating units, teams and enrolled workers,
 * the registry and attendance events reporting turns into national records, and the records the
 * national platform must end up holding, each under the key the platform itself uses for "already
 * exists" (so a record held twice upstream shows as doubled, one never sent as missing).
 */
import {
  AttendanceDayFinalised,
  createEvent,
  EventEnvelope,
  ParticipantJoined,
  TeamFormed,
  Topics,
  TopicSpec,
  WorkerEnrolled,
} from '@realname/contracts';
import { creditCodeCheckChar, residentIdCheckChar } from '@realname/domain-rules';

export const UPLINK_REGION = '330106';
/** The methods whose accepted records the scenario counts, in dependency order. */
export const UPLINK_METHODS = [
  'ProjectSubContractor.Add',
  'Team.Add',
  'ProjectWorker.Add',
  'WorkerAttendance.Add',
] as const;
export type UplinkMethod = (typeof UPLINK_METHODS)[number];

export interface UplinkSiteSize {
  projects: number;
  unitsPerProject: number;
  teamsPerUnit: number;
  workersPerTeam: number;
}

export const DEFAULT_UPLINK_SIZE: UplinkSiteSize = {
  projects: 2,
  unitsPerProject: 2,
  teamsPerUnit: 4,
  workersPerTeam: 30,
};

export interface SiteUnit {
  projectId: string;
  participantId: string;
  creditCode: string;
  corpName: string;
}

export interface SiteWorker {
  projectId: string;
  enrolmentId: string;
  workerId: string;
  idCardNumber: string;
  name: string;
  teamId: string;
  teamName: string;
  unit: SiteUnit;
  /** 0-59: spreads the workers' punch seconds. */
  second: number;
}

export interface SiteProject {
  projectId: string;
  /** appid and secret of the project on the national platform. */
  appid: string;
  secret: string;
  /** The general contractor, registered upstream by the integrity platform (not by reporting). */
  contractor: { creditCode: string; corpName: string };
  units: SiteUnit[];
  teams: { teamId: string; name: string; unit: SiteUnit }[];
  workers: SiteWorker[];
}

/** An event and the (unprefixed) topic it goes to. */
export interface SiteEvent {
  topic: TopicSpec;
  event: EventEnvelope;
}

/** A valid unified social credit code (check character included) from 16 characters and a number. */
export function creditCode(n: number): string {
  const base = `91330100MA27${String(n).padStart(4, '0')}A`;
  return base + creditCodeCheckChar(base);
}

/** A valid resident ID number (born 1990, a Hangzhou district) for the n-th worker (n < 30 000). */
export function residentId(n: number): string {
  const birth = new Date(Date.UTC(1990, 0, 1) + Math.floor(n / 1000) * 86_400_000)
    .toISOString()
    .slice(0, 10)
    .replace(/-/g, '');
  const base = `330106${birth}${String(n % 1000).padStart(3, '0')}`;
  return base + residentIdCheckChar(base);
}

/**
 * The site of a run: `run` makes the project codes unique on a simulator shared with nothing else, and
 * `secret(i)` gives each project's secret (random in the suite, fixed in tests).
 */
export function planUplinkSite(
  run: string,
  size: UplinkSiteSize,
  secret: (project: number) => string,
): SiteProject[] {
  const tag = run.replace(/[^a-z0-9]/gi, '').toLowerCase();
  const projects: SiteProject[] = [];
  let unitNo = 0;
  let workerNo = 0;
  for (let p = 0; p < size.projects; p++) {
    const projectId = `3301uf${tag}p${p}`;
    const contractor = { creditCode: creditCode(9000 + p), corpName: `总承包建设集团${p + 1}` };
    const project: SiteProject = {
      projectId,
      appid: projectId,
      secret: secret(p),
      contractor,
      units: [],
      teams: [],
      workers: [],
    };
    for (let u = 0; u < size.unitsPerProject; u++) {
      unitNo += 1;
      const unit: SiteUnit = {
        projectId,
        participantId: `pa-${p}-${u}`,
        creditCode: creditCode(unitNo),
        corpName: `杭州第${unitNo}劳务有限公司`,
      };
      project.units.push(unit);
      for (let t = 0; t < size.teamsPerUnit; t++) {
        const team = { teamId: `team-${p}-${u}-${t}`, name: `${unitNo}号单位${t + 1}班`, unit };
        project.teams.push(team);
        for (let w = 0; w < size.workersPerTeam; w++) {
          workerNo += 1;
          project.workers.push({
            projectId,
            enrolmentId: `en-${p}-${workerNo}`,
            workerId: `${tag}-w-${workerNo}`,
            idCardNumber: residentId(workerNo),
            name: `工人${workerNo}`,
            teamId: team.teamId,
            teamName: team.name,
            unit,
            second: workerNo % 60,
          });
        }
      }
    }
    projects.push(project);
  }
  return projects;
}

/** The registry's events for the site: units and teams on the project streams, then the enrolments. */
export function registryEvents(projects: readonly SiteProject[]): SiteEvent[] {
  const out: SiteEvent[] = [];
  for (const p of projects) {
    const opts = { source: '/realname/worker-registry', subject: p.projectId, region: UPLINK_REGION };
    for (const u of p.units)
      out.push({
        topic: Topics.registryProjects,
        event: createEvent(
          ParticipantJoined,
          {
            projectId: p.projectId,
            participantId: u.participantId,
            creditCode: u.creditCode,
            corpName: u.corpName,
            unitType: '009',
          },
          opts,
        ),
      });
    for (const t of p.teams)
      out.push({
        topic: Topics.registryProjects,
        event: createEvent(
          TeamFormed,
          { projectId: p.projectId, teamId: t.teamId, name: t.name, participantId: t.unit.participantId },
          opts,
        ),
      });
    for (const w of p.workers)
      out.push({
        topic: Topics.registryEnrolments,
        event: createEvent(
          WorkerEnrolled,
          {
            enrolmentId: w.enrolmentId,
            projectId: p.projectId,
            workerId: w.workerId,
            name: w.name,
            idHash: w.workerId.padEnd(32, '0').slice(0, 64),
            maskedIdNumber: `${w.idCardNumber.slice(0, 4)}**********${w.idCardNumber.slice(-4)}`,
            teamId: w.teamId,
            teamName: w.teamName,
            participantId: w.unit.participantId,
            creditCode: w.unit.creditCode,
            corpName: w.unit.corpName,
            workType: '010',
            workRole: '20',
            isTeamLeader: false,
            credentials: { personId: w.workerId },
          },
          { ...opts, subject: w.enrolmentId },
        ),
      });
  }
  return out;
}

/** The worker's four punches of a day (Asia/Shanghai): 07:30-11:30 and 13:00-17:30, at their second. */
export function punchTimes(
  w: SiteWorker,
  day: string,
): { local: string; instant: string; dir: 'in' | 'out' }[] {
  const ss = String(w.second).padStart(2, '0');
  return (
    [
      ['07:30', 'in'],
      ['11:30', 'out'],
      ['13:00', 'in'],
      ['17:30', 'out'],
    ] as const
  ).map(([hm, dir]) => ({
    local: `${day} ${hm}:${ss}`,
    instant: new Date(`${day}T${hm}:${ss}+08:00`).toISOString().replace('.000Z', 'Z'),
    dir,
  }));
}

/** Attendance's finalised days of every worker for `day`. */
export function dayEvents(projects: readonly SiteProject[], day: string): SiteEvent[] {
  return projects.flatMap((p) =>
    p.workers.map((w) => {
      const [in1, out1, in2, out2] = punchTimes(w, day);
      const end = (t: { instant: string; dir: 'in' | 'out' }) => ({
        at: t.instant,
        direction: t.dir,
        inferred: false,
      });
      return {
        topic: Topics.attendanceDays,
        event: createEvent(
          AttendanceDayFinalised,
          {
            projectId: p.projectId,
            region: UPLINK_REGION,
            enrolmentId: w.enrolmentId,
            workerId: w.workerId,
            teamId: w.teamId,
            participantId: w.unit.participantId,
            keyPosts: [],
            day,
            revision: 1,
            status: 'present',
            calendar: { working: true, kind: 'workday', version: '2026' },
            intervals: [
              { in: end(in1), out: end(out1), minutes: 240 },
              { in: end(in2), out: end(out2), minutes: 270 },
            ],
            workedMinutes: 510,
            punches: 4,
            corrections: [],
            rules: { timeZone: 'Asia/Shanghai', dayBoundary: '04:00', version: '1' },
            cause: 'finalised',
          },
          {
            source: '/realname/attendance',
            subject: `timesheet-${p.projectId}-${w.enrolmentId}-${day}`,
            region: UPLINK_REGION,
          },
        ),
      };
    }),
  );
}

/** The key the national platform refuses a second copy of, for a record of one of UPLINK_METHODS. */
export function upstreamKey(method: string, record: Record<string, unknown>): string | undefined {
  const f = (name: string) => String(record[name] ?? '');
  switch (method) {
    case 'ProjectSubContractor.Add':
      return `${f('projectCode')}|${f('corpCode')}`;
    case 'Team.Add':
      return `${f('projectCode')}|${f('teamName')}`;
    case 'ProjectWorker.Add':
      return `${f('projectCode')}|${f('idCardNumber')}`;
    case 'WorkerAttendance.Add':
      return `${f('projectCode')}|${f('idCardNumber')}|${f('date')}|${f('direction')}`;
    default:
      return undefined;
  }
}

/** What the site's registry events must put upstream (units, teams, workers), by method. */
export function expectedRegistryRecords(projects: readonly SiteProject[]): Map<UplinkMethod, string[]> {
  const out = new Map<UplinkMethod, string[]>(UPLINK_METHODS.map((m) => [m, []]));
  for (const p of projects) {
    for (const u of p.units) out.get('ProjectSubContractor.Add')!.push(`${p.projectId}|${u.creditCode}`);
    for (const t of p.teams) out.get('Team.Add')!.push(`${p.projectId}|${t.name}`);
    for (const w of p.workers) out.get('ProjectWorker.Add')!.push(`${p.projectId}|${w.idCardNumber}`);
  }
  return out;
}

/** The attendance items a day's events must put upstream. */
export function expectedDayRecords(projects: readonly SiteProject[], day: string): string[] {
  return projects.flatMap((p) =>
    p.workers.flatMap((w) =>
      punchTimes(w, day).map(
        (t) => `${p.projectId}|${w.idCardNumber}|${t.local}|${t.dir === 'in' ? '01' : '02'}`,
      ),
    ),
  );
}

export interface UpstreamCount {
  method: string;
  expected: number;
  /** Expected records the platform holds (once or more). */
  accepted: number;
  missing: string[];
  /** Records the platform holds more than once, with how often. */
  doubled: { key: string; times: number }[];
  /** Records the platform holds that were not expected (another run's, or a mapping gone wrong). */
  unexpected: number;
}

/** Expected records against what the platform accepted (per method), by the platform's own keys. */
export function compareUpstream(
  expected: ReadonlyMap<string, readonly string[]>,
  accepted: readonly { method: string; record: Record<string, unknown> }[],
): UpstreamCount[] {
  const held = new Map<string, Map<string, number>>();
  for (const a of accepted) {
    const key = upstreamKey(a.method, a.record);
    if (key === undefined) continue;
    const m = held.get(a.method) ?? new Map<string, number>();
    m.set(key, (m.get(key) ?? 0) + 1);
    held.set(a.method, m);
  }
  return [...expected].map(([method, keys]) => {
    const m = held.get(method) ?? new Map<string, number>();
    const want = new Set(keys);
    return {
      method,
      expected: want.size,
      accepted: [...want].filter((k) => (m.get(k) ?? 0) > 0).length,
      missing: [...want].filter((k) => (m.get(k) ?? 0) === 0),
      doubled: [...m].filter(([, n]) => n > 1).map(([key, times]) => ({ key, times })),
      unexpected: [...m.keys()].filter((k) => !want.has(k)).length,
    };
  });
}
