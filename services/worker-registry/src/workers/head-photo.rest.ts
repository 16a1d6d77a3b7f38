import { RegistryApi } from '@realname/contracts';
import { Controller, Get, Param, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
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
import { HEAD_PHOTO_READERS } from '../access/registry-roles';
import { parseParams } from '../refusals';
import { WorkersRepository } from './workers.repository';

/**
 * A worker's head photo, for services that put faces on the gates (the device gateway, with its
 * client-credentials token) and supervisors, for workers in their scope. Biometric data: never cached.
 */
@ApiTags('workers and enrolments')
@ApiBearerAuth()
@Controller('api/v1/workers/:workerId/head-photo')
@UseGuards(ResourceServerGuard)
export class HeadPhotoRest {
  constructor(private readonly workers: WorkersRepository) {}

  @Get()
  @RequireRoles(...HEAD_PHOTO_READERS)
  @ApiOperation({
    operationId: 'getHeadPhoto',
    summary: "A worker's head photo (JPEG/PNG), for the device gateway (internal-service) and supervisors",
  })
  @ApiParamsFrom(RegistryApi.WorkerPathParams)
  @ApiResponse({
    status: 200,
    description: 'The photo as registered (never cached)',
    headers: { 'Cache-Control': { description: 'no-store', schema: { type: 'string' } } },
    content: {
      'image/jpeg': { schema: { type: 'string', format: 'binary' } },
      'image/png': { schema: { type: 'string', format: 'binary' } },
    },
  })
  @ApiAnswers({ 400: true, 404: true, ...GUARDED_READ_ANSWERS })
  async get(@Param('workerId') workerId: string, @CurrentCaller() caller: Caller, @Res() res: Response) {
    parseParams(RegistryApi.WorkerPathParams, { workerId });
    const photo = await this.workers.headPhoto(workerId, caller.scope);
    if (!photo) throw Problem.notFound(`No head photo for worker "${workerId.slice(0, 64)}"`);
    const png = photo[0] === 0x89;
    res.setHeader('Cache-Control', 'no-store');
    res.type(png ? 'image/png' : 'image/jpeg').send(photo);
  }
}
