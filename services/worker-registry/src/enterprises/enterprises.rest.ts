import { Body, Controller, Get, Headers, Inject, Param, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { isRejection } from '@realname/eventstore';
import { Problem, SERVICE_CONFIG } from '@realname/platform';
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
@Controller('api/v1/enterprises')
export class EnterprisesRest {
  constructor(
    private readonly commands: EnterpriseCommands,
    private readonly queries: ProjectQueries,
    @Inject(SERVICE_CONFIG) private readonly config: RegistryConfig,
  ) {}

  @Post()
  @ApiOperation({
    summary:
      'Register an enterprise the integrity platform does not share (GB 32100 credit code; known pilot codes with an audited reason)',
  })
  async registerEnterprise(@Body() body: unknown, @Headers('x-caller') caller?: string) {
    const input = parseBody(EnterpriseBody, body, 'enterprise');
    const r = await withInput('enterprise', () =>
      this.commands.registerEnterprise(
        input,
        this.config.CREDIT_CODE_PILOT_OVERRIDES,
        (caller ?? 'unknown').slice(0, 100),
      ),
    );
    if (isRejection(r)) refused(r);
    return r;
  }

  @Get(':creditCode')
  @ApiOperation({ summary: 'An enterprise as the integrity platform shares it' })
  async enterprise(@Param('creditCode') creditCode: string) {
    const e = await this.queries.getEnterprise(creditCode);
    if (!e) throw Problem.notFound(`No enterprise "${creditCode}" is known`);
    return e;
  }
}
