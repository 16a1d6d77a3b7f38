import { Database } from '@realname/eventstore';

export interface PunchView {
  eventId: string;
  projectId: string;
  personId: string;
  day: string;
  punchedAt: string;
  direction: 'in' | 'out' | 'unknown';
  deviceId: string;
  deviceRecordId: string;
  verifyMode: string;
  receivedAt: string;
  sequence: string;
}

export interface PunchPage {
  punches: PunchView[];
  nextPageToken: string;
  totalCount: number;
}

export interface DayCount {
  day: string;
  punches: number;
  persons: number;
}

export class InvalidQuery extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'InvalidQuery';
  }
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

export function checkDay(field: string, value: string | undefined): string {
  if (!value || !DAY.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`))) {
    throw new InvalidQuery(field, `${field} must be a date YYYY-MM-DD, got "${value ?? ''}"`);
  }
  return value;
}

/** Reads of the attendance read model in PostgreSQL, shared by REST and gRPC. */
export class PunchQueries {
  constructor(
    private readonly db: Database,
    private readonly schema: string,
  ) {}

  async listPunches(q: {
    projectId: string;
    day: string;
    personId?: string;
    pageSize?: number;
    pageToken?: string;
  }): Promise<PunchPage> {
    if (!q.projectId) throw new InvalidQuery('projectId', 'projectId is required');
    checkDay('day', q.day);
    const pageSize = Math.min(Math.max(q.pageSize || 100, 1), 1000);
    let after: { t: string; id: string } | undefined;
    if (q.pageToken) {
      try {
        after = JSON.parse(Buffer.from(q.pageToken, 'base64url').toString('utf8'));
        if (typeof after?.t !== 'string' || typeof after?.id !== 'string') throw new Error();
      } catch {
        throw new InvalidQuery(
          'pageToken',
          'pageToken is not one this service issued: start again without it',
        );
      }
    }
    const person = q.personId || null;
    const rows = await this.db.query<Record<string, string | Date>>(
      `SELECT punch_event_id, project_id, person_id, to_char(day, 'YYYY-MM-DD') AS day, punched_at, direction, device_id,
              device_record_id, verify_mode, received_at, global_position::text AS global_position
       FROM ${this.schema}.punches
       WHERE project_id = $1 AND day = $2 AND ($3::text IS NULL OR person_id = $3)
         AND ($4::timestamptz IS NULL OR (punched_at, punch_event_id) > ($4::timestamptz, $5::uuid))
       ORDER BY punched_at, punch_event_id
       LIMIT $6`,
      [q.projectId, q.day, person, after?.t ?? null, after?.id ?? null, pageSize + 1],
    );
    const [{ n }] = await this.db.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM ${this.schema}.punches WHERE project_id = $1 AND day = $2 AND ($3::text IS NULL OR person_id = $3)`,
      [q.projectId, q.day, person],
    );
    const page = rows.slice(0, pageSize).map(toView);
    const last = rows.length > pageSize ? rows[pageSize - 1] : undefined;
    return {
      punches: page,
      nextPageToken: last
        ? Buffer.from(
            JSON.stringify({ t: (last.punched_at as Date).toISOString(), id: last.punch_event_id }),
          ).toString('base64url')
        : '',
      totalCount: Number(n),
    };
  }

  async countPerDay(q: { projectId: string; fromDay: string; toDay: string }): Promise<DayCount[]> {
    if (!q.projectId) throw new InvalidQuery('projectId', 'projectId is required');
    checkDay('from', q.fromDay);
    checkDay('to', q.toDay);
    if (q.fromDay > q.toDay) throw new InvalidQuery('from', 'from must not be after to');
    const rows = await this.db.query<{ day: string; punches: string; persons: string }>(
      `SELECT to_char(day, 'YYYY-MM-DD') AS day, sum(punches)::text AS punches, count(*)::text AS persons
       FROM ${this.schema}.person_days
       WHERE project_id = $1 AND day BETWEEN $2 AND $3
       GROUP BY day ORDER BY day`,
      [q.projectId, q.fromDay, q.toDay],
    );
    return rows.map((r) => ({ day: r.day, punches: Number(r.punches), persons: Number(r.persons) }));
  }
}

function toView(r: Record<string, string | Date>): PunchView {
  return {
    eventId: r.punch_event_id as string,
    projectId: r.project_id as string,
    personId: r.person_id as string,
    day: r.day as string,
    punchedAt: (r.punched_at as Date).toISOString(),
    direction: r.direction as PunchView['direction'],
    deviceId: r.device_id as string,
    deviceRecordId: r.device_record_id as string,
    verifyMode: r.verify_mode as string,
    receivedAt: (r.received_at as Date).toISOString(),
    sequence: r.global_position as string,
  };
}
