import { Body, Controller, Get, Headers, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { zodProblems } from '@realname/contracts';
import { codeTables } from '@realname/domain-rules';
import { Database, isRejection, Rejection } from '@realname/eventstore';
import { Problem, SERVICE_CONFIG } from '@realname/platform';
import type { RegistryConfig } from '../config';
import { EnrolmentService, InputProblem } from '../enrolments/enrolment-service';
import { WorkerQueries } from '../workers/worker-queries';

const DAY = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD');
const NewWorkerBody = z
  .object({
    idCardNumber: z.string().min(1),
    name: z.string().min(1).max(50),
    nation: z.string().min(1).max(10),
    address: z.string().min(1).max(200),
    issuingAuthority: z.string().min(1).max(100),
    idValidFrom: DAY.optional(),
    idValidTo: z.string().max(20).optional(),
    phone: z.string().optional(),
    education: z.string().optional(),
    politics: z.string().optional(),
    headPhoto: z.string().optional(),
  })
  .strict();
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
const EnterpriseBody = z
  .object({
    creditCode: z.string().min(1),
    name: z.string().min(1).max(200),
    registrationType: z.string().optional(),
    legalRepresentative: z.string().max(50).optional(),
    region: z
      .string()
      .regex(/^\d{6}$/, 'must be a six-digit division code')
      .optional(),
    overrideReason: z.string().min(5).max(500).optional(),
  })
  .strict();

/** Runs a service call, turning its field problems into a 400 problem. */
async function withInput<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof InputProblem) throw Problem.badRequest(`The ${what} is not valid`, err.errors);
    throw err;
  }
}

function parse<T extends z.ZodTypeAny>(schema: T, body: unknown, what: string): z.infer<T> {
  const r = schema.safeParse(body);
  if (!r.success) throw Problem.badRequest(`The ${what} is not valid`, zodProblems(r.error));
  return r.data;
}

/** A refusal by the domain, as problem details naming each reason. */
function refused(r: Rejection): never {
  if (['not-enrolled', 'unknown-worker', 'unknown-team', 'unknown-project'].includes(r.code))
    throw Problem.notFound(r.reasons.join('; '));
  throw new Problem(
    r.code,
    'Refused',
    409,
    r.reasons.join('; '),
    r.reasons.map((message) => ({ field: r.code, message })),
  );
}

@ApiTags('workers and enrolments')
@Controller('api/v1')
export class PeopleController {
  constructor(
    private readonly service: EnrolmentService,
    private readonly db: Database,
    private readonly workers: WorkerQueries,
    @Inject(SERVICE_CONFIG) private readonly config: RegistryConfig,
  ) {}

  @Post('workers')
  @ApiOperation({ summary: 'Register a worker from the ID card (number encrypted at rest, shown masked)' })
  @ApiBody({
    schema: { type: 'object', required: ['idCardNumber', 'name', 'nation', 'address', 'issuingAuthority'] },
  })
  async registerWorker(@Body() body: unknown) {
    const input = parse(NewWorkerBody, body, 'worker');
    try {
      const r = await this.service.registerWorker(input);
      if (isRejection(r)) refused(r);
      return this.getWorker(r.workerId);
    } catch (err) {
      if (err instanceof InputProblem) throw Problem.badRequest('The worker is not valid', err.errors);
      throw err;
    }
  }

  @Get('workers/:workerId')
  @ApiOperation({ summary: 'A worker, personal numbers masked' })
  async getWorker(@Param('workerId') workerId: string) {
    const w = await this.workers.getWorker(workerId);
    if (!w) throw Problem.notFound(`No worker "${workerId}"`);
    return w;
  }

  @Post('workers/:workerId/blacklist')
  @HttpCode(200)
  @ApiOperation({ summary: 'Put a worker on the blacklist (entry is refused from then on)' })
  async blacklist(@Param('workerId') workerId: string, @Body() body: unknown) {
    const { reason } = parse(z.object({ reason: z.string().min(1).max(500) }).strict(), body, 'blacklisting');
    const r = await this.service.blacklist(workerId, reason);
    if (isRejection(r)) refused(r);
    return this.getWorker(workerId);
  }

  @Post('projects/:projectId/teams')
  @ApiOperation({ summary: 'Form a team of a participating unit' })
  async formTeam(@Param('projectId') projectId: string, @Body() body: unknown) {
    const input = parse(
      z.object({ name: z.string().min(1).max(100), participantId: z.string().min(1) }).strict(),
      body,
      'team',
    );
    const r = await this.service.formTeam(projectId, input.name, input.participantId);
    if (isRejection(r)) refused(r);
    return { teamId: r.teamId, projectId, ...input };
  }

  @Post('projects/:projectId/enrolments')
  @ApiOperation({
    summary: 'Enrol a worker on a project (team, work type, role); the device PIN is assigned here',
  })
  async enrol(@Param('projectId') projectId: string, @Body() body: unknown) {
    const input = parse(EnrolBody, body, 'enrolment');
    const r = await withInput('enrolment', () => this.service.enrol(projectId, input));
    if (isRejection(r)) refused(r);
    return r;
  }

  @Get('projects/:projectId/enrolments')
  @ApiOperation({ summary: 'Enrolments of a project, optionally of one team or status' })
  async enrolments(
    @Param('projectId') projectId: string,
    @Query('teamId') teamId?: string,
    @Query('status') status?: string,
    @Query('participantId') participantId?: string,
    @Query('pageSize') pageSizeText?: string,
    @Query('pageToken') pageToken?: string,
  ) {
    const s = this.config.DATABASE_SCHEMA;
    const pageSize = Math.min(Math.max(Number(pageSizeText) || 100, 1), 1000);
    // Enrolment ids are UUIDv7, so their order is the order enrolments were made: a stable page key.
    const after = pageToken ? Buffer.from(pageToken, 'base64url').toString() : null;
    const rows = await this.db.query<Record<string, string | boolean | null>>(
      `SELECT e.enrolment_id, e.worker_id, w.name, w.masked_id, e.team_id, t.name AS team_name, e.participant_id, e.work_type, e.work_role,
              e.is_team_leader, e.person_id, e.status, to_char(e.entered_on, 'YYYY-MM-DD') AS entered_on, to_char(e.exited_on, 'YYYY-MM-DD') AS exited_on,
              e.contract_signed, e.safety_trained, e.wage_card_masked, e.wage_bank_code
       FROM ${s}.enrolments e JOIN ${s}.workers w ON w.worker_id = e.worker_id JOIN ${s}.teams t ON t.team_id = e.team_id
       WHERE e.project_id = $1 AND ($2::text IS NULL OR e.team_id = $2) AND ($3::text IS NULL OR e.status = $3)
         AND ($4::text IS NULL OR e.participant_id = $4) AND ($5::text IS NULL OR e.enrolment_id > $5)
       ORDER BY e.enrolment_id LIMIT $6`,
      [projectId, teamId ?? null, status ?? null, participantId ?? null, after, pageSize + 1],
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
  @ApiOperation({ summary: 'Record the signed labour contract' })
  async contract(@Param('enrolmentId') id: string, @Body() body: unknown) {
    const c = parse(
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
    return this.done(
      await this.service.act(id, (today) => ({
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
  @ApiOperation({ summary: 'Record a training the worker attended (003001 safety education, ...)' })
  async training(@Param('enrolmentId') id: string, @Body() body: unknown) {
    const t = parse(
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
    return this.done(
      await this.service.act(id, (today) => ({
        kind: 'RecordTraining',
        today,
        training: { trainingId: `${id}-${t.typeCode}-${t.date}`, ...t },
      })),
    );
  }

  @Post('projects/:projectId/trainings')
  @ApiOperation({ summary: 'Record a training session with its attendees, who passed and their scores' })
  async trainingSession(@Param('projectId') projectId: string, @Body() body: unknown) {
    const { attendees, ...session } = parse(TrainingSessionBody, body, 'training');
    const r = await withInput('training', () =>
      this.service.recordTrainingSession(projectId, session, attendees),
    );
    if (isRejection(r)) refused(r);
    return { trainingId: r.trainingId, attendees: attendees.length };
  }

  @Get('projects/:projectId/trainings')
  @ApiOperation({ summary: 'Training sessions of a project with their attendees' })
  async trainingSessions(@Param('projectId') projectId: string) {
    const s = this.config.DATABASE_SCHEMA;
    const rows = await this.db.query<Record<string, string | boolean | null>>(
      `SELECT t.training_id, t.name, t.type_code, to_char(t.training_date, 'YYYY-MM-DD') AS date, t.trainer,
              a.enrolment_id, a.passed, a.score::text AS score
       FROM ${s}.trainings t JOIN ${s}.training_attendees a ON a.training_id = t.training_id
       WHERE t.project_id = $1 ORDER BY t.training_date, t.training_id, a.enrolment_id`,
      [projectId],
    );
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

  @Post('enterprises')
  @ApiOperation({
    summary:
      'Register an enterprise the integrity platform does not share (GB 32100 credit code; known pilot codes with an audited reason)',
  })
  async registerEnterprise(@Body() body: unknown, @Headers('x-caller') caller?: string) {
    const input = parse(EnterpriseBody, body, 'enterprise');
    const r = await withInput('enterprise', () =>
      this.service.registerEnterprise(
        input,
        this.config.CREDIT_CODE_PILOT_OVERRIDES,
        (caller ?? 'unknown').slice(0, 100),
      ),
    );
    if (isRejection(r)) refused(r);
    return r;
  }

  @Post('enrolments/:enrolmentId/certificates')
  @HttpCode(200)
  @ApiOperation({ summary: 'Record an operation certificate for a special work type' })
  async certificate(@Param('enrolmentId') id: string, @Body() body: unknown) {
    const c = parse(
      z.object({ workType: z.string().min(1), number: z.string().min(1), expiresOn: DAY }).strict(),
      body,
      'certificate',
    );
    return this.done(await this.service.act(id, () => ({ kind: 'AddCertificate', certificate: c })));
  }

  @Post('enrolments/:enrolmentId/entry')
  @HttpCode(200)
  @ApiOperation({ summary: 'Enter the site; refused with one reason per failed condition' })
  async entry(@Param('enrolmentId') id: string, @Body() body: unknown) {
    const { date } = parse(z.object({ date: DAY }).strict(), body, 'entry');
    return this.done(
      await this.service.act(id, (today, worker, region) => ({
        kind: 'Enter',
        date,
        today,
        worker,
        profile: this.service.profileFor(region),
      })),
    );
  }

  @Post('enrolments/:enrolmentId/card')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Issue, replace (cardNumber) or withdraw (null) the attendance card; the device PIN stays',
  })
  async card(@Param('enrolmentId') id: string, @Body() body: unknown) {
    const { cardNumber } = parse(
      z.object({ cardNumber: z.string().min(1).max(32).nullable() }).strict(),
      body,
      'card',
    );
    return this.done(await this.service.act(id, () => ({ kind: 'IssueCard', cardNumber })));
  }

  @Post('enrolments/:enrolmentId/exit')
  @HttpCode(200)
  @ApiOperation({ summary: 'Leave the site' })
  async exit(@Param('enrolmentId') id: string, @Body() body: unknown) {
    const { date } = parse(z.object({ date: DAY }).strict(), body, 'exit');
    return this.done(await this.service.act(id, (today) => ({ kind: 'Exit', date, today })));
  }

  private done(r: { type: string }[] | Rejection) {
    if (isRejection(r)) refused(r);
    return { recorded: r.map((e) => e.type.split('.').pop()) };
  }
}
