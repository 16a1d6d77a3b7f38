import type { ZodError } from 'zod';

/** One problem with one field, phrased for the person who has to fix it. */
export interface FieldProblem {
  field: string;
  message: string;
}

export function zodProblems(error: ZodError, prefix = ''): FieldProblem[] {
  return error.issues.map((issue) => ({
    field: [prefix, ...issue.path.map(String)].filter((p) => p !== '').join('.') || '(root)',
    message: issue.message,
  }));
}

/** An event or message that does not match its contract. */
export class ContractViolation extends Error {
  constructor(
    readonly eventType: string,
    readonly problems: FieldProblem[],
  ) {
    super(
      `${eventType} does not match its contract: ${problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`,
    );
    this.name = 'ContractViolation';
  }
}
