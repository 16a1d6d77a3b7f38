import { Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { IntegritySync } from './integrity-sync';

@ApiTags('projects')
@Controller('api/v1/integrity-sync')
export class IntegritySyncRest {
  constructor(private readonly sync: IntegritySync) {}

  @Post()
  @HttpCode(200)
  @ApiOperation({ summary: 'Pull the integrity platform change feed now (joins a run in progress)' })
  async syncNow() {
    return { run: await this.sync.runOnce(), status: await this.sync.status() };
  }

  @Get()
  @ApiOperation({ summary: 'Where the integrity sync stands' })
  syncStatus() {
    return this.sync.status();
  }
}
