/** The little HTTP the agent needs: one request, a whole reply, a deadline, typed failures. */

export interface HttpReply {
  status: number;
  /** Lower-case names; repeated headers joined with ", " (as fetch does). */
  headers: Record<string, string>;
  body: Buffer;
}

export interface HttpRequestOptions {
  headers?: Record<string, string>;
  body?: Buffer | string;
  timeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * No reply at all: connection refused or reset, DNS failure, or no complete reply within the deadline.
 * Nothing is known about whether the other side acted on the request.
 */
export class TransportError extends Error {
  constructor(
    message: string,
    readonly url: string,
    readonly timedOut: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'TransportError';
  }
}

/**
 * One request. A kept-alive connection the other side closed meanwhile (a device restarted, an idle
 * timeout) fails before anything was sent on it: that case is retried on a fresh connection.
 */
export async function httpRequest(
  method: string,
  url: string,
  o: HttpRequestOptions = {},
): Promise<HttpReply> {
  // Several pooled connections may have gone stale at once: a few fresh attempts, not a loop.
  for (let attempt = 1; ; attempt++) {
    try {
      return await requestOnce(method, url, o);
    } catch (err) {
      if (attempt >= 3 || !(err instanceof TransportError) || err.timedOut || !isStaleConnection(err.cause))
        throw err;
    }
  }
}

/** Duck-typed: errors from fetch come from another realm under test runners (instanceof fails). */
function causeOf(err: unknown): unknown {
  return typeof err === 'object' && err !== null ? (err as { cause?: unknown }).cause : undefined;
}

function codeOf(err: unknown): string | undefined {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : undefined;
}

function isStaleConnection(err: unknown): boolean {
  const code = codeOf(causeOf(err));
  return code === 'UND_ERR_SOCKET' || code === 'ECONNRESET' || code === 'EPIPE';
}

async function requestOnce(method: string, url: string, o: HttpRequestOptions): Promise<HttpReply> {
  const timeoutMs = o.timeoutMs ?? 15_000;
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = o.signal ? AbortSignal.any([o.signal, timeout]) : timeout;
  try {
    const res = await fetch(url, {
      method,
      headers: o.headers,
      body: o.body === undefined ? undefined : typeof o.body === 'string' ? o.body : new Uint8Array(o.body),
      signal,
      redirect: 'manual',
    });
    const body = Buffer.from(await res.arrayBuffer());
    const headers: Record<string, string> = {};
    res.headers.forEach((v, k) => (headers[k] = v));
    return { status: res.status, headers, body };
  } catch (err) {
    if (o.signal?.aborted) throw o.signal.reason ?? err;
    if (timeout.aborted)
      throw new TransportError(`no complete reply within ${timeoutMs} ms from ${redact(url)}`, url, true, {
        cause: err,
      });
    throw new TransportError(`${method} ${redact(url)} failed: ${describe(err)}`, url, false, { cause: err });
  }
}

/** The URL without its query string (which may carry a token) and credentials. */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    u.search = u.search ? '?…' : '';
    return u.toString();
  } catch {
    return url.split('?')[0];
  }
}

export function describe(err: unknown): string {
  if (typeof err === 'object' && err !== null && typeof (err as { message?: unknown }).message === 'string') {
    const cause = causeOf(err);
    const detail = codeOf(cause) ?? (cause ? (cause as { message?: unknown }).message : undefined);
    const message = (err as { message: string }).message;
    return typeof detail === 'string' && detail ? `${message} (${detail})` : message;
  }
  return String(err);
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason ?? new Error('aborted'));
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason ?? new Error('aborted'));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export function trimBase(url: string): string {
  return url.replace(/\/+$/, '');
}
