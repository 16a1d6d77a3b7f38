import { Counter, Registry } from 'prom-client';
import { Database } from '@realname/eventstore';
import type { RawRequest } from './punch';

/**
 * Why a device request was refused or ignored:
 * - `unknown-device`: it names no registered device (id, serial or token path of nobody);
 * - `bad-credentials`: a registered device, but a wrong or missing token or signature;
 * - `disabled`: the device is registered but disabled;
 * - `wrong-family`: it spoke another family's protocol than the device is registered with;
 * - `malformed`: it could not be read;
 * - `stranger`: a pass of someone who is not a person on the device (ignored);
 * - `not-a-punch`: an event that is not a person's pass, e.g. a door alarm or a table not interpreted
 *   (ignored).
 */
export const REFUSAL_REASONS = [
  'unknown-device',
  'bad-credentials',
  'disabled',
  'wrong-family',
  'malformed',
  'stranger',
  'not-a-punch',
] as const;
export type RefusalReason = (typeof REFUSAL_REASONS)[number];

export type RefusedOutcome = 'unauthenticated' | 'malformed' | 'ignored';

/** The metric's device label of requests naming no registered device (bounds the label's values). */
export const UNKNOWN_DEVICE = '(unknown)';

/**
 * The reason of a refused or ignored request, from its outcome, the family's detail and whether the
 * device it names is registered. The families' details are free text; the words they use are matched.
 */
export function refusalReason(outcome: RefusedOutcome, detail: string, registered: boolean): RefusalReason {
  if (outcome === 'malformed') return 'malformed';
  if (outcome === 'ignored')
    return /stranger|not a person|names no person|no person|unknown person/i.test(detail)
      ? 'stranger'
      : 'not-a-punch';
  if (!registered) return 'unknown-device';
  if (/disabled/i.test(detail)) return 'disabled';
  if (/registered as|not a registered, enabled/i.test(detail))
    return /disabled|not .*enabled/i.test(detail) ? 'disabled' : 'wrong-family';
  return 'bad-credentials';
}

export interface RefusedRequestOptions {
  /** Bytes of the body kept (default 4096). */
  sampleBytes: number;
  /** Requests kept per device label and reason each minute; beyond, only counted (default 30). */
  samplesPerMinute: number;
}

export interface RefusedSample {
  requestId: string;
  /** The device id the request claimed (for unknown devices, whatever it named). */
  deviceId: string;
  receivedAt: Date;
  protocol: string;
  outcome: string;
  reason: string | null;
  detail: string | null;
  headers: Record<string, string>;
  /** The size of the body as received. */
  bodySize: number;
  /** The first bytes of the body (REFUSED_SAMPLE_BYTES), as text when they are UTF-8, else base64. */
  bodySample: string;
  bodyEncoding: 'utf8' | 'base64';
  truncated: boolean;
}

export interface RefusedSummary {
  days: number;
  counts: { reason: string; count: number; lastAt: Date }[];
  samples: RefusedSample[];
}

/**
 * Refused and ignored device requests: counted (metric by device and reason, and a count per device,
 * reason and day in PostgreSQL for the admin API), and a capped sample kept: the first few KB of the
 * body, at most a few per device and reason each minute, deleted after a short retention. Whole bodies
 * of requests nobody accepted are never kept: a stranger cannot fill the disk with them.
 */
export class RefusedRequests {
  private readonly counter?: Counter<'device' | 'reason'>;
  private readonly window = new Map<string, { minute: number; n: number }>();

  constructor(
    private readonly db: Database,
    private readonly schema: string,
    /** Whether a device id is registered (cached lookups); unknown ids are one metric label. */
    private readonly isRegistered: (deviceId: string) => Promise<boolean>,
    private readonly opts: RefusedRequestOptions = { sampleBytes: 4096, samplesPerMinute: 30 },
    registry?: Registry,
  ) {
    if (registry)
      this.counter = new Counter({
        name: 'gateway_device_requests_refused_total',
        help: `Device requests refused or ignored, by device ("${UNKNOWN_DEVICE}": naming no registered device) and reason (${REFUSAL_REASONS.join(', ')})`,
        labelNames: ['device', 'reason'],
        registers: [registry],
      });
  }

  /** Counts the request and keeps its sample (unless over this minute's cap). Returns the reason. */
  async record(
    requestId: string,
    deviceId: string,
    raw: RawRequest,
    outcome: RefusedOutcome,
    detail: string,
  ): Promise<RefusalReason> {
    const claimed = deviceId.slice(0, 128);
    const registered = await this.isRegistered(claimed).catch(() => false);
    const reason = refusalReason(outcome, detail, registered);
    const label = registered ? claimed : UNKNOWN_DEVICE;
    this.counter?.inc({ device: label, reason });
    await this.db.execute(
      `INSERT INTO ${this.schema}.refused_request_counts (device_id, reason, day, count, last_at)
       VALUES ($1, $2, ($3::timestamptz AT TIME ZONE 'UTC')::date, 1, $3)
       ON CONFLICT (device_id, day, reason) DO UPDATE
         SET count = ${this.schema}.refused_request_counts.count + 1,
             last_at = GREATEST(${this.schema}.refused_request_counts.last_at, EXCLUDED.last_at)`,
      [label, reason, raw.receivedAt],
    );
    if (!this.sampleAllowed(`${label}\n${reason}`, raw.receivedAt)) return reason;
    const body = raw.body.subarray(0, this.opts.sampleBytes);
    await this.db.execute(
      `INSERT INTO ${this.schema}.raw_requests (request_id, device_id, protocol, received_at, headers, body, body_size, outcome, reason, detail)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [
        requestId,
        claimed,
        raw.protocol,
        raw.receivedAt,
        JSON.stringify(raw.headers),
        body,
        raw.body.length,
        outcome,
        reason,
        detail.slice(0, 4000),
      ],
    );
    return reason;
  }

  /**
   * A device's counts by reason over the last `days` days and its last `limit` samples; for
   * `(unknown)`, those of every request naming no registered device.
   */
  async summary(deviceId: string, days: number, limit: number): Promise<RefusedSummary> {
    const counts = await this.db.query<{ reason: string; count: string; last_at: Date }>(
      `SELECT reason, sum(count)::bigint AS count, max(last_at) AS last_at
         FROM ${this.schema}.refused_request_counts
        WHERE device_id = $1 AND day > (now() AT TIME ZONE 'UTC')::date - $2::int
        GROUP BY reason ORDER BY count DESC, reason`,
      [deviceId, days],
    );
    const unknown = deviceId === UNKNOWN_DEVICE;
    const rows = await this.db.query<{
      request_id: string;
      device_id: string;
      received_at: Date;
      protocol: string;
      outcome: string;
      reason: string | null;
      detail: string | null;
      headers: Record<string, string>;
      body: Buffer;
      body_size: number | null;
    }>(
      `SELECT request_id, device_id, received_at, protocol, outcome, reason, detail, headers, body, body_size
         FROM ${this.schema}.raw_requests r
        WHERE outcome <> 'accepted'
          AND ${
            unknown
              ? `NOT EXISTS (SELECT 1 FROM ${this.schema}.devices d WHERE d.device_id = r.device_id) AND $1::text IS NOT NULL`
              : 'device_id = $1'
          }
        ORDER BY received_at DESC LIMIT $2`,
      [deviceId, limit],
    );
    return {
      days,
      counts: counts.map((c) => ({ reason: c.reason, count: Number(c.count), lastAt: c.last_at })),
      samples: rows.map((r) => {
        const text = r.body.toString('utf8');
        const utf8 = Buffer.from(text, 'utf8').equals(r.body);
        const bodySize = r.body_size ?? r.body.length;
        return {
          requestId: r.request_id,
          deviceId: r.device_id,
          receivedAt: r.received_at,
          protocol: r.protocol,
          outcome: r.outcome,
          reason: r.reason,
          detail: r.detail,
          headers: r.headers,
          bodySize,
          bodySample: utf8 ? text : r.body.toString('base64'),
          bodyEncoding: utf8 ? 'utf8' : 'base64',
          truncated: bodySize > r.body.length,
        };
      }),
    };
  }

  /** Deletes samples older than `days` days and counts older than 90 days; returns the samples deleted. */
  async purge(days: number): Promise<number> {
    const n = await this.db.execute(
      `DELETE FROM ${this.schema}.raw_requests
        WHERE outcome <> 'accepted' AND received_at < now() - make_interval(days => $1)`,
      [days],
    );
    await this.db.execute(
      `DELETE FROM ${this.schema}.refused_request_counts WHERE day < (now() AT TIME ZONE 'UTC')::date - 90`,
    );
    return n;
  }

  /** A fixed one-minute window per device label and reason. */
  private sampleAllowed(key: string, at: Date): boolean {
    const minute = Math.floor(at.getTime() / 60_000);
    const w = this.window.get(key);
    if (!w || w.minute !== minute) {
      if (this.window.size > 10_000) this.window.clear();
      this.window.set(key, { minute, n: 1 });
      return this.opts.samplesPerMinute >= 1;
    }
    w.n++;
    return w.n <= this.opts.samplesPerMinute;
  }
}
