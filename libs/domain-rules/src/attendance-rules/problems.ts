import { z } from 'zod';

export interface RuleProblem {
  path: string;
  message: string;
}

/** A calendar or attendance profile document that failed validation, with every problem by path. */
export class AttendanceRulesError extends Error {
  constructor(
    readonly what: string,
    readonly problems: RuleProblem[],
  ) {
    super(
      `${what} invalid: ${problems.length} problem(s)\n` +
        problems.map((p) => `  - ${p.path}: ${p.message}`).join('\n'),
    );
    this.name = 'AttendanceRulesError';
  }
}

export function zodProblems(error: z.ZodError, prefix: (string | number)[] = []): RuleProblem[] {
  return error.issues.map((i) => ({
    path: [...prefix, ...i.path].join('.') || '(root)',
    message: i.message,
  }));
}
