import { Body, Controller, Get, Param, Patch, Post, Put, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { KeyPost, zodProblems } from '@realname/contracts';
import { checkResidentId } from '@realname/domain-rules';
import { isRejection } from '@realname/eventstore';
import { Caller, CurrentCaller, Problem, RequireRoles, ResourceServerGuard } from '@realname/platform';
import { READERS, SITE_WRITERS } from '../access/registry-roles';
import { forbiddenOutOfScope, parseBody, refused } from '../refusals';
import { ProjectLocalDetails } from './project-local-details';
import { ProjectQueries } from './project-queries';
import { ProjectCommands } from './projects.handler';

const KeyPersonAssignment = z
  .object({ name: z.string().min(1).max(50), idCardNumber: z.string().min(1) })
  .strict();

/** Projects within the caller's scope (docs/access.md): out of scope, not found on read, 403 on write. */
@ApiTags('projects')
@ApiBearerAuth()
@Controller('api/v1')
@UseGuards(ResourceServerGuard)
export class ProjectsRest {
  constructor(
    private readonly queries: ProjectQueries,
    private readonly commands: ProjectCommands,
    private readonly localDetails: ProjectLocalDetails,
  ) {}

  @Get('projects')
  @RequireRoles(...READERS)
  @ApiOperation({
    summary: 'Projects in your scope, optionally of a region (division-code prefix), page by page',
  })
  list(
    @CurrentCaller() caller: Caller,
    @Query('region') region?: string,
    @Query('pageSize') pageSize?: string,
    @Query('pageToken') pageToken?: string,
  ) {
    if (region !== undefined && !/^\d{0,6}$/.test(region))
      throw Problem.badRequest('region must be 0-6 digits of a division code', [
        { field: 'region', message: 'e.g. 33 or 330106' },
      ]);
    return this.queries.listProjects(
      { region: region ?? '', pageSize: Number(pageSize) || 50, pageToken },
      caller.scope,
    );
  }

  @Get('projects/:projectId')
  @RequireRoles(...READERS)
  @ApiOperation({
    summary: 'A project with its participating units, key personnel (masked) and open key-person mismatches',
  })
  async get(@Param('projectId') projectId: string, @CurrentCaller() caller: Caller) {
    const p = await this.queries.getProject(projectId, caller.scope);
    if (!p)
      throw Problem.notFound(`No project "${projectId}" is known; it arrives from the integrity platform`);
    return p;
  }

  @Patch('projects/:projectId')
  @RequireRoles(...SITE_WRITERS)
  @ApiOperation({ summary: 'Change the locally owned fields of a project (siteContactPhone, remark)' })
  @ApiBody({
    schema: {
      type: 'object',
      properties: { siteContactPhone: { type: 'string' }, remark: { type: 'string' } },
    },
  })
  async patch(
    @Param('projectId') projectId: string,
    @Body() body: Record<string, unknown>,
    @CurrentCaller() caller: Caller,
  ) {
    const r = await this.localDetails.update(projectId, body, caller.scope);
    switch (r.outcome) {
      case 'integrity-owned':
        throw Problem.conflict('integrity-owned-field', r.message);
      case 'invalid':
        throw Problem.badRequest('The change is not valid', r.errors);
      case 'not-found':
        throw Problem.notFound(`No project "${projectId}" is known`);
      case 'out-of-scope':
        return forbiddenOutOfScope(
          `project ${projectId} is outside your scope (${caller.scope.kind} ${caller.scope.code}); nothing was changed`,
        );
      case 'updated':
        return this.queries.getProject(projectId, caller.scope);
    }
  }

  @Put('projects/:projectId/participants/:creditCode/key-persons/:post')
  @RequireRoles(...SITE_WRITERS)
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
    @CurrentCaller() caller: Caller,
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
    const events = await this.commands.assignKeyPerson(
      projectId,
      creditCode,
      post.data,
      parsed.data.name,
      id.value,
      caller,
    );
    if (isRejection(events)) {
      if (events.code === 'unknown-project' || events.code === 'out-of-scope') refused(events);
      throw Problem.conflict(events.code, events.reasons.join('; '));
    }
    return this.queries.getProject(projectId, caller.scope);
  }

  @Post('projects/:projectId/teams')
  @RequireRoles(...SITE_WRITERS)
  @ApiOperation({ summary: 'Form a team of a participating unit' })
  async formTeam(
    @Param('projectId') projectId: string,
    @Body() body: unknown,
    @CurrentCaller() caller: Caller,
  ) {
    const input = parseBody(
      z.object({ name: z.string().min(1).max(100), participantId: z.string().min(1) }).strict(),
      body,
      'team',
    );
    const r = await this.commands.formTeam(projectId, input.name, input.participantId, caller);
    if (isRejection(r)) refused(r);
    return { teamId: r.teamId, projectId, ...input };
  }
}
