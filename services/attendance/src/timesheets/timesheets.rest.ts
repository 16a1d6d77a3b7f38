import { Body, Controller, Get, HttpCode, HttpStatus, Param, Post, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AttendanceApi } from '@realname/contracts';
import {
  ApiAnswers,
  ApiBodyFrom,
  ApiParamsFrom,
  ApiQueryFrom,
  Caller,
  CurrentCaller,
  GUARDED_READ_ANSWERS,
  GUARDED_WRITE_ANSWERS,
  Problem,
  RequireRoles,
  ResourceServerGuard,
  Role,
} from '@realname/platform';
import { PUNCH_READERS } from '../punches/punches.rest';
import { restQuery } from '../punches/query-errors';
import { parseInput } from '../rest-input';
import {
  CorrectionRefused,
  CorrectionsHandler,
  OutsideScope,
  WorkerDayNotFound,
} from './corrections.handler';
import { TimesheetQueries } from './timesheet-queries';

/** Who asks for corrections and leave: the site's manager, or the municipal system acting for the site. */
export const CORRECTION_REQUESTERS: Role[] = ['project-manager', 'municipal-integrator'];
/** Who approves or rejects them: the supervisors of the project's region. */
export const CORRECTION_DECIDERS: Role[] = ['province-supervisor', 'city-supervisor', 'county-supervisor'];

const DAY_EXAMPLE = { projectId: '330106202401150001', workerId: 'w-0001', day: '2026-11-20' };

/** Timesheet errors as problem details: 404 not found (or out of scope on read), 403 write out of scope, 409 refused. */
async function timesheetCall<T>(fn: () => Promise<T>): Promise<T> {
  return restQuery(async () => {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof WorkerDayNotFound) throw Problem.notFound(err.message);
      if (err instanceof OutsideScope)
        throw new Problem('forbidden', 'Forbidden', HttpStatus.FORBIDDEN, err.message);
      if (err instanceof CorrectionRefused) {
        const r = err.rejection;
        if (r.code === 'unknown-correction') throw Problem.notFound(err.message);
        if (r.code === 'invalid-correction')
          throw Problem.badRequest(
            err.message,
            r.reasons.map((m) => ({ field: m.split(':')[0], message: m })),
          );
        throw new Problem(
          r.code,
          'Refused',
          HttpStatus.CONFLICT,
          err.message,
          r.reasons.map((m) => ({ field: r.code, message: m })),
        );
      }
      throw err;
    }
  });
}

/** Workers' attendance days, their evidence, and the corrections and leave that change them. */
@ApiTags('timesheets')
@ApiBearerAuth()
@Controller('api/v1')
@UseGuards(ResourceServerGuard)
export class TimesheetsController {
  constructor(
    private readonly queries: TimesheetQueries,
    private readonly corrections: CorrectionsHandler,
  ) {}

  @Get('projects/:projectId/timesheets')
  @ApiOperation({
    operationId: 'listProjectTimesheet',
    summary: "Every worker's finalised attendance day on a project (latest revision), optionally one team",
  })
  @ApiParamsFrom(AttendanceApi.ProjectPathParams, AttendanceApi.PROJECT_EXAMPLE)
  @ApiQueryFrom(AttendanceApi.TimesheetQuery, { day: '2026-11-20' })
  @ApiAnswers({ 200: AttendanceApi.TimesheetDayList, 400: true, 404: true, ...GUARDED_READ_ANSWERS })
  @RequireRoles(...PUNCH_READERS)
  list(
    @CurrentCaller() caller: Caller,
    @Param('projectId') projectId: string,
    @Query() query: Record<string, unknown>,
  ): Promise<AttendanceApi.TimesheetDayList> {
    parseInput(AttendanceApi.ProjectPathParams, { projectId }, 'path');
    const q = parseInput(AttendanceApi.TimesheetQuery, query, 'query');
    return timesheetCall(() => this.queries.projectDays(projectId, q.day, q.teamId, caller.scope));
  }

  @Get('projects/:projectId/workers/:workerId/days/:day')
  @ApiOperation({
    operationId: 'getWorkerDay',
    summary: "A worker's attendance day: intervals, first in, last out, hours, status, corrections, revision",
  })
  @ApiParamsFrom(AttendanceApi.WorkerDayPathParams, DAY_EXAMPLE)
  @ApiAnswers({ 200: AttendanceApi.AttendanceDayAnswer, 400: true, 404: true, ...GUARDED_READ_ANSWERS })
  @RequireRoles(...PUNCH_READERS)
  day(
    @CurrentCaller() caller: Caller,
    @Param() params: Record<string, string>,
  ): Promise<AttendanceApi.AttendanceDayAnswer> {
    const p = parseInput(AttendanceApi.WorkerDayPathParams, params, 'path');
    return timesheetCall(() => this.queries.workerDay(p.projectId, p.workerId, p.day, caller.scope));
  }

  @Get('projects/:projectId/workers/:workerId/days/:day/history')
  @ApiOperation({
    operationId: 'getWorkerDayHistory',
    summary:
      "Everything behind a worker's day: every punch, every revision with its pairing, every correction",
  })
  @ApiParamsFrom(AttendanceApi.WorkerDayPathParams, DAY_EXAMPLE)
  @ApiAnswers({ 200: AttendanceApi.DayHistory, 400: true, 404: true, ...GUARDED_READ_ANSWERS })
  @RequireRoles(...PUNCH_READERS)
  history(
    @CurrentCaller() caller: Caller,
    @Param() params: Record<string, string>,
  ): Promise<AttendanceApi.DayHistory> {
    const p = parseInput(AttendanceApi.WorkerDayPathParams, params, 'path');
    return timesheetCall(() => this.queries.history(p.projectId, p.workerId, p.day, caller.scope));
  }

  @Post('projects/:projectId/workers/:workerId/days/:day/corrections')
  @HttpCode(201)
  @ApiOperation({
    operationId: 'requestCorrection',
    summary:
      'Add a missing in or out, or mark the day as leave, with a reason; the region may ask a supervisor to approve',
  })
  @ApiParamsFrom(AttendanceApi.WorkerDayPathParams, DAY_EXAMPLE)
  @ApiBodyFrom(AttendanceApi.CorrectionBody, {
    example: {
      kind: 'add-out',
      at: '2026-11-20T18:05:00+08:00',
      reason: 'gate 2 was out of order after 18:00',
    },
  })
  @ApiAnswers({
    201: AttendanceApi.CorrectionAnswer,
    404: 'No such worker entered on the project by that day within your scope',
    409: 'Refused: e.g. leave already asked for that day',
    ...GUARDED_WRITE_ANSWERS,
  })
  @RequireRoles(...CORRECTION_REQUESTERS)
  request(
    @CurrentCaller() caller: Caller,
    @Param() params: Record<string, string>,
    @Body() body: unknown,
  ): Promise<AttendanceApi.CorrectionAnswer> {
    const p = parseInput(AttendanceApi.WorkerDayPathParams, params, 'path');
    const b = parseInput(AttendanceApi.CorrectionBody, body, 'correction');
    return timesheetCall(() => this.corrections.request(caller, p, b));
  }

  @Get('timesheet-corrections')
  @ApiOperation({
    operationId: 'listCorrections',
    summary:
      'Corrections and leave within your scope, newest first (supervisors: the ones waiting for approval)',
  })
  @ApiQueryFrom(AttendanceApi.CorrectionListQuery, { status: 'pending' })
  @ApiAnswers({ 200: AttendanceApi.CorrectionList, 400: true, ...GUARDED_READ_ANSWERS })
  @RequireRoles(...PUNCH_READERS)
  listCorrections(
    @CurrentCaller() caller: Caller,
    @Query() query: Record<string, unknown>,
  ): Promise<AttendanceApi.CorrectionList> {
    const q = parseInput(AttendanceApi.CorrectionListQuery, query, 'query');
    return timesheetCall(() => this.queries.corrections(q, caller.scope));
  }

  @Post('timesheet-corrections/:correctionId/approve')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'approveCorrection',
    summary: 'Approve a correction or leave; the day gets a new revision',
  })
  @ApiParamsFrom(AttendanceApi.CorrectionPathParams)
  @ApiBodyFrom(AttendanceApi.DecisionBody, { example: { note: 'checked against the gate log' } })
  @ApiAnswers({
    200: AttendanceApi.CorrectionAnswer,
    404: true,
    409: 'Refused: already decided, or asked for by yourself',
    ...GUARDED_WRITE_ANSWERS,
  })
  @RequireRoles(...CORRECTION_DECIDERS)
  approve(
    @CurrentCaller() caller: Caller,
    @Param('correctionId') correctionId: string,
    @Body() body: unknown,
  ) {
    return this.decide(caller, correctionId, body, true);
  }

  @Post('timesheet-corrections/:correctionId/reject')
  @HttpCode(200)
  @ApiOperation({ operationId: 'rejectCorrection', summary: 'Reject a correction or leave, saying why' })
  @ApiParamsFrom(AttendanceApi.CorrectionPathParams)
  @ApiBodyFrom(AttendanceApi.DecisionBody, { example: { note: 'no gate was out of order that day' } })
  @ApiAnswers({
    200: AttendanceApi.CorrectionAnswer,
    404: true,
    409: 'Refused: already decided, or asked for by yourself',
    ...GUARDED_WRITE_ANSWERS,
  })
  @RequireRoles(...CORRECTION_DECIDERS)
  reject(
    @CurrentCaller() caller: Caller,
    @Param('correctionId') correctionId: string,
    @Body() body: unknown,
  ) {
    return this.decide(caller, correctionId, body, false);
  }

  private decide(
    caller: Caller,
    correctionId: string,
    body: unknown,
    approve: boolean,
  ): Promise<AttendanceApi.CorrectionAnswer> {
    parseInput(AttendanceApi.CorrectionPathParams, { correctionId }, 'path');
    const b = parseInput(AttendanceApi.DecisionBody, body ?? {}, 'decision');
    return timesheetCall(() => this.corrections.decide(caller, correctionId, approve, b.note));
  }
}
