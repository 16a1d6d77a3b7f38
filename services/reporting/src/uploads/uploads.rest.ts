import { Body, Controller, Get, HttpCode, Param, Post, Put, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ReportingApi } from '@realname/contracts';
import {
  ApiAnswers,
  ApiBodyFrom,
  ApiParamsFrom,
  ApiQueryFrom,
  Caller,
  CurrentCaller,
  GUARDED_READ_ANSWERS,
  GUARDED_WRITE_ANSWERS,
  RequireRoles,
  ResourceServerGuard,
  Role,
} from '@realname/platform';
import { PutCredentialsHandler } from './put-credentials.handler';
import { ResubmitRecordHandler } from './resubmit-record.handler';
import { parseUploadInput, uploadRest } from './upload-errors';
import { UploadQueries } from './upload-queries';

/** Who may read where uploads stand: the supervisors, municipal systems and the project's manager. */
export const UPLOAD_READERS: Role[] = [
  'province-supervisor',
  'city-supervisor',
  'county-supervisor',
  'municipal-integrator',
  'project-manager',
];
/** Who may send a rejected record again after correcting the data: the site and municipal systems. */
export const RESUBMITTERS: Role[] = ['project-manager', 'municipal-integrator'];
/** Who may put a project's credentials: the platform's operators and municipal systems. */
export const CREDENTIALS_ADMINS: Role[] = ['platform-operator', 'municipal-integrator'];

const NOT_FOUND = 'No such project (or record) within your scope; one outside it reads the same';

/** The upload APIs of reporting; every answer is limited to the caller's scope, taken from the token only. */
@ApiTags('uploads')
@ApiBearerAuth()
@Controller('api/v1/reporting')
@UseGuards(ResourceServerGuard)
export class UploadsController {
  constructor(
    private readonly queries: UploadQueries,
    private readonly resubmissions: ResubmitRecordHandler,
    private readonly credentials: PutCredentialsHandler,
  ) {}

  @Get('projects/:projectId/days/:day/uploads')
  @ApiOperation({
    operationId: 'projectDayUploads',
    summary:
      "Where the records of a project-day stand with each target: the day's attendance, live punches, entries " +
      'and exits, latest revision each, with what they wait for and why a rejected one was refused',
  })
  @ApiParamsFrom(ReportingApi.ProjectDayParams, ReportingApi.UPLOAD_DAY_EXAMPLE)
  @ApiQueryFrom(ReportingApi.ProjectDayQuery)
  @ApiAnswers({
    200: { schema: ReportingApi.ProjectDayUploads, example: ReportingApi.PROJECT_DAY_UPLOADS_EXAMPLE },
    400: true,
    404: NOT_FOUND,
    ...GUARDED_READ_ANSWERS,
  })
  @RequireRoles(...UPLOAD_READERS)
  projectDay(@CurrentCaller() caller: Caller, @Param() params: unknown, @Query() query: unknown) {
    return uploadRest(() => {
      const p = parseUploadInput(ReportingApi.ProjectDayParams, params, 'parameter');
      const q = parseUploadInput(ReportingApi.ProjectDayQuery, query, 'parameter');
      return this.queries.projectDay({ ...p, target: q.target }, caller.scope);
    });
  }

  @Get('records/:recordId')
  @ApiOperation({
    operationId: 'uploadRecord',
    summary: 'One record with a target: every revision (payload without ID numbers) and who resubmitted it',
  })
  @ApiParamsFrom(ReportingApi.RecordParams, ReportingApi.RECORD_EXAMPLE)
  @ApiAnswers({ 200: ReportingApi.UploadRecord, 400: true, 404: NOT_FOUND, ...GUARDED_READ_ANSWERS })
  @RequireRoles(...UPLOAD_READERS)
  record(@CurrentCaller() caller: Caller, @Param() params: unknown) {
    return uploadRest(() => {
      const { recordId } = parseUploadInput(ReportingApi.RecordParams, params, 'parameter');
      return this.queries.record(recordId, caller.scope);
    });
  }

  @Get('projects/:projectId/rejections')
  @ApiOperation({
    operationId: 'listRejections',
    summary:
      'The records of a project the platform or the local pre-check rejected, newest first, each problem in ' +
      'plain Chinese and English; correct the data, then resubmit',
  })
  @ApiParamsFrom(ReportingApi.ProjectParams, ReportingApi.UPLOAD_PROJECT_EXAMPLE)
  @ApiQueryFrom(ReportingApi.RejectionsQuery)
  @ApiAnswers({
    200: { schema: ReportingApi.RejectionPage, example: ReportingApi.REJECTION_PAGE_EXAMPLE },
    400: true,
    404: NOT_FOUND,
    ...GUARDED_READ_ANSWERS,
  })
  @RequireRoles(...UPLOAD_READERS)
  rejections(@CurrentCaller() caller: Caller, @Param() params: unknown, @Query() query: unknown) {
    return uploadRest(() => {
      const p = parseUploadInput(ReportingApi.ProjectParams, params, 'parameter');
      const q = parseUploadInput(ReportingApi.RejectionsQuery, query, 'parameter');
      return this.queries.rejections({ ...q, projectId: p.projectId }, caller.scope);
    });
  }

  @Post('records/:recordId/resubmissions')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'resubmitRecord',
    summary:
      'Send a rejected record again after the data was corrected: rebuilt from the current registry data where ' +
      'reporting keeps it (otherwise as it was), back to pending; audited with who did it',
  })
  @ApiParamsFrom(ReportingApi.RecordParams, ReportingApi.RECORD_EXAMPLE)
  @ApiAnswers({
    200: ReportingApi.UploadRecord,
    404: NOT_FOUND,
    409: 'The record is not rejected (pending, sent, accepted or superseded): nothing to resubmit',
    ...GUARDED_READ_ANSWERS,
    400: true,
  })
  @RequireRoles(...RESUBMITTERS)
  resubmit(@CurrentCaller() caller: Caller, @Param() params: unknown) {
    return uploadRest(async () => {
      const { recordId } = parseUploadInput(ReportingApi.RecordParams, params, 'parameter');
      await this.resubmissions.resubmit(recordId, caller);
      return this.queries.record(recordId, caller.scope);
    });
  }

  @Put('projects/:projectId/uplinks/:target/credentials')
  @ApiOperation({
    operationId: 'putUplinkCredentials',
    summary:
      "Put a project's credentials for a target, or rotate them by putting new ones (the version goes up); " +
      'the secrets are encrypted at rest and never answered',
  })
  @ApiParamsFrom(ReportingApi.ProjectTargetParams, {
    ...ReportingApi.UPLOAD_PROJECT_EXAMPLE,
    target: 'national',
  })
  @ApiBodyFrom(ReportingApi.CredentialsBody, { example: ReportingApi.CREDENTIALS_EXAMPLE })
  @ApiAnswers({
    200: ReportingApi.CredentialsState,
    404: 'No such project within your scope, or no such target',
    ...GUARDED_WRITE_ANSWERS,
  })
  @RequireRoles(...CREDENTIALS_ADMINS)
  putCredentials(@CurrentCaller() caller: Caller, @Param() params: unknown, @Body() body: unknown) {
    return uploadRest(() => {
      const p = parseUploadInput(ReportingApi.ProjectTargetParams, params, 'parameter');
      return this.credentials.put(p, body, caller);
    });
  }
}
