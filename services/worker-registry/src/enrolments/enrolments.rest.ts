import { Body, Controller, Get, HttpCode, Param, Post, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { codeTables, profileFor } from '@realname/domain-rules';
import { isRejection } from '@realname/eventstore';
import { Caller, CurrentCaller, Problem, RequireRoles, ResourceServerGuard } from '@realname/platform';
import { READERS, SITE_WRITERS } from '../access/registry-roles';
import { parseBody, recorded, refused, withInput } from '../refusals';
import { EnrolmentCommands } from './enrolments.handler';
import { EnrolmentsRepository } from './enrolments.repository';

const DAY = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD');
const EnrolBody = z
  .object({
    workerId: z.string().min(1),
    teamId: z.string().min(1),
    workType: z
      .string()
      .refine(
        (c) => codeTables.isValid('work-type', c),
        'must be a work type code from the national table, e.g. 020',
      ),
    workRole: z.enum(['10', '20']),
    isTeamLeader: z.boolean().default(false),
    cardNumber: z.string().min(1).max(32).optional(),
    /** The worker's own bank card the wages of this project are paid to. */
    wageCard: z
      .object({ number: z.string().min(1), bankCode: z.string().min(1) })
      .strict()
      .optional(),
  })
  .strict();
const TrainingSessionBody = z
  .object({
    name: z.string().min(1).max(200),
    typeCode: z
      .string()
      .refine((c) => codeTables.isValid('training-type', c), 'must be a training type code, e.g. 003001'),
    date: DAY,
    durationHours: z.number().positive().max(200).optional(),
    trainer: z.string().max(100).optional(),
    attendees: z
      .array(
        z
          .object({
            enrolmentId: z.string().min(1),
            passed: z.boolean(),
            score: z.number().min(0).max(100).optional(),
          })
          .strict(),
      )
      .min(1, 'must list at least one attendee'),
  })
  .strict();

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
    summary: 'Enrol a worker on a project (team, work type, role); the device PIN is assigned here',
  })
  async enrol(@Param('projectId') projectId: string, @Body() body: unknown, @CurrentCaller() caller: Caller) {
    const input = parseBody(EnrolBody, body, 'enrolment');
    const r = await withInput('enrolment', () => this.commands.enrol(projectId, input, caller));
    if (isRejection(r)) refused(r);
    return r;
  }

  @Get('projects/:projectId/enrolments')
  @RequireRoles(...READERS)
  @ApiOperation({ summary: 'Enrolments of a project in your scope, optionally of one team or status' })
  async enrolments(
    @CurrentCaller() caller: Caller,
    @Param('projectId') projectId: string,
    @Query('teamId') teamId?: string,
    @Query('status') status?: string,
    @Query('participantId') participantId?: string,
    @Query('pageSize') pageSizeText?: string,
    @Query('pageToken') pageToken?: string,
  ) {
    const pageSize = Math.min(Math.max(Number(pageSizeText) || 100, 1), 1000);
    // Enrolment ids are UUIDv7, so their order is the order enrolments were made: a stable page key.
    const after = pageToken ? Buffer.from(pageToken, 'base64url').toString() : null;
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
        enrolmentId: r.enrolment_id,
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
      })),
    };
  }

  @Post('enrolments/:enrolmentId/contract')
  @HttpCode(200)
  @RequireRoles(...SITE_WRITERS)
  @ApiOperation({ summary: 'Record the signed labour contract' })
  async contract(@Param('enrolmentId') id: string, @Body() body: unknown, @CurrentCaller() caller: Caller) {
    const c = parseBody(
      z
        .object({
          periodType: z.enum(['0', '1']),
          startDate: DAY,
          endDate: DAY.optional(),
          contractId: z.string().optional(),
        })
        .strict(),
      body,
      'contract',
    );
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
  @ApiOperation({ summary: 'Record a training the worker attended (003001 safety education, ...)' })
  async training(@Param('enrolmentId') id: string, @Body() body: unknown, @CurrentCaller() caller: Caller) {
    const t = parseBody(
      z
        .object({
          typeCode: z
            .string()
            .refine(
              (c) => codeTables.isValid('training-type', c),
              'must be a training type code, e.g. 003001',
            ),
          date: DAY,
          passed: z.boolean(),
          score: z.number().min(0).max(100).optional(),
        })
        .strict(),
      body,
      'training',
    );
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
  @ApiOperation({ summary: 'Record a training session with its attendees, who passed and their scores' })
  async trainingSession(
    @Param('projectId') projectId: string,
    @Body() body: unknown,
    @CurrentCaller() caller: Caller,
  ) {
    const { attendees, ...session } = parseBody(TrainingSessionBody, body, 'training');
    const r = await withInput('training', () =>
      this.commands.recordTrainingSession(projectId, session, attendees, caller),
    );
    if (isRejection(r)) refused(r);
    return { trainingId: r.trainingId, attendees: attendees.length };
  }

  @Get('projects/:projectId/trainings')
  @RequireRoles(...READERS)
  @ApiOperation({ summary: 'Training sessions of a project in your scope with their attendees' })
  async trainingSessions(@Param('projectId') projectId: string, @CurrentCaller() caller: Caller) {
    await this.projectInScope(projectId, caller);
    const rows = await this.repository.trainingAttendance(projectId, caller.scope);
    const sessions = new Map<
      string,
      {
        trainingId: string;
        name: unknown;
        typeCode: unknown;
        date: unknown;
        trainer: unknown;
        attendees: unknown[];
      }
    >();
    for (const r of rows) {
      const id = r.training_id as string;
      if (!sessions.has(id))
        sessions.set(id, {
          trainingId: id,
          name: r.name,
          typeCode: r.type_code,
          date: r.date,
          trainer: r.trainer,
          attendees: [],
        });
      sessions.get(id)!.attendees.push({
        enrolmentId: r.enrolment_id,
        passed: r.passed,
        score: r.score === null ? null : Number(r.score),
      });
    }
    return { trainings: [...sessions.values()] };
  }

  @Post('enrolments/:enrolmentId/certificates')
  @HttpCode(200)
  @RequireRoles(...SITE_WRITERS)
  @ApiOperation({ summary: 'Record an operation certificate for a special work type' })
  async certificate(
    @Param('enrolmentId') id: string,
    @Body() body: unknown,
    @CurrentCaller() caller: Caller,
  ) {
    const c = parseBody(
      z.object({ workType: z.string().min(1), number: z.string().min(1), expiresOn: DAY }).strict(),
      body,
      'certificate',
    );
    return recorded(await this.commands.act(id, caller, () => ({ kind: 'AddCertificate', certificate: c })));
  }

  @Post('enrolments/:enrolmentId/entry')
  @HttpCode(200)
  @RequireRoles(...SITE_WRITERS)
  @ApiOperation({ summary: 'Enter the site; refused with one reason per failed condition' })
  async entry(@Param('enrolmentId') id: string, @Body() body: unknown, @CurrentCaller() caller: Caller) {
    const { date } = parseBody(z.object({ date: DAY }).strict(), body, 'entry');
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
    summary: 'Issue, replace (cardNumber) or withdraw (null) the attendance card; the device PIN stays',
  })
  async card(@Param('enrolmentId') id: string, @Body() body: unknown, @CurrentCaller() caller: Caller) {
    const { cardNumber } = parseBody(
      z.object({ cardNumber: z.string().min(1).max(32).nullable() }).strict(),
      body,
      'card',
    );
    return recorded(await this.commands.act(id, caller, () => ({ kind: 'IssueCard', cardNumber })));
  }

  @Post('enrolments/:enrolmentId/exit')
  @HttpCode(200)
  @RequireRoles(...SITE_WRITERS)
  @ApiOperation({ summary: 'Leave the site' })
  async exit(@Param('enrolmentId') id: string, @Body() body: unknown, @CurrentCaller() caller: Caller) {
    const { date } = parseBody(z.object({ date: DAY }).strict(), body, 'exit');
    return recorded(await this.commands.act(id, caller, (today) => ({ kind: 'Exit', date, today })));
  }

  /** A list under a project: 404 when the project is unknown or outside the caller's scope alike. */
  private async projectInScope(projectId: string, caller: Caller): Promise<void> {
    if ((await this.repository.projectReach(projectId, caller.scope)) !== 'in-scope')
      throw Problem.notFound(`No project "${projectId}" is known`);
  }
}
