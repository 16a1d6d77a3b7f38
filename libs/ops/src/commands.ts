import { parseArgs, ParseArgsConfig } from 'node:util';
import { SingleBar } from 'cli-progress';
import type { Kafka } from 'kafkajs';
import { createKafka, Database, ProjectionDefinition, rebuildProjection } from '@realname/eventstore';
import type { EncryptedColumn, PersonalDataVault } from '@realname/personal-data';
import { opsEnvironment, OpsEnvironment, schemaName } from './config';
import { DeadLetter, inboxOutcomes, listDeadLetters, replayDeadLetters, ReplayItem } from './dlq';
import { OpsError, UsageError } from './errors';
import {
  ColumnKeyStatus,
  columnKeyStatus,
  columnName,
  ColumnRotation,
  keyringVariables,
  loadPersonalDataColumns,
  personalDataColumnModulePaths,
  rotateColumn,
  RotationHooks,
  vaultFor,
} from './key-rotation';
import { clickHousePunches, eventStoreSchemas, outboxStatus } from './outbox-status';
import { findProjection, loadProjections, projectionModulePaths } from './projections';
import { cut, formatAge, formatTable } from './table';

/** Where a command writes: its result to `out`, progress and errors to `err`. */
export interface OpsIO {
  out: (text: string) => void;
  err: (text: string) => void;
  /** The progress bar's stream (a TTY shows the bar; otherwise only the summary line is written). */
  progressStream?: NodeJS.WritableStream;
  env?: Record<string, string | undefined>;
  /** Projection modules to load instead of the services' build output (tests). */
  projectionModules?: string[];
  /** Encrypted-column declaration modules to load instead of the services' build output (tests). */
  personalDataModules?: string[];
  /** Test hooks of `keys rotate`. */
  keyRotationHooks?: RotationHooks;
}

const RUN = 'npm run ops --';

const HELP = `Operator commands for the real-name platform.

Usage: ${RUN} <command> [options]

Commands:
  dlq list [--consumer <group>] [--limit N] [--json]
        Dead-lettered messages (topic dlq.<group>.v1): offset, event id, type, original
        topic/partition/offset, when it failed and why.
  dlq replay --consumer <group> (--event-id <uuid> ... | --all) [--dry-run] [--schema <s>] [--wait <s>]
        Republish dead-lettered messages to their original topic; the service applies each exactly once.
  projection list
        The read models the services declare (services/*/src/projections.ts).
  projection rebuild <name> [--schema <s>] [--batch-size N]
        Rebuild a read model from the event store, in one transaction, with a progress bar.
  outbox status [--schema <s> ...] [--json]
        Per event-store schema: events stored, relay and sink checkpoints, backlog, oldest pending event.
  keys status [--schema <s>] [--service <name>] [--json]
        Per encrypted personal-data column: how many values are under each key id.
  keys rotate [--schema <s>] [--service <name>] [--batch-size N] [--dry-run]
        Re-encrypt every personal-data value under the active key, in small batches, while the services run.

Each command has its own --help. Connection settings come from the variables the services read:
  DATABASE_URL, DATABASE_SCHEMA     PostgreSQL (dlq replay, projection, outbox)
  KAFKA_BROKERS, KAFKA_TOPIC_PREFIX Kafka (dlq)
  CLICKHOUSE_URL, CLICKHOUSE_USER, CLICKHOUSE_PASSWORD, CLICKHOUSE_DATABASE (outbox status, optional)
  PII_KEYS, PII_ACTIVE_KEY_ID        the personal-data keyring (keys rotate; keys status, optional)
Local stack: eval "$(bash deploy/local/stack.sh env)" && export DATABASE_URL=$REALNAME_PG_URL \\
  KAFKA_BROKERS=$REALNAME_KAFKA_BROKERS CLICKHOUSE_URL=$REALNAME_CLICKHOUSE_URL
See docs/operations.md.`;

const COMMAND_HELP: Record<string, string> = {
  'dlq list': `Usage: ${RUN} dlq list [--consumer <group>] [--limit N] [--json]

Lists the messages on dead-letter topics, oldest first. Reads each topic from the beginning with a
throwaway consumer group that never commits (the service's own group is not touched).

  --consumer <group>  only this consumer group's topic (KAFKA_TOPIC_PREFIX + dlq.<group>.v1);
                      default: every dead-letter topic under the prefix
  --limit N           show the N most recent per topic (default 50; 0 for all)
  --json              one JSON object per message (all headers, value as text) instead of a table`,
  'dlq replay': `Usage: ${RUN} dlq replay --consumer <group> (--event-id <uuid> ... | --all) [options]

Republishes each chosen message unchanged (key, value, ce_* headers; dlq-* headers removed,
dlq-replayed-at added) to its original topic and partition. The service's consumer applies it through
its inbox, so it takes effect exactly once however often it is replayed. Events the inbox records as
processed are not republished; inbox rows 'dead-lettered' (written by older consumers) are deleted first.

  --consumer <group>   the consumer group (the service's KAFKA_GROUP_ID), required
  --event-id <uuid>    an event to replay (the ce_id shown by dlq list); repeat for several
  --all                every message on the topic
  --dry-run            say what would be done; change nothing
  --schema <s>         the service's schema holding the inbox (default: DATABASE_SCHEMA, else <group>)
  --inbox-name <name>  the consumer's inbox name if it differs from the group (default: <group>)
  --wait <seconds>     then wait up to this long until the inbox shows each replayed event applied`,
  'projection list': `Usage: ${RUN} projection list

The read models the services declare (services/*/src/projections.ts, loaded from their build output,
plus modules in OPS_PROJECTION_MODULES): name, default schema, tables, event types.`,
  'projection rebuild': `Usage: ${RUN} projection rebuild <name> [--schema <s>] [--batch-size N]

Rebuilds a read model from the event store: in one REPEATABLE READ transaction it locks the
projection's tables, empties them and applies every event of its types in store order, in batches.
Readers and the service's writers wait until it commits; a failure changes nothing.

  --schema <s>      the service's schema (default: DATABASE_SCHEMA, else the projection's default)
  --batch-size N    events per batch (default 2000)`,
  'outbox status': `Usage: ${RUN} outbox status [--schema <s> ...] [--json]

For each event-store schema: events stored, the outbox relay's checkpoint (outbox:kafka: transaction id
and global position), its backlog (events committed but not yet published) and the age of the oldest
of them; the same for the other pollers (sink:clickhouse ...). With CLICKHOUSE_URL set, also the rows
ClickHouse holds.

  --schema <s>   this schema (repeatable); default: DATABASE_SCHEMA, else every schema with an event store
  --json         the figures as JSON`,
  'keys status': `Usage: ${RUN} keys status [--schema <s>] [--service <name>] [--json]

For every column the services declare as holding encrypted personal data
(services/*/src/personal-data-columns.ts, plus modules in OPS_PERSONAL_DATA_MODULES): how many values
are under each key id, and how many rows store none. With the keyring variables set (PII_KEYS,
PII_ACTIVE_KEY_ID), each key id is marked active, configured, or NOT CONFIGURED (unreadable).

  --schema <s>       the service's schema (default: DATABASE_SCHEMA, else each service's default)
  --service <name>   only this service's columns (e.g. worker-registry)
  --json             the figures as JSON`,
  'keys rotate': `Usage: ${RUN} keys rotate [--schema <s>] [--service <name>] [--batch-size N] [--dry-run]

Re-encrypts every value of every encrypted personal-data column that is not under the active key
(PII_ACTIVE_KEY_ID) with it, while the services run. Batches in key order, each written in one short
transaction that changes a row only if it still holds the value read (a write by the service meanwhile
is never overwritten; it is read again). Values already under the active key are skipped, so it can be
stopped and run again at any time. Needs the same PII_KEYS (old and new keys) and PII_ACTIVE_KEY_ID
(the new key) as the services. Lookup hashes are not changed (they use PII_HASH_KEY, which this does not
rotate). Exits 1 if any value is left under an old key (failed, or written by a service still
configured with the old active key): see the summary, fix, run again.

  --schema <s>       the service's schema (default: DATABASE_SCHEMA, else each service's default)
  --service <name>   only this service's columns (e.g. worker-registry)
  --batch-size N     values per batch and transaction (default 500)
  --dry-run          decrypt every value that would be re-encrypted, report, change nothing`,
};

/** Runs one command line (without the program name); returns the process exit code. */
export async function runOps(argv: string[], io: OpsIO): Promise<number> {
  try {
    const [group, action, ...rest] = argv;
    if (group === undefined || group === '--help' || group === '-h' || group === 'help') {
      io.out(HELP);
      return group === undefined ? 2 : 0;
    }
    const command = `${group} ${action ?? ''}`.trim();
    const env = opsEnvironment(io.env);
    if (!COMMAND_HELP[command]) {
      const known = Object.keys(COMMAND_HELP).filter((c) => c.startsWith(`${group} `));
      throw new UsageError(
        known.length > 0
          ? `"${command}" is not a command; ${group} has: ${known.map((c) => c.slice(group.length + 1)).join(', ')}`
          : `"${group}" is not a command; there are: dlq, projection, outbox, keys`,
      );
    }
    if (rest.includes('--help') || rest.includes('-h')) {
      io.out(COMMAND_HELP[command]);
      return 0;
    }
    switch (command) {
      case 'dlq list':
        return await dlqList(rest, env, io);
      case 'dlq replay':
        return await dlqReplay(rest, env, io);
      case 'projection list':
        return projectionList(rest, io);
      case 'projection rebuild':
        return await projectionRebuild(rest, env, io);
      case 'outbox status':
        return await outboxStatusCommand(rest, env, io);
      case 'keys status':
        return await keysStatus(rest, env, io);
      case 'keys rotate':
        return await keysRotate(rest, env, io);
    }
    return 2;
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`error: ${err.message}\nSee ${RUN} --help`);
      return 2;
    }
    if (err instanceof OpsError) {
      io.err(`error: ${err.message}`);
      return 1;
    }
    io.err(`error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    return 1;
  }
}

function parse<T extends NonNullable<ParseArgsConfig['options']>>(
  command: string,
  args: string[],
  options: T,
) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError(
      `${command}: ${err instanceof Error ? err.message : String(err)}\n\n${COMMAND_HELP[command]}`,
    );
  }
}

function noPositionals(command: string, positionals: string[]): void {
  if (positionals.length > 0)
    throw new UsageError(`${command} takes no argument "${positionals[0]}" (options start with --)`);
}

function wholeNumber(flag: string, value: string | undefined, def: number, min = 0): number {
  if (value === undefined) return def;
  if (!/^\d+$/.test(value) || Number(value) < min)
    throw new UsageError(
      `${flag} must be a whole number${min > 0 ? ` of at least ${min}` : ''}, not "${value}"`,
    );
  return Number(value);
}

async function withKafka<T>(env: OpsEnvironment, fn: (kafka: Kafka) => Promise<T>): Promise<T> {
  const kafka = createKafka({ brokers: env.kafkaBrokers(), clientId: 'realname-ops' });
  return fn(kafka);
}

async function withDatabase<T>(env: OpsEnvironment, fn: (db: Database) => Promise<T>): Promise<T> {
  const url = env.databaseUrl();
  let db: Database;
  try {
    // Operator work (a rebuild waiting for the consumer's locks, a long rotation batch) is not cut short
    // by the services' statement timeout; the operator stops it with Ctrl-C.
    db = await Database.connect({ url, poolSize: 2, applicationName: 'realname-ops', statementTimeoutMs: 0 });
  } catch (err) {
    throw new OpsError(
      `cannot connect to PostgreSQL at DATABASE_URL (${redactUrl(url)}): ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}

// ---- dlq --------------------------------------------------------------------------------------------

async function dlqList(args: string[], env: OpsEnvironment, io: OpsIO): Promise<number> {
  const { values, positionals } = parse('dlq list', args, {
    consumer: { type: 'string' },
    limit: { type: 'string' },
    json: { type: 'boolean' },
  });
  noPositionals('dlq list', positionals);
  const limit = wholeNumber('--limit', values.limit, 50);
  const prefix = env.kafkaTopicPrefix();
  const listings = await withKafka(env, (kafka) =>
    listDeadLetters(kafka, { prefix, consumerGroup: values.consumer }),
  );
  if (values.json) {
    for (const l of listings)
      for (const m of shown(l.messages ?? [], limit))
        io.out(JSON.stringify(deadLetterJson(l.consumerGroup, m)));
    return 0;
  }
  if (listings.length === 0) {
    io.out(
      `no dead-letter topics${prefix ? ` under the prefix "${prefix}"` : ''}: nothing was dead-lettered`,
    );
    return 0;
  }
  for (const l of listings) {
    if (l.messages === undefined) {
      io.out(
        `${l.topic}: no such topic (nothing dead-lettered by ${l.consumerGroup}, or wrong --consumer/KAFKA_TOPIC_PREFIX)`,
      );
      continue;
    }
    const messages = shown(l.messages, limit);
    const count =
      messages.length < l.messages.length
        ? `${l.messages.length} messages, the last ${messages.length} shown (--limit 0 for all)`
        : `${l.messages.length} message${l.messages.length === 1 ? '' : 's'}`;
    io.out(`${l.topic} (consumer group ${l.consumerGroup}): ${count}`);
    if (messages.length === 0) continue;
    io.out(
      formatTable(
        ['OFFSET', 'EVENT ID', 'TYPE', 'ORIGINAL (TOPIC/PARTITION@OFFSET)', 'FAILED AT', 'REASON'],
        messages.map((m) => [
          m.partition === 0 ? m.offset : `${m.partition}@${m.offset}`,
          m.eventId ?? '(no ce_id)',
          shortType(m.eventType),
          m.originalTopic
            ? `${m.originalTopic}/${m.originalPartition ?? '?'}@${m.originalOffset ?? '?'}`
            : '?',
          (m.failedAt ?? '?').replace(/\.\d+Z$/, 'Z'),
          cut((m.replayedAt ? '[failed again after replay] ' : '') + (m.reason ?? ''), 70),
        ]),
      ),
    );
    io.out('');
  }
  return 0;
}

function shown(messages: DeadLetter[], limit: number): DeadLetter[] {
  return limit === 0 ? messages : messages.slice(-limit);
}

function shortType(type: string | undefined): string {
  return type ? type.replace(/^realname\./, '') : '?';
}

function deadLetterJson(consumerGroup: string, m: DeadLetter) {
  return {
    consumerGroup,
    topic: m.topic,
    partition: m.partition,
    offset: m.offset,
    eventId: m.eventId ?? null,
    type: m.eventType ?? null,
    originalTopic: m.originalTopic ?? null,
    originalPartition: m.originalPartition ?? null,
    originalOffset: m.originalOffset ?? null,
    failedAt: m.failedAt ?? null,
    reason: m.reason ?? null,
    replayedAt: m.replayedAt ?? null,
    key: m.key?.toString('utf8') ?? null,
    headers: Object.fromEntries(Object.entries(m.headers).map(([k, v]) => [k, v.toString('utf8')])),
    value: m.value?.toString('utf8') ?? null,
  };
}

async function dlqReplay(args: string[], env: OpsEnvironment, io: OpsIO): Promise<number> {
  const { values, positionals } = parse('dlq replay', args, {
    consumer: { type: 'string' },
    'event-id': { type: 'string', multiple: true },
    all: { type: 'boolean' },
    'dry-run': { type: 'boolean' },
    schema: { type: 'string' },
    'inbox-name': { type: 'string' },
    wait: { type: 'string' },
  });
  noPositionals('dlq replay', positionals);
  const group = values.consumer;
  if (!group)
    throw new UsageError(
      "dlq replay needs --consumer <group> (the service's KAFKA_GROUP_ID, e.g. attendance)",
    );
  const ids = values['event-id'] ?? [];
  if (values.all && ids.length > 0) throw new UsageError('give either --event-id or --all, not both');
  if (!values.all && ids.length === 0)
    throw new UsageError('say what to replay: --event-id <uuid> (repeatable; see `dlq list`) or --all');
  const waitS = wholeNumber('--wait', values.wait, 0);
  const schema = values.schema
    ? schemaName(values.schema, '--schema')
    : (env.databaseSchema() ??
      (/^[a-z_][a-z0-9_]{0,62}$/.test(group)
        ? group
        : (() => {
            throw new UsageError(
              `pass --schema: the inbox schema cannot be guessed from the group "${group}"`,
            );
          })()));
  const inboxName = values['inbox-name'] ?? group;
  const prefix = env.kafkaTopicPrefix();
  const dryRun = values['dry-run'] ?? false;
  await withDatabase(env, (db) =>
    withKafka(env, async (kafka) => {
      const items = await replayDeadLetters({
        kafka,
        db,
        prefix,
        consumerGroup: group,
        schema,
        inboxName,
        eventIds: values.all ? undefined : ids,
        all: values.all,
        dryRun,
      });
      io.out(replaySummary(items, dryRun));
      const replayed = items.filter((i) => i.action === 'replayed' || i.action === 'replayed-cleared-inbox');
      if (waitS > 0 && !dryRun && replayed.length > 0) {
        const ids = replayed.map((i) => i.deadLetter.eventId!);
        const deadline = Date.now() + waitS * 1000;
        let pending = ids;
        while (pending.length > 0 && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 500));
          const outcomes = await inboxOutcomes(db, schema, inboxName, pending);
          pending = pending.filter((id) => outcomes.get(id) !== 'processed');
        }
        if (pending.length === 0)
          io.out(`applied: all ${ids.length} replayed event(s) are in the inbox as processed`);
        else
          io.out(
            `not applied yet after ${waitS}s: ${pending.join(', ')} (is the service running? did it dead-letter them again? see \`dlq list --consumer ${group}\`)`,
          );
      }
    }),
  );
  return 0;
}

const ACTION_TEXT: Record<ReplayItem['action'], [string, string]> = {
  replayed: ['replayed', 'would replay'],
  'replayed-cleared-inbox': [
    "replayed (deleted the inbox's 'dead-lettered' row first)",
    "would delete the inbox's 'dead-lettered' row and replay",
  ],
  'already-applied': [
    'already applied (in the inbox): not republished',
    'already applied (in the inbox): would skip',
  ],
  superseded: [
    'superseded by a later dead-lettering of the same event',
    'superseded by a later dead-lettering of the same event',
  ],
  'not-replayable': [
    'not replayable (no ce_id or no original topic)',
    'not replayable (no ce_id or no original topic)',
  ],
};

export function replaySummary(items: ReplayItem[], dryRun: boolean): string {
  if (items.length === 0) return 'nothing to replay: the dead-letter topic is empty';
  const table = formatTable(
    ['OFFSET', 'EVENT ID', 'TYPE', 'TO (TOPIC/PARTITION)', 'WHAT'],
    items.map((i) => [
      i.deadLetter.offset,
      i.deadLetter.eventId ?? '(no ce_id)',
      shortType(i.deadLetter.eventType),
      `${i.deadLetter.originalTopic ?? '?'}/${i.deadLetter.originalPartition ?? '?'}`,
      ACTION_TEXT[i.action][dryRun ? 1 : 0],
    ]),
  );
  const n = (a: ReplayItem['action'][]) => items.filter((i) => a.includes(i.action)).length;
  const replayed = n(['replayed', 'replayed-cleared-inbox']);
  const summary = dryRun
    ? `dry run, nothing changed: ${replayed} would be replayed, ${n(['already-applied'])} already applied, ${n(['superseded', 'not-replayable'])} skipped`
    : `${replayed} replayed (the consumer applies each once), ${n(['already-applied'])} already applied, ${n(['superseded', 'not-replayable'])} skipped`;
  return `${table}\n${summary}`;
}

// ---- projection --------------------------------------------------------------------------------------

function projections(io: OpsIO): ProjectionDefinition[] {
  return loadProjections(io.projectionModules ?? projectionModulePaths());
}

function projectionList(args: string[], io: OpsIO): number {
  const { positionals } = parse('projection list', args, {});
  noPositionals('projection list', positionals);
  const all = projections(io);
  if (all.length === 0) {
    io.out('no projections found: build the services first (npm run build)');
    return 0;
  }
  io.out(
    formatTable(
      ['NAME', 'SCHEMA', 'TABLES', 'EVENT TYPES', 'DESCRIPTION'],
      all.map((p) => [
        p.name,
        p.defaultSchema,
        p.tables.join(', '),
        p.eventTypes.map((t) => shortType(t)).join(', '),
        p.description,
      ]),
    ),
  );
  return 0;
}

async function projectionRebuild(args: string[], env: OpsEnvironment, io: OpsIO): Promise<number> {
  const { values, positionals } = parse('projection rebuild', args, {
    schema: { type: 'string' },
    'batch-size': { type: 'string' },
  });
  if (positionals.length !== 1)
    throw new UsageError(
      positionals.length === 0
        ? "projection rebuild needs the projection's name (see `projection list`), e.g. projection rebuild attendance.punches"
        : `projection rebuild takes one name, not ${positionals.length}: ${positionals.join(' ')}`,
    );
  const projection = findProjection(projections(io), positionals[0]);
  const schema = values.schema
    ? schemaName(values.schema, '--schema')
    : (env.databaseSchema() ?? projection.defaultSchema);
  const batchSize = wholeNumber('--batch-size', values['batch-size'], 2000, 1);
  const stream = io.progressStream ?? process.stderr;
  const bar = new SingleBar({
    stream,
    format: `${projection.name} |{bar}| {percentage}% {value}/{total} events | {rate} events/s | ETA {eta_formatted}`,
    barCompleteChar: '█',
    barIncompleteChar: '░',
    hideCursor: true,
    etaBuffer: 20,
  });
  const started = Date.now();
  const rate = (n: number) => Math.round(n / Math.max(0.001, (Date.now() - started) / 1000));
  const result = await withDatabase(env, async (db) => {
    const [exists] = await db.query<{ ok: boolean }>(`SELECT to_regclass($1) IS NOT NULL AS ok`, [
      `${schema}.events`,
    ]);
    if (!exists.ok)
      throw new OpsError(
        `there is no event store in schema "${schema}": pass the service's schema with --schema (its DATABASE_SCHEMA)`,
      );
    try {
      return await rebuildProjection(db, projection, {
        schema,
        batchSize,
        onStart: (p) => {
          io.err(
            `rebuilding ${projection.name} in schema ${schema}: ${p.total} events (tables ${projection.tables.join(', ')} locked until done)`,
          );
          bar.start(p.total, 0, { rate: 0 });
        },
        onProgress: (p) => bar.update(p.applied, { rate: rate(p.applied) }),
      });
    } catch (err) {
      throw new OpsError(
        `the rebuild of ${projection.name} in ${schema} failed and was rolled back (the read model is as it was): ` +
          `${err instanceof Error ? err.message : String(err)}`,
      );
    } finally {
      bar.stop();
    }
  });
  const seconds = result.elapsedMs / 1000;
  io.out(
    `rebuilt ${projection.name} in ${result.schema} (${result.tables.join(', ')}): ${result.applied} events in ` +
      `${seconds.toFixed(1)} s (${Math.round(result.applied / Math.max(seconds, 0.001))} events/s)`,
  );
  return 0;
}

// ---- outbox ------------------------------------------------------------------------------------------

async function outboxStatusCommand(args: string[], env: OpsEnvironment, io: OpsIO): Promise<number> {
  const { values, positionals } = parse('outbox status', args, {
    schema: { type: 'string', multiple: true },
    json: { type: 'boolean' },
  });
  noPositionals('outbox status', positionals);
  const chosen = (values.schema ?? []).map((s) => schemaName(s, '--schema'));
  const ch = env.clickhouse();
  await withDatabase(env, async (db) => {
    const fromEnv = env.databaseSchema();
    const schemas = chosen.length > 0 ? chosen : fromEnv ? [fromEnv] : await eventStoreSchemas(db);
    if (schemas.length === 0) {
      io.out('no schema holds an event store (an events and a checkpoints table) in this database');
      return;
    }
    const statuses = [];
    for (const s of schemas) {
      try {
        statuses.push(await outboxStatus(db, s));
      } catch (err) {
        throw new OpsError(
          `${err instanceof Error ? err.message : String(err)}: check --schema / DATABASE_SCHEMA`,
        );
      }
    }
    const sink =
      statuses.some((s) => s.checkpoints.some((c) => c.name === 'sink:clickhouse')) && ch
        ? await clickHousePunches(ch)
        : undefined;
    if (values.json) {
      io.out(
        JSON.stringify(
          { schemas: statuses, clickhouse: sink },
          (_k, v) => (typeof v === 'bigint' ? String(v) : v),
          2,
        ),
      );
      return;
    }
    io.out(
      formatTable(
        [
          'SCHEMA',
          'EVENTS',
          'CHECKPOINT',
          'TRANSACTION ID',
          'GLOBAL POS',
          'BACKLOG',
          'OLDEST PENDING',
          'MOVED',
        ],
        statuses.flatMap((s) =>
          s.checkpoints.map((c, i) => [
            i === 0 ? s.schema : '',
            i === 0 ? String(s.events) : '',
            c.name,
            c.transactionId ?? '(never moved)',
            c.globalPosition ?? '-',
            String(c.backlog),
            c.oldestPendingAgeMs === undefined ? '-' : `${formatAge(c.oldestPendingAgeMs)} ago`,
            c.updatedAt ? `${formatAge(Date.now() - c.updatedAt.getTime())} ago` : '-',
          ]),
        ),
      ),
    );
    if (sink)
      io.out(
        sink.error
          ? `ClickHouse (${ch!.url}, ${ch!.database}.punches): not readable: ${sink.error}`
          : `ClickHouse ${ch!.database}.punches: ${sink.rows} rows, last inserted ${sink.lastInsertedAt} UTC`,
      );
    else if (!ch && statuses.some((s) => s.checkpoints.some((c) => c.name === 'sink:clickhouse')))
      io.out('ClickHouse: set CLICKHOUSE_URL to also see what the sink has delivered');
  });
  return 0;
}

// ---- keys ----------------------------------------------------------------------------------------------

/** The declared encrypted columns, those of `--service` only if given, each with the schema to use. */
function encryptedColumns(
  io: OpsIO,
  env: OpsEnvironment,
  values: { schema?: string; service?: string },
): { column: EncryptedColumn; schema: string }[] {
  const all = loadPersonalDataColumns(io.personalDataModules ?? personalDataColumnModulePaths());
  if (all.length === 0)
    throw new OpsError(
      'no encrypted columns found: build the services first (npm run build) so that services/*/dist/personal-data-columns.js exist',
    );
  const chosen = values.service ? all.filter((c) => c.service === values.service) : all;
  if (chosen.length === 0)
    throw new UsageError(
      `no service "${values.service}" declares encrypted columns; there are: ${[...new Set(all.map((c) => c.service))].join(', ')}`,
    );
  const schema = values.schema ? schemaName(values.schema, '--schema') : env.databaseSchema();
  return chosen.map((column) => ({ column, schema: schema ?? column.defaultSchema }));
}

function rawEnv(io: OpsIO): Record<string, string | undefined> {
  return io.env ?? process.env;
}

async function keysStatus(args: string[], env: OpsEnvironment, io: OpsIO): Promise<number> {
  const { values, positionals } = parse('keys status', args, {
    schema: { type: 'string' },
    service: { type: 'string' },
    json: { type: 'boolean' },
  });
  noPositionals('keys status', positionals);
  const targets = encryptedColumns(io, env, values);
  const statuses = await withDatabase(env, async (db) => {
    const out: { status: ColumnKeyStatus; vault?: PersonalDataVault }[] = [];
    for (const t of targets) {
      const v = vaultFor(t.column, rawEnv(io));
      out.push({
        status: await columnKeyStatus(db, t.schema, t.column),
        vault: 'missing' in v ? undefined : v,
      });
    }
    return out;
  });
  const note = (keyId: string, vault?: PersonalDataVault) =>
    !vault
      ? ''
      : keyId === vault.currentKeyId
        ? 'active'
        : vault.hasKey(keyId)
          ? 'configured (old: rotate)'
          : keyId === '(not pd1)'
            ? 'not an encrypted value'
            : 'NOT CONFIGURED: unreadable';
  if (values.json) {
    io.out(
      JSON.stringify(
        statuses.map(({ status, vault }) => ({
          ...status,
          activeKeyId: vault?.currentKeyId ?? null,
          byKey: status.byKey.map((k) => ({ ...k, note: note(k.keyId, vault) || null })),
        })),
        null,
        2,
      ),
    );
    return 0;
  }
  const rows: string[][] = [];
  for (const { status: s, vault } of statuses) {
    const where = [s.schema, `${s.table}.${s.column}`];
    if (!s.exists) {
      rows.push([...where, '-', '-', `no such table/column in schema ${s.schema} (${s.service})`]);
      continue;
    }
    if (s.byKey.length === 0) rows.push([...where, '-', '0', '']);
    s.byKey.forEach((k, i) =>
      rows.push([...(i === 0 ? where : ['', '']), k.keyId, String(k.values), note(k.keyId, vault)]),
    );
    if (s.empty > 0) rows.push(['', '', '(none stored)', String(s.empty), '']);
  }
  io.out(formatTable(['SCHEMA', 'COLUMN', 'KEY ID', 'VALUES', 'NOTE'], rows));
  const configured = statuses.filter((s) => s.vault);
  if (configured.length === 0)
    io.out(
      `set ${[...new Set(targets.map((t) => `${keyringVariables(t.column).keys}, ${keyringVariables(t.column).activeKeyId}`))].join('; ')} (the services' values) to see which key ids are active, old or missing`,
    );
  else {
    const old = configured.reduce(
      (n, { status, vault }) =>
        n + status.byKey.filter((k) => k.keyId !== vault!.currentKeyId).reduce((m, k) => m + k.values, 0),
      0,
    );
    io.out(
      old === 0
        ? `every value is under the active key: keys no longer used may be removed from the keyring`
        : `${old} value${old === 1 ? ' is' : 's are'} not under the active key: \`${RUN} keys rotate\``,
    );
  }
  return 0;
}

async function keysRotate(args: string[], env: OpsEnvironment, io: OpsIO): Promise<number> {
  const { values, positionals } = parse('keys rotate', args, {
    schema: { type: 'string' },
    service: { type: 'string' },
    'batch-size': { type: 'string' },
    'dry-run': { type: 'boolean' },
  });
  noPositionals('keys rotate', positionals);
  const batchSize = wholeNumber('--batch-size', values['batch-size'], 500, 1);
  const dryRun = values['dry-run'] ?? false;
  const targets = encryptedColumns(io, env, values).map((t) => {
    const vault = vaultFor(t.column, rawEnv(io));
    if ('missing' in vault)
      throw new OpsError(
        `${vault.missing.join(' and ')} ${vault.missing.length === 1 ? 'is' : 'are'} not set: set ${vault.missing.length === 1 ? 'it' : 'them'} as for ` +
          `the ${t.column.service} service, with the new key in the key list and active (see docs/operations.md, "Personal-data keys")`,
      );
    return { ...t, vault };
  });
  const stream = io.progressStream ?? process.stderr;
  const results: ColumnRotation[] = [];
  await withDatabase(env, async (db) => {
    for (const t of targets) {
      const label = `${t.schema}.${columnName(t.column)}`;
      const bar = new SingleBar({
        stream,
        format: `${label} |{bar}| {percentage}% {value}/{total} values | {rate} values/s | ETA {eta_formatted}`,
        barCompleteChar: '█',
        barIncompleteChar: '░',
        hideCursor: true,
        etaBuffer: 20,
      });
      const started = Date.now();
      const rate = (n: number) => Math.round(n / Math.max(0.001, (Date.now() - started) / 1000));
      try {
        results.push(
          await rotateColumn(db, t.vault, t.schema, t.column, {
            batchSize,
            dryRun,
            hooks: io.keyRotationHooks,
            onStart: (toDo) => {
              if (toDo > 0) bar.start(toDo, 0, { rate: 0 });
            },
            onProgress: (p) => bar.update(p.done, { rate: rate(p.done) }),
          }),
        );
      } catch (err) {
        throw new OpsError(
          `the rotation of ${label} stopped: ${err instanceof Error ? err.message : String(err)}. ` +
            `What was written is consistent (each batch is its own transaction); run again to go on.`,
        );
      } finally {
        bar.stop();
      }
    }
  });
  io.out(rotationSummary(results, dryRun));
  return !dryRun && results.some((r) => r.remaining > 0 || r.failed.length > 0) ? 1 : 0;
}

export function rotationSummary(results: ColumnRotation[], dryRun: boolean): string {
  const table = formatTable(
    [
      'SCHEMA',
      'COLUMN',
      'TO KEY',
      dryRun ? 'WOULD RE-ENCRYPT' : 'RE-ENCRYPTED',
      'ALREADY CURRENT',
      'REWRITTEN MEANWHILE',
      'FAILED',
      'LEFT',
      'TIME',
    ],
    results.map((r) =>
      r.exists
        ? [
            r.schema,
            `${r.table}.${r.column}`,
            r.targetKeyId,
            String(r.reencrypted),
            String(r.alreadyCurrent),
            String(r.rewrittenMeanwhile),
            String(r.failed.reduce((n, f) => n + f.count, 0)),
            String(r.remaining),
            `${(r.elapsedMs / 1000).toFixed(1)} s`,
          ]
        : [r.schema, `${r.table}.${r.column}`, r.targetKeyId, '-', '-', '-', '-', '-', 'no such table'],
    ),
  );
  const lines = [table];
  for (const r of results)
    for (const f of r.failed)
      lines.push(
        `failed ${r.schema}.${r.table}.${r.column}: ${f.count} × ${f.reason} (rows ${f.examples.join(', ')}${f.count > f.examples.length ? ', ...' : ''})`,
      );
  const total = results.reduce((n, r) => n + r.reencrypted, 0);
  const failed = results.reduce((n, r) => n + r.failed.reduce((m, f) => m + f.count, 0), 0);
  const left = results.reduce((n, r) => n + r.remaining, 0);
  const keys = [...new Set(results.map((r) => r.targetKeyId))].join(', ');
  if (dryRun)
    lines.push(
      `dry run, nothing changed: ${total} value${total === 1 ? '' : 's'} would be re-encrypted under ${keys}, ${failed} could not be`,
    );
  else if (left === 0)
    lines.push(
      `done: ${total} value${total === 1 ? '' : 's'} re-encrypted; every value is under ${keys}. ` +
        `Old keys may now be removed from the keyring (check with \`keys status\` against every schema first).`,
    );
  else
    lines.push(
      `${total} re-encrypted, but ${left} value${left === 1 ? ' is' : 's are'} still not under ${keys}` +
        `${failed > 0 ? ` (${failed} failed, see above)` : ''}: keep the old keys configured. Values written meanwhile by an ` +
        `instance still configured with the old active key are rotated by running again once every instance uses ${keys}.`,
    );
  return lines.join('\n');
}
