/**
 * JSON text (or UTF-8 bytes) to a value, for replies and bodies read defensively: `undefined` when the
 * text is blank or not JSON, never a throw. Bodies that must say what is wrong use a parser with problems.
 */
export function tryJson(body: Buffer | string): unknown {
  const text = typeof body === 'string' ? body : body.toString('utf8');
  if (!text.trim()) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** The value when it is a JSON object (not an array, not null). */
export function jsonObject(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}
