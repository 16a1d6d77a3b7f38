import { AttendanceApi, EventEnvelope, Topics, toKafkaRecord, withTopicPrefix } from '@realname/contracts';
import { createKafka, ensureTopics } from '@realname/eventstore';
import { PublishedFacts } from '@realname/fixtures';
import { eventually, freePort, startService, testIssuer, tokenFor } from '@realname/testing';
import { Client } from 'pg';
import type { FuzzTarget } from './targets';

/*
 * Attendance with enrolments and punches in a project of Hangzhou (Xihu, seen by hz-city) and one of
 * Ningbo (seen by nb-city), published on Kafka as the registry and the gateway publish them.
 */

const DAY = '2026-11-20';
// The projects of the document's examples, so that the examples phase reads answers with punches in.
const [XIHU_ID, NINGBO_ID] = AttendanceApi.PROJECT_EXAMPLE.projectId;
const XIHU = { id: XIHU_ID, region: '330106' };
const NINGBO = { id: NINGBO_ID, region: '330203' };
const ENTERPRISE = '91330106MA2H4K7N15';

const facts = new PublishedFacts(DAY);

export const ATTENDANCE: FuzzTarget = {
  service: 'attendance',
  identities: ['hz-city', 'nb-city'],
  async start(infra, run) {
    const [port, grpcPort] = await Promise.all([freePort(), freePort()]);
    const url = `http://127.0.0.1:${port}`;
    const prefix = `${run}.`;
    const groupId = `attendance-${run}`;
    const schema = `att_${run}`;
    const database = `acc_${run}`.toLowerCase();
    const service = await startService(
      'attendance',
      {
        DATABASE_URL: infra.postgresUrl,
        DATABASE_SCHEMA: schema,
        KAFKA_BROKERS: infra.kafkaBrokers.join(','),
        KAFKA_TOPIC_PREFIX: prefix,
        KAFKA_GROUP_ID: groupId,
        KAFKA_SESSION_TIMEOUT_MS: '8000',
        ATTENDANCE_HTTP_PORT: String(port),
        ATTENDANCE_GRPC_URL: `127.0.0.1:${grpcPort}`,
        CLICKHOUSE_URL: infra.clickhouseUrl,
        CLICKHOUSE_DATABASE: database,
        OIDC_ISSUER_URL: testIssuer(),
        OIDC_AUDIENCE: process.env.REALNAME_OIDC_AUDIENCE ?? 'realname-api',
        // The fuzzer's bursts are not what the per-client limit is tested with (rate-limit.spec.ts);
        // a 429 is documented, but would hide the answers the checks are about.
        API_RATE_LIMIT_PER_S: '0',
      },
      `${url}/health/ready`,
    );
    const stop = async () => {
      await service.stop();
      const pg = new Client({ connectionString: infra.postgresUrl });
      await pg.connect();
      await pg.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).finally(() => pg.end());
      await fetch(infra.clickhouseUrl, { method: 'POST', body: `DROP DATABASE IF EXISTS ${database}` });
    };
    try {
      const kafka = createKafka({ brokers: infra.kafkaBrokers, clientId: `${run}-api-fuzz` });
      const punches = withTopicPrefix(prefix, Topics.devicePunches);
      const enrolments = withTopicPrefix(prefix, Topics.registryEnrolments);
      await ensureTopics(kafka, [punches, enrolments]);
      const producer = kafka.producer();
      await producer.connect();
      const send = (topic: string, events: EventEnvelope[]) =>
        producer.send({ topic, acks: -1, messages: events.map((e) => toKafkaRecord(e)) });
      try {
        await send(enrolments.name, [
          ...facts.enrolment(XIHU, 1, ENTERPRISE, { enteredOn: '2026-11-01' }),
          ...facts.enrolment(XIHU, 2, ENTERPRISE, { enteredOn: '2026-11-01' }),
        ]);
        // Enrolments applied first, so that the punches resolve as they land.
        const get = async (who: string, path: string) => {
          const res = await fetch(url + path, {
            headers: { authorization: `Bearer ${await tokenFor(who)}` },
          });
          return { status: res.status, json: (await res.json()) as Record<string, unknown> };
        };
        await eventually(
          async () =>
            (await get('ent-hz', `/api/v1/projects/${XIHU.id}/punch-counts?from=${DAY}&to=${DAY}`)).status ===
            200,
          { timeoutMs: 60_000, what: 'the enrolments in attendance' },
        );
        await send(punches.name, [
          ...['1', '2', '1', '9999'].map((person) => facts.punch(XIHU, person)),
          ...['5', '6'].map((person) => facts.punch(NINGBO, person)),
        ]);
        for (const [who, p, n] of [
          ['hz-city', XIHU, 4],
          ['nb-city', NINGBO, 2],
        ] as const) {
          await eventually(
            async () => {
              const r = await get(who, `/api/v1/projects/${p.id}/punches?day=${DAY}`);
              const a = await get(who, `/api/v1/analytics/projects/${p.id}/daily?from=${DAY}&to=${DAY}`);
              return (
                r.json.totalCount === n &&
                (a.json.days as { punches: number }[] | undefined)?.[0]?.punches === n
              );
            },
            { timeoutMs: 90_000, what: `the punches of ${p.id} in PostgreSQL and ClickHouse` },
          );
        }
      } finally {
        await producer.disconnect();
      }
    } catch (err) {
      await stop().catch(() => undefined);
      throw err;
    }
    return { url, stop };
  },
};
