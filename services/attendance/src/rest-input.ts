import type { z } from 'zod';
import { zodProblems } from '@realname/contracts';
import { Problem } from '@realname/platform';

/** Parses path, query or body input as documented, or answers 400 naming each field at fault. */
export function parseInput<T extends z.ZodTypeAny>(schema: T, values: unknown, what = 'request'): z.infer<T> {
  const r = schema.safeParse(values);
  if (!r.success) throw Problem.badRequest(`The ${what} is not valid`, zodProblems(r.error));
  return r.data;
}
