import { ApiBodyFrom, GUARDED_WRITE_ANSWERS } from '@realname/platform';
import { RegistryApi } from '@realname/contracts';
import { Body, Controller, Get, HttpCode, Param, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { isRejection } from '@realname/eventstore';
import {
  ApiAnswers,
  ApiParamsFrom,
  Caller,
  CurrentCaller,
  GUARDED_READ_ANSWERS,
  Problem,
  RequireRoles,
  ResourceServerGuard,
} from '@realname/platform';
import { READERS, SITE_WRITERS, SUPERVISORS } from '../access/registry-roles';
import { parseBody, parseParams, refused, withInput } from '../refusals';
import { BODY_EXAMPLES, BlacklistBody, NewWorkerBody } from '../rest-bodies';
import { WorkerQueries } from './worker-queries';
import { WorkerCommands } from './workers.handler';

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
    operationId: 'registerWorker',
    summary:
      'Register a worker from the ID card (number encrypted at rest, shown masked); the worker is in your scope from then on',
  })
  @ApiBodyFrom(NewWorkerBody, { example: BODY_EXAMPLES.NewWorkerBody })
  @ApiAnswers({
    201: RegistryApi.WorkerView,
    409: 'Refused: a worker with this ID number is registered already',
    ...GUARDED_WRITE_ANSWERS,
  })
  async registerWorker(
    @Body() body: unknown,
    @CurrentCaller() caller: Caller,
  ): Promise<RegistryApi.WorkerView> {
    const input = parseBody(NewWorkerBody, body, 'worker');
    const r = await withInput('worker', () => this.commands.registerWorker(input, caller));
    if (isRejection(r)) refused(r);
    return this.getWorker(r.workerId, caller);
  }

  @Get(':workerId')
  @RequireRoles(...READERS)
  @ApiOperation({
    operationId: 'getWorker',
    summary:
      'A worker: personal numbers masked, age instead of the birth date, no home address (those only through identity-reveals)',
  })
  @ApiParamsFrom(RegistryApi.WorkerPathParams)
  @ApiAnswers({ 200: RegistryApi.WorkerView, 400: true, 404: true, ...GUARDED_READ_ANSWERS })
  async getWorker(
    @Param('workerId') workerId: string,
    @CurrentCaller() caller: Caller,
  ): Promise<RegistryApi.WorkerView> {
    parseParams(RegistryApi.WorkerPathParams, { workerId });
    const w = await this.workers.getWorker(workerId, caller.scope);
    if (!w) throw Problem.notFound(`No worker "${workerId}"`);
    return w;
  }

  @Post(':workerId/blacklist')
  @HttpCode(200)
  @RequireRoles(...SUPERVISORS)
  @ApiOperation({
    operationId: 'blacklistWorker',
    summary:
      'Put a worker on the blacklist with a reason (entry is refused from then on); records who did it',
  })
  @ApiParamsFrom(RegistryApi.WorkerPathParams)
  @ApiBodyFrom(BlacklistBody, { example: BODY_EXAMPLES.BlacklistBody })
  @ApiAnswers({
    200: RegistryApi.WorkerView,
    404: true,
    409: 'Refused: the worker is blacklisted already',
    ...GUARDED_WRITE_ANSWERS,
  })
  async blacklist(
    @Param('workerId') workerId: string,
    @Body() body: unknown,
    @CurrentCaller() caller: Caller,
  ) {
    parseParams(RegistryApi.WorkerPathParams, { workerId });
    const { reason } = parseBody(BlacklistBody, body, 'blacklisting');
    const r = await this.commands.blacklist(workerId, reason, caller);
    if (isRejection(r)) refused(r);
    return this.getWorker(workerId, caller);
  }

  @Post(':workerId/blacklist/lift')
  @HttpCode(200)
  @RequireRoles(...SUPERVISORS)
  @ApiOperation({
    operationId: 'liftBlacklisting',
    summary:
      'Lift a blacklisting with a reason; refused (409 same-actor-cannot-lift) to the one who blacklisted',
  })
  @ApiParamsFrom(RegistryApi.WorkerPathParams)
  @ApiBodyFrom(BlacklistBody, { example: BODY_EXAMPLES.BlacklistBody })
  @ApiAnswers({
    200: RegistryApi.WorkerView,
    404: true,
    409: 'Refused: the worker is not blacklisted, or you blacklisted them (same-actor-cannot-lift)',
    ...GUARDED_WRITE_ANSWERS,
  })
  async liftBlacklist(
    @Param('workerId') workerId: string,
    @Body() body: unknown,
    @CurrentCaller() caller: Caller,
  ) {
    parseParams(RegistryApi.WorkerPathParams, { workerId });
    const { reason } = parseBody(BlacklistBody, body, 'lifting of the blacklisting');
    const r = await this.commands.liftBlacklist(workerId, reason, caller);
    if (isRejection(r)) refused(r);
    return this.getWorker(workerId, caller);
  }
}
