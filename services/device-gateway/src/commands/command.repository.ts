import { Database, Sql } from '@realname/eventstore';
import type { CommandKind, CommandPayload, CommandStatus, DeviceCommand } from './command-queue';
import type { Transition } from './command-lifecycle.decider';

interface CommandRow {
  command_id: string;
  seq: string;
  device_id: string;
  kind: CommandKind;
  payload: CommandPayload;
  status: CommandStatus;
  attempts: number;
  device_code: string | null;
  detail: string | null;
  result: Record<string, unknown> | null;
  origin: string | null;
  created_at: Date;
  sent_at: Date | null;
  completed_at: Date | null;
}

/** Commands read for a decision, with the database's now (the clock `next_attempt_at` is compared with). */
export interface Read {
  now: Date;
  commands: DeviceCommand[];
}

/**
 * Every SQL statement of device commands. Reads that precede a decision lock the rows (FOR UPDATE; SKIP
 * LOCKED where another poller may take others); `store` writes what the decider returned.
 */
export class CommandRepository {
  constructor(
    private readonly db: Database,
    private readonly schema: string,
  ) {}

  async insert(
    c: { commandId: string; deviceId: string; kind: CommandKind; payload: CommandPayload; origin?: string },
    sql: Sql = this.db,
  ): Promise<DeviceCommand> {
    const [row] = await sql.query<CommandRow>(
      `INSERT INTO ${this.schema}.device_commands (command_id, device_id, kind, payload, origin)
       VALUES ($1, $2, $3, $4, $5) RETURNING *`,
      [c.commandId, c.deviceId, c.kind, JSON.stringify(c.payload), c.origin ?? null],
    );
    return toCommand(row);
  }

  /** The person's queued commands on a device, locked. */
  async queuedForPerson(tx: Sql, deviceId: string, personId: string): Promise<Read> {
    return this.read(
      tx,
      `WHERE device_id = $1 AND status = 'queued' AND payload->>'personId' = $2 FOR UPDATE`,
      [deviceId, personId],
    );
  }

  /**
   * Queued commands that are due, oldest first, locked and skipping those another poller holds: being
   * due is this filter (the decider set `next_attempt_at`); SKIP LOCKED keeps two pollers apart.
   */
  async due(sql: Sql, deviceId: string, limit: number, kinds?: CommandKind[], lock = true): Promise<Read> {
    return this.read(
      sql,
      `WHERE device_id = $1 AND status = 'queued' AND next_attempt_at <= now()
         AND ($3::text[] IS NULL OR kind = ANY($3::text[]))
       ORDER BY seq LIMIT $2 ${lock ? 'FOR UPDATE SKIP LOCKED' : ''}`,
      [deviceId, Math.max(0, limit), kinds ?? null],
    );
  }

  /** The sent command a device answers, locked. */
  async outstanding(tx: Sql, deviceId: string, ref: { seq: number } | { commandId: string }): Promise<Read> {
    const byId = 'commandId' in ref;
    return this.read(
      tx,
      `WHERE device_id = $1 AND status = 'sent' AND ${byId ? 'command_id = $2::uuid' : 'seq = $2::bigint'} FOR UPDATE`,
      [deviceId, byId ? ref.commandId : ref.seq],
    );
  }

  /** Every sent command, locked (skipping those being answered right now). */
  async sent(tx: Sql): Promise<Read> {
    return this.read(tx, `WHERE status = 'sent' ORDER BY seq FOR UPDATE SKIP LOCKED`, []);
  }

  /** Writes the commands as the decider left them. */
  async store(tx: Sql, transitions: Transition[]): Promise<void> {
    if (transitions.length === 0) return;
    const cs = transitions.map((t) => t.command);
    await tx.execute(
      `UPDATE ${this.schema}.device_commands c
          SET status = x.status, attempts = x.attempts, sent_at = x.sent_at, completed_at = x.completed_at,
              next_attempt_at = COALESCE(x.next_attempt_at, c.next_attempt_at),
              device_code = x.device_code, detail = x.detail, result = x.result
         FROM unnest($1::uuid[], $2::text[], $3::int[], $4::timestamptz[], $5::timestamptz[], $6::timestamptz[],
                     $7::text[], $8::text[], $9::jsonb[])
           AS x(command_id, status, attempts, sent_at, completed_at, next_attempt_at, device_code, detail, result)
        WHERE c.command_id = x.command_id`,
      [
        cs.map((c) => c.commandId),
        cs.map((c) => c.status),
        cs.map((c) => c.attempts),
        cs.map((c) => c.sentAt ?? null),
        cs.map((c) => c.completedAt ?? null),
        transitions.map((t) => t.nextAttemptAt ?? null),
        cs.map((c) => c.deviceCode ?? null),
        cs.map((c) => c.detail ?? null),
        cs.map((c) => (c.result ? JSON.stringify(c.result) : null)),
      ],
    );
  }

  /** Queued-and-due counts per kind. */
  async dueCounts(deviceId: string): Promise<{ kind: CommandKind; n: number }[]> {
    const rows = await this.db.query<{ kind: CommandKind; n: string }>(
      `SELECT kind, count(*) AS n FROM ${this.schema}.device_commands
        WHERE device_id = $1 AND status = 'queued' AND next_attempt_at <= now() GROUP BY kind`,
      [deviceId],
    );
    return rows.map((r) => ({ kind: r.kind, n: Number(r.n) }));
  }

  /** Commands queued or sent, per kind and status (a gauge). */
  async openCounts(): Promise<{ kind: string; status: string; n: number }[]> {
    const rows = await this.db.query<{ kind: string; status: string; n: string }>(
      `SELECT kind, status, count(*) AS n FROM ${this.schema}.device_commands
        WHERE status IN ('queued', 'sent') GROUP BY kind, status`,
    );
    return rows.map((r) => ({ kind: r.kind, status: r.status, n: Number(r.n) }));
  }

  async list(
    deviceId: string,
    filter: { status?: CommandStatus; kind?: CommandKind; limit?: number; afterSeq?: number },
  ): Promise<DeviceCommand[]> {
    const rows = await this.db.query<CommandRow>(
      `SELECT * FROM ${this.schema}.device_commands
        WHERE device_id = $1 AND ($2::text IS NULL OR status = $2) AND ($3::text IS NULL OR kind = $3)
          AND seq > $5
        ORDER BY seq LIMIT $4`,
      [deviceId, filter.status ?? null, filter.kind ?? null, filter.limit ?? 100, filter.afterSeq ?? 0],
    );
    return rows.map(toCommand);
  }

  async get(commandId: string): Promise<DeviceCommand | undefined> {
    const [row] = await this.db.query<CommandRow>(
      `SELECT * FROM ${this.schema}.device_commands WHERE command_id = $1`,
      [commandId],
    );
    return row && toCommand(row);
  }

  private async read(sql: Sql, where: string, params: unknown[]): Promise<Read> {
    const rows = await sql.query<CommandRow & { db_now: Date }>(
      `SELECT *, now() AS db_now FROM ${this.schema}.device_commands ${where}`,
      params,
    );
    // Without rows there is nothing to decide, and no need for the database's clock.
    return { now: rows[0]?.db_now ?? new Date(), commands: rows.map(toCommand) };
  }
}

function toCommand(r: CommandRow): DeviceCommand {
  return {
    commandId: r.command_id,
    seq: Number(r.seq),
    deviceId: r.device_id,
    kind: r.kind,
    payload: r.payload,
    status: r.status,
    attempts: r.attempts,
    ...(r.device_code ? { deviceCode: r.device_code } : {}),
    ...(r.detail ? { detail: r.detail } : {}),
    ...(r.result ? { result: r.result } : {}),
    ...(r.origin ? { origin: r.origin } : {}),
    createdAt: r.created_at,
    ...(r.sent_at ? { sentAt: r.sent_at } : {}),
    ...(r.completed_at ? { completedAt: r.completed_at } : {}),
  };
}
