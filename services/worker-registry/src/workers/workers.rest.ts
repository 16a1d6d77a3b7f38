import { Body, Controller, Get, HttpCode, Param, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { isRejection } from '@realname/eventstore';
import { Caller, CurrentCaller, Problem, RequireRoles, ResourceServerGuard } from '@realname/platform';
import { READERS, SITE_WRITERS, SUPERVISORS } from '../access/registry-roles';
import { parseBody, refused, withInput } from '../refusals';
import { WorkerQueries } from './worker-queries';
import { WorkerCommands } from './workers.handler';

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

@ApiTags('workers and enrolments')
@ApiBearerAuth()
@Controller('api/v1/workers')
@UseGuards(ResourceServerGuard)
export class WorkersRest {
  constructor(
    private readonly commands: WorkerCommands,
    private readonly workers: WorkerQueries,
  ) {}

  @Post()
  @RequireRoles(...SITE_WRITERS)
  @ApiOperation({
    summary:
      'Register a worker from the ID card (number encrypted at rest, shown masked); the worker is in your scope from then on',
  })
  @ApiBody({
    schema: { type: 'object', required: ['idCardNumber', 'name', 'nation', 'address', 'issuingAuthority'] },
  })
  async registerWorker(@Body() body: unknown, @CurrentCaller() caller: Caller) {
    const input = parseBody(NewWorkerBody, body, 'worker');
    const r = await withInput('worker', () => this.commands.registerWorker(input, caller));
    if (isRejection(r)) refused(r);
    return this.getWorker(r.workerId, caller);
  }

  @Get(':workerId')
  @RequireRoles(...READERS)
  @ApiOperation({
    summary:
      'A worker: personal numbers masked, age instead of the birth date, no home address (those only through identity-reveals)',
  })
  async getWorker(@Param('workerId') workerId: string, @CurrentCaller() caller: Caller) {
    const w = await this.workers.getWorker(workerId, caller.scope);
    if (!w) throw Problem.notFound(`No worker "${workerId}"`);
    return w;
  }

  @Post(':workerId/blacklist')
  @HttpCode(200)
  @RequireRoles(...SUPERVISORS)
  @ApiOperation({
    summary:
      'Put a worker on the blacklist with a reason (entry is refused from then on); records who did it',
  })
  @ApiBody({ schema: { type: 'object', required: ['reason'], properties: { reason: { type: 'string' } } } })
  async blacklist(
    @Param('workerId') workerId: string,
    @Body() body: unknown,
    @CurrentCaller() caller: Caller,
  ) {
    const { reason } = parseBody(BlacklistBody, body, 'blacklisting');
    const r = await this.commands.blacklist(workerId, reason, caller);
    if (isRejection(r)) refused(r);
    return this.getWorker(workerId, caller);
  }

  @Post(':workerId/blacklist/lift')
  @HttpCode(200)
  @RequireRoles(...SUPERVISORS)
  @ApiOperation({
    summary:
      'Lift a blacklisting with a reason; refused (409 same-actor-cannot-lift) to the one who blacklisted',
  })
  @ApiBody({ schema: { type: 'object', required: ['reason'], properties: { reason: { type: 'string' } } } })
  async liftBlacklist(
    @Param('workerId') workerId: string,
    @Body() body: unknown,
    @CurrentCaller() caller: Caller,
  ) {
    const { reason } = parseBody(BlacklistBody, body, 'lifting of the blacklisting');
    const r = await this.commands.liftBlacklist(workerId, reason, caller);
    if (isRejection(r)) refused(r);
    return this.getWorker(workerId, caller);
  }
}

const BlacklistBody = z.object({ reason: z.string().trim().min(1).max(500) }).strict();
