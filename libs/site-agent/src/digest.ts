/**
 * HTTP Digest access authentication, client side (RFC 7616; RFC 2617 and RFC 2069 servers too), as
 * Hikvision ISAPI devices require it: `WWW-Authenticate: Digest qop="auth", realm="...", nonce="..."`.
 * MD5 with qop=auth is what the devices use; MD5-sess and SHA-256 are accepted when offered.
 *
 * A `DigestSession` remembers the last challenge of a device and authenticates later requests up front
 * with an increasing nonce count, so a steady exchange costs one round trip per request; a 401 (new or
 * stale nonce) is answered once with the fresh challenge.
 */
import { createHash, randomBytes } from 'node:crypto';
import { httpRequest, HttpReply, HttpRequestOptions } from './http';

export type DigestAlgorithm = 'MD5' | 'MD5-sess' | 'SHA-256' | 'SHA-256-sess';

export interface DigestChallenge {
  realm: string;
  nonce: string;
  opaque?: string;
  algorithm: DigestAlgorithm;
  /** The qop chosen from the server's list: `auth`, or undefined for RFC 2069 servers. */
  qop?: 'auth';
  stale: boolean;
}

/**
 * Reads the Digest challenge from a WWW-Authenticate value (which may list other schemes too, e.g.
 * `Basic realm="x", Digest realm="y", ...`). Undefined when there is no usable Digest challenge
 * (no nonce, unsupported algorithm, or only `auth-int` offered).
 */
export function parseDigestChallenge(header: string | undefined): DigestChallenge | undefined {
  if (!header) return undefined;
  const m = /(?:^|[\s,])Digest\s+/i.exec(header);
  if (!m) return undefined;
  const params = parseAuthParams(header.slice(m.index + m[0].length));
  const nonce = params.get('nonce');
  if (!nonce) return undefined;
  const alg = (params.get('algorithm') ?? 'MD5').toUpperCase();
  const algorithm: DigestAlgorithm | undefined =
    alg === 'MD5'
      ? 'MD5'
      : alg === 'MD5-SESS'
        ? 'MD5-sess'
        : alg === 'SHA-256'
          ? 'SHA-256'
          : alg === 'SHA-256-SESS'
            ? 'SHA-256-sess'
            : undefined;
  if (!algorithm) return undefined;
  const qopList = params.get('qop');
  let qop: 'auth' | undefined;
  if (qopList !== undefined) {
    const offered = qopList.split(',').map((q) => q.trim().toLowerCase());
    if (!offered.includes('auth')) return undefined; // auth-int only: bodies would have to be hashed
    qop = 'auth';
  }
  const c: DigestChallenge = {
    realm: params.get('realm') ?? '',
    nonce,
    algorithm,
    stale: (params.get('stale') ?? '').toLowerCase() === 'true',
  };
  const opaque = params.get('opaque');
  if (opaque !== undefined) c.opaque = opaque;
  if (qop) c.qop = qop;
  return c;
}

/**
 * `name=value, name="quoted, value"` pairs. Stops at the next scheme (a token followed by a space and no
 * `=`), so a header listing several challenges yields only the first one's parameters.
 */
export function parseAuthParams(s: string): Map<string, string> {
  const out = new Map<string, string>();
  let i = 0;
  const n = s.length;
  while (i < n) {
    while (i < n && (s[i] === ' ' || s[i] === '\t' || s[i] === ',')) i++;
    const start = i;
    while (i < n && /[A-Za-z0-9!#$%&'*+.^_`|~-]/.test(s[i])) i++;
    const name = s.slice(start, i).toLowerCase();
    if (!name) break;
    while (i < n && (s[i] === ' ' || s[i] === '\t')) i++;
    if (s[i] !== '=') break; // the next scheme begins
    i++;
    while (i < n && (s[i] === ' ' || s[i] === '\t')) i++;
    let value = '';
    if (s[i] === '"') {
      i++;
      while (i < n && s[i] !== '"') {
        if (s[i] === '\\' && i + 1 < n) i++;
        value += s[i];
        i++;
      }
      i++;
    } else {
      const vs = i;
      while (i < n && s[i] !== ',' && s[i] !== ' ' && s[i] !== '\t') i++;
      value = s.slice(vs, i);
    }
    if (!out.has(name)) out.set(name, value);
  }
  return out;
}

function hash(algorithm: DigestAlgorithm, data: string): string {
  return createHash(algorithm.startsWith('SHA-256') ? 'sha256' : 'md5')
    .update(data, 'utf8')
    .digest('hex');
}

export interface DigestCredentials {
  username: string;
  password: string;
}

/**
 * The Authorization header value for one request. `uri` is the request target exactly as sent (path and
 * query). `nc` is the nonce count (1 for the first use of a nonce); `cnonce` is generated when omitted.
 */
export function digestAuthorization(
  c: DigestChallenge,
  creds: DigestCredentials,
  method: string,
  uri: string,
  nc: number,
  cnonce: string = randomBytes(12).toString('hex'),
): string {
  const alg = c.algorithm;
  let ha1 = hash(alg, `${creds.username}:${c.realm}:${creds.password}`);
  if (alg.endsWith('-sess')) ha1 = hash(alg, `${ha1}:${c.nonce}:${cnonce}`);
  const ha2 = hash(alg, `${method.toUpperCase()}:${uri}`);
  const ncHex = nc.toString(16).padStart(8, '0');
  const response = c.qop
    ? hash(alg, `${ha1}:${c.nonce}:${ncHex}:${cnonce}:${c.qop}:${ha2}`)
    : hash(alg, `${ha1}:${c.nonce}:${ha2}`);
  const parts = [
    `username="${quote(creds.username)}"`,
    `realm="${quote(c.realm)}"`,
    `nonce="${quote(c.nonce)}"`,
    `uri="${quote(uri)}"`,
    `algorithm=${alg}`,
    `response="${response}"`,
  ];
  if (c.opaque !== undefined) parts.push(`opaque="${quote(c.opaque)}"`);
  if (c.qop) parts.push(`qop=${c.qop}`, `nc=${ncHex}`, `cnonce="${cnonce}"`);
  return 'Digest ' + parts.join(', ');
}

function quote(s: string): string {
  return s.replace(/["\\]/g, (ch) => '\\' + ch);
}

/** The device refused our credentials (a 401 after answering its challenge, or no Digest challenge). */
export class DigestAuthError extends Error {
  constructor(
    message: string,
    readonly reply: HttpReply,
  ) {
    super(message);
    this.name = 'DigestAuthError';
  }
}

/** Requests to one device with Digest authentication, reusing its nonce. */
export class DigestSession {
  private challenge?: DigestChallenge;
  private nc = 0;

  constructor(private readonly creds: DigestCredentials) {}

  async request(method: string, url: string, o: HttpRequestOptions = {}): Promise<HttpReply> {
    const target = requestTarget(url);
    if (this.challenge) {
      const reply = await httpRequest(method, url, this.withAuth(o, method, target));
      if (reply.status !== 401) return reply;
      const fresh = parseDigestChallenge(reply.headers['www-authenticate']);
      if (!fresh) throw new DigestAuthError('the device answered 401 without a Digest challenge', reply);
      // A stale or changed nonce: answer the new challenge. The same nonce again: the password is wrong.
      if (!fresh.stale && fresh.nonce === this.challenge.nonce)
        throw new DigestAuthError('the device refused the user name or password (HTTP 401)', reply);
      this.use(fresh);
      return this.answer(method, url, target, o);
    }
    const first = await httpRequest(method, url, o);
    if (first.status !== 401) return first;
    const challenge = parseDigestChallenge(first.headers['www-authenticate']);
    if (!challenge)
      throw new DigestAuthError('the device answered 401 without a usable Digest challenge', first);
    this.use(challenge);
    return this.answer(method, url, target, o);
  }

  private async answer(
    method: string,
    url: string,
    target: string,
    o: HttpRequestOptions,
  ): Promise<HttpReply> {
    const reply = await httpRequest(method, url, this.withAuth(o, method, target));
    if (reply.status === 401) {
      this.challenge = undefined;
      throw new DigestAuthError('the device refused the user name or password (HTTP 401)', reply);
    }
    return reply;
  }

  private use(c: DigestChallenge): void {
    this.challenge = c;
    this.nc = 0;
  }

  private withAuth(o: HttpRequestOptions, method: string, target: string): HttpRequestOptions {
    const c = this.challenge!;
    this.nc += 1;
    return {
      ...o,
      headers: {
        ...(o.headers ?? {}),
        Authorization: digestAuthorization(c, this.creds, method, target, this.nc),
      },
    };
  }
}

/** Path and query of a URL, as it goes on the request line (the Digest `uri`). */
export function requestTarget(url: string): string {
  const u = new URL(url);
  return u.pathname + u.search;
}
