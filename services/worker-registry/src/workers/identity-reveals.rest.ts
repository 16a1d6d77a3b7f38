import { Body, Controller, Get, Header, Headers, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBody, ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Problem } from '@realname/platform';
import { IdentityReveals, RevealRefusal } from './identity-reveals';

/** A refused reveal as problem details: 401 without a token, 403 with one that may not reveal. */
function refused(r: RevealRefusal): never {
  switch (r.refused) {
    case 'unauthenticated':
      throw Problem.unauthorized('reveal-token-required', r.message);
    case 'permission-denied':
      throw new Problem('reveal-not-permitted', 'Not permitted', 403, r.message);
    case 'invalid-argument':
      throw Problem.badRequest(r.message, [{ field: r.field ?? '(body)', message: r.message }]);
    case 'not-found':
      throw Problem.notFound(r.message);
  }
}

@ApiTags('workers and enrolments')
@Controller('api/v1/workers/:workerId/identity-reveals')
export class IdentityRevealsRest {
  constructor(private readonly reveals: IdentityReveals) {}

  @Post()
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary:
      "Reveal a worker's unmasked ID and phone numbers, birth date, home address and issuing authority: needs a caller's reveal token and a purpose; every reveal is recorded",
  })
  @ApiHeader({ name: 'authorization', required: true, description: 'Bearer <reveal token>' })
  @ApiBody({
    schema: {
      type: 'object',
      required: ['purpose'],
      properties: { purpose: { type: 'string', example: 'national-platform-upload' } },
    },
  })
  async reveal(
    @Param('workerId') workerId: string,
    @Headers('authorization') authorization: string | undefined,
    @Body() body: unknown,
  ) {
    const r = await this.reveals.reveal({
      workerId,
      purpose: body && typeof body === 'object' ? (body as { purpose?: unknown }).purpose : undefined,
      authorization,
      via: 'rest',
    });
    if ('refused' in r) refused(r);
    return {
      idCardNumber: r.idCardNumber,
      phone: r.phone,
      birthDate: r.birthDate,
      address: r.address,
      issuingAuthority: r.issuingAuthority,
    };
  }

  @Get()
  @ApiOperation({
    summary: "The audit trail of reveals of a worker's numbers (caller, purpose, time), newest first",
  })
  async trail(@Param('workerId') workerId: string) {
    const reveals = await this.reveals.trail(workerId);
    if (!reveals) throw Problem.notFound(`No worker "${workerId}"`);
    return { reveals };
  }
}
