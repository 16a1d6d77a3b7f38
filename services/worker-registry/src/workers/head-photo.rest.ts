import { Controller, Get, Headers, Inject, Param, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { timingSafeEqual } from 'node:crypto';
import { Problem, SERVICE_CONFIG } from '@realname/platform';
import type { RegistryConfig } from '../config';
import { WorkersRepository } from './workers.repository';

/**
 * A worker's head photo, for services that put faces on the gates (the device gateway). Biometric data:
 * only callers holding a photo token (REGISTRY_PHOTO_TOKENS) get it, and it is never cached.
 */
@ApiTags('workers and enrolments')
@ApiBearerAuth()
@Controller('api/v1/workers/:workerId/head-photo')
export class HeadPhotoRest {
  constructor(
    private readonly workers: WorkersRepository,
    @Inject(SERVICE_CONFIG) private readonly config: RegistryConfig,
  ) {}

  @Get()
  @ApiOperation({ summary: "A worker's head photo (JPEG/PNG), for the device gateway; needs a photo token" })
  async get(
    @Param('workerId') workerId: string,
    @Headers('authorization') authorization: string | undefined,
    @Res() res: Response,
  ) {
    const given = Buffer.from((authorization ?? '').replace(/^Bearer\s+/i, ''));
    const allowed = this.config.REGISTRY_PHOTO_TOKENS.some((t) => {
      const b = Buffer.from(t);
      return b.length === given.length && timingSafeEqual(b, given);
    });
    if (!allowed)
      throw Problem.unauthorized(
        'photo-token-required',
        'Send a photo token as "Authorization: Bearer <token>"',
      );
    const photo = await this.workers.headPhoto(workerId);
    if (!photo) throw Problem.notFound(`No head photo for worker "${workerId.slice(0, 64)}"`);
    const png = photo[0] === 0x89;
    res.setHeader('Cache-Control', 'no-store');
    res.type(png ? 'image/png' : 'image/jpeg').send(photo);
  }
}
