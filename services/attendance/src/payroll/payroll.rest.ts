import type { Request, Response } from 'express';
import {
  Body,
  Controller,
  Get,
  Headers,
  HttpCode,
  Param,
  Post,
  Put,
  Query,
  Req,
  Res,
  StreamableFile,
  UploadedFile,
  UseGuards,
  UseInterceptors,
} from '@nestjs/common';
import { FileInterceptor } from '@nestjs/platform-express';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiOperation, ApiTags } from '@nestjs/swagger';
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
import {
  ApiSheetAnswer,
  download,
  formatOf,
  parseBody,
  parseParams,
  sheetRequest,
} from '../sheets/rest-support';
import { XLSX_TYPE } from '../sheets/sheet-export';
import { payrollSheetTable } from './payroll-export';
import { csvRows, fileKind, jsonRows, xlsxRows } from './payroll-records';
import { PayrollService } from './payroll.handler';

/** Who may enter wage terms and piecework and import payroll records (within their scope). */
export const PAYROLL_WRITERS: Role[] = ['project-manager', 'enterprise-user', 'municipal-integrator'];

/** The largest payroll file taken (a province-wide month of one project stays far below). */
export const MAX_PAYROLL_FILE_BYTES = 5 * 1024 * 1024;

const TEAM_EXAMPLE = { projectId: '330106202401150001', teamId: 'team-91330106MA2H4K7N15' };
const WORKER_EXAMPLE = { ...TEAM_EXAMPLE, workerId: 'w-1' };

/** Reads a raw request body (CSV or XLSX sent as it is), refusing one over the limit. */
async function rawBody(req: Request): Promise<Buffer> {
  if (Buffer.isBuffer(req.body)) return req.body;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_PAYROLL_FILE_BYTES)
      throw new Problem(
        'payload-too-large',
        'Payload too large',
        413,
        `the file is over ${MAX_PAYROLL_FILE_BYTES} bytes: split it`,
      );
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** Wage terms, piecework, the payroll sheet, payroll records and their reconciliation findings. */
@ApiTags('payroll')
@ApiBearerAuth()
@Controller('api/v1')
@UseGuards(ResourceServerGuard)
export class PayrollController {
  constructor(private readonly payroll: PayrollService) {}

  @Put('projects/:projectId/teams/:teamId/wage-terms')
  @ApiOperation({
    operationId: 'putTeamWageTerms',
    summary: "Enter the team's wage terms (daily, hourly or piece rate in fen) from a month on",
  })
  @ApiParamsFrom(AttendanceApi.SheetTeamParams, TEAM_EXAMPLE)
  @ApiBodyFrom(AttendanceApi.WageTermsBody, { example: AttendanceApi.WAGE_TERMS_EXAMPLE })
  @ApiAnswers({
    200: AttendanceApi.TeamWageTerms,
    404: 'No such project or team within your scope',
    ...GUARDED_WRITE_ANSWERS,
  })
  @RequireRoles(...PAYROLL_WRITERS)
  putTeamTerms(@CurrentCaller() caller: Caller, @Param() params: unknown, @Body() body: unknown) {
    const q = parseParams(AttendanceApi.SheetTeamParams, params);
    const terms = parseBody(AttendanceApi.WageTermsBody, body, 'wage terms');
    return sheetRequest(() => this.payroll.putTerms(q, terms, caller));
  }

  @Put('projects/:projectId/teams/:teamId/workers/:workerId/wage-terms')
  @ApiOperation({
    operationId: 'putWorkerWageTerms',
    summary: "Enter one worker's wage terms (overriding the team's) from a month on",
  })
  @ApiParamsFrom(AttendanceApi.PayrollWorkerParams, WORKER_EXAMPLE)
  @ApiBodyFrom(AttendanceApi.WageTermsBody, { example: AttendanceApi.WAGE_TERMS_EXAMPLE })
  @ApiAnswers({
    200: AttendanceApi.TeamWageTerms,
    404: 'No such project, team or worker in the team within your scope',
    ...GUARDED_WRITE_ANSWERS,
  })
  @RequireRoles(...PAYROLL_WRITERS)
  putWorkerTerms(@CurrentCaller() caller: Caller, @Param() params: unknown, @Body() body: unknown) {
    const q = parseParams(AttendanceApi.PayrollWorkerParams, params);
    const terms = parseBody(AttendanceApi.WageTermsBody, body, 'wage terms');
    return sheetRequest(() => this.payroll.putTerms(q, terms, caller));
  }

  @Get('projects/:projectId/teams/:teamId/wage-terms')
  @ApiOperation({
    operationId: 'getTeamWageTerms',
    summary: "The team's and its workers' wage terms, every version",
  })
  @ApiParamsFrom(AttendanceApi.SheetTeamParams, TEAM_EXAMPLE)
  @ApiAnswers({ 200: AttendanceApi.TeamWageTerms, 400: true, 404: true, ...GUARDED_READ_ANSWERS })
  @RequireRoles(...PUNCH_READERS)
  getTerms(@CurrentCaller() caller: Caller, @Param() params: unknown) {
    const q = parseParams(AttendanceApi.SheetTeamParams, params);
    return sheetRequest(() => this.payroll.terms(q, caller.scope));
  }

  @Put('projects/:projectId/teams/:teamId/workers/:workerId/piecework/:month')
  @ApiOperation({
    operationId: 'putPiecework',
    summary: 'Enter the pieces a piece-rate worker did in a month (replacing what was entered)',
  })
  @ApiParamsFrom(AttendanceApi.PieceworkParams, { ...WORKER_EXAMPLE, month: '2026-11' })
  @ApiBodyFrom(AttendanceApi.PieceworkBody, { example: { pieces: 120.5 } })
  @ApiAnswers({ 200: AttendanceApi.Piecework, 404: true, ...GUARDED_WRITE_ANSWERS })
  @RequireRoles(...PAYROLL_WRITERS)
  putPiecework(@CurrentCaller() caller: Caller, @Param() params: unknown, @Body() body: unknown) {
    const q = parseParams(AttendanceApi.PieceworkParams, params);
    const { pieces } = parseBody(AttendanceApi.PieceworkBody, body, 'piecework');
    return sheetRequest(() => this.payroll.putPiecework(q, pieces, caller));
  }

  @Get('projects/:projectId/teams/:teamId/payroll/:month')
  @ApiOperation({
    operationId: 'teamPayrollSheet',
    summary:
      "The team's payroll sheet for a month: per worker days present, hours, terms, amount due, amount paid and " +
      'the difference (fen); ?format=csv|xlsx (or Accept) downloads it with Chinese headers',
  })
  @ApiParamsFrom(AttendanceApi.SheetTeamMonthParams, AttendanceApi.SHEET_EXAMPLE_PARAMS)
  @ApiQueryFrom(AttendanceApi.SheetQuery)
  @ApiSheetAnswer(AttendanceApi.PayrollSheet, 'The payroll sheet: JSON, or CSV / XLSX as asked')
  @ApiAnswers({ 400: true, 404: true, ...GUARDED_READ_ANSWERS })
  @RequireRoles(...PUNCH_READERS)
  async payrollSheet(
    @CurrentCaller() caller: Caller,
    @Param() params: unknown,
    @Query() query: unknown,
    @Headers('accept') accept: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<AttendanceApi.PayrollSheet | StreamableFile> {
    const q = parseParams(AttendanceApi.SheetTeamMonthParams, params);
    const { format } = parseParams(AttendanceApi.SheetQuery, query);
    const sheet = await sheetRequest(() => this.payroll.payrollSheet(q, caller.scope));
    const as = formatOf(format, accept);
    if (as === 'json') return sheet;
    return download(res, payrollSheetTable(sheet), as, {
      ascii: `payroll-${q.projectId}-${q.teamId}-${q.month}`.replace(/[^\w.-]/g, '_'),
      utf8: `${sheet.project.name}-${sheet.team.name}-${q.month}工资表`,
    });
  }

  @Post('projects/:projectId/payroll-records')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'importPayrollRecords',
    summary:
      'Import payroll records (all or nothing; a record imported before is not stored again), then reconcile ' +
      'the team-months they touch',
  })
  @ApiParamsFrom(AttendanceApi.ProjectPathParams, AttendanceApi.PROJECT_EXAMPLE)
  @ApiBodyFrom(AttendanceApi.PayrollRecordsBody, { example: AttendanceApi.PAYROLL_RECORDS_EXAMPLE })
  @ApiAnswers({
    200: AttendanceApi.PayrollImported,
    404: 'No such project within your scope',
    ...GUARDED_WRITE_ANSWERS,
    400: 'A record is not valid (each named by row and field): nothing was stored',
  })
  @RequireRoles(...PAYROLL_WRITERS)
  importRecords(@CurrentCaller() caller: Caller, @Param() params: unknown, @Body() body: unknown) {
    const { projectId } = parseParams(AttendanceApi.ProjectPathParams, params);
    return sheetRequest(() => this.payroll.importRecords(projectId, jsonRows(body), 'json', caller));
  }

  @Post('projects/:projectId/payroll-records/file')
  @HttpCode(200)
  @UseInterceptors(FileInterceptor('file', { limits: { fileSize: MAX_PAYROLL_FILE_BYTES, files: 1 } }))
  @ApiOperation({
    operationId: 'importPayrollFile',
    summary:
      'Import a payroll file (CSV or XLSX; multipart field "file" or the file as the body) with the columns ' +
      '工人ID, 月份, 实发金额, 发放日期, 银行流水号 (or workerId, month, amountPaid, paidOn, bankReference); all or nothing',
  })
  @ApiParamsFrom(AttendanceApi.ProjectPathParams, AttendanceApi.PROJECT_EXAMPLE)
  @ApiConsumes('multipart/form-data', 'text/csv', XLSX_TYPE)
  @ApiBody({
    schema: {
      type: 'object',
      properties: { file: { type: 'string', format: 'binary' } },
      required: ['file'],
    },
  })
  @ApiAnswers({
    200: AttendanceApi.PayrollImported,
    404: 'No such project within your scope',
    ...GUARDED_WRITE_ANSWERS,
    400: 'A row is not valid (each named by row and column): nothing was stored',
  })
  @RequireRoles(...PAYROLL_WRITERS)
  async importFile(
    @CurrentCaller() caller: Caller,
    @Param() params: unknown,
    @UploadedFile() file: { buffer: Buffer; mimetype?: string } | undefined,
    @Req() req: Request,
  ) {
    const { projectId } = parseParams(AttendanceApi.ProjectPathParams, params);
    const buf = file?.buffer ?? (await rawBody(req));
    if (buf.length === 0)
      throw Problem.badRequest('no file was sent', [
        { field: 'file', message: 'send the CSV or XLSX as multipart field "file" or as the request body' },
      ]);
    const kind = fileKind(buf, file?.mimetype ?? req.headers['content-type']);
    const rows = kind === 'xlsx' ? await xlsxRows(buf) : csvRows(buf);
    return sheetRequest(() => this.payroll.importRecords(projectId, rows, kind, caller));
  }

  @Get('projects/:projectId/payroll-findings')
  @ApiOperation({
    operationId: 'listPayrollFindings',
    summary: 'Payroll reconciliation findings of a project, optionally of one month, open or cleared',
  })
  @ApiParamsFrom(AttendanceApi.ProjectPathParams, AttendanceApi.PROJECT_EXAMPLE)
  @ApiQueryFrom(AttendanceApi.FindingsQuery, { month: '2026-11', open: 'true' })
  @ApiAnswers({ 200: AttendanceApi.PayrollFindings, 400: true, 404: true, ...GUARDED_READ_ANSWERS })
  @RequireRoles(...PUNCH_READERS)
  findings(@CurrentCaller() caller: Caller, @Param() params: unknown, @Query() query: unknown) {
    const { projectId } = parseParams(AttendanceApi.ProjectPathParams, params);
    const q = parseParams(AttendanceApi.FindingsQuery, query);
    return sheetRequest(() => this.payroll.findings({ projectId, ...q }, caller.scope));
  }
}
