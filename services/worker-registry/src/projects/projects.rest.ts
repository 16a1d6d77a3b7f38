import { ApiBodyFrom, GUARDED_WRITE_ANSWERS } from '@realname/platform';
import { RegistryApi } from '@realname/contracts';
import { Body, Controller, Get, Param, Patch, Post, Put, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { KeyPost, zodProblems } from '@realname/contracts';
import { checkResidentId, todayIn } from '@realname/domain-rules';
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
import { forbiddenOutOfScope, parseBody, parseParams, refused } from '../refusals';
import { BODY_EXAMPLES, KeyPersonBody, TeamBody } from '../rest-bodies';
import { LocalProjectPatch, ProjectLocalDetails } from './project-local-details';
import { ProjectQueries } from './project-queries';
import { ProjectCommands } from './projects.handler';

const KeyPersonAssignment = KeyPersonBody.extend({ appointedOn: RegistryApi.AppointedOn.optional() });
const KEY_PERSON_EXAMPLE = { ...BODY_EXAMPLES.KeyPersonBody, appointedOn: '2026-11-01' };

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
    operationId: 'listProjects',
    summary: 'Projects in your scope, optionally of a region (division-code prefix), page by page',
  })
  @ApiQueryFrom(RegistryApi.ProjectListQuery, { region: '33' })
  @ApiAnswers({
    200: {
      schema: RegistryApi.ProjectPage,
      links: {
        nextPage: {
          operationId: 'listProjects',
          parameters: { region: '$request.query.region', pageToken: '$response.body#/nextPageToken' },
        },
      },
    },
    400: true,
    ...GUARDED_READ_ANSWERS,
  })
  list(@CurrentCaller() caller: Caller, @Query() query: unknown): Promise<RegistryApi.ProjectPage> {
    const q = parseParams(RegistryApi.ProjectListQuery, query);
    // A page token is the base64url of the last project id of the page before.
    if (
      q.pageToken &&
      !/^[^\u0000-\u001f\u007f\ufffd]+$/.test(Buffer.from(q.pageToken, 'base64url').toString())
    )
      throw Problem.badRequest('pageToken is not a token from a previous page of this list', [
        { field: 'pageToken', message: 'start again without it' },
      ]);
    return this.queries.listProjects(
      { region: q.region ?? '', pageSize: q.pageSize ?? 50, pageToken: q.pageToken || undefined },
      caller.scope,
    );
  }

  @Get('projects/:projectId')
  @RequireRoles(...READERS)
  @ApiOperation({
    operationId: 'getProject',
    summary: 'A project with its participating units, key personnel (masked) and open key-person mismatches',
  })
  @ApiParamsFrom(RegistryApi.ProjectPathParams, RegistryApi.PROJECT_EXAMPLE)
  @ApiAnswers({ 200: RegistryApi.ProjectView, 400: true, 404: true, ...GUARDED_READ_ANSWERS })
  async get(
    @Param('projectId') projectId: string,
    @CurrentCaller() caller: Caller,
  ): Promise<RegistryApi.ProjectView> {
    parseParams(RegistryApi.ProjectPathParams, { projectId });
    const p = await this.queries.getProject(projectId, caller.scope);
    if (!p)
      throw Problem.notFound(`No project "${projectId}" is known; it arrives from the integrity platform`);
    return p as RegistryApi.ProjectView;
  }

  @Patch('projects/:projectId')
  @RequireRoles(...SITE_WRITERS)
  @ApiOperation({
    operationId: 'updateProject',
    summary: 'Change the locally owned fields of a project (siteContactPhone, remark)',
  })
  @ApiParamsFrom(RegistryApi.ProjectPathParams, RegistryApi.PROJECT_EXAMPLE)
  @ApiBodyFrom(LocalProjectPatch, { example: { remark: 'Gate 2 closed for works' } })
  @ApiAnswers({
    200: RegistryApi.ProjectView,
    404: true,
    409: 'A field of the integrity platform was named (integrity-owned-field): correct it there',
    ...GUARDED_WRITE_ANSWERS,
  })
  async patch(@Param('projectId') projectId: string, @Body() body: unknown, @CurrentCaller() caller: Caller) {
    parseParams(RegistryApi.ProjectPathParams, { projectId });
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
        return (await this.queries.getProject(projectId, caller.scope)) as RegistryApi.ProjectView;
    }
  }

  @Put('projects/:projectId/participants/:creditCode/key-persons/:post')
  @RequireRoles(...SITE_WRITERS)
  @ApiOperation({
    operationId: 'assignKeyPerson',
    summary:
      'Assign a key person on site: project manager, chief supervising engineer, safety officer or technical lead (checked against the integrity platform)',
  })
  @ApiParamsFrom(RegistryApi.KeyPersonPathParams, {
    projectId: RegistryApi.PROJECT_EXAMPLE.projectId[0],
    creditCode: RegistryApi.ENTERPRISE_EXAMPLE.creditCode[0],
    post: 'project-manager',
  })
  @ApiBodyFrom(KeyPersonAssignment, { example: KEY_PERSON_EXAMPLE })
  @ApiAnswers({
    200: RegistryApi.ProjectView,
    404: true,
    409: 'Refused: the unit takes no part in the project, or the person cannot hold the post',
    ...GUARDED_WRITE_ANSWERS,
  })
  async assign(
    @Param('projectId') projectId: string,
    @Param('creditCode') creditCode: string,
    @Param('post') postText: string,
    @Body() body: unknown,
    @CurrentCaller() caller: Caller,
  ) {
    parseParams(RegistryApi.ProjectPathParams, { projectId });
    const post = KeyPost.safeParse(postText);
    if (!post.success)
      throw Problem.badRequest(`post must be one of ${KeyPost.options.join(', ')}`, [
        { field: 'post', message: 'unknown post' },
      ]);
    const parsed = KeyPersonAssignment.safeParse(body);
    if (!parsed.success) throw Problem.badRequest('The assignment is not valid', zodProblems(parsed.error));
    const today = todayIn('Asia/Shanghai');
    if (parsed.data.appointedOn && parsed.data.appointedOn > today)
      throw Problem.badRequest('The assignment is not valid', [
        { field: 'appointedOn', message: `must not be after today (${today}, Asia/Shanghai)` },
      ]);
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
      parsed.data.appointedOn,
    );
    if (isRejection(events)) {
      if (events.code === 'unknown-project' || events.code === 'out-of-scope') refused(events);
      throw Problem.conflict(events.code, events.reasons.join('; '));
    }
    return (await this.queries.getProject(projectId, caller.scope)) as RegistryApi.ProjectView;
  }

  @Post('projects/:projectId/teams')
  @RequireRoles(...SITE_WRITERS)
  @ApiOperation({ operationId: 'formTeam', summary: 'Form a team of a participating unit' })
  @ApiParamsFrom(RegistryApi.ProjectPathParams, RegistryApi.PROJECT_EXAMPLE)
  @ApiBodyFrom(TeamBody, { example: BODY_EXAMPLES.TeamBody })
  @ApiAnswers({
    201: RegistryApi.TeamFormed,
    404: true,
    409: 'Refused: the unit takes no part in the project',
    ...GUARDED_WRITE_ANSWERS,
  })
  async formTeam(
    @Param('projectId') projectId: string,
    @Body() body: unknown,
    @CurrentCaller() caller: Caller,
  ) {
    parseParams(RegistryApi.ProjectPathParams, { projectId });
    const input = parseBody(TeamBody, body, 'team');
    const r = await this.commands.formTeam(projectId, input.name, input.participantId, caller);
    if (isRejection(r)) refused(r);
    return { teamId: r.teamId, projectId, ...input };
  }
}
