import { randomBytes } from 'node:crypto';
import { ReportingApi } from '@realname/contracts';
import { freePort, startService, testIssuer } from '@realname/testing';
import { Client } from 'pg';
import type { FuzzTarget } from './targets';

/*
 * Reporting with upload ledger rows of a project of Xihu (330106, seen by municipal-hangzhou, city
 * 330100) and one of Ningbo (330203, seen by municipal-ningbo): for each a pending attendance day
 * waiting for its team, an accepted team, a superseded and a newer revision, a day rejected by the
 * platform and one by the local pre-check, with their Chinese and English sentences. The rows are
 * written into the service's schema as its consumers and sender write them; no target is switched on,
 * so nothing is sent and rows stay as written until a resubmission. Both identities may read,
 * resubmit and put credentials, so every operation is exercised; each sees the other's project as
 * out of scope (404).
 */

const [XIHU_ID, NINGBO_ID] = ReportingApi.UPLOAD_PROJECT_EXAMPLE.projectId;
const DAY = ReportingApi.UPLOAD_DAY_EXAMPLE.day;

const PROJECTS = [
  { id: XIHU_ID, region: '330106', name: '西湖项目' },
  { id: NINGBO_ID, region: '330203', name: '宁波项目' },
];

const FUTURE = {
  code: 'attendance.future',
  path: 'items[0].date',
  zh: '考勤时间晚于当前时间，请核对后重新上报',
  en: 'The attendance time is in the future: check it and report again',
};
const REFUSED = {
  code: 'platform.rejected',
  path: '',
  zh: '平台拒绝：参建单位名称与统一社会信用代码不符',
  en: 'The platform refused it: the unit name does not match its credit code',
};

/** The ledger rows of one project, in the order of their ids (the document's record examples 1-3 are Xihu's). */
function rowsOf(p: (typeof PROJECTS)[number]) {
  const day = (enrolment: string) => `${p.id}/${enrolment}/${DAY}`;
  const punch = (time: string, direction: string) => ({
    header: { projectCode: p.id },
    items: [{ date: `${DAY} ${time}`, direction }],
  });
  return [
    {
      kind: 'attendance',
      key: day('en-1'),
      revision: 1,
      status: 'rejected',
      problems: [REFUSED],
      worker: 'w-1',
      payload: punch('08:00:00', '01'),
    },
    {
      kind: 'attendance',
      key: day('en-2'),
      revision: 1,
      status: 'rejected-locally',
      problems: [FUTURE],
      worker: 'w-2',
      payload: punch('23:59:59', '01'),
    },
    {
      kind: 'attendance',
      key: day('en-3'),
      revision: 1,
      status: 'pending',
      waiting: [`team:${p.id}/team-1`],
      worker: 'w-3',
      payload: punch('08:01:00', '01'),
    },
    {
      kind: 'team',
      key: `${p.id}/team-1`,
      revision: 1,
      status: 'accepted',
      keys: { teamSysNo: 'T-1' },
      payload: { header: { projectCode: p.id }, items: [{ teamName: '钢筋班' }] },
    },
    {
      kind: 'attendance',
      key: day('en-4'),
      revision: 1,
      status: 'superseded',
      worker: 'w-4',
      payload: punch('08:02:00', '01'),
    },
    {
      kind: 'attendance',
      key: day('en-4'),
      revision: 2,
      status: 'accepted',
      worker: 'w-4',
      payload: punch('08:03:00', '01'),
    },
    {
      kind: 'entry',
      key: `${p.id}/en-5/${DAY}`,
      revision: 1,
      status: 'rejected',
      problems: [REFUSED],
      worker: 'w-5',
      payload: {
        header: { projectCode: p.id, corpCode: '91330106MA2H4K7N15', corpName: '杭州某某劳务有限公司' },
        items: [{ date: DAY, type: 1 }],
      },
    },
  ];
}

export const REPORTING: FuzzTarget = {
  service: 'reporting',
  identities: ['municipal-hangzhou', 'municipal-ningbo'],
  async start(infra, run) {
    const [port, grpcPort] = await Promise.all([freePort(), freePort()]);
    const url = `http://127.0.0.1:${port}`;
    const schema = `rep_${run}`;
    const service = await startService(
      'reporting',
      {
        DATABASE_URL: infra.postgresUrl,
        DATABASE_SCHEMA: schema,
        KAFKA_BROKERS: infra.kafkaBrokers.join(','),
        KAFKA_TOPIC_PREFIX: `${run}.`,
        KAFKA_GROUP_ID: `reporting-${run}`,
        KAFKA_SESSION_TIMEOUT_MS: '8000',
        REPORTING_HTTP_PORT: String(port),
        REPORTING_GRPC_URL: `127.0.0.1:${grpcPort}`,
        OIDC_ISSUER_URL: testIssuer(),
        OIDC_AUDIENCE: process.env.REALNAME_OIDC_AUDIENCE ?? 'realname-api',
        PII_KEYS: `k1:${randomBytes(32).toString('base64')}`,
        PII_ACTIVE_KEY_ID: 'k1',
        PII_HASH_KEY: randomBytes(32).toString('base64'),
        UPLINK_TARGETS: '',
        // The fuzzer's bursts are not what the per-client limit is tested with (rate-limit.spec.ts).
        API_RATE_LIMIT_PER_S: '0',
      },
      `${url}/health/ready`,
    );
    const pg = new Client({ connectionString: infra.postgresUrl });
    await pg.connect();
    const stop = async () => {
      await service.stop();
      await pg.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).finally(() => pg.end());
    };
    try {
      // The service migrated its schema before it was ready.
      for (const p of PROJECTS) {
        await pg.query(`INSERT INTO "${schema}".projects (project_id, region, name) VALUES ($1, $2, $3)`, [
          p.id,
          p.region,
          p.name,
        ]);
        for (const r of rowsOf(p))
          await pg.query(
            `INSERT INTO "${schema}".upload_ledger
               (target, kind, record_key, revision, project_id, region, kind_rank, worker_id, payload, payload_hash,
                status, problems, waiting_for, platform_keys, settled_at, accepted_at)
             VALUES ('national', $1, $2, $3, $4, $5, 1, $6, $7, 'seeded', $8, $9, $10, $11,
                     CASE WHEN $8 IN ('rejected', 'rejected-locally', 'accepted') THEN now() END,
                     CASE WHEN $8 IN ('accepted', 'superseded') THEN now() END)`,
            [
              r.kind,
              r.key,
              r.revision,
              p.id,
              p.region,
              r.worker ?? null,
              JSON.stringify(r.payload),
              r.status,
              JSON.stringify(r.problems ?? []),
              r.waiting ?? [],
              JSON.stringify(r.keys ?? {}),
            ],
          );
      }
    } catch (err) {
      await stop().catch(() => undefined);
      throw err;
    }
    return { url, stop };
  },
};
