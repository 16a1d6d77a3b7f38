import type { CallerScope } from '@realname/platform';
import { scopeText } from './scope-sql';

export const OUT_OF_SCOPE = 'out-of-scope';

/** A write to a record outside the caller's scope: REST 403, gRPC PERMISSION_DENIED; nothing was done. */
export function outOfScope(what: string, scope: CallerScope) {
  return {
    rejected: true as const,
    code: OUT_OF_SCOPE,
    reasons: [`${what} is outside your scope (${scopeText(scope)}); nothing was changed`],
  };
}

/** The same refusal, thrown (from code that answers gRPC). */
export class OutOfScope extends Error {
  constructor(what: string, scope: CallerScope) {
    super(outOfScope(what, scope).reasons[0]);
    this.name = 'OutOfScope';
  }
}
