/**
 * What the gateway remembers about each ZKTeco device between requests, in memory and keyed by SN:
 * its language (GB2312 names when 83), its dialect (attendance or PUSH 3.x access control), the last
 * upload stamps, the results still expected for multi-line commands, and the range queries in flight
 * (so the re-uploaded records can be tied to their backfill). Lost on restart by design: the next
 * options exchange or request teaches it again, and nothing here is needed for correctness of storage.
 */
import type { ZkDialect } from './commands';

export type StampTable = 'ATTLOG' | 'OPERLOG' | 'ATTPHOTO';

export interface RangeQuery {
  seq: number;
  from: Date;
  to: Date;
  backfillId: string;
}

interface OpenQuery extends RangeQuery {
  expiresAt: number;
}

interface PendingParts {
  expected: number;
  received: number;
  failure?: number;
  count?: number;
}

export interface ZkSession {
  language?: string;
  dialect: ZkDialect;
  stamps: Partial<Record<StampTable, string>>;
  parts: Map<number, PendingParts>;
  queries: OpenQuery[];
}

/** The outcome of one command once all its lines have answered. */
export interface CommandOutcome {
  ok: boolean;
  code: string;
  count?: number;
}

const QUERY_OPEN_MS = 15 * 60_000;
const QUERY_GRACE_MS = 60_000;
const MAX_PENDING_PARTS = 1000;

export class ZktecoSessions {
  private readonly sessions = new Map<string, ZkSession>();

  constructor(
    private readonly maxDevices = 20_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** The device's session, most recently used last (the least recently used is dropped beyond the limit). */
  get(sn: string): ZkSession {
    let s = this.sessions.get(sn);
    if (s) this.sessions.delete(sn);
    else s = { dialect: 'attendance', stamps: {}, parts: new Map(), queries: [] };
    this.sessions.set(sn, s);
    if (this.sessions.size > this.maxDevices)
      this.sessions.delete(this.sessions.keys().next().value as string);
    return s;
  }

  /** The language a request names (`language=83`), remembered; otherwise the one learnt before. */
  language(sn: string, fromQuery?: string): string | undefined {
    const s = this.get(sn);
    if (fromQuery && /^\d{1,4}$/.test(fromQuery)) s.language = fromQuery;
    return s.language;
  }

  setDialect(sn: string, dialect: ZkDialect): void {
    this.get(sn).dialect = dialect;
  }

  noteStamp(sn: string, table: StampTable, stamp: string | undefined): void {
    if (stamp && /^\d{1,20}$/.test(stamp)) this.get(sn).stamps[table] = stamp;
  }

  /** A command was sent as `lines` lines: its result is complete once that many answers came. */
  expectResults(sn: string, seq: number, lines: number): void {
    const parts = this.get(sn).parts;
    if (lines <= 1) {
      parts.delete(seq);
      return;
    }
    parts.set(seq, { expected: lines, received: 0 });
    if (parts.size > MAX_PENDING_PARTS) parts.delete(parts.keys().next().value as number);
  }

  /**
   * One answer for `seq`. Returns the command's outcome when this was its last expected answer (or it
   * was a one-line command, or one the gateway does not remember), undefined while answers are missing.
   */
  result(sn: string, seq: number, returnCode: number, count?: number): CommandOutcome | undefined {
    const parts = this.get(sn).parts;
    const p = parts.get(seq);
    if (!p) return outcome(returnCode < 0 ? returnCode : undefined, returnCode, count);
    p.received++;
    if (returnCode < 0 && p.failure === undefined) p.failure = returnCode;
    if (count !== undefined) p.count = count;
    if (p.received < p.expected) return undefined;
    parts.delete(seq);
    return outcome(p.failure, 0, p.count);
  }

  rememberQuery(sn: string, q: RangeQuery): void {
    const s = this.get(sn);
    this.prune(s);
    s.queries = s.queries.filter((x) => x.seq !== q.seq);
    s.queries.push({ ...q, expiresAt: this.now() + QUERY_OPEN_MS });
  }

  /** The device answered the query: its uploads may still be arriving, so it stays open a little longer. */
  closeQuery(sn: string, seq: number): void {
    const q = this.get(sn).queries.find((x) => x.seq === seq);
    if (q) q.expiresAt = Math.min(q.expiresAt, this.now() + QUERY_GRACE_MS);
  }

  /** The backfill whose open range holds every one of these instants, if there is one. */
  backfillFor(sn: string, instants: Date[]): string | undefined {
    if (instants.length === 0) return undefined;
    const s = this.get(sn);
    this.prune(s);
    const q = s.queries.find((x) => instants.every((t) => t >= x.from && t <= x.to));
    return q?.backfillId;
  }

  private prune(s: ZkSession): void {
    const now = this.now();
    s.queries = s.queries.filter((q) => q.expiresAt > now);
  }
}

function outcome(failure: number | undefined, fallback: number, count?: number): CommandOutcome {
  const code = failure ?? fallback;
  const out: CommandOutcome = { ok: failure === undefined, code: String(code) };
  if (count !== undefined) out.count = count;
  return out;
}
