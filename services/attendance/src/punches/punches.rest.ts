import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { AnalyticsQueries } from '../analytics/analytics-queries';
import { PunchQueries } from './punch-queries';
import { restQuery } from './query-errors';

@ApiTags('punches')
@Controller('api/v1')
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
  list(
    @Param('projectId') projectId: string,
    @Query('day') day: string,
    @Query('personId') personId?: string,
    @Query('resolution') resolution?: string,
    @Query('pageSize') pageSize?: string,
    @Query('pageToken') pageToken?: string,
  ) {
    return restQuery(() =>
      this.punches.listPunches({
        projectId,
        day,
        personId,
        resolution,
        pageSize: Number(pageSize) || undefined,
        pageToken,
      }),
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
  unresolved(
    @Param('projectId') projectId: string,
    @Query('from') from: string,
    @Query('to') to: string,
    @Query('reason') reason?: string,
    @Query('pageSize') pageSize?: string,
    @Query('pageToken') pageToken?: string,
  ) {
    return restQuery(() =>
      this.punches.unresolvedPunches({
        projectId,
        from,
        to,
        reason,
        pageSize: Number(pageSize) || undefined,
        pageToken,
      }),
    );
  }

  @Get('projects/:projectId/punch-counts')
  @ApiOperation({ summary: 'Punches and distinct persons per local day (from the PostgreSQL read model)' })
  @ApiQuery({ name: 'from', required: true, example: '2026-11-01' })
  @ApiQuery({ name: 'to', required: true, example: '2026-11-30' })
  async counts(@Param('projectId') projectId: string, @Query('from') from: string, @Query('to') to: string) {
    return { days: await restQuery(() => this.punches.countPerDay({ projectId, fromDay: from, toDay: to })) };
  }

  @Get('analytics/projects/:projectId/daily')
  @ApiOperation({ summary: 'Punches and distinct persons per day of a project (from ClickHouse)' })
  @ApiQuery({ name: 'from', required: true })
  @ApiQuery({ name: 'to', required: true })
  async projectDaily(
    @Param('projectId') projectId: string,
    @Query('from') from: string,
    @Query('to') to: string,
  ) {
    return { days: await restQuery(() => this.analytics.projectDaily(projectId, from, to)) };
  }

  @Get('analytics/regions/daily')
  @ApiOperation({ summary: 'Punches per region and day (from ClickHouse); region is a division-code prefix' })
  @ApiQuery({ name: 'region', required: false, example: '33' })
  @ApiQuery({ name: 'from', required: true })
  @ApiQuery({ name: 'to', required: true })
  async regionDaily(
    @Query('region') region: string | undefined,
    @Query('from') from: string,
    @Query('to') to: string,
  ) {
    return { rows: await restQuery(() => this.analytics.regionDaily(region ?? '', from, to)) };
  }
}
