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
} from '@realname/platform';
import { ANALYTICS_READERS } from '../punches/punches.rest';
import { restQuery } from '../punches/query-errors';
import { AnalyticsQueries } from './analytics-queries';

const FORBIDDEN =
  'The role may not read analytics, or the scope is an enterprise (analytics know no enterprise)';

/**
 * Monthly attendance at province scale, from ClickHouse's roll-ups of finalised attendance days (lagging
 * the timesheets by the sink's batch interval). Every answer is limited to the caller's scope in the SQL;
 * the scope comes from the token only.
 */
@ApiTags('analytics')
@ApiBearerAuth()
@Controller('api/v1/analytics/months')
@UseGuards(ResourceServerGuard)
export class AnalyticsController {
  constructor(private readonly analytics: AnalyticsQueries) {}

  @Get(':month/regions')
  @ApiOperation({
    operationId: 'regionMonthAnalytics',
    summary:
      "A month's person-days present, workers, hours and projects by city and by project, for regions " +
      'starting with a prefix within your scope (one outside it gives zeros)',
  })
  @ApiParamsFrom(AttendanceApi.AnalyticsMonthPathParams, { month: '2026-11' })
  @ApiQueryFrom(AttendanceApi.AnalyticsRegionQuery, { region: '33' })
  @ApiAnswers({
    200: { schema: AttendanceApi.RegionMonthReport, example: AttendanceApi.REGION_MONTH_EXAMPLE },
    400: true,
    ...GUARDED_READ_ANSWERS,
    403: FORBIDDEN,
  })
  @RequireRoles(...ANALYTICS_READERS)
  regions(
    @CurrentCaller() caller: Caller,
    @Param('month') month: string,
    @Query('region') region?: string,
  ): Promise<AttendanceApi.RegionMonthReport> {
    return restQuery(() => this.analytics.regionMonth(month, region ?? '', caller.scope));
  }

  @Get(':month/projects/:projectId/teams')
  @ApiOperation({
    operationId: 'projectTeamMonthAnalytics',
    summary: "One project's month per team: workers, days present, leave and hours",
  })
  @ApiParamsFrom(AttendanceApi.AnalyticsProjectMonthPathParams, {
    month: '2026-11',
    ...AttendanceApi.PROJECT_EXAMPLE,
  })
  @ApiAnswers({
    200: { schema: AttendanceApi.ProjectTeamSheet, example: AttendanceApi.TEAM_SHEET_EXAMPLE },
    400: true,
    404: true,
    ...GUARDED_READ_ANSWERS,
    403: FORBIDDEN,
  })
  @RequireRoles(...ANALYTICS_READERS)
  teams(
    @CurrentCaller() caller: Caller,
    @Param('month') month: string,
    @Param('projectId') projectId: string,
  ): Promise<AttendanceApi.ProjectTeamSheet> {
    return restQuery(() => this.analytics.teamSheet(month, projectId, caller.scope));
  }

  @Get(':month/key-personnel')
  @ApiOperation({
    operationId: 'keyPersonnelMonthAnalytics',
    summary:
      "Key persons' presence (到岗率) in a month, per post held, for the projects of regions starting " +
      'with a prefix within your scope: working days, days present, leave and the rate',
  })
  @ApiParamsFrom(AttendanceApi.AnalyticsMonthPathParams, { month: '2026-11' })
  @ApiQueryFrom(AttendanceApi.AnalyticsRegionQuery, { region: '3301' })
  @ApiAnswers({
    200: { schema: AttendanceApi.RegionKeyPersonnelMonth, example: AttendanceApi.KEY_PERSONNEL_EXAMPLE },
    400: true,
    ...GUARDED_READ_ANSWERS,
    403: FORBIDDEN,
  })
  @RequireRoles(...ANALYTICS_READERS)
  keyPersonnel(
    @CurrentCaller() caller: Caller,
    @Param('month') month: string,
    @Query('region') region?: string,
  ): Promise<AttendanceApi.RegionKeyPersonnelMonth> {
    return restQuery(() => this.analytics.keyPersonnel(month, region ?? '', caller.scope));
  }
}
