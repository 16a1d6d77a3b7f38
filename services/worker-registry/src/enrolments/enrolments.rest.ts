import { ApiBodyFrom, GUARDED_WRITE_ANSWERS } from '@realname/platform';
import { RegistryApi } from '@realname/contracts';
import { Body, Controller, Get, HttpCode, Param, Post, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { profileFor } from '@realname/domain-rules';
import { isRejection } from '@realname/eventstore';
import {
  ApiAnswers,
  ApiParamsFrom,
  ApiQueryFrom,
  Caller,
  CurrentCaller,
  GUARDED_READ_ANSWERS,
  Problem,
  RequireRoles,
  ResourceServerGuard,
} from '@realname/platform';
import { READERS, SITE_WRITERS } from '../access/registry-roles';
import { parseBody, parseParams, recorded, refused, withInput } from '../refusals';
import {
  CardBody,
  CertificateBody,
  ContractBody,
  DateBody,
  EnrolBody,
  TrainingBody,
  TrainingSessionBody,
  BODY_EXAMPLES,
} from '../rest-bodies';
import { EnrolmentCommands } from './enrolments.handler';
import { EnrolmentsRepository } from './enrolments.repository';

/** The OpenAPI links from a new enrolment to what is done to it next (stateful testing follows them). */
const ENROLMENT_ACTS = Object.fromEntries(
  ['signContract', 'recordTraining', 'addCertificate', 'enterSite', 'issueCard', 'exitSite'].map(
    (operationId) => [
      operationId,
      { operationId, parameters: { enrolmentId: '$response.body#/enrolmentId' } },
    ],
  ),
);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Enrolments and what is done to them, through their project's scope. */
@ApiTags('workers and enrolments')
@ApiBearerAuth()
@Controller('api/v1')
@UseGuards(ResourceServerGuard)
export class EnrolmentsRest {
  constructor(
    private readonly commands: EnrolmentCommands,
    private readonly repository: EnrolmentsRepository,
  ) {}

  @Post('projects/:projectId/enrolments')
  @RequireRoles(...SITE_WRITERS)
  @ApiOperation({
    operationId: 'enrolWorker',
    summary: 'Enrol a worker on a project (team, work type, role); the device PIN is assigned here',
  })
  @ApiParamsFrom(RegistryApi.ProjectPathParams, RegistryApi.PROJECT_EXAMPLE)
  @ApiBodyFrom(EnrolBody, { example: BODY_EXAMPLES.EnrolBody })
  @ApiAnswers({
    201: { schema: RegistryApi.Enrolled, links: ENROLMENT_ACTS },
    404: 'No such project, worker or team (or not in your scope)',
    409: 'Refused: e.g. the worker is enrolled on the project already, or the card is in use',
    ...GUARDED_WRITE_ANSWERS,
  })
  async enrol(
    @Param('projectId') projectId: string,
    @Body() body: unknown,
    @CurrentCaller() caller: Caller,
  ): Promise<RegistryApi.Enrolled> {
    parseParams(RegistryApi.ProjectPathParams, { projectId });
    const input = parseBody(EnrolBody, body, 'enrolment');
    const r = await withInput('enrolment', () => this.commands.enrol(projectId, input, caller));
    if (isRejection(r)) refused(r);
    return r;
  }

  @Get('projects/:projectId/enrolments')
  @RequireRoles(...READERS)
  @ApiOperation({
    operationId: 'listEnrolments',
    summary: 'Enrolments of a project in your scope, optionally of one team or status',
  })
  @ApiParamsFrom(RegistryApi.ProjectPathParams, RegistryApi.PROJECT_EXAMPLE)
  @ApiQueryFrom(RegistryApi.EnrolmentListQuery)
  @ApiAnswers({
    200: {
      schema: RegistryApi.EnrolmentPage,
      links: {
        nextPage: {
          operationId: 'listEnrolments',
          parameters: { projectId: '$request.path.projectId', pageToken: '$response.body#/nextPageToken' },
        },
      },
    },
    400: true,
    404: true,
    ...GUARDED_READ_ANSWERS,
  })
  async enrolments(
    @CurrentCaller() caller: Caller,
    @Param('projectId') projectId: string,
    @Query() query: unknown,
  ): Promise<RegistryApi.EnrolmentPage> {
    parseParams(RegistryApi.ProjectPathParams, { projectId });
    const { teamId, status, participantId, pageToken, ...q } = parseParams(
      RegistryApi.EnrolmentListQuery,
      query,
    );
    const pageSize = q.pageSize ?? 100;
    // Enrolment ids are UUIDv7, so their order is the order enrolments were made: a stable page key.
    const after = pageToken ? Buffer.from(pageToken, 'base64url').toString() : null;
    if (after !== null && !UUID.test(after))
      throw Problem.badRequest('pageToken is not a token from a previous page of this list', [
        { field: 'pageToken', message: 'start again without it' },
      ]);
    await this.projectInScope(projectId, caller);
    const rows = await this.repository.page(
      { projectId, teamId, status, participantId, after, limit: pageSize + 1 },
      caller.scope,
    );
    const page = rows.slice(0, pageSize);
    return {
      nextPageToken:
        rows.length > pageSize
          ? Buffer.from(page[page.length - 1].enrolment_id as string).toString('base64url')
          : '',
      enrolments: page.map((r) => ({
        enrolmentId: r.enrolment_id as string,
        workerId: r.worker_id,
        name: r.name,
        maskedIdNumber: r.masked_id,
        teamId: r.team_id,
        teamName: r.team_name,
        participantId: r.participant_id,
        workType: r.work_type,
        workRole: r.work_role,
        isTeamLeader: r.is_team_leader,
        personId: r.person_id,
        status: r.status,
        enteredOn: r.entered_on,
        exitedOn: r.exited_on,
        contractSigned: r.contract_signed,
        safetyTrained: r.safety_trained,
        wageCardMasked: r.wage_card_masked,
        wageBankCode: r.wage_bank_code,
      })) as RegistryApi.EnrolmentPage['enrolments'],
    };
  }

  @Post('enrolments/:enrolmentId/contract')
  @HttpCode(200)
  @RequireRoles(...SITE_WRITERS)
  @ApiOperation({ operationId: 'signContract', summary: 'Record the signed labour contract' })
  @ApiParamsFrom(RegistryApi.EnrolmentPathParams)
  @ApiBodyFrom(ContractBody, { example: BODY_EXAMPLES.ContractBody })
  @ApiAnswers({
    200: RegistryApi.Recorded,
    404: true,
    409: true,
    ...GUARDED_WRITE_ANSWERS,
  })
  async contract(@Param('enrolmentId') id: string, @Body() body: unknown, @CurrentCaller() caller: Caller) {
    parseParams(RegistryApi.EnrolmentPathParams, { enrolmentId: id });
    const c = parseBody(ContractBody, body, 'contract');
    return recorded(
      await this.commands.act(id, caller, (today) => ({
        kind: 'SignContract',
        today,
        contract: {
          contractId: c.contractId ?? `${id}-contract`,
          periodType: c.periodType,
          startDate: c.startDate,
          ...(c.endDate ? { endDate: c.endDate } : {}),
        },
      })),
    );
  }

  @Post('enrolments/:enrolmentId/trainings')
  @HttpCode(200)
  @RequireRoles(...SITE_WRITERS)
  @ApiOperation({
    operationId: 'recordTraining',
    summary: 'Record a training the worker attended (003001 safety education, ...)',
  })
  @ApiParamsFrom(RegistryApi.EnrolmentPathParams)
  @ApiBodyFrom(TrainingBody, { example: BODY_EXAMPLES.TrainingBody })
  @ApiAnswers({
    200: RegistryApi.Recorded,
    404: true,
    409: 'Refused: e.g. a training date in the future',
    ...GUARDED_WRITE_ANSWERS,
  })
  async training(@Param('enrolmentId') id: string, @Body() body: unknown, @CurrentCaller() caller: Caller) {
    parseParams(RegistryApi.EnrolmentPathParams, { enrolmentId: id });
    const t = parseBody(TrainingBody, body, 'training');
    return recorded(
      await this.commands.act(id, caller, (today) => ({
        kind: 'RecordTraining',
        today,
        training: { trainingId: `${id}-${t.typeCode}-${t.date}`, ...t },
      })),
    );
  }

  @Post('projects/:projectId/trainings')
  @RequireRoles(...SITE_WRITERS)
  @ApiOperation({
    operationId: 'recordTrainingSession',
    summary: 'Record a training session with its attendees, who passed and their scores',
  })
  @ApiParamsFrom(RegistryApi.ProjectPathParams, RegistryApi.PROJECT_EXAMPLE)
  @ApiBodyFrom(TrainingSessionBody, { example: BODY_EXAMPLES.TrainingSessionBody })
  @ApiAnswers({
    201: RegistryApi.TrainingSessionRecorded,
    404: 'No such project, or an attendee is no enrolment of it',
    409: "Refused for an attendee: e.g. a training date in the future, or the attendee's enrolment is exited",
    ...GUARDED_WRITE_ANSWERS,
  })
  async trainingSession(
    @Param('projectId') projectId: string,
    @Body() body: unknown,
    @CurrentCaller() caller: Caller,
  ): Promise<RegistryApi.TrainingSessionRecorded> {
    parseParams(RegistryApi.ProjectPathParams, { projectId });
    const { attendees, ...session } = parseBody(TrainingSessionBody, body, 'training');
    const r = await withInput('training', () =>
      this.commands.recordTrainingSession(projectId, session, attendees, caller),
    );
    if (isRejection(r)) refused(r);
    return { trainingId: r.trainingId, attendees: attendees.length };
  }

  @Get('projects/:projectId/trainings')
  @RequireRoles(...READERS)
  @ApiOperation({
    operationId: 'listTrainingSessions',
    summary: 'Training sessions of a project in your scope with their attendees',
  })
  @ApiParamsFrom(RegistryApi.ProjectPathParams, RegistryApi.PROJECT_EXAMPLE)
  @ApiAnswers({ 200: RegistryApi.TrainingSessions, 400: true, 404: true, ...GUARDED_READ_ANSWERS })
  async trainingSessions(
    @Param('projectId') projectId: string,
    @CurrentCaller() caller: Caller,
  ): Promise<RegistryApi.TrainingSessions> {
    parseParams(RegistryApi.ProjectPathParams, { projectId });
    await this.projectInScope(projectId, caller);
    const rows = await this.repository.trainingAttendance(projectId, caller.scope);
    const sessions = new Map<string, RegistryApi.TrainingSessions['trainings'][number]>();
    for (const r of rows) {
      const id = r.training_id as string;
      if (!sessions.has(id))
        sessions.set(id, {
          trainingId: id,
          name: r.name as string,
          typeCode: r.type_code as string,
          date: r.date as string,
          trainer: r.trainer as string | null,
          attendees: [],
        });
      sessions.get(id)!.attendees.push({
        enrolmentId: r.enrolment_id as string,
        passed: r.passed as boolean,
        score: r.score === null ? null : Number(r.score),
      });
    }
    return { trainings: [...sessions.values()] };
  }

  @Post('enrolments/:enrolmentId/certificates')
  @HttpCode(200)
  @RequireRoles(...SITE_WRITERS)
  @ApiOperation({
    operationId: 'addCertificate',
    summary: 'Record an operation certificate for a special work type',
  })
  @ApiParamsFrom(RegistryApi.EnrolmentPathParams)
  @ApiBodyFrom(CertificateBody, { example: BODY_EXAMPLES.CertificateBody })
  @ApiAnswers({
    200: RegistryApi.Recorded,
    404: true,
    409: true,
    ...GUARDED_WRITE_ANSWERS,
  })
  async certificate(
    @Param('enrolmentId') id: string,
    @Body() body: unknown,
    @CurrentCaller() caller: Caller,
  ) {
    parseParams(RegistryApi.EnrolmentPathParams, { enrolmentId: id });
    const c = parseBody(CertificateBody, body, 'certificate');
    return recorded(await this.commands.act(id, caller, () => ({ kind: 'AddCertificate', certificate: c })));
  }

  @Post('enrolments/:enrolmentId/entry')
  @HttpCode(200)
  @RequireRoles(...SITE_WRITERS)
  @ApiOperation({
    operationId: 'enterSite',
    summary: 'Enter the site; refused with one reason per failed condition',
  })
  @ApiParamsFrom(RegistryApi.EnrolmentPathParams)
  @ApiBodyFrom(DateBody, { example: BODY_EXAMPLES.DateBody })
  @ApiAnswers({
    200: RegistryApi.Recorded,
    404: true,
    409: 'Refused, with one reason per failed condition (contract, safety training, age, blacklist, ...)',
    ...GUARDED_WRITE_ANSWERS,
  })
  async entry(@Param('enrolmentId') id: string, @Body() body: unknown, @CurrentCaller() caller: Caller) {
    parseParams(RegistryApi.EnrolmentPathParams, { enrolmentId: id });
    const { date } = parseBody(DateBody, body, 'entry');
    return recorded(
      await this.commands.act(id, caller, (today, worker, region) => ({
        kind: 'Enter',
        date,
        today,
        worker,
        profile: profileFor(region),
      })),
    );
  }

  @Post('enrolments/:enrolmentId/card')
  @HttpCode(200)
  @RequireRoles(...SITE_WRITERS)
  @ApiOperation({
    operationId: 'issueCard',
    summary: 'Issue, replace (cardNumber) or withdraw (null) the attendance card; the device PIN stays',
  })
  @ApiParamsFrom(RegistryApi.EnrolmentPathParams)
  @ApiBodyFrom(CardBody, { example: BODY_EXAMPLES.CardBody })
  @ApiAnswers({
    200: RegistryApi.Recorded,
    404: true,
    409: 'Refused: e.g. the card is in use on the project',
    ...GUARDED_WRITE_ANSWERS,
  })
  async card(@Param('enrolmentId') id: string, @Body() body: unknown, @CurrentCaller() caller: Caller) {
    parseParams(RegistryApi.EnrolmentPathParams, { enrolmentId: id });
    const { cardNumber } = parseBody(CardBody, body, 'card');
    return recorded(await this.commands.act(id, caller, () => ({ kind: 'IssueCard', cardNumber })));
  }

  @Post('enrolments/:enrolmentId/exit')
  @HttpCode(200)
  @RequireRoles(...SITE_WRITERS)
  @ApiOperation({ operationId: 'exitSite', summary: 'Leave the site' })
  @ApiParamsFrom(RegistryApi.EnrolmentPathParams)
  @ApiBodyFrom(DateBody, { example: BODY_EXAMPLES.DateBody })
  @ApiAnswers({
    200: RegistryApi.Recorded,
    404: true,
    409: 'Refused: e.g. the worker is not on site',
    ...GUARDED_WRITE_ANSWERS,
  })
  async exit(@Param('enrolmentId') id: string, @Body() body: unknown, @CurrentCaller() caller: Caller) {
    parseParams(RegistryApi.EnrolmentPathParams, { enrolmentId: id });
    const { date } = parseBody(DateBody, body, 'exit');
    return recorded(await this.commands.act(id, caller, (today) => ({ kind: 'Exit', date, today })));
  }

  /** A list under a project: 404 when the project is unknown or outside the caller's scope alike. */
  private async projectInScope(projectId: string, caller: Caller): Promise<void> {
    if ((await this.repository.projectReach(projectId, caller.scope)) !== 'in-scope')
      throw Problem.notFound(`No project "${projectId}" is known`);
  }
}
