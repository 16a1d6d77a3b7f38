import { Controller, Get, Param, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Problem } from '@realname/platform';
import { AdminAuthGuard } from '../devices/admin-auth.guard';
import { photoDigest, PhotoStore } from './photo-store';

/** Punch and face photos, by content address, for authorised callers only (they are personal data). */
@ApiTags('devices')
@ApiBearerAuth()
@UseGuards(AdminAuthGuard)
@Controller('api/v1/photos')
export class PhotosController {
  constructor(private readonly photos: PhotoStore) {}

  @Get(':sha256')
  @ApiOperation({ summary: 'A photo by its SHA-256 (the hex part of a punch\'s photoRef "sha256:<hex>")' })
  async get(@Param('sha256') sha256: string, @Res() res: Response) {
    if (!photoDigest(sha256))
      throw Problem.badRequest('Not a photo reference', [
        { field: 'sha256', message: 'must be 64 lower-case hex digits (the part after "sha256:")' },
      ]);
    const photo = await this.photos.get(sha256);
    if (!photo)
      throw Problem.notFound(`No photo ${sha256} (never stored, or deleted after the retention period)`);
    res.setHeader('Cache-Control', 'private, no-store');
    res.type(photo.contentType).send(photo.bytes);
  }
}
