import { ApiBodyFrom, GUARDED_WRITE_ANSWERS } from '@realname/platform';
import { RegistryApi } from '@realname/contracts';
import { Body, Controller, Get, Inject, Param, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { isRejection } from '@realname/eventstore';
import {
  ApiAnswers,
  ApiParamsFrom,
  Caller,
  GUARDED_READ_ANSWERS,
  CurrentCaller,
  Problem,
  RequireRoles,
  ResourceServerGuard,
  SERVICE_CONFIG,
} from '@realname/platform';
import { READERS } from '../access/registry-roles';
import type { RegistryConfig } from '../config';
import { ProjectQueries } from '../projects/project-queries';
import { parseBody, parseParams, refused, withInput } from '../refusals';
import { BODY_EXAMPLES, EnterpriseBody } from '../rest-bodies';
import { EnterpriseCommands } from './enterprises.handler';

@ApiTags('enterprises')
@ApiBearerAuth()
@Controller('api/v1/enterprises')
@UseGuards(ResourceServerGuard)
export class EnterprisesRest {
  constructor(
    private readonly commands: EnterpriseCommands,
    private readonly queries: ProjectQueries,
    @Inject(SERVICE_CONFIG) private readonly config: RegistryConfig,
  ) {}

  @Post()
  @RequireRoles('municipal-integrator')
  @ApiOperation({
    operationId: 'registerEnterprise',
    summary:
      'Register an enterprise of your region the integrity platform does not share (GB 32100 credit code; known pilot codes with an audited reason)',
  })
  @ApiBodyFrom(EnterpriseBody, { example: BODY_EXAMPLES.EnterpriseBody })
  @ApiAnswers({
    201: RegistryApi.EnterpriseRegistered,
    409: 'Refused: the enterprise is known already, or its region is not yours',
    ...GUARDED_WRITE_ANSWERS,
  })
  async registerEnterprise(@Body() body: unknown, @CurrentCaller() caller: Caller) {
    const input = parseBody(EnterpriseBody, body, 'enterprise');
    const r = await withInput('enterprise', () =>
      this.commands.registerEnterprise(input, this.config.CREDIT_CODE_PILOT_OVERRIDES, caller),
    );
    if (isRejection(r)) refused(r);
    return r;
  }

  @Get(':creditCode')
  @RequireRoles(...READERS)
  @ApiOperation({
    operationId: 'getEnterprise',
    summary: 'An enterprise in your scope, as the integrity platform shares it',
  })
  @ApiParamsFrom(RegistryApi.EnterprisePathParams, RegistryApi.ENTERPRISE_EXAMPLE)
  @ApiAnswers({ 200: RegistryApi.EnterpriseView, 400: true, 404: true, ...GUARDED_READ_ANSWERS })
  async enterprise(@Param('creditCode') creditCode: string, @CurrentCaller() caller: Caller) {
    parseParams(RegistryApi.EnterprisePathParams, { creditCode });
    const e = await this.queries.getEnterprise(creditCode, caller.scope);
    if (!e) throw Problem.notFound(`No enterprise "${creditCode}" is known`);
    return e;
  }
}
