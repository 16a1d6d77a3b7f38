import { Body, Controller, Get, Param, Patch, Post, Put, Query } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { KeyPost, zodProblems } from '@realname/contracts';
import { checkResidentId } from '@realname/domain-rules';
import { isRejection } from '@realname/eventstore';
import { Problem } from '@realname/platform';
import { parseBody, refused } from '../refusals';
import { ProjectLocalDetails } from './project-local-details';
import { ProjectQueries } from './project-queries';
import { ProjectCommands } from './projects.handler';

const KeyPersonAssignment = z
  .object({ name: z.string().min(1).max(50), idCardNumber: z.string().min(1) })
  .strict();

@ApiTags('projects')
@Controller('api/v1')
export class ProjectsRest {
  constructor(
    private readonly queries: ProjectQueries,
    private readonly commands: ProjectCommands,
    private readonly localDetails: ProjectLocalDetails,
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
    const r = await this.localDetails.update(projectId, body);
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
    const events = await this.commands.assignKeyPerson(
      projectId,
      creditCode,
      post.data,
      parsed.data.name,
      id.value,
    );
    if (isRejection(events)) {
      throw events.code === 'unknown-project'
        ? Problem.notFound(events.reasons.join('; '))
        : Problem.conflict(events.code, events.reasons.join('; '));
    }
    return this.queries.getProject(projectId);
  }

  @Post('projects/:projectId/teams')
  @ApiOperation({ summary: 'Form a team of a participating unit' })
  async formTeam(@Param('projectId') projectId: string, @Body() body: unknown) {
    const input = parseBody(
      z.object({ name: z.string().min(1).max(100), participantId: z.string().min(1) }).strict(),
      body,
      'team',
    );
    const r = await this.commands.formTeam(projectId, input.name, input.participantId);
    if (isRejection(r)) refused(r);
    return { teamId: r.teamId, projectId, ...input };
  }
}
