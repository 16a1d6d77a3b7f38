import { ArgumentsHost, Catch, ExceptionFilter } from '@nestjs/common';
import type { Request, Response } from 'express';
import { OPEN_V1_ERRORS, openV1Code, OpenV1ErrorSlug } from '@realname/contracts';
import { Problem, toProblem } from '@realname/platform';

/**
 * Problem details of the open protocol: the platform's RFC 9457 body plus the versioned `code`
 * (`open-v1/bad-signature`) a device can switch on. Other exceptions go on to the global filter.
 */
@Catch(Problem)
export class OpenV1ProblemFilter implements ExceptionFilter {
  catch(exception: Problem, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const req = ctx.getRequest<Request>();
    const res = ctx.getResponse<Response>();
    const body = toProblem(exception, req.originalUrl ?? req.url);
    if (exception.retryAfterS !== undefined) res.setHeader('Retry-After', String(exception.retryAfterS));
    const code = exception.slug in OPEN_V1_ERRORS ? openV1Code(exception.slug as OpenV1ErrorSlug) : undefined;
    res
      .status(body.status)
      .type('application/problem+json')
      .send(JSON.stringify(code ? { ...body, code } : body));
  }
}
