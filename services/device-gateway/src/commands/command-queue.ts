import { v7 as uuidv7 } from 'uuid';
import { Counter, Gauge, Registry } from 'prom-client';
import { Database, Sql } from '@realname/eventstore';

export const COMMAND_KINDS = ['person.upsert', 'person.delete', 'records.query', 'records.verify'] as const;
export type CommandKind = (typeof COMMAND_KINDS)[number];
export type CommandStatus = 'queued' | 'sent' | 'succeeded' | 'failed';

/** Put a person on the device (add or update), with their face photo when the platform has one. */
export interface PersonUpsert {
  personId: string;
  name: string;
  cardNumber?: string;
  /** `sha256:<hex>` of the face photo in the PhotoStore. */
  photoRef?: string;
}
export interface PersonDelete {
  personId: string;
}
/** Send (or count) the records of a time range again. */
export interface RecordsRange {
  from: string;
  to: string;
  backfillId: string;
}
export type CommandPayload = PersonUpsert | PersonDelete | RecordsRange;

export interface DeviceCommand {
  commandId: string;
  /** Positive integer unique in the gateway: the id a device echoes (ZKTeco `C:<seq>`, Uface taskNo). */
  seq: number;
  deviceId: string;
  kind: CommandKind;
  payload: CommandPayload;
  status: CommandStatus;
  attempts: number;
  deviceCode?: string;
  detail?: string;
  result?: Record<string, unknown>;
  origin?: string;
  createdAt: Date;
  sentAt?: Date;
  completedAt?: Date;
}

export interface CommandOutcome {
  ok: boolean;
  /** The device's own result code (ZKTeco Return, Uface msg, HTTPv2 ErrorCode, ...). */
  code?: string;
  detail?: string;
  result?: Record<string, unknown>;
}

export interface CommandQueueOptions {
  /** A sent command without an answer for this long is sent again. */
  ackTimeoutMs: number;
  /** After this many attempts a command fails for good. */
  maxAttempts: number;
  /** Wait before retrying a command the device refused: this times the attempt number. */
  retryDelayMs: number;
}

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

export type CompletionListener = (command: DeviceCommand, outcome: CommandOutcome) => Promise<void>;

/**
 * Commands for devices, whatever family delivers them: queued -> sent (claimed by a poll, a task
 * pull, a download list or the site agent) -> succeeded, or back to queued when the device refused
 * or did not answer, until the attempts run out -> failed with the device's code.
 */
export class CommandQueue {
  private readonly listeners: CompletionListener[] = [];
  private readonly transitions?: Counter<'kind' | 'status'>;

  constructor(
    private readonly db: Database,
    private readonly schema: string,
    private readonly opts: CommandQueueOptions,
    registry?: Registry,
  ) {
    if (registry) {
      this.transitions = new Counter({
        name: 'gateway_device_commands_total',
        help: 'Device commands entering a status (queued, sent, succeeded, retried, failed), by kind',
        labelNames: ['kind', 'status'],
        registers: [registry],
      });
      const { db, schema } = this;
      new Gauge({
        name: 'gateway_device_commands_open',
        help: 'Device commands not yet finished, by kind and status (queued, sent)',
        labelNames: ['kind', 'status'],
        registers: [registry],
        async collect() {
          this.reset();
          const rows = await db
            .query<{ kind: string; status: string; n: string }>(
              `SELECT kind, status, count(*) AS n FROM ${schema}.device_commands
                WHERE status IN ('queued', 'sent') GROUP BY kind, status`,
            )
            .catch(() => []);
          for (const r of rows) this.set({ kind: r.kind, status: r.status }, Number(r.n));
        },
      });
    }
  }

  /** Called after each answer from a device (backfills count records this way). */
  onCompleted(listener: CompletionListener): void {
    this.listeners.push(listener);
  }

  async enqueue(
    deviceId: string,
    kind: CommandKind,
    payload: CommandPayload,
    origin?: string,
    sql: Sql = this.db,
  ): Promise<DeviceCommand> {
    const [row] = await sql.query<CommandRow>(
      `INSERT INTO ${this.schema}.device_commands (command_id, device_id, kind, payload, origin)
       VALUES ($1, $2, $3, $4, $5) RETURNING *`,
      [uuidv7(), deviceId, kind, JSON.stringify(payload), origin ?? null],
    );
    this.transitions?.inc({ kind, status: 'queued' });
    return toCommand(row);
  }

  /**
   * Person commands for one person supersede the queued ones before them: a worker who entered and
   * left before the device polled gets only the delete.
   */
  async enqueuePersonChange(
    deviceId: string,
    kind: 'person.upsert' | 'person.delete',
    payload: PersonUpsert | PersonDelete,
    origin: string,
    sql: Sql,
  ): Promise<DeviceCommand> {
    const superseded = await sql.execute(
      `UPDATE ${this.schema}.device_commands
          SET status = 'failed', device_code = 'superseded', detail = 'a later command for this person replaced it', completed_at = now()
        WHERE device_id = $1 AND status = 'queued' AND kind IN ('person.upsert', 'person.delete')
          AND payload->>'personId' = $2`,
      [deviceId, payload.personId],
    );
    if (superseded > 0) this.transitions?.inc({ kind, status: 'superseded' }, superseded);
    return this.enqueue(deviceId, kind, payload, origin, sql);
  }

  /** Queued and due -> sent, oldest first, at most `limit`; `kinds` filters. */
  async claim(deviceId: string, limit: number, kinds?: CommandKind[]): Promise<DeviceCommand[]> {
    const rows = await this.db.query<CommandRow>(
      `UPDATE ${this.schema}.device_commands c
          SET status = 'sent', attempts = attempts + 1, sent_at = now()
         FROM (SELECT command_id FROM ${this.schema}.device_commands
                WHERE device_id = $1 AND status = 'queued' AND next_attempt_at <= now()
                  AND ($3::text[] IS NULL OR kind = ANY($3::text[]))
                ORDER BY seq LIMIT $2 FOR UPDATE SKIP LOCKED) due
        WHERE c.command_id = due.command_id
        RETURNING c.*`,
      [deviceId, Math.max(0, limit), kinds ?? null],
    );
    const commands = rows.map(toCommand).sort((a, b) => a.seq - b.seq);
    for (const c of commands) this.transitions?.inc({ kind: c.kind, status: 'sent' });
    return commands;
  }

  /** Queued-and-due counts per kind: what a keepalive or heartbeat reports as pending work. */
  async pendingCounts(deviceId: string): Promise<Record<CommandKind, number>> {
    const rows = await this.db.query<{ kind: CommandKind; n: string }>(
      `SELECT kind, count(*) AS n FROM ${this.schema}.device_commands
        WHERE device_id = $1 AND status = 'queued' AND next_attempt_at <= now() GROUP BY kind`,
      [deviceId],
    );
    const counts = Object.fromEntries(COMMAND_KINDS.map((k) => [k, 0])) as Record<CommandKind, number>;
    for (const r of rows) counts[r.kind] = Number(r.n);
    return counts;
  }

  /**
   * The device's answer to a command it was sent. A refusal goes back to the queue (after a delay)
   * until the attempts run out. An answer to a command that is not outstanding is ignored (a device
   * that reports twice), and undefined is returned.
   */
  async complete(
    deviceId: string,
    ref: { seq: number } | { commandId: string },
    outcome: CommandOutcome,
  ): Promise<DeviceCommand | undefined> {
    const byId = 'commandId' in ref;
    if (byId && !/^[0-9a-f-]{36}$/i.test(ref.commandId)) return undefined;
    if (!byId && !(Number.isSafeInteger(ref.seq) && ref.seq > 0)) return undefined;
    const [row] = await this.db.query<CommandRow>(
      `UPDATE ${this.schema}.device_commands
          SET status = CASE WHEN $3::boolean THEN 'succeeded' WHEN attempts >= $7 THEN 'failed' ELSE 'queued' END,
              completed_at = CASE WHEN $3::boolean OR attempts >= $7 THEN now() END,
              next_attempt_at = now() + make_interval(secs => attempts * $8::double precision / 1000),
              device_code = $4, detail = $5, result = $6
        WHERE device_id = $1 AND status = 'sent' AND ${byId ? 'command_id = $2::uuid' : 'seq = $2::bigint'}
        RETURNING *`,
      [
        deviceId,
        byId ? ref.commandId : ref.seq,
        outcome.ok,
        outcome.code?.slice(0, 64) ?? null,
        outcome.detail?.slice(0, 1000) ?? null,
        outcome.result ? JSON.stringify(outcome.result) : null,
        this.opts.maxAttempts,
        this.opts.retryDelayMs,
      ],
    );
    if (!row) return undefined;
    const command = toCommand(row);
    this.transitions?.inc({
      kind: command.kind,
      status: command.status === 'queued' ? 'retried' : command.status,
    });
    for (const listener of this.listeners) await listener(command, outcome);
    return command;
  }

  /** Sent commands without an answer within the timeout: sent again, or failed as `no-reply`. */
  async expire(): Promise<number> {
    const rows = await this.db.query<{ kind: CommandKind; status: CommandStatus }>(
      `UPDATE ${this.schema}.device_commands
          SET status = CASE WHEN attempts >= $2 THEN 'failed' ELSE 'queued' END,
              device_code = CASE WHEN attempts >= $2 THEN 'no-reply' ELSE device_code END,
              detail = CASE WHEN attempts >= $2 THEN 'the device never answered' ELSE detail END,
              completed_at = CASE WHEN attempts >= $2 THEN now() END
        WHERE status = 'sent' AND sent_at < now() - make_interval(secs => $1::double precision / 1000)
        RETURNING kind, status`,
      [this.opts.ackTimeoutMs, this.opts.maxAttempts],
    );
    for (const r of rows)
      this.transitions?.inc({ kind: r.kind, status: r.status === 'failed' ? 'failed' : 'retried' });
    return rows.length;
  }

  async list(
    deviceId: string,
    filter: { status?: CommandStatus; kind?: CommandKind; limit?: number; afterSeq?: number } = {},
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
    if (!/^[0-9a-f-]{36}$/i.test(commandId)) return undefined;
    const [row] = await this.db.query<CommandRow>(
      `SELECT * FROM ${this.schema}.device_commands WHERE command_id = $1`,
      [commandId],
    );
    return row && toCommand(row);
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
