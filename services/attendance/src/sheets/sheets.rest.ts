import { Controller, Get, Headers, Param, Query, Res, StreamableFile, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
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
import { PUNCH_READERS } from '../punches/punches.rest';
import { ApiSheetAnswer, download, formatOf, parseParams, sheetRequest } from './rest-support';
import { teamSheetTable } from './sheet-export';
import { TeamSheets } from './team-sheets';

/** Monthly team sheets: JSON, or the CSV / XLSX a site office prints. Scope-filtered in SQL. */
@ApiTags('timesheets')
@ApiBearerAuth()
@Controller('api/v1')
@UseGuards(ResourceServerGuard)
export class SheetsController {
  constructor(private readonly sheets: TeamSheets) {}

  @Get('projects/:projectId/teams/:teamId/sheets/:month')
  @ApiOperation({
    operationId: 'teamMonthSheet',
    summary:
      "A team's monthly attendance sheet: each worker's mark and hours per day, totals; ?format=csv|xlsx " +
      '(or Accept) downloads it with Chinese headers as site offices keep it',
  })
  @ApiParamsFrom(AttendanceApi.SheetTeamMonthParams, AttendanceApi.SHEET_EXAMPLE_PARAMS)
  @ApiQueryFrom(AttendanceApi.SheetQuery)
  @ApiSheetAnswer(AttendanceApi.TeamSheet, 'The sheet: JSON, or CSV / XLSX as asked')
  @ApiAnswers({
    400: true,
    404: 'No such project or team within your scope',
    ...GUARDED_READ_ANSWERS,
  })
  @RequireRoles(...PUNCH_READERS)
  async sheet(
    @CurrentCaller() caller: Caller,
    @Param() params: unknown,
    @Query() query: unknown,
    @Headers('accept') accept: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<AttendanceApi.TeamSheet | StreamableFile> {
    const q = parseParams(AttendanceApi.SheetTeamMonthParams, params);
    const { format } = parseParams(AttendanceApi.SheetQuery, query);
    const sheet = await sheetRequest(() => this.sheets.sheet(q, caller.scope));
    const as = formatOf(format, accept);
    if (as === 'json') return sheet;
    return download(res, teamSheetTable(sheet), as, {
      ascii: `sheet-${q.projectId}-${q.teamId}-${q.month}`.replace(/[^\w.-]/g, '_'),
      utf8: `${sheet.project.name}-${sheet.team.name}-${q.month}考勤表`,
    });
  }
}
