import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { timingSafeEqual } from 'node:crypto';
import { Problem, SERVICE_CONFIG } from '@realname/platform';
import type { GatewayConfig } from '../config';

/** The device admin API takes a bearer token from configuration until municipal OAuth2 arrives. */
@Injectable()
export class AdminAuthGuard implements CanActivate {
  constructor(@Inject(SERVICE_CONFIG) private readonly config: GatewayConfig) {}

  canActivate(context: ExecutionContext): boolean {
    const header = context.switchToHttp().getRequest<Request>().header('authorization') ?? '';
    const given = Buffer.from(header.replace(/^Bearer\s+/i, ''));
    const expected = Buffer.from(this.config.GATEWAY_ADMIN_TOKEN);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw Problem.unauthorized(
        'admin-token-required',
        'Send the admin token as "Authorization: Bearer <token>"',
      );
    }
    return true;
  }
}
