import { Controller, Get, Param, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { GatewayApi } from '@realname/contracts';
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
import { PHOTO_READERS } from '../devices/device-roles';
import { photoDigest, PhotoStore } from './photo-store';

/**
 * Punch snapshots by content address: personal data, so for supervisors only, and only photos a device
 * of their scope took (anything else is not found).
 */
@ApiTags('devices')
@ApiBearerAuth()
@UseGuards(ResourceServerGuard)
@Controller('api/v1/photos')
export class PhotosController {
  constructor(private readonly photos: PhotoStore) {}

  @Get(':sha256')
  @ApiOperation({ summary: 'A photo by its SHA-256 (the hex part of a punch\'s photoRef "sha256:<hex>")' })
  @ApiParamsFrom(GatewayApi.PhotoPathParams, {
    sha256: GatewayApi.PHOTO_EXAMPLE_SHA256,
  })
  @ApiResponse({
    status: 200,
    description: 'The photo as the device sent it (its type by its first bytes)',
    content: Object.fromEntries(
      ['image/jpeg', 'image/png', 'image/*', 'application/octet-stream'].map((t) => [
        t,
        { schema: { type: 'string', format: 'binary' } },
      ]),
    ),
  })
  @ApiAnswers({ 400: true, 404: true, ...GUARDED_READ_ANSWERS })
  @RequireRoles(...PHOTO_READERS)
  async get(@Param('sha256') sha256: string, @Res() res: Response, @CurrentCaller() caller: Caller) {
    if (!photoDigest(sha256))
      throw Problem.badRequest('Not a photo reference', [
        { field: 'sha256', message: 'must be 64 lower-case hex digits (the part after "sha256:")' },
      ]);
    const photo = await this.photos.getInScope(sha256, caller.scope);
    if (!photo)
      throw Problem.notFound(`No photo ${sha256} (never stored, or deleted after the retention period)`);
    res.setHeader('Cache-Control', 'private, no-store');
    res.type(photo.contentType).send(photo.bytes);
  }
}
