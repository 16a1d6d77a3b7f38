import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Who may see a worker's unmasked ID and phone numbers: callers named in `REGISTRY_REVEAL_TOKENS`
 * (`caller:token,caller:token`), each authenticating with its token as `Bearer <token>`. Nothing else
 * in the registry ever returns the numbers unmasked.
 */
export interface RevealToken {
  /** Recorded in the audit trail, e.g. `national-uploader`. */
  caller: string;
  token: string;
}

/** Callers are short names that go into the audit trail and logs. */
const CALLER = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const MIN_TOKEN_LENGTH = 16;
export const MAX_PURPOSE_LENGTH = 200;

/**
 * Parses `caller:token,caller:token`. Empty = nobody may reveal. One caller may have several tokens
 * (to rotate one without downtime); one token may not belong to two callers. Problems never quote a
 * token, so they can be printed when the service refuses to start.
 */
export function parseRevealTokens(
  text: string,
): { ok: true; tokens: RevealToken[] } | { ok: false; problems: string[] } {
  const problems: string[] = [];
  const tokens: RevealToken[] = [];
  const entries = text.trim() === '' ? [] : text.split(',');
  entries.forEach((raw, i) => {
    const entry = raw.trim();
    const where = `entry ${i + 1}`;
    const colon = entry.indexOf(':');
    if (colon < 0) {
      problems.push(`${where} must be caller:token`);
      return;
    }
    const caller = entry.slice(0, colon).trim();
    const token = entry.slice(colon + 1).trim();
    if (!CALLER.test(caller)) {
      problems.push(
        `${where}: the caller must be 1-64 letters, digits, dots, underscores or hyphens, starting with a letter or digit`,
      );
      return;
    }
    if (token.length < MIN_TOKEN_LENGTH || /\s/.test(token)) {
      problems.push(
        `${where} (caller "${caller}"): the token must be at least ${MIN_TOKEN_LENGTH} characters without spaces`,
      );
      return;
    }
    const other = tokens.find((t) => t.token === token);
    if (other) {
      problems.push(`${where} (caller "${caller}"): the same token is given to caller "${other.caller}"`);
      return;
    }
    tokens.push({ caller, token });
  });
  return problems.length ? { ok: false, problems } : { ok: true, tokens };
}

export type AccessRefusal = {
  refused: 'unauthenticated' | 'permission-denied' | 'invalid-argument';
  message: string;
  field?: string;
};

export function isRefusal<T extends object>(r: T | AccessRefusal): r is AccessRefusal {
  return 'refused' in r;
}

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/** Decides whether a request may reveal, from its `authorization` header (REST) or metadata (gRPC). */
export class RevealAccess {
  private readonly known: { caller: string; digest: Buffer }[];

  constructor(tokens: readonly RevealToken[]) {
    this.known = tokens.map((t) => ({ caller: t.caller, digest: digest(t.token) }));
  }

  /** The caller the bearer token belongs to, or why the request is refused. */
  authorize(authorization: string | undefined): { caller: string } | AccessRefusal {
    const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization?.trim() ?? '');
    if (!match) {
      return {
        refused: 'unauthenticated',
        message: 'revealing identity numbers needs a caller token: send "authorization: Bearer <token>"',
      };
    }
    if (this.known.length === 0) {
      return {
        refused: 'permission-denied',
        message: 'no caller may reveal identity numbers on this registry (no reveal tokens are configured)',
      };
    }
    // Compare with every configured token, in constant time, whatever matches first.
    const given = digest(match[1]);
    let caller: string | undefined;
    for (const k of this.known)
      if (timingSafeEqual(given, k.digest) && caller === undefined) caller = k.caller;
    if (caller === undefined) {
      return {
        refused: 'permission-denied',
        message: 'this token may not reveal identity numbers; ask for a reveal token for your caller',
      };
    }
    return { caller };
  }
}

/** The purpose recorded with a reveal: required, 1-200 characters, one line. */
export function checkPurpose(purpose: unknown): { purpose: string } | AccessRefusal {
  const refuse = (message: string): AccessRefusal => ({
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
