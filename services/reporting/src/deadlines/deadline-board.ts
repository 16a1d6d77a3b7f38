import { ReportingApi } from '@realname/contracts';
import type { Database } from '@realname/eventstore';
import { CallerScope, regionCovers, regionLevel, regionPrefix } from '@realname/platform';
import type { DailyDeadline } from '@realname/uplinks';
import { DeadlineRepository } from './deadline.repository';
import { DeadlinePolicy, deadlineInstant, decideDeadline, isSettled } from './deadline.rules';

const DAY_MS = 86_400_000;

/** A parameter that is not what the board needs; `field` names it. */
export class InvalidBoardQuery extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'InvalidBoardQuery';
  }
}

/** A region the caller's scope does not cover: answered as not found, like a region that does not exist. */
export class BoardRegionNotFound extends Error {
  constructor(readonly region: string) {
    super(`no deadline board of region ${region} within your scope`);
    this.name = 'BoardRegionNotFound';
  }
}

/** The scope cannot read a region's board (an enterprise is no region). */
export class BoardScopeNotServed extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BoardScopeNotServed';
  }
}

export interface DeadlineBoardOptions {
  readonly schema: string;
  readonly deadlines: ReadonlyMap<string, DailyDeadline>;
  readonly policy: DeadlinePolicy;
  readonly now?: () => Date;
}

/**
 * The deadline board of a region and day, shared by REST and gRPC: every project of the region within
 * the caller's scope that has attendance records of the day, per target, with live counts; the state is
 * the settled one once the day is missed or met, otherwise decided now by the same rules as the tracker.
 */
export class DeadlineBoardQueries {
  private readonly repo: DeadlineRepository;
  private readonly now: () => Date;

  constructor(
    private readonly db: Database,
    private readonly opts: DeadlineBoardOptions,
  ) {
    this.repo = new DeadlineRepository(opts.schema);
    this.now = opts.now ?? (() => new Date());
  }

  async board(q: { region?: string; day?: string }, scope: CallerScope): Promise<ReportingApi.DeadlineBoard> {
    if (!ReportingApi.DeadlineRegionParam.safeParse(q.region).success)
      throw new InvalidBoardQuery(
        'region',
        `region must be a six-digit division code, got "${q.region ?? ''}"`,
      );
    if (!ReportingApi.DeadlineDayParam.safeParse(q.day).success)
      throw new InvalidBoardQuery('day', `day must be a date YYYY-MM-DD, got "${q.day ?? ''}"`);
    const region = q.region!;
    const day = q.day!;
    const projectId = await this.projectOfScope(region, scope);
    const now = this.now();
    const rows = await this.repo.boardDays(
      this.db,
      {
        day,
        regionLike: regionPrefix({ kind: regionLevel(region), code: region })!,
        projectId,
        // Records of a day are made once it has begun (a day before, for zones ahead of UTC).
        createdSince: new Date(Date.parse(`${day}T00:00:00Z`) - DAY_MS),
      },
      now,
    );
    return {
      region,
      day,
      asOf: now.toISOString(),
      projects: rows.map((r) => {
        const settled = r.recorded && isSettled(r.recorded.state) ? r.recorded : undefined;
        const deadline = settled?.deadline ?? deadlineInstant(r.target, r.day, this.opts.deadlines);
        const decision = decideDeadline({
          counts: r.counts,
          deadline,
          now,
          health: r.health,
          policy: this.opts.policy,
        });
        return {
          projectId: r.projectId,
          projectName: r.projectName,
          region: r.region,
          target: r.target,
          expected: r.counts.expected,
          accepted: r.counts.accepted,
          pending: r.counts.pending,
          rejected: r.counts.rejected,
          deadline: deadline.toISOString(),
          minutesLeft: decision.minutesLeft,
          state: settled?.state ?? decision.state,
          reason: settled?.reason ?? decision.reason,
        };
      }),
    };
  }

  /**
   * The project a project scope is limited to (null for a region scope covering the region): a region
   * scope must cover the region asked for; a project scope reads its own project when it lies in the
   * region; an enterprise scope reads no region.
   */
  private async projectOfScope(region: string, scope: CallerScope): Promise<string | null> {
    if (scope.kind === 'enterprise')
      throw new BoardScopeNotServed(
        'an enterprise reads the uploads of its projects, not the board of a region',
      );
    if (scope.kind === 'project') {
      const own = await this.repo.regionOfProject(this.db, scope.code);
      if (!own || !regionCovers(region, own)) throw new BoardRegionNotFound(region);
      return scope.code;
    }
    if (!regionCovers(scope.code, region)) throw new BoardRegionNotFound(region);
    return null;
  }
}
