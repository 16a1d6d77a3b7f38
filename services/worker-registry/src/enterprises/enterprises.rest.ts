import { Body, Controller, Get, Inject, Param, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { isRejection } from '@realname/eventstore';
import {
  Caller,
  CurrentCaller,
  Problem,
  RequireRoles,
  ResourceServerGuard,
  SERVICE_CONFIG,
} from '@realname/platform';
import { READERS } from '../access/registry-roles';
import type { RegistryConfig } from '../config';
import { ProjectQueries } from '../projects/project-queries';
import { parseBody, refused, withInput } from '../refusals';
import { EnterpriseCommands } from './enterprises.handler';

const EnterpriseBody = z
  .object({
    creditCode: z.string().min(1),
    name: z.string().min(1).max(200),
    registrationType: z.string().optional(),
    legalRepresentative: z.string().max(50).optional(),
    region: z
      .string()
      .regex(/^\d{6}$/, 'must be a six-digit division code')
      .optional(),
    overrideReason: z.string().min(5).max(500).optional(),
  })
  .strict();

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
    summary:
      'Register an enterprise of your region the integrity platform does not share (GB 32100 credit code; known pilot codes with an audited reason)',
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
  @ApiOperation({ summary: 'An enterprise in your scope, as the integrity platform shares it' })
  async enterprise(@Param('creditCode') creditCode: string, @CurrentCaller() caller: Caller) {
    const e = await this.queries.getEnterprise(creditCode, caller.scope);
    if (!e) throw Problem.notFound(`No enterprise "${creditCode}" is known`);
    return e;
  }
}
