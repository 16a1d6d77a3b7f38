import { randomBytes } from 'node:crypto';
import { RegistryApi } from '@realname/contracts';
import { createRng, fakeCreditCode, fakePerson, workerRegistration } from '@realname/fixtures';
import { IntegritySimulator, startIntegritySimulator } from '@realname/integrity-simulator';
import { freePort, startService, testIssuer, tokenFor } from '@realname/testing';
import { Client } from 'pg';
import type { FuzzTarget } from './targets';

/*
 * The worker registry with a project of Xihu (330106, seen by municipal-hangzhou, city 330100) and one of
 * Ningbo (330200, seen by municipal-ningbo) from the integrity simulator, each with a team, a worker and
 * an enrolment made by its city's municipal system. Both identities may write (site writes, workers,
 * enterprises of their region), so the write operations are exercised too; each sees the other's
 * records as out of scope (404 on read, 403 on write).
 */

const [XIHU_PROJECT, NINGBO_PROJECT] = RegistryApi.PROJECT_EXAMPLE.projectId;
const [XIHU_UNIT, NINGBO_UNIT] = RegistryApi.ENTERPRISE_EXAMPLE.creditCode;

const SITES = [
  { projectId: XIHU_PROJECT, region: '330106', unit: XIHU_UNIT, writer: 'municipal-hangzhou' },
  { projectId: NINGBO_PROJECT, region: '330200', unit: NINGBO_UNIT, writer: 'municipal-ningbo' },
] as const;

export const REGISTRY: FuzzTarget = {
  service: 'worker-registry',
  identities: ['municipal-hangzhou', 'municipal-ningbo'],
  async start(infra, run) {
    const [port, grpcPort] = await Promise.all([freePort(), freePort()]);
    const url = `http://127.0.0.1:${port}`;
    const schema = `reg_${run}`;
    const rng = createRng(run);
    const apiKey = randomBytes(12).toString('hex');
    let sim: IntegritySimulator | undefined;
    let stopService: (() => Promise<void>) | undefined;
    const stop = async () => {
      await stopService?.();
      await sim?.close();
      const pg = new Client({ connectionString: infra.postgresUrl });
      await pg.connect();
      await pg.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).finally(() => pg.end());
    };
    try {
      sim = await startIntegritySimulator({ apiKey, seed: 7, projects: 1, history: false });
      const owner = fakeCreditCode(rng, '330106');
      const add = (kind: 'enterprise' | 'project' | 'participant', data: Record<string, unknown>) =>
        sim!.appendChange({ kind, op: 'upsert', data } as Parameters<IntegritySimulator['appendChange']>[0]);
      for (const [creditCode, region] of [
        [XIHU_UNIT, '330106'],
        [NINGBO_UNIT, '330200'],
        [owner, '330106'],
      ])
        add('enterprise', {
          creditCode,
          name: `Builder ${creditCode.slice(-4)} Co.`,
          registrationType: '150',
          legalRepresentative: 'Zhang San',
          region,
        });
      for (const s of SITES) {
        add('project', {
          projectCode: s.projectId,
          name: `Site ${s.region}`,
          region: s.region,
          category: '01',
          status: '003',
          address: `${s.region} road 1`,
          lng: 120.1,
          lat: 30.2,
          generalContractorCode: s.unit,
          constructionOwnerCode: owner,
          startDate: '2024-01-15',
        });
        add('participant', {
          projectCode: s.projectId,
          creditCode: s.unit,
          unitType: '009',
          entryDate: '2024-01-15',
        });
      }
      const service = await startService(
        'worker-registry',
        {
          REGISTRY_HTTP_PORT: String(port),
          REGISTRY_GRPC_URL: `127.0.0.1:${grpcPort}`,
          DATABASE_URL: infra.postgresUrl,
          DATABASE_SCHEMA: schema,
          KAFKA_BROKERS: infra.kafkaBrokers.join(','),
          KAFKA_TOPIC_PREFIX: `${run}.`,
          INTEGRITY_URL: sim.url,
          INTEGRITY_API_KEY: apiKey,
          INTEGRITY_SYNC_INTERVAL_S: '0',
          PII_KEYS: `k1:${randomBytes(32).toString('base64')}`,
          PII_ACTIVE_KEY_ID: 'k1',
          PII_HASH_KEY: randomBytes(32).toString('base64'),
          OIDC_ISSUER_URL: testIssuer(),
          OIDC_AUDIENCE: process.env.REALNAME_OIDC_AUDIENCE ?? 'realname-api',
          // As for attendance: a 429 is documented, but would hide the answers the checks are about.
          API_RATE_LIMIT_PER_S: '0',
        },
        `${url}/health/ready`,
      );
      stopService = () => service.stop();

      const call = async (who: string, method: string, path: string, body?: unknown) => {
        const res = await fetch(url + path, {
          method,
          headers: {
            authorization: `Bearer ${await tokenFor(who)}`,
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
        const json = (await res.json().catch(() => ({}))) as Record<string, unknown>;
        if (!res.ok) throw new Error(`${method} ${path} as ${who}: ${res.status} ${JSON.stringify(json)}`);
        return json;
      };
      await call('ops', 'POST', '/api/v1/integrity-sync');
      for (const s of SITES) {
        const { teamId } = await call(s.writer, 'POST', `/api/v1/projects/${s.projectId}/teams`, {
          name: 'Formwork',
          participantId: s.unit,
        });
        for (let i = 0; i < 2; i++) {
          const person = fakePerson(createRng(`${run}-${s.region}-${i}`), { ageRange: [25, 45] });
          const { workerId } = await call(s.writer, 'POST', '/api/v1/workers', workerRegistration(person));
          await call(s.writer, 'POST', `/api/v1/projects/${s.projectId}/enrolments`, {
            workerId,
            teamId,
            workType: '050',
            workRole: '20',
          });
        }
      }
    } catch (err) {
      await stop().catch(() => undefined);
      throw err;
    }
    return { url, stop };
  },
};
