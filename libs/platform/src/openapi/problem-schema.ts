import { z } from 'zod';

/** RFC 9457 problem details as every service answers an error (see `toProblem`). */
export const ProblemDetailsSchema = z
  .object({
    type: z.string().describe('A stable URN naming the kind of problem: urn:realname:problem:<slug>'),
    title: z.string(),
    status: z.number().int().min(400).max(599),
    detail: z.string().describe('What was wrong and what to do, for a person to read'),
    instance: z.string().optional(),
    correlationId: z.string().optional(),
    errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  })
  .describe('RFC 9457 problem details');

/** The status codes an operation may answer with problem details, and what each one means. */
export const PROBLEM_STATUSES = {
  400: {
    slug: 'invalid-request',
    title: 'The request is not valid',
    description: 'A parameter is not valid; `errors` names each one and why',
  },
  401: {
    slug: 'unauthenticated',
    title: 'Not authenticated',
    description:
      'No access token, or one that is expired, not signed by the trusted issuer or not for this API',
  },
  403: {
    slug: 'forbidden',
    title: 'Forbidden',
    description: "The token's roles may not call this operation, or its scope cannot be answered here",
  },
  404: {
    slug: 'not-found',
    title: 'Not found',
    description: 'Nothing of that identifier within your scope (one outside the scope reads the same)',
  },
  409: { slug: 'conflict', title: 'Conflict', description: 'The request conflicts with the current state' },
  413: {
    slug: 'payload-too-large',
    title: 'The request body is too large',
    description: "The request body is larger than this route's limit",
  },
  429: {
    slug: 'rate-limited',
    title: 'Too many requests',
    description: 'More requests than the per-client limit allows; wait `Retry-After` seconds',
  },
  503: {
    slug: 'service-unavailable',
    title: 'Briefly unavailable',
    description:
      'A dependency (database, message broker, the token issuer) is briefly away; nothing was kept: retry after `Retry-After` seconds',
  },
} as const;

export type ProblemStatus = keyof typeof PROBLEM_STATUSES;
