import { ApiBodyFrom, GUARDED_WRITE_ANSWERS } from '@realname/platform';
import { RegistryApi } from '@realname/contracts';
import { Body, Controller, Get, Header, HttpCode, Param, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  ApiAnswers,
  ApiParamsFrom,
  Caller,
  GUARDED_READ_ANSWERS,
  CurrentCaller,
  Problem,
  RequirePermissions,
  RequireRoles,
  ResourceServerGuard,
} from '@realname/platform';
import { REVEALERS } from '../access/registry-roles';
import { parseParams } from '../refusals';
import { RevealBody } from '../rest-bodies';
import { IdentityReveals, RevealRefusal } from './identity-reveals';

/** A refused reveal as problem details (the guard has answered 401 and 403 already). */
function refused(r: RevealRefusal): never {
  switch (r.refused) {
    case 'invalid-argument':
      throw Problem.badRequest(r.message, [{ field: r.field, message: r.message }]);
    case 'not-found':
      throw Problem.notFound(r.message);
  }
}

@ApiTags('workers and enrolments')
@ApiBearerAuth()
@Controller('api/v1/workers/:workerId/identity-reveals')
@UseGuards(ResourceServerGuard)
export class IdentityRevealsRest {
  constructor(private readonly reveals: IdentityReveals) {}

  @Post()
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @RequireRoles(...REVEALERS)
  @RequirePermissions('reveal-identity')
  @ApiOperation({
    operationId: 'revealIdentity',
    summary:
      'Reveal the unmasked ID and phone numbers, birth date, home address and issuing authority of a worker in your scope: needs the reveal-identity permission and a purpose; every reveal is recorded with who, in which role and scope',
  })
  @ApiParamsFrom(RegistryApi.WorkerPathParams)
  @ApiBodyFrom(RevealBody, { example: { purpose: 'national-platform-upload' } })
  @ApiAnswers({
    200: RegistryApi.RevealedIdentity,
    404: true,
    ...GUARDED_WRITE_ANSWERS,
    403: 'The role may not reveal, or the token lacks the reveal-identity permission',
  })
  async reveal(
    @Param('workerId') workerId: string,
    @Body() body: unknown,
    @CurrentCaller() caller: Caller,
  ): Promise<RegistryApi.RevealedIdentity> {
    parseParams(RegistryApi.WorkerPathParams, { workerId });
    const r = await this.reveals.reveal({
      workerId,
      purpose: body && typeof body === 'object' ? (body as { purpose?: unknown }).purpose : undefined,
      caller,
      via: 'rest',
    });
    if ('refused' in r) refused(r);
    return {
      idCardNumber: r.idCardNumber,
      phone: r.phone,
      birthDate: r.birthDate,
      address: r.address,
      issuingAuthority: r.issuingAuthority,
      idValidFrom: r.idValidFrom,
      idValidTo: r.idValidTo,
    };
  }

  @Get()
  @RequireRoles('auditor')
  @ApiOperation({
    operationId: 'identityRevealTrail',
    summary:
      "The audit trail of reveals of a worker's numbers (who, role, scope, purpose, time), newest first; for auditors, in their scope",
  })
  @ApiParamsFrom(RegistryApi.WorkerPathParams)
  @ApiAnswers({ 200: RegistryApi.RevealTrail, 400: true, 404: true, ...GUARDED_READ_ANSWERS })
  async trail(
    @Param('workerId') workerId: string,
    @CurrentCaller() caller: Caller,
  ): Promise<RegistryApi.RevealTrail> {
    parseParams(RegistryApi.WorkerPathParams, { workerId });
    const reveals = await this.reveals.trail(workerId, caller.scope);
    if (!reveals) throw Problem.notFound(`No worker "${workerId}"`);
    return { reveals };
  }
}
