import { ExponentialBackoff, handleAll, retry } from 'cockatiel';
import { Kafka, logLevel } from 'kafkajs';
import { Pool } from 'pg';
import type { FaultSite } from './site';
import type { FaultStack } from './stack';

/**
 * The suite's own reads of the platform's stores, each retried while a dependency is down (a read that
 * fails is never taken as "nothing there").
 */
const patient = retry(handleAll, {
  maxAttempts: 90,
  backoff: new ExponentialBackoff({ initialDelay: 250, maxDelay: 2000 }),
});

export interface Backlog {
  /** Messages the platform's consumer groups have not yet committed, over all their topics. */
  consumerLag: number;
  /** Committed events not yet published (outboxes) or copied to ClickHouse (sink); -1 unknown. */
  outbox: number;
  sink: number;
}

export interface DlqEntry {
  topic: string;
  reason: string;
  originalTopic: string;
  offset: string;
}

export class Observer {
  private readonly pool: Pool;
  private readonly kafka: Kafka;

  constructor(
    private readonly stack: FaultStack,
    private readonly site: FaultSite,
  ) {
    this.pool = new Pool({ connectionString: stack.postgresUrl, max: 2, connectionTimeoutMillis: 3000 });
    // A server going away closes idle clients: that must not end the suite.
    this.pool.on('error', () => undefined);
    this.kafka = new Kafka({
      clientId: `faults-${site.run}`,
      brokers: stack.kafkaBrokers,
      logLevel: logLevel.NOTHING,
      connectionTimeout: 3000,
      requestTimeout: 10_000,
      retry: { retries: 2 },
    });
  }

  /** How often each person's punch is in attendance's read model (PostgreSQL). */
  attendanceCounts(): Promise<Map<string, number>> {
    return patient.execute(() => this.readAttendance());
  }

  private async readAttendance(): Promise<Map<string, number>> {
    const { rows } = await this.pool.query<{ person_id: string; n: number }>(
      `SELECT person_id, count(*)::int AS n FROM ${this.site.schemas.attendance}.punches GROUP BY person_id`,
    );
    return new Map(rows.map((r) => [r.person_id, r.n]));
  }

  /** How often each person's punch is in ClickHouse (read with FINAL: re-inserted rows collapse). */
  clickhouseCounts(): Promise<Map<string, number>> {
    return patient.execute(() => this.readClickhouse());
  }

  private async readClickhouse(): Promise<Map<string, number>> {
    const text = await this.clickhouse(
      `SELECT person_id, count() FROM ${this.site.clickhouseDatabase}.punches FINAL GROUP BY person_id FORMAT TabSeparated`,
    );
    const out = new Map<string, number>();
    for (const line of text.split('\n')) {
      if (!line) continue;
      const [person, n] = line.split('\t');
      out.set(person, Number(n));
    }
    return out;
  }

  /** Row counts (cheap): attendance read model and ClickHouse; null when the store does not answer. */
  async totals(): Promise<{ attendance: number | null; clickhouse: number | null }> {
    const [attendance, clickhouse] = await Promise.all([
      this.pool
        .query<{ n: number }>(`SELECT count(*)::int AS n FROM ${this.site.schemas.attendance}.punches`)
        .then((r) => r.rows[0].n)
        .catch(() => null),
      this.clickhouse(`SELECT count() FROM ${this.site.clickhouseDatabase}.punches FINAL`)
        .then((t) => Number(t.trim()))
        .catch(() => null),
    ]);
    return { attendance, clickhouse };
  }

  /** How many of these persons are in attendance and in ClickHouse (null when a store does not answer). */
  async foundOf(persons: string[]): Promise<{ attendance: number | null; clickhouse: number | null }> {
    const [att, ch] = await Promise.all([
      this.readAttendance().catch(() => null),
      this.readClickhouse().catch(() => null),
    ]);
    const count = (m: Map<string, number> | null) =>
      m === null ? null : persons.reduce((a, p) => a + ((m.get(p) ?? 0) > 0 ? 1 : 0), 0);
    return { attendance: count(att), clickhouse: count(ch) };
  }

  private async clickhouse(query: string): Promise<string> {
    const res = await fetch(`${this.stack.clickhouseUrl}/`, {
      method: 'POST',
      body: query,
      signal: AbortSignal.timeout(10_000),
    });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`ClickHouse ${res.status}: ${text.slice(0, 300)}`);
    return text;
  }

  /** Consumer lag of the run's groups, and the outbox and sink backlogs from the services' metrics. */
  async backlog(): Promise<Backlog> {
    const consumerLag = await this.consumerLag().catch(() => -1);
    let outbox = 0;
    let sink = 0;
    for (const name of ['worker-registry', 'device-gateway', 'attendance'] as const) {
      const m = await this.metrics(this.site.url(name));
      if (m === undefined) {
        outbox = -1;
        sink = -1;
        continue;
      }
      const o = metricSum(m, 'outbox_backlog_events');
      const s = metricSum(m, 'clickhouse_sink_backlog_events');
      if (outbox >= 0) outbox = o === undefined ? outbox : o < 0 ? -1 : outbox + o;
      if (sink >= 0) sink = s === undefined ? sink : s < 0 ? -1 : sink + s;
    }
    return { consumerLag, outbox, sink };
  }

  private async metrics(url: string): Promise<string | undefined> {
    try {
      const r = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5000) });
      return r.status === 200 ? await r.text() : undefined;
    } catch {
      return undefined;
    }
  }

  private async consumerLag(): Promise<number> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const { groups } = await admin.listGroups();
      const ours = groups.map((g) => g.groupId).filter((g) => g.includes(this.site.run));
      const topics = (await admin.listTopics()).filter(
        (t) => t.startsWith(this.site.topicPrefix) && !t.startsWith(`${this.site.topicPrefix}dlq.`),
      );
      const high = new Map<string, Map<number, { high: number; low: number }>>();
      for (const t of topics)
        high.set(
          t,
          new Map(
            (await admin.fetchTopicOffsets(t)).map((p) => [
              p.partition,
              { high: Number(p.high), low: Number(p.low) },
            ]),
          ),
        );
      let lag = 0;
      for (const groupId of ours) {
        const committed = await admin.fetchOffsets({ groupId });
        for (const t of committed) {
          const h = high.get(t.topic);
          if (!h) continue;
          for (const p of t.partitions) {
            const hw = h.get(p.partition);
            if (!hw) continue;
            const at = Number(p.offset) >= 0 ? Number(p.offset) : hw.low;
            lag += Math.max(0, hw.high - at);
          }
        }
      }
      return lag;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  /** Every message on the run's dead-letter topics, with its reason. */
  dlq(): Promise<DlqEntry[]> {
    return readDeadLetters(this.kafka, this.site.topicPrefix, this.site.run);
  }

  /** Drops the run's schemas, ClickHouse database and topics (after a scenario that passed). */
  async dropRun(): Promise<void> {
    for (const schema of Object.values(this.site.schemas))
      await this.pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await this.clickhouse(`DROP DATABASE IF EXISTS ${this.site.clickhouseDatabase}`);
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const topics = (await admin.listTopics()).filter((t) => t.startsWith(this.site.topicPrefix));
      if (topics.length) await admin.deleteTopics({ topics, timeout: 10_000 });
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    await this.pool.end().catch(() => undefined);
  }
}

/** Sum of a Prometheus metric's samples in a text exposition; undefined when absent. */
export function metricSum(text: string, name: string): number | undefined {
  let sum: number | undefined;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name) || (line[name.length] !== ' ' && line[name.length] !== '{')) continue;
    const v = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (Number.isFinite(v)) sum = (sum ?? 0) + v;
  }
  return sum;
}

/** Every message on the dead-letter topics under `topicPrefix` (`<prefix>dlq.*`), with its reason. */
export function readDeadLetters(kafka: Kafka, topicPrefix: string, run: string): Promise<DlqEntry[]> {
  return patient.execute(async () => {
    const admin = kafka.admin();
    await admin.connect();
    let topics: string[];
    const expected = new Map<string, number>();
    try {
      topics = (await admin.listTopics()).filter((t) => t.startsWith(`${topicPrefix}dlq.`));
      for (const t of topics) {
        const offs = await admin.fetchTopicOffsets(t);
        expected.set(
          t,
          offs.reduce((a, p) => a + Number(p.high) - Number(p.low), 0),
        );
      }
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    const total = [...expected.values()].reduce((a, b) => a + b, 0);
    if (total === 0) return [];
    const entries: DlqEntry[] = [];
    const consumer = kafka.consumer({ groupId: `faults-dlq-reader-${run}-${Date.now()}` });
    await consumer.connect();
    try {
      await consumer.subscribe({ topics, fromBeginning: true });
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 30_000);
        void consumer.run({
          eachMessage: async ({ topic, message }) => {
            const h = (k: string) => message.headers?.[k]?.toString() ?? '';
            entries.push({
              topic,
              reason: h('dlq-reason'),
              originalTopic: h('dlq-original-topic'),
              offset: h('dlq-original-offset'),
            });
            if (entries.length >= total) {
              clearTimeout(timer);
              resolve();
            }
          },
        });
      });
    } finally {
      await consumer.disconnect().catch(() => undefined);
    }
    // Fewer read than the offsets say (reader timed out): still count every entry.
    for (let i = entries.length; i < total; i++)
      entries.push({ topic: topics[0], reason: '(not read)', originalTopic: '', offset: '' });
    return entries;
  });
}
