import { Controller, Get, Param, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AttendanceApi } from '@realname/contracts';
import {
  ApiAnswers,
  ApiParamsFrom,
  ApiQueryFrom,
  Caller,
  CurrentCaller,
  GUARDED_READ_ANSWERS,
  RequireRoles,
  ResourceServerGuard,
  Role,
} from '@realname/platform';
import { AnalyticsQueries } from '../analytics/analytics-queries';
import { checkPageSize, PunchQueries } from './punch-queries';
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

/** The OpenAPI link from a page to the next one (`nextPageToken`), for the same project and question. */
function nextPage(operationId: string, question: Record<string, string>) {
  return {
    nextPage: {
      operationId,
      parameters: {
        projectId: '$request.path.projectId',
        ...question,
        pageSize: 1,
        pageToken: '$response.body#/nextPageToken',
      },
    },
  };
}

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
  @ApiOperation({
    operationId: 'listPunches',
    summary: 'Punches of a project on one local day, oldest first, page by page',
  })
  @ApiParamsFrom(AttendanceApi.ProjectPathParams, AttendanceApi.PROJECT_EXAMPLE)
  @ApiQueryFrom(AttendanceApi.PunchListQuery, { day: '2026-11-20' })
  @ApiAnswers({
    200: {
      schema: AttendanceApi.PunchPage,
      example: AttendanceApi.PUNCH_PAGE_EXAMPLE,
      links: nextPage('listPunches', { day: '$request.query.day' }),
    },
    400: true,
    404: true,
    ...GUARDED_READ_ANSWERS,
  })
  @RequireRoles(...PUNCH_READERS)
  list(
    @CurrentCaller() caller: Caller,
    @Param('projectId') projectId: string,
    @Query('day') day: string,
    @Query('personId') personId?: string,
    @Query('resolution') resolution?: string,
    @Query('pageSize') pageSize?: string,
    @Query('pageToken') pageToken?: string,
  ): Promise<AttendanceApi.PunchPage> {
    return restQuery(() =>
      this.punches.listPunches(
        { projectId, day, personId, resolution, pageSize: checkPageSize(pageSize), pageToken },
        caller.scope,
      ),
    );
  }

  @Get('projects/:projectId/unresolved-punches')
  @ApiOperation({
    operationId: 'listUnresolvedPunches',
    summary:
      'Punches not resolved to an enrolled, entered worker over a range of local days (at most 366), oldest ' +
      'first, page by page, with the count per reason (unknown-person, not-entered, exited, ' +
      'recorded-before-resolution) over the whole range',
  })
  @ApiParamsFrom(AttendanceApi.ProjectPathParams, AttendanceApi.PROJECT_EXAMPLE)
  @ApiQueryFrom(AttendanceApi.UnresolvedPunchQuery, { from: '2026-11-01', to: '2026-11-30' })
  @ApiAnswers({
    200: {
      schema: AttendanceApi.UnresolvedPunchPage,
      example: AttendanceApi.UNRESOLVED_PAGE_EXAMPLE,
      links: nextPage('listUnresolvedPunches', {
        from: '$request.query.from',
        to: '$request.query.to',
      }),
    },
    400: true,
    404: true,
    ...GUARDED_READ_ANSWERS,
  })
  @RequireRoles(...PUNCH_READERS)
  unresolved(
    @CurrentCaller() caller: Caller,
    @Param('projectId') projectId: string,
    @Query('from') from: string,
    @Query('to') to: string,
    @Query('reason') reason?: string,
    @Query('pageSize') pageSize?: string,
    @Query('pageToken') pageToken?: string,
  ): Promise<AttendanceApi.UnresolvedPunchPage> {
    return restQuery(() =>
      this.punches.unresolvedPunches(
        { projectId, from, to, reason, pageSize: checkPageSize(pageSize), pageToken },
        caller.scope,
      ),
    );
  }

  @Get('projects/:projectId/punch-counts')
  @ApiOperation({
    operationId: 'countPunchesPerDay',
    summary: 'Punches and distinct persons per local day (from the PostgreSQL read model)',
  })
  @ApiParamsFrom(AttendanceApi.ProjectPathParams, AttendanceApi.PROJECT_EXAMPLE)
  @ApiQueryFrom(AttendanceApi.DayRangeQuery, { from: '2026-11-01', to: '2026-11-30' })
  @ApiAnswers({
    200: { schema: AttendanceApi.DayCounts, example: AttendanceApi.DAY_COUNTS_EXAMPLE },
    400: true,
    404: true,
    ...GUARDED_READ_ANSWERS,
  })
  @RequireRoles(...PUNCH_READERS)
  async counts(
    @CurrentCaller() caller: Caller,
    @Param('projectId') projectId: string,
    @Query('from') from: string,
    @Query('to') to: string,
  ): Promise<AttendanceApi.DayCounts> {
    return {
      days: await restQuery(() =>
        this.punches.countPerDay({ projectId, fromDay: from, toDay: to }, caller.scope),
      ),
    };
  }

  @Get('analytics/projects/:projectId/daily')
  @ApiOperation({
    operationId: 'projectDailyAnalytics',
    summary: 'Punches and distinct persons per day of a project (from ClickHouse)',
  })
  @ApiParamsFrom(AttendanceApi.ProjectPathParams, AttendanceApi.PROJECT_EXAMPLE)
  @ApiQueryFrom(AttendanceApi.DayRangeQuery, { from: '2026-11-01', to: '2026-11-30' })
  @ApiAnswers({
    200: { schema: AttendanceApi.DayCounts, example: AttendanceApi.DAY_COUNTS_EXAMPLE },
    400: true,
    404: true,
    ...GUARDED_READ_ANSWERS,
    403: 'The role may not read analytics, or the scope is an enterprise (analytics know no enterprise)',
  })
  @RequireRoles(...ANALYTICS_READERS)
  async projectDaily(
    @CurrentCaller() caller: Caller,
    @Param('projectId') projectId: string,
    @Query('from') from: string,
    @Query('to') to: string,
  ): Promise<AttendanceApi.DayCounts> {
    return { days: await restQuery(() => this.analytics.projectDaily(projectId, from, to, caller.scope)) };
  }

  @Get('analytics/regions/daily')
  @ApiOperation({
    operationId: 'regionDailyAnalytics',
    summary:
      'Punches per region and day (from ClickHouse) within your scope; region is a division-code prefix ' +
      '(one outside your scope gives no rows)',
  })
  @ApiQueryFrom(AttendanceApi.RegionDailyQuery, { region: '33', from: '2026-11-01', to: '2026-11-30' })
  @ApiAnswers({
    200: { schema: AttendanceApi.RegionDays, example: AttendanceApi.REGION_DAYS_EXAMPLE },
    400: true,
    ...GUARDED_READ_ANSWERS,
    403: 'The role may not read analytics, or the scope is an enterprise (analytics know no enterprise)',
  })
  @RequireRoles(...ANALYTICS_READERS)
  async regionDaily(
    @CurrentCaller() caller: Caller,
    @Query('region') region: string | undefined,
    @Query('from') from: string,
    @Query('to') to: string,
  ): Promise<AttendanceApi.RegionDays> {
    return { rows: await restQuery(() => this.analytics.regionDaily(region ?? '', from, to, caller.scope)) };
  }
}
