import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { UNAUTHENTICATED_ACTOR } from '@realname/contracts';
import { isRejection } from '@realname/eventstore';
import { Problem } from '@realname/platform';
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
@Controller('api/v1/workers')
export class WorkersRest {
  constructor(
    private readonly commands: WorkerCommands,
    private readonly workers: WorkerQueries,
  ) {}

  @Post()
  @ApiOperation({ summary: 'Register a worker from the ID card (number encrypted at rest, shown masked)' })
  @ApiBody({
    schema: { type: 'object', required: ['idCardNumber', 'name', 'nation', 'address', 'issuingAuthority'] },
  })
  async registerWorker(@Body() body: unknown) {
    const input = parseBody(NewWorkerBody, body, 'worker');
    const r = await withInput('worker', () => this.commands.registerWorker(input));
    if (isRejection(r)) refused(r);
    return this.getWorker(r.workerId);
  }

  @Get(':workerId')
  @ApiOperation({
    summary:
      'A worker: personal numbers masked, age instead of the birth date, no home address (those only through identity-reveals)',
  })
  async getWorker(@Param('workerId') workerId: string) {
    const w = await this.workers.getWorker(workerId);
    if (!w) throw Problem.notFound(`No worker "${workerId}"`);
    return w;
  }

  @Post(':workerId/blacklist')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Put a worker on the blacklist with a reason (entry is refused from then on); records who did it',
  })
  @ApiBody({ schema: { type: 'object', required: ['reason'], properties: { reason: { type: 'string' } } } })
  async blacklist(@Param('workerId') workerId: string, @Body() body: unknown) {
    const { reason } = parseBody(BlacklistBody, body, 'blacklisting');
    const r = await this.commands.blacklist(workerId, reason, actorOfRequest());
    if (isRejection(r)) refused(r);
    return this.getWorker(workerId);
  }

  @Post(':workerId/blacklist/lift')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Lift a blacklisting with a reason; refused (409 same-actor-cannot-lift) to the one who blacklisted, and to unauthenticated callers',
  })
  @ApiBody({ schema: { type: 'object', required: ['reason'], properties: { reason: { type: 'string' } } } })
  async liftBlacklist(@Param('workerId') workerId: string, @Body() body: unknown) {
    const { reason } = parseBody(BlacklistBody, body, 'lifting of the blacklisting');
    const r = await this.commands.liftBlacklist(workerId, reason, actorOfRequest());
    if (isRejection(r)) refused(r);
    return this.getWorker(workerId);
  }
}

const BlacklistBody = z.object({ reason: z.string().trim().min(1).max(500) }).strict();

/**
 * Who is asking, for the events' `actor`. There is no authenticated caller yet (issue 10, section 1):
 * until there is, every write names the placeholder `unauthenticated`. A header such as `x-caller` is
 * never taken for it (anyone can send one). When authentication lands, this returns the token's subject.
 */
function actorOfRequest(): string {
  return UNAUTHENTICATED_ACTOR;
}
