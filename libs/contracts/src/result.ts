import type { FieldProblem } from './errors';

/**
 * What a parser or a check returns instead of throwing: the value, or what is wrong. `F` holds the
 * failure's fields; by default every bad field named (`problems`), so nothing is half-taken.
 */
export type Result<T, F extends object = { problems: FieldProblem[] }> =
  { ok: true; value: T } | ({ ok: false } & F);
