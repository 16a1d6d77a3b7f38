import { AttendanceApi } from '@realname/contracts';
import { addDays, attendanceProfileFor, daysBetween, todayIn, workingDays } from '@realname/domain-rules';
import { CallerScope, regionCovers, regionLevel, regionPrefix } from '@realname/platform';
import {
  checkDay,
  checkProjectId,
  InvalidQuery,
  ProjectNotFound,
  ScopeNotServed,
} from '../punches/punch-queries';
import {
  absenceStreak,
  attendanceDayOf,
  KeyPersonFacts,
  keyPersonPresence,
  latestStreakStart,
} from './presence';
import { PresenceRepository, ProjectRow } from './presence.repository';

const MAX_PERIOD_DAYS = 366;

/**
 * The region is not one the caller's scope covers: answered like a project outside the scope (404 /
 * NOT_FOUND), whether or not attendance knows anything there.
 */
export class RegionNotFound extends Error {
  constructor(readonly region: string) {
    super(`no attendance of region ${region} within your scope`);
    this.name = 'RegionNotFound';
  }
}

function checkPeriod(from: string | undefined, to: string | undefined): { from: string; to: string } {
  checkDay('from', from);
  checkDay('to', to);
  if (from! > to!) throw new InvalidQuery('from', 'from must not be after to');
  if (daysBetween(from!, to!) + 1 > MAX_PERIOD_DAYS)
    throw new InvalidQuery('to', `the period may span at most ${MAX_PERIOD_DAYS} days`);
  return { from: from!, to: to! };
}

function checkRegion(region: string | undefined): string {
  if (!AttendanceApi.RegionCodeParam.safeParse(region).success)
    throw new InvalidQuery('region', `region must be a six-digit division code, got "${region ?? ''}"`);
  return region!;
}

/** A day to count streaks up to: at most a year ahead, which bounds the calendar walked through. */
function checkAsOf(asOf: string | undefined): string {
  checkDay('asOf', asOf);
  if (asOf! > addDays(todayIn(), MAX_PERIOD_DAYS))
    throw new InvalidQuery('asOf', `asOf may be at most ${MAX_PERIOD_DAYS} days after today`);
  return asOf!;
}

/** The query's minimum streak (a number from gRPC, where 0 means none; text from REST), or undefined. */
function checkMinDays(value: string | number | undefined): number | undefined {
  // Not given: absent in REST, 0 in gRPC (proto3 has no unset number); an empty `minDays=` is refused.
  if (value === undefined || value === 0) return undefined;
  const parsed = AttendanceApi.AbsenceQuery.shape.minDays.safeParse(value);
  if (!parsed.success || !/^\d+$/.test(String(value)))
    throw new InvalidQuery('minDays', `minDays must be a whole number 1-366, got "${value}"`);
  return parsed.data;
}

/** Key-personnel presence and consecutive absence by project and region, shared by REST and gRPC. */
export class PresenceQueries {
  constructor(private readonly repo: PresenceRepository) {}

  async projectPresence(
    q: { projectId: string; from: string; to: string },
    scope: CallerScope,
  ): Promise<AttendanceApi.ProjectKeyPersonnelPresence> {
    checkProjectId(q.projectId);
    const period = checkPeriod(q.from, q.to);
    const project = await this.project(q.projectId, scope);
    const [answer] = await this.presenceOf([project], period, scope);
    return answer;
  }

  async regionPresence(
    q: { region: string; from: string; to: string },
    scope: CallerScope,
  ): Promise<AttendanceApi.RegionKeyPersonnelPresence> {
    const region = checkRegion(q.region);
    const period = checkPeriod(q.from, q.to);
    const projects = await this.projectsOf(region, scope);
    const answers = await this.presenceOf(projects, period, scope);
    return { region, ...period, projects: answers.filter((p) => p.persons.length > 0) };
  }

  async projectAbsences(
    q: { projectId: string; asOf: string; minDays?: string | number },
    scope: CallerScope,
  ): Promise<AttendanceApi.ProjectAbsences> {
    checkProjectId(q.projectId);
    const asOf = checkAsOf(q.asOf);
    const minDays = checkMinDays(q.minDays);
    const project = await this.project(q.projectId, scope);
    const [answer] = await this.absencesOf([project], asOf, minDays, scope);
    return answer;
  }

  async regionAbsences(
    q: { region: string; asOf: string; minDays?: string | number },
    scope: CallerScope,
  ): Promise<AttendanceApi.RegionAbsences> {
    const region = checkRegion(q.region);
    const asOf = checkAsOf(q.asOf);
    const minDays = checkMinDays(q.minDays);
    const projects = await this.projectsOf(region, scope);
    const answers = await this.absencesOf(projects, asOf, minDays, scope);
    return { region, asOf, projects: answers.filter((p) => p.workers.length > 0) };
  }

  private async project(projectId: string, scope: CallerScope): Promise<ProjectRow> {
    const project = await this.repo.visibleProject(projectId, scope);
    if (!project) throw new ProjectNotFound(projectId);
    return project;
  }

  /**
   * The projects of a region the scope covers: a region scope must cover the region asked for; a
   * project scope reads its own project when it lies in the region; an enterprise scope reads projects
   * only (its units' share of a region is not a region view).
   */
  private async projectsOf(region: string, scope: CallerScope): Promise<ProjectRow[]> {
    if (scope.kind === 'enterprise')
      throw new ScopeNotServed('an enterprise reads the presence of its projects, not of a region');
    if (scope.kind === 'project') {
      const own = await this.repo.visibleProject(scope.code, scope);
      if (!own || !regionCovers(region, own.region)) throw new RegionNotFound(region);
      return [own];
    }
    if (!regionCovers(scope.code, region)) throw new RegionNotFound(region);
    return this.repo.projectsInRegion(regionPrefix({ kind: regionLevel(region), code: region })!, scope);
  }

  private async presenceOf(
    projects: ProjectRow[],
    period: { from: string; to: string },
    scope: CallerScope,
  ): Promise<AttendanceApi.ProjectKeyPersonnelPresence[]> {
    if (projects.length === 0) return [];
    const profiles = new Map(projects.map((p) => [p.projectId, attendanceProfileFor(p.region)]));
    const posts = [...new Set([...profiles.values()].flatMap((p) => p.keyPosts))];
    const ids = projects.map((p) => p.projectId);
    const [persons, days] = await Promise.all([
      this.repo.keyPersons(ids, posts, scope),
      this.repo.keyPersonDays(ids, period.from, period.to),
    ]);
    const daysOf = new Map<string, KeyPersonFacts['days']>();
    for (const d of days) {
      const key = `${d.projectId}\u0000${d.participantId}\u0000${d.post}`;
      daysOf.set(key, [...(daysOf.get(key) ?? []), { day: d.day, status: d.status }]);
    }
    const calendars = new Map<string, string[]>();
    return projects.map((project) => {
      const profile = profiles.get(project.projectId)!;
      if (!calendars.has(project.region))
        calendars.set(project.region, workingDays(project.region, period.from, period.to));
      const working = calendars.get(project.region)!;
      return {
        projectId: project.projectId,
        projectName: project.name,
        region: project.region,
        profileVersion: profile.version,
        ...period,
        presenceMinimum: profile.presenceMinimum,
        keyPosts: profile.keyPosts,
        persons: persons
          .filter((k) => k.projectId === project.projectId && profile.keyPosts.includes(k.post))
          .map((k) => {
            const since = attendanceDayOf(k.since, profile.timeZone, profile.dayBoundary);
            const figures = keyPersonPresence(
              {
                sinceDay: since,
                enrolments: k.enrolments,
                days: daysOf.get(`${k.projectId}\u0000${k.participantId}\u0000${k.post}`) ?? [],
              },
              working,
              profile.presenceMinimum,
            );
            return {
              post: k.post,
              participantId: k.participantId,
              corpName: k.corpName,
              name: k.name,
              maskedIdNumber: k.maskedIdNumber,
              since,
              ...figures,
            };
          }),
      };
    });
  }

  private async absencesOf(
    projects: ProjectRow[],
    asOf: string,
    minDaysAsked: number | undefined,
    scope: CallerScope,
  ): Promise<AttendanceApi.ProjectAbsences[]> {
    const answers: AttendanceApi.ProjectAbsences[] = [];
    // Projects sharing a region share the minimum, so they are read together.
    const byRegion = new Map<string, ProjectRow[]>();
    for (const p of projects) byRegion.set(p.region, [...(byRegion.get(p.region) ?? []), p]);
    for (const [region, inRegion] of byRegion) {
      const profile = attendanceProfileFor(region);
      const minDays = minDaysAsked ?? profile.consecutiveAbsenceDays;
      const candidates = await this.repo.absenceCandidates(
        inRegion.map((p) => p.projectId),
        asOf,
        latestStreakStart(asOf, minDays),
        scope,
      );
      const earliest = candidates.reduce((min, c) => (c.enteredOn < min ? c.enteredOn : min), asOf);
      const working = candidates.length ? workingDays(region, earliest, asOf) : [];
      for (const project of inRegion) {
        const workers = candidates
          .filter((c) => c.projectId === project.projectId)
          .map((c) => ({ c, streak: absenceStreak(c, asOf, working) }))
          .filter(({ streak }) => streak.absentWorkingDays >= minDays)
          .sort(
            (a, b) =>
              b.streak.absentWorkingDays - a.streak.absentWorkingDays ||
              a.c.enrolmentId.localeCompare(b.c.enrolmentId),
          )
          .map(({ c, streak }) => ({
            enrolmentId: c.enrolmentId,
            workerId: c.workerId,
            name: c.name,
            maskedIdNumber: c.maskedIdNumber,
            teamId: c.teamId,
            teamName: c.teamName,
            participantId: c.participantId,
            corpName: c.corpName,
            enteredOn: c.enteredOn,
            lastPresent: c.lastPresent,
            absentSince: streak.from,
            absentWorkingDays: streak.absentWorkingDays,
            leaveDays: streak.leaveDays,
          }));
        answers.push({
          projectId: project.projectId,
          projectName: project.name,
          region: project.region,
          profileVersion: profile.version,
          asOf,
          minDays,
          workers,
        });
      }
    }
    return answers.sort((a, b) => a.projectId.localeCompare(b.projectId));
  }
}
