import { Controller, Get, Param, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { Caller, CurrentCaller, RequireRoles, ResourceServerGuard, Role } from '@realname/platform';
import { AnalyticsQueries } from '../analytics/analytics-queries';
import { PunchQueries } from './punch-queries';
import { restQuery } from './query-errors';

/** Who may read punches (with names and masked ID numbers) of the projects in their scope. */
export const PUNCH_READERS: Role[] = [
  'province-supervisor',
  'city-supervisor',
  'county-supervisor',
  'project-manager',
  'enterprise-user',
  'municipal-integrator',
];
/** Who may read the analytics (kept by region and project: no enterprise scope). */
export const ANALYTICS_READERS: Role[] = [
  'province-supervisor',
  'city-supervisor',
  'county-supervisor',
  'project-manager',
  'municipal-integrator',
];

/** Every answer is limited to the caller's scope by the queries; the scope comes from the token only. */
@ApiTags('punches')
@ApiBearerAuth()
@Controller('api/v1')
@UseGuards(ResourceServerGuard)
export class PunchesController {
  constructor(
    private readonly punches: PunchQueries,
    private readonly analytics: AnalyticsQueries,
  ) {}

  @Get('projects/:projectId/punches')
  @ApiOperation({ summary: 'Punches of a project on one local day, oldest first, page by page' })
  @ApiQuery({ name: 'day', required: true, example: '2026-11-21' })
  @ApiQuery({ name: 'personId', required: false })
  @ApiQuery({
    name: 'resolution',
    required: false,
    enum: ['resolved', 'unresolved'],
    description: 'only punches resolved to an enrolled worker, or only those that are not',
  })
  @ApiQuery({ name: 'pageSize', required: false, description: '1-1000, default 100' })
  @ApiQuery({ name: 'pageToken', required: false })
  @RequireRoles(...PUNCH_READERS)
  list(
    @CurrentCaller() caller: Caller,
    @Param('projectId') projectId: string,
    @Query('day') day: string,
    @Query('personId') personId?: string,
    @Query('resolution') resolution?: string,
    @Query('pageSize') pageSize?: string,
    @Query('pageToken') pageToken?: string,
  ) {
    return restQuery(() =>
      this.punches.listPunches(
        { projectId, day, personId, resolution, pageSize: Number(pageSize) || undefined, pageToken },
        caller.scope,
      ),
    );
  }

  @Get('projects/:projectId/unresolved-punches')
  @ApiOperation({
    summary:
      'Punches not resolved to an enrolled, entered worker over a range of local days (at most 366), oldest ' +
      'first, page by page, with the count per reason (unknown-person, not-entered, exited, ' +
      'recorded-before-resolution) over the whole range',
  })
  @ApiQuery({ name: 'from', required: true, example: '2026-11-01' })
  @ApiQuery({ name: 'to', required: true, example: '2026-11-30' })
  @ApiQuery({
    name: 'reason',
    required: false,
    enum: ['unknown-person', 'not-entered', 'exited', 'recorded-before-resolution'],
  })
  @ApiQuery({ name: 'pageSize', required: false, description: '1-1000, default 100' })
  @ApiQuery({ name: 'pageToken', required: false })
  @RequireRoles(...PUNCH_READERS)
  unresolved(
    @CurrentCaller() caller: Caller,
    @Param('projectId') projectId: string,
    @Query('from') from: string,
    @Query('to') to: string,
    @Query('reason') reason?: string,
    @Query('pageSize') pageSize?: string,
    @Query('pageToken') pageToken?: string,
  ) {
    return restQuery(() =>
      this.punches.unresolvedPunches(
        { projectId, from, to, reason, pageSize: Number(pageSize) || undefined, pageToken },
        caller.scope,
      ),
    );
  }

  @Get('projects/:projectId/punch-counts')
  @ApiOperation({ summary: 'Punches and distinct persons per local day (from the PostgreSQL read model)' })
  @ApiQuery({ name: 'from', required: true, example: '2026-11-01' })
  @ApiQuery({ name: 'to', required: true, example: '2026-11-30' })
  @RequireRoles(...PUNCH_READERS)
  async counts(
    @CurrentCaller() caller: Caller,
    @Param('projectId') projectId: string,
    @Query('from') from: string,
    @Query('to') to: string,
  ) {
    return {
      days: await restQuery(() =>
        this.punches.countPerDay({ projectId, fromDay: from, toDay: to }, caller.scope),
      ),
    };
  }

  @Get('analytics/projects/:projectId/daily')
  @ApiOperation({ summary: 'Punches and distinct persons per day of a project (from ClickHouse)' })
  @ApiQuery({ name: 'from', required: true })
  @ApiQuery({ name: 'to', required: true })
  @RequireRoles(...ANALYTICS_READERS)
  async projectDaily(
    @CurrentCaller() caller: Caller,
    @Param('projectId') projectId: string,
    @Query('from') from: string,
    @Query('to') to: string,
  ) {
    return { days: await restQuery(() => this.analytics.projectDaily(projectId, from, to, caller.scope)) };
  }

  @Get('analytics/regions/daily')
  @ApiOperation({
    summary:
      'Punches per region and day (from ClickHouse) within your scope; region is a division-code prefix ' +
      '(one outside your scope gives no rows)',
  })
  @ApiQuery({ name: 'region', required: false, example: '33' })
  @ApiQuery({ name: 'from', required: true })
  @ApiQuery({ name: 'to', required: true })
  @RequireRoles(...ANALYTICS_READERS)
  async regionDaily(
    @CurrentCaller() caller: Caller,
    @Query('region') region: string | undefined,
    @Query('from') from: string,
    @Query('to') to: string,
  ) {
    return { rows: await restQuery(() => this.analytics.regionDaily(region ?? '', from, to, caller.scope)) };
  }
}
