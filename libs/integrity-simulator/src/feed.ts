/**
 * The change feed: an append-only list of changes numbered 1, 2, 3 ... (`seq`), the current state they
 * fold into, and opaque cursors that name a position in the list.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import {
  Change,
  ChangeInput,
  ChangeKind,
  Enterprise,
  IntegritySnapshot,
  KeyPerson,
  keyFields,
  keyOf,
  Participant,
  Project,
} from './model';

// ---------------------------------------------------------------------------------------------------
// Time stamps: RFC 3339 in China Standard Time, as the provincial systems write them.

const CST_OFFSET_MS = 8 * 3_600_000;

/** `2026-03-02T09:00:00+08:00` for an instant (whole seconds). */
export function formatCst(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000 + CST_OFFSET_MS).toISOString().slice(0, 19) + '+08:00';
}

// ---------------------------------------------------------------------------------------------------
// Cursors: `base64url("v1.<seq>.<mac>")`. The MAC (keyed by the seed) makes a hand-made or foreign
// cursor a 400 rather than a silent jump; clients must treat the text as opaque anyway.

const CURSOR_VERSION = 'v1';

export class CursorCodec {
  private readonly key: Buffer;

  constructor(seed: number) {
    this.key = Buffer.from(`integrity-simulator-cursor|${seed}`);
  }

  private mac(seq: number): Buffer {
    return createHmac('sha256', this.key).update(`${CURSOR_VERSION}.${seq}`).digest().subarray(0, 9);
  }

  /** The cursor that resumes after change `seq` (0 = before the first change). */
  encode(seq: number): string {
    return Buffer.from(`${CURSOR_VERSION}.${seq}.${this.mac(seq).toString('base64url')}`).toString(
      'base64url',
    );
  }

  /** The seq a cursor resumes after, or undefined when the text is no cursor of this feed. */
  decode(cursor: string): number | undefined {
    if (!/^[A-Za-z0-9_-]{1,200}$/.test(cursor)) return undefined;
    const m = /^v1\.(0|[1-9]\d{0,14})\.([A-Za-z0-9_-]{12})$/.exec(
      Buffer.from(cursor, 'base64url').toString(),
    );
    if (!m) return undefined;
    const seq = Number(m[1]);
    const given = Buffer.from(m[2], 'base64url');
    const expected = this.mac(seq);
    return given.length === expected.length && timingSafeEqual(given, expected) ? seq : undefined;
  }
}

// ---------------------------------------------------------------------------------------------------

export interface FeedPage {
  changes: Change[];
  /** The seq the page resumes after: the last change returned, or the cursor's own when none. */
  lastSeq: number;
  hasMore: boolean;
}

export interface FeedCounts {
  enterprises: number;
  projects: number;
  participants: number;
  keyPersons: number;
  /** Number of changes in the feed (= the seq of the last one). */
  changes: number;
  lastSeq: number;
  /** `at` of the last change, when there is one. */
  lastAt?: string;
}

const sortedValues = <T>(m: Map<string, T>): T[] =>
  [...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v);

export class ChangeFeed {
  private readonly log: Change[] = [];
  private readonly enterprises = new Map<string, Enterprise>();
  private readonly projects = new Map<string, Project>();
  private readonly participants = new Map<string, Participant>();
  private readonly keyPersons = new Map<string, KeyPerson>();
  private lastAtMs = Number.NEGATIVE_INFINITY;

  /** `now` gives the time of a change appended without its own `at`. */
  constructor(private readonly now: () => number = Date.now) {}

  get lastSeq(): number {
    return this.log.length;
  }

  /**
   * Appends a change and applies it to the current state. Without `at` the change is stamped with the
   * current time, never earlier than the change before it (so `at` never decreases along the feed).
   */
  append(input: ChangeInput): Change {
    let at = input.at;
    if (at === undefined) {
      const ms = Math.max(this.now(), this.lastAtMs);
      at = formatCst(ms);
    }
    const atMs = Date.parse(at);
    if (Number.isFinite(atMs)) this.lastAtMs = Math.max(this.lastAtMs, atMs);
    const seq = this.log.length + 1;
    const change = (
      input.op === 'delete'
        ? { seq, kind: input.kind, op: 'delete', at, data: keyFields(input.kind, input.data) }
        : { seq, kind: input.kind, op: 'upsert', at, data: { ...input.data } }
    ) as Change;
    this.log.push(change);
    this.apply(change);
    return change;
  }

  private table(kind: ChangeKind): Map<string, unknown> {
    switch (kind) {
      case 'enterprise':
        return this.enterprises;
      case 'project':
        return this.projects;
      case 'participant':
        return this.participants;
      case 'key-person':
        return this.keyPersons;
    }
  }

  private apply(change: Change): void {
    const table = this.table(change.kind);
    const key = keyOf(change.kind, change.data);
    if (change.op === 'delete') table.delete(key);
    else table.set(key, change.data);
  }

  /** Up to `limit` changes after `afterSeq`, in seq order. */
  page(afterSeq: number, limit: number): FeedPage {
    const changes = this.log.slice(afterSeq, afterSeq + limit);
    const lastSeq = changes.length > 0 ? changes[changes.length - 1].seq : afterSeq;
    return { changes, lastSeq, hasMore: lastSeq < this.log.length };
  }

  all(): readonly Change[] {
    return this.log;
  }

  enterprise(creditCode: string): Enterprise | undefined {
    return this.enterprises.get(creditCode);
  }

  project(projectCode: string): Project | undefined {
    return this.projects.get(projectCode);
  }

  /** Participants and key persons of a project, sorted by key. */
  projectMembers(projectCode: string): { participants: Participant[]; keyPersons: KeyPerson[] } {
    return {
      participants: sortedValues(this.participants).filter((p) => p.projectCode === projectCode),
      keyPersons: sortedValues(this.keyPersons).filter((k) => k.projectCode === projectCode),
    };
  }

  snapshot(): IntegritySnapshot {
    return {
      enterprises: sortedValues(this.enterprises),
      projects: sortedValues(this.projects),
      participants: sortedValues(this.participants),
      keyPersons: sortedValues(this.keyPersons),
    };
  }

  counts(): FeedCounts {
    const last = this.log[this.log.length - 1];
    return {
      enterprises: this.enterprises.size,
      projects: this.projects.size,
      participants: this.participants.size,
      keyPersons: this.keyPersons.size,
      changes: this.log.length,
      lastSeq: this.log.length,
      ...(last ? { lastAt: last.at } : {}),
    };
  }
}
