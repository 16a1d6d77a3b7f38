import { RegistryApi } from '@realname/contracts';
import { Controller, Get, HttpCode, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiAnswers, GUARDED_READ_ANSWERS, RequireRoles, ResourceServerGuard } from '@realname/platform';
import { SYNC_READERS, SYNC_TRIGGERS } from '../access/registry-roles';
import { IntegritySync } from './integrity-sync';

/** Operations on the integrity sync: no personal data, the platform's operators and provinces. */
@ApiTags('projects')
@ApiBearerAuth()
@Controller('api/v1/integrity-sync')
@UseGuards(ResourceServerGuard)
export class IntegritySyncRest {
  constructor(private readonly sync: IntegritySync) {}

  @Post()
  @HttpCode(200)
  @RequireRoles(...SYNC_TRIGGERS)
  @ApiOperation({
    operationId: 'syncIntegrityNow',
    summary: 'Pull the integrity platform change feed now (joins a run in progress)',
  })
  @ApiAnswers({ 200: RegistryApi.SyncRun, ...GUARDED_READ_ANSWERS })
  async syncNow(): Promise<RegistryApi.SyncRun> {
    return { run: await this.sync.runOnce(), status: await this.sync.status() };
  }

  @Get()
  @RequireRoles(...SYNC_READERS)
  @ApiOperation({ operationId: 'integritySyncStatus', summary: 'Where the integrity sync stands' })
  @ApiAnswers({ 200: RegistryApi.SyncStatus, ...GUARDED_READ_ANSWERS })
  syncStatus(): Promise<RegistryApi.SyncStatus> {
    return this.sync.status();
  }
}
