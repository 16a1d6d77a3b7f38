import { createHash } from 'node:crypto';
import { HttpStatus } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { Problem } from './problem';

export interface TokenBucketOptions {
  /** Tokens added per second; 0 turns limiting off (every take succeeds). */
  ratePerS: number;
  /** Most tokens a bucket holds: the burst allowed after a quiet spell. */
  burst: number;
  /** Most buckets kept; the least recently used go first (a fresh bucket is full, so that is lenient). */
  maxKeys?: number;
}

export type Take = { ok: true } | { ok: false; retryAfterS: number };

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * One token bucket per key (a device, a client): each request takes a token, tokens come back at
 * `ratePerS` up to `burst`. Over the limit, `retryAfterS` is the whole seconds until the next token.
 * In memory, per process: each instance limits on its own.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();
  private readonly maxKeys: number;

  constructor(private readonly options: TokenBucketOptions) {
    if (options.ratePerS < 0 || !(options.burst >= 1 || options.ratePerS === 0))
      throw new Error('token bucket: ratePerS must be >= 0 and burst >= 1');
    this.maxKeys = options.maxKeys ?? 100_000;
  }

  get enabled(): boolean {
    return this.options.ratePerS > 0;
  }

  take(key: string, now: number = Date.now()): Take {
    if (!this.enabled) return { ok: true };
    const { ratePerS, burst } = this.options;
    let b = this.buckets.get(key);
    if (b) {
      this.buckets.delete(key); // re-inserted below: Map order is least recently used first
      b.tokens = Math.min(burst, b.tokens + (Math.max(0, now - b.at) / 1000) * ratePerS);
      b.at = now;
    } else {
      b = { tokens: burst, at: now };
    }
    this.buckets.set(key, b);
    while (this.buckets.size > this.maxKeys) this.buckets.delete(this.buckets.keys().next().value as string);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, retryAfterS: Math.max(1, Math.ceil((1 - b.tokens) / ratePerS)) };
  }

  /** Buckets held now (for tests and metrics). */
  get size(): number {
    return this.buckets.size;
  }
}

/** A client over its request rate: 429 problem details with `Retry-After`. */
export class RateLimited extends Problem {
  constructor(
    retryAfterS: number,
    detail = `Too many requests: send this again after ${retryAfterS} second(s), and spread requests out.`,
  ) {
    super('rate-limited', 'Too many requests', HttpStatus.TOO_MANY_REQUESTS, detail);
    this.retryAfterS = retryAfterS;
  }
}

// ---------------------------------------------------------------------------------------------------
// Callers whose bearer token has been verified: the per-client limit keys them by subject.

const verified = new Map<string, { subject: string; until: number }>();
const MAX_VERIFIED = 10_000;

function tokenKey(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

function bearerOf(authorization: string | undefined): string | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  return m?.[1];
}

/** Called by the resource-server guard once a token is verified: later requests with it count as `subject`. */
export function rememberVerifiedToken(
  authorization: string | undefined,
  subject: string,
  ttlMs = 5 * 60_000,
  now = Date.now(),
): void {
  const token = bearerOf(authorization);
  if (!token) return;
  const key = tokenKey(token);
  verified.delete(key);
  verified.set(key, { subject, until: now + ttlMs });
  while (verified.size > MAX_VERIFIED) verified.delete(verified.keys().next().value as string);
}

/** The subject of an already verified bearer token in this header, if any. */
export function verifiedSubject(authorization: string | undefined, now = Date.now()): string | undefined {
  const token = bearerOf(authorization);
  if (!token) return undefined;
  const key = tokenKey(token);
  const v = verified.get(key);
  if (!v) return undefined;
  if (v.until < now) {
    verified.delete(key);
    return undefined;
  }
  return v.subject;
}

/** Remote address of a request (the socket's; a proxy in front should be trusted explicitly). */
export function remoteAddress(req: Request): string {
  return req.ip ?? req.socket?.remoteAddress ?? 'unknown';
}

/** The client a REST request counts against: the verified subject of its bearer token, else its address. */
export function apiClientKey(req: Request): string {
  const subject = verifiedSubject(req.headers.authorization);
  return subject ? `sub:${subject}` : `ip:${remoteAddress(req)}`;
}

export interface ApiRateLimitOptions extends TokenBucketOptions {
  /** Path prefixes not limited here (health, metrics, device routes with their own limit). */
  exclude: string[];
  /** Renders the refusal (problem details); called with the seconds to wait. */
  reject: (req: Request, res: Response, retryAfterS: number) => void;
}

/** `path` is `prefix` or below it (`/iclock` covers `/iclock/cdata`, not `/iclockx`). */
export function underPrefix(path: string, prefix: string): boolean {
  return path === prefix || path.startsWith(prefix.endsWith('/') ? prefix : prefix + '/');
}

/** Express middleware: the per-client limit of the REST API (every route but the excluded prefixes). */
export function apiRateLimit(
  options: ApiRateLimitOptions,
): (req: Request, res: Response, next: NextFunction) => void {
  const buckets = new TokenBuckets(options);
  return (req, res, next) => {
    if (!buckets.enabled || options.exclude.some((p) => underPrefix(req.path, p))) return next();
    const taken = buckets.take(apiClientKey(req));
    if (taken.ok) return next();
    options.reject(req, res, taken.retryAfterS);
  };
}
