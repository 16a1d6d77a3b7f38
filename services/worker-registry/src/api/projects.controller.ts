import { Body, Controller, Get, HttpCode, Inject, Param, Patch, Post, Put, Query } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { KeyPost, zodProblems } from '@realname/contracts';
import { checkResidentId, maskResidentId } from '@realname/domain-rules';
import { Database, isRejection } from '@realname/eventstore';
import { Problem, SERVICE_CONFIG } from '@realname/platform';
import { PersonalDataVault } from '@realname/personal-data';
import type { RegistryConfig } from '../config';
import { IntegritySync } from '../integrity/integrity-sync';
import { ProjectRepository } from '../projects/project-repository';
import { ProjectLocalDetails } from '../projects/project-local-details';
import { ProjectQueries } from '../projects/project-queries';

const KeyPersonAssignment = z
  .object({ name: z.string().min(1).max(50), idCardNumber: z.string().min(1) })
  .strict();

@ApiTags('projects')
@Controller('api/v1')
export class ProjectsController {
  constructor(
    private readonly queries: ProjectQueries,
    private readonly projects: ProjectRepository,
    private readonly db: Database,
    private readonly vault: PersonalDataVault,
    private readonly sync: IntegritySync,
    @Inject(SERVICE_CONFIG) private readonly config: RegistryConfig,
  ) {}

  @Get('projects')
  @ApiOperation({ summary: 'Projects, optionally of a region (division-code prefix), page by page' })
  list(
    @Query('region') region?: string,
    @Query('pageSize') pageSize?: string,
    @Query('pageToken') pageToken?: string,
  ) {
    if (region !== undefined && !/^\d{0,6}$/.test(region))
      throw Problem.badRequest('region must be 0-6 digits of a division code', [
        { field: 'region', message: 'e.g. 33 or 330106' },
      ]);
    return this.queries.listProjects({ region: region ?? '', pageSize: Number(pageSize) || 50, pageToken });
  }

  @Get('projects/:projectId')
  @ApiOperation({
    summary: 'A project with its participating units, key personnel (masked) and open key-person mismatches',
  })
  async get(@Param('projectId') projectId: string) {
    const p = await this.queries.getProject(projectId);
    if (!p)
      throw Problem.notFound(`No project "${projectId}" is known; it arrives from the integrity platform`);
    return p;
  }

  @Patch('projects/:projectId')
  @ApiOperation({ summary: 'Change the locally owned fields of a project (siteContactPhone, remark)' })
  @ApiBody({
    schema: {
      type: 'object',
      properties: { siteContactPhone: { type: 'string' }, remark: { type: 'string' } },
    },
  })
  async patch(@Param('projectId') projectId: string, @Body() body: Record<string, unknown>) {
    const r = await new ProjectLocalDetails(this.db, this.config.DATABASE_SCHEMA).update(projectId, body);
    switch (r.outcome) {
      case 'integrity-owned':
        throw Problem.conflict('integrity-owned-field', r.message);
      case 'invalid':
        throw Problem.badRequest('The change is not valid', r.errors);
      case 'not-found':
        throw Problem.notFound(`No project "${projectId}" is known`);
      case 'updated':
        return this.queries.getProject(projectId);
    }
  }

  @Put('projects/:projectId/participants/:creditCode/key-persons/:post')
  @ApiOperation({
    summary:
      'Assign the project manager or chief supervising engineer on site (checked against the integrity platform)',
  })
  @ApiBody({
    schema: {
      type: 'object',
      required: ['name', 'idCardNumber'],
      properties: { name: { type: 'string' }, idCardNumber: { type: 'string' } },
    },
  })
  async assign(
    @Param('projectId') projectId: string,
    @Param('creditCode') creditCode: string,
    @Param('post') postText: string,
    @Body() body: unknown,
  ) {
    const post = KeyPost.safeParse(postText);
    if (!post.success)
      throw Problem.badRequest('post must be project-manager or chief-supervising-engineer', [
        { field: 'post', message: 'unknown post' },
      ]);
    const parsed = KeyPersonAssignment.safeParse(body);
    if (!parsed.success) throw Problem.badRequest('The assignment is not valid', zodProblems(parsed.error));
    const id = checkResidentId(parsed.data.idCardNumber);
    if (!id.ok)
      throw Problem.badRequest(
        'idCardNumber is not a valid resident ID number',
        id.reasons.map((message) => ({ field: 'idCardNumber', message })),
      );
    const person = {
      name: parsed.data.name,
      idHash: this.vault.lookupHash('id-card', id.value),
      maskedIdNumber: maskResidentId(id.value),
    };
    const context = `key-person:${projectId}:${creditCode}:${post.data}:local`;
    const events = await this.db.transaction(async (tx) => {
      const r = await this.projects.handle(
        tx,
        projectId,
        { kind: 'AssignKeyPerson', creditCode, post: post.data, person },
        {},
      );
      if (isRejection(r)) return r;
      await tx.execute(
        `INSERT INTO ${this.config.DATABASE_SCHEMA}.key_persons (project_id, credit_code, post, source, name, id_hash, id_encrypted, masked_id)
         VALUES ($1, $2, $3, 'local', $4, $5, $6, $7)
         ON CONFLICT (project_id, credit_code, post, source) DO UPDATE SET name = EXCLUDED.name, id_hash = EXCLUDED.id_hash,
           id_encrypted = EXCLUDED.id_encrypted, masked_id = EXCLUDED.masked_id`,
        [
          projectId,
          creditCode,
          post.data,
          person.name,
          person.idHash,
          this.vault.encrypt(id.value, context),
          person.maskedIdNumber,
        ],
      );
      return r;
    });
    if (isRejection(events)) {
      throw events.code === 'unknown-project'
        ? Problem.notFound(events.reasons.join('; '))
        : Problem.conflict(events.code, events.reasons.join('; '));
    }
    return this.queries.getProject(projectId);
  }

  @Get('enterprises/:creditCode')
  @ApiOperation({ summary: 'An enterprise as the integrity platform shares it' })
  async enterprise(@Param('creditCode') creditCode: string) {
    const e = await this.queries.getEnterprise(creditCode);
    if (!e) throw Problem.notFound(`No enterprise "${creditCode}" is known`);
    return e;
  }

  @Post('integrity-sync')
  @HttpCode(200)
  @ApiOperation({ summary: 'Pull the integrity platform change feed now (joins a run in progress)' })
  async syncNow() {
    return { run: await this.sync.runOnce(), status: await this.sync.status() };
  }

  @Get('integrity-sync')
  @ApiOperation({ summary: 'Where the integrity sync stands' })
  syncStatus() {
    return this.sync.status();
  }
}
