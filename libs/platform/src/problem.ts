import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus } from '@nestjs/common';
import type { Request, Response } from 'express';
import { classifyFailure } from './failures';
import { currentCorrelationId } from './logger';

export interface FieldError {
  field: string;
  message: string;
}

/** RFC 9457 problem details: a stable `type`, a plain-language `detail`, and the fields at fault. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  correlationId?: string;
  errors?: FieldError[];
}

export const PROBLEM_BASE = 'urn:realname:problem:';

/** Seconds a client is asked to wait when a dependency is briefly away (503). */
export const RETRY_AFTER_S = 5;

/** Throw this from a controller; the filter renders it as application/problem+json. */
export class Problem extends HttpException {
  /** Seconds the client is asked to wait (`Retry-After`), when the problem is temporary (429, 503). */
  retryAfterS?: number;

  constructor(
    readonly slug: string,
    readonly title: string,
    status: number,
    readonly detail: string,
    readonly errors?: FieldError[],
  ) {
    super({ slug, title, detail, errors }, status);
  }

  static badRequest(detail: string, errors?: FieldError[]): Problem {
    return new Problem('invalid-request', 'The request is not valid', HttpStatus.BAD_REQUEST, detail, errors);
  }
  static notFound(detail: string): Problem {
    return new Problem('not-found', 'Not found', HttpStatus.NOT_FOUND, detail);
  }
  static unauthorized(slug: string, detail: string): Problem {
    return new Problem(slug, 'Not authenticated', HttpStatus.UNAUTHORIZED, detail);
  }
  static conflict(slug: string, detail: string): Problem {
    return new Problem(slug, 'Conflict', HttpStatus.CONFLICT, detail);
  }
}

@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  constructor(private readonly onUnexpected?: (err: unknown) => void) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw exception;
    const ctx = host.switchToHttp();
    const req = ctx.getRequest<Request>();
    const res = ctx.getResponse<Response>();
    const body = toProblem(exception, req.originalUrl ?? req.url);
    if (body.status >= 500) this.onUnexpected?.(exception);
    const retryAfter = exception instanceof Problem ? exception.retryAfterS : undefined;
    if (retryAfter !== undefined) res.setHeader('Retry-After', String(retryAfter));
    else if (body.status === 503) res.setHeader('Retry-After', String(RETRY_AFTER_S));
    res.status(body.status).type('application/problem+json').send(JSON.stringify(body));
  }
}

export function toProblem(exception: unknown, instance?: string): ProblemDetails {
  const correlationId = currentCorrelationId();
  if (exception instanceof Problem) {
    return {
      type: PROBLEM_BASE + exception.slug,
      title: exception.title,
      status: exception.getStatus(),
      detail: exception.detail,
      instance,
      correlationId,
      ...(exception.errors ? { errors: exception.errors } : {}),
    };
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const response = exception.getResponse();
    const message =
      typeof response === 'string'
        ? response
        : String((response as { message?: unknown }).message ?? exception.message);
    const slug =
      status === 404
        ? 'not-found'
        : status === 413
          ? 'payload-too-large'
          : status < 500
            ? 'invalid-request'
            : 'internal';
    return {
      type: PROBLEM_BASE + slug,
      title: exception.message,
      status,
      detail: message,
      instance,
      correlationId,
    };
  }
  if (classifyFailure(exception) === 'transient') {
    return {
      type: PROBLEM_BASE + 'service-unavailable',
      title: 'Briefly unavailable',
      status: 503,
      detail: `A service this one depends on (database or message broker) is briefly unavailable; nothing of this request was kept. Send it again after ${RETRY_AFTER_S} seconds.`,
      instance,
      correlationId,
    };
  }
  return {
    type: PROBLEM_BASE + 'internal',
    title: 'Internal error',
    status: 500,
    detail:
      'The service failed to handle the request; it has been logged. Retry later, and report the correlation id if it persists.',
    instance,
    correlationId,
  };
}
