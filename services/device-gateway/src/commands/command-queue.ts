import { v7 as uuidv7 } from 'uuid';
import { Counter, Gauge, Registry } from 'prom-client';
import { GatewayApi } from '@realname/contracts';
import { Database, Sql } from '@realname/eventstore';
import {
  decideAnswer,
  decideNoReply,
  decideSend,
  decideSupersede,
  isRejection,
  LifecycleRules,
  Transition,
} from './command-lifecycle.decider';
import { CommandRepository } from './command.repository';

/** The kinds of command (as the admin API's document names them). */
export const COMMAND_KINDS = GatewayApi.COMMAND_KINDS;
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

export type CommandQueueOptions = LifecycleRules;

export type CompletionListener = (command: DeviceCommand, outcome: CommandOutcome) => Promise<void>;

/**
 * Commands for devices, whatever family delivers them: queued -> sent (claimed by a poll, a task
 * pull, a download list or the site agent) -> succeeded, or back to queued when the device refused
 * or did not answer, until the attempts run out -> failed with the device's code. The transitions are
 * decided by command-lifecycle.decider.ts on rows the repository read under a lock.
 */
export class CommandQueue {
  private readonly listeners: CompletionListener[] = [];
  private readonly transitions?: Counter<'kind' | 'status'>;
  private readonly repo: CommandRepository;

  constructor(
    private readonly db: Database,
    schema: string,
    private readonly opts: CommandQueueOptions,
    registry?: Registry,
  ) {
    const repo = (this.repo = new CommandRepository(db, schema));
    if (registry) {
      this.transitions = new Counter({
        name: 'gateway_device_commands_total',
        help: 'Device commands entering a status (queued, sent, succeeded, retried, failed), by kind',
        labelNames: ['kind', 'status'],
        registers: [registry],
      });
      new Gauge({
        name: 'gateway_device_commands_open',
        help: 'Device commands not yet finished, by kind and status (queued, sent)',
        labelNames: ['kind', 'status'],
        registers: [registry],
        async collect() {
          this.reset();
          for (const r of await repo.openCounts().catch(() => []))
            this.set({ kind: r.kind, status: r.status }, r.n);
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
    const command = await this.repo.insert({ commandId: uuidv7(), deviceId, kind, payload, origin }, sql);
    this.transitions?.inc({ kind, status: 'queued' });
    return command;
  }

  /** A person command supersedes the person's queued ones before it (in the caller's transaction). */
  async enqueuePersonChange(
    deviceId: string,
    kind: 'person.upsert' | 'person.delete',
    payload: PersonUpsert | PersonDelete,
    origin: string,
    sql: Sql,
  ): Promise<DeviceCommand> {
    const { now, commands } = await this.repo.queuedForPerson(sql, deviceId, payload.personId);
    const superseded = decideSupersede(commands, payload.personId, now);
    await this.repo.store(sql, superseded);
    if (superseded.length > 0) this.transitions?.inc({ kind, status: 'superseded' }, superseded.length);
    return this.enqueue(deviceId, kind, payload, origin, sql);
  }

  /** Queued and due -> sent, oldest first, at most `limit`; `kinds` filters. */
  async claim(deviceId: string, limit: number, kinds?: CommandKind[]): Promise<DeviceCommand[]> {
    // Most polls find nothing due: look without a transaction first.
    const peek = await this.repo.due(this.db, deviceId, limit, kinds, false);
    if (peek.commands.length === 0) return [];
    const sent = await this.db.transaction(async (tx) => {
      const { now, commands } = await this.repo.due(tx, deviceId, limit, kinds);
      const transitions = commands.map((c) => decideSend(c, now)).flatMap((t) => (isRejection(t) ? [] : [t]));
      await this.repo.store(tx, transitions);
      return transitions;
    });
    this.count(sent);
    return sent.map((t) => t.command).sort((a, b) => a.seq - b.seq);
  }

  /** Queued-and-due counts per kind: what a keepalive or heartbeat reports as pending work. */
  async pendingCounts(deviceId: string): Promise<Record<CommandKind, number>> {
    const counts = Object.fromEntries(COMMAND_KINDS.map((k) => [k, 0])) as Record<CommandKind, number>;
    for (const r of await this.repo.dueCounts(deviceId)) counts[r.kind] = r.n;
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
    if ('commandId' in ref ? !isUuid(ref.commandId) : !(Number.isSafeInteger(ref.seq) && ref.seq > 0))
      return undefined;
    const transition = await this.db.transaction(async (tx) => {
      const { now, commands } = await this.repo.outstanding(tx, deviceId, ref);
      if (commands.length === 0) return undefined;
      const t = decideAnswer(commands[0], outcome, now, this.opts);
      if (isRejection(t)) return undefined;
      await this.repo.store(tx, [t]);
      return t;
    });
    if (!transition) return undefined;
    this.count([transition]);
    for (const listener of this.listeners) await listener(transition.command, outcome);
    return transition.command;
  }

  /** Sent commands without an answer within the timeout: sent again, or failed as `no-reply`. */
  async expire(): Promise<number> {
    const expired = await this.db.transaction(async (tx) => {
      const { now, commands } = await this.repo.sent(tx);
      const transitions = commands.flatMap((c) => decideNoReply(c, now, this.opts) ?? []);
      await this.repo.store(tx, transitions);
      return transitions;
    });
    this.count(expired);
    return expired.length;
  }

  list(
    deviceId: string,
    filter: { status?: CommandStatus; kind?: CommandKind; limit?: number; afterSeq?: number } = {},
  ): Promise<DeviceCommand[]> {
    return this.repo.list(deviceId, filter);
  }

  async get(commandId: string): Promise<DeviceCommand | undefined> {
    return isUuid(commandId) ? this.repo.get(commandId) : undefined;
  }

  private count(transitions: Transition[]): void {
    for (const t of transitions) this.transitions?.inc({ kind: t.command.kind, status: t.counted });
  }
}

function isUuid(s: string): boolean {
  return /^[0-9a-f-]{36}$/i.test(s);
}
