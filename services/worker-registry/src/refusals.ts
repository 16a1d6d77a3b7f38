import type { z } from 'zod';
import { zodProblems } from '@realname/contracts';
import { isRejection, Rejection } from '@realname/eventstore';
import { Problem } from '@realname/platform';
import { OUT_OF_SCOPE } from './access/out-of-scope';

/** Input a handler found wrong before deciding anything: one message per field. */
export class InputProblem extends Error {
  constructor(readonly errors: { field: string; message: string }[]) {
    super(errors.map((e) => `${e.field}: ${e.message}`).join('; '));
    this.name = 'InputProblem';
  }
}

/** Parses a request body, or answers 400 naming each field that is wrong. */
export function parseBody<T extends z.ZodTypeAny>(schema: T, body: unknown, what: string): z.infer<T> {
  const r = schema.safeParse(body);
  if (!r.success) throw Problem.badRequest(`The ${what} is not valid`, zodProblems(r.error));
  return r.data;
}

/** Runs a handler, turning its field problems into a 400 problem. */
export async function withInput<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof InputProblem) throw Problem.badRequest(`The ${what} is not valid`, err.errors);
    throw err;
  }
}

const NOT_FOUND = ['not-enrolled', 'unknown-worker', 'unknown-team', 'unknown-project'];

/** A write to something outside the caller's scope: 403, naming the record and the scope. */
export function forbiddenOutOfScope(detail: string): never {
  throw new Problem('forbidden', 'Forbidden', 403, detail, [{ field: OUT_OF_SCOPE, message: detail }]);
}

/**
 * A refusal by a decider, as problem details naming each reason: 404 for unknown things, 403 for
 * records outside the caller's scope, else 409.
 */
export function refused(r: Rejection): never {
  if (NOT_FOUND.includes(r.code)) throw Problem.notFound(r.reasons.join('; '));
  if (r.code === OUT_OF_SCOPE) forbiddenOutOfScope(r.reasons.join('; '));
  throw new Problem(
    r.code,
    'Refused',
    409,
    r.reasons.join('; '),
    r.reasons.map((message) => ({ field: r.code, message })),
  );
}

/** The events a command recorded, by their short names, or its refusal. */
export function recorded(r: { type: string }[] | Rejection) {
  if (isRejection(r)) refused(r);
  return { recorded: r.map((e) => e.type.split('.').pop()) };
}

/** Parses path or query parameters as the document states them, or answers 400 naming each one. */
export function parseParams<T extends z.ZodTypeAny>(schema: T, values: unknown): z.infer<T> {
  const r = schema.safeParse(values);
  if (!r.success) throw Problem.badRequest('A parameter is not valid', zodProblems(r.error));
  return r.data;
}
