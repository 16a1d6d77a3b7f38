import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { classifyFailure, ProblemDetailsFilter, RateLimited, RETRY_AFTER_S } from '@realname/platform';
import { sendJson } from './device-request';

/**
 * A device route that fails for any reason other than a refusal it answered itself (the database away,
 * a bug) answers in its family's own "busy, send it again" form with 503, never the platform's generic
 * problem JSON, which a device does not understand: the device keeps the record and resends it.
 * A device over its request rate ({@link RateLimited}) gets the same reply with 429 and its own
 * `Retry-After`. HttpExceptions (deliberate refusals) are rendered as problem details as before.
 */
@Catch()
export class DeviceBusyFilter implements ExceptionFilter {
  private readonly problems = new ProblemDetailsFilter();
  private readonly logger = new Logger('device-gateway');

  constructor(
    private readonly family: string,
    private readonly busyReply: (req: Request) => unknown,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw exception;
    const ctx = host.switchToHttp();
    const req = ctx.getRequest<Request>();
    const res = ctx.getResponse<Response>();
    if (res.headersSent) return;
    if (exception instanceof RateLimited) {
      res.setHeader('Retry-After', String(exception.retryAfterS));
      return sendJson(res, HttpStatus.TOO_MANY_REQUESTS, this.busyReply(req));
    }
    if (exception instanceof HttpException) return this.problems.catch(exception, host);
    const kind = classifyFailure(exception);
    this.logger.error(
      `${this.family}: request not taken (${kind === 'transient' ? 'a dependency is unavailable' : 'unexpected failure'}); the device will resend: ${exception instanceof Error ? exception.message : String(exception)}`,
    );
    res.setHeader('Retry-After', String(RETRY_AFTER_S));
    sendJson(res, HttpStatus.SERVICE_UNAVAILABLE, this.busyReply(req));
  }
}
