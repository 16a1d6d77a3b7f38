import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import type { HeadersObject, LinksObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import type { ZodTypeAny } from 'zod';
import { PROBLEM_STATUSES, ProblemDetailsSchema, ProblemStatus } from './problem-schema';
import { openApiSchemaOf } from './zod-json-schema';
import { PROBLEM_BASE } from '../problem';

/**
 * A successful answer: its zod schema, or the schema with an example, a description, and links to the
 * operations its values feed (OpenAPI links: the next page from `nextPageToken`), which stateful
 * testing follows.
 */
export type SuccessAnswer =
  ZodTypeAny | { schema: ZodTypeAny; example?: unknown; description?: string; links?: LinksObject };

/**
 * Every status an operation can answer. 2xx: the body's zod schema. Errors: `true` for the standard
 * problem details of that status (see {@link PROBLEM_STATUSES}), or a description of when it happens.
 */
export type ApiAnswerMap = { [S in 200 | 201 | 202]?: SuccessAnswer } & {
  [S in ProblemStatus]?: true | string;
} & { 204?: string };

const PROBLEM_JSON = 'application/problem+json';

/** Headers some error answers always carry. */
const PROBLEM_HEADERS: Partial<Record<ProblemStatus, HeadersObject>> = {
  401: {
    'WWW-Authenticate': {
      description: 'The Bearer challenge (RFC 6750), naming the error when a token was sent',
      schema: { type: 'string' },
    },
  },
  429: { 'Retry-After': { description: 'Seconds to wait', schema: { type: 'string' } } },
  503: { 'Retry-After': { description: 'Seconds to wait', schema: { type: 'string' } } },
};

function isZod(answer: SuccessAnswer): answer is ZodTypeAny {
  return typeof (answer as ZodTypeAny).safeParse === 'function';
}

/**
 * Declares every answer of a route for the OpenAPI document: success bodies from the same zod schemas
 * the code produces, errors as RFC 9457 problem details (`application/problem+json`) with an example.
 *
 *   `@ApiAnswers({ 200: { schema: PunchPageSchema, example }, 400: true, 401: true, 403: true, 404: true, 429: true, 503: true })`
 */
export function ApiAnswers(answers: ApiAnswerMap): MethodDecorator & ClassDecorator {
  const decorators: (MethodDecorator & ClassDecorator)[] = [];
  for (const [key, answer] of Object.entries(answers) as [string, SuccessAnswer | true | string][]) {
    const status = Number(key);
    if (status === 204) {
      decorators.push(ApiResponse({ status, description: String(answer) }));
    } else if (status < 300) {
      const success = answer as SuccessAnswer;
      const { schema, example, description, links } = isZod(success) ? { schema: success } : success;
      decorators.push(
        ApiResponse({
          status,
          description: description ?? schema.description ?? 'OK',
          ...(links ? { links } : {}),
          content: {
            'application/json': {
              schema: openApiSchemaOf(schema),
              ...(example === undefined ? {} : { example }),
            },
          },
        }),
      );
    } else {
      const known = PROBLEM_STATUSES[status as ProblemStatus];
      if (!known) throw new Error(`ApiAnswers: no problem details are defined for status ${status}`);
      decorators.push(
        ApiResponse({
          status,
          description: typeof answer === 'string' ? answer : known.description,
          headers: PROBLEM_HEADERS[status as ProblemStatus],
          content: {
            [PROBLEM_JSON]: {
              schema: openApiSchemaOf(ProblemDetailsSchema),
              example: {
                type: PROBLEM_BASE + known.slug,
                title: known.title,
                status,
                detail: typeof answer === 'string' ? answer : known.description,
                correlationId: '0193a8c4-8f6e-7cc1-a1b2-3c4d5e6f7a8b',
              },
            },
          },
        }),
      );
    }
  }
  return applyDecorators(...decorators);
}

/** The answers of a read behind the resource-server guard, besides its own: auth, rate limit, issuer away. */
export const GUARDED_READ_ANSWERS = { 401: true, 403: true, 429: true, 503: true } as const;
/** The answers of a write behind the resource-server guard, besides its own: a bad body (400), too large (413). */
export const GUARDED_WRITE_ANSWERS = { ...GUARDED_READ_ANSWERS, 400: true, 413: true } as const;
