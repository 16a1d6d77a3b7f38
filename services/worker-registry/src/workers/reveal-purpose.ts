/**
 * The purpose recorded with an identity reveal. Who may reveal is the token's business (the
 * `reveal-identity` permission, checked by the guard); why is the caller's, and it is required.
 */
export const MAX_PURPOSE_LENGTH = 200;

export interface PurposeRefusal {
  refused: 'invalid-argument';
  field: 'purpose';
  message: string;
}

/** The purpose recorded with a reveal: required, 1-200 characters, one line. */
export function checkPurpose(purpose: unknown): { purpose: string } | PurposeRefusal {
  const refuse = (message: string): PurposeRefusal => ({
    refused: 'invalid-argument',
    field: 'purpose',
    message,
  });
  if (purpose === undefined || purpose === null || (typeof purpose === 'string' && purpose.trim() === ''))
    return refuse('purpose is required: say why the numbers are needed, e.g. "national-platform-upload"');
  if (typeof purpose !== 'string') return refuse('purpose must be text');
  const p = purpose.trim();
  if (p.length > MAX_PURPOSE_LENGTH)
    return refuse(`purpose must be at most ${MAX_PURPOSE_LENGTH} characters`);
  if (/[\u0000-\u001f\u007f]/.test(p)) return refuse('purpose must be one line of text');
  return { purpose: p };
}
