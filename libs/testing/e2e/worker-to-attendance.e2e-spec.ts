/**
 * Issue 3's whole path: a project arrives from the integrity platform (simulated), a worker is
 * registered, enrolled in a team, contracted, trained and entered on it; the worker punches at a gate
 * of the project, and attendance shows the punch with the worker's name, team and unit.
 */
import { randomBytes } from 'node:crypto';
import { OPEN_V1_PUNCHES_PATH, signRequest } from '@realname/contracts';
import { createRng, fakePerson, workerRegistration } from '@realname/fixtures';
import { IntegritySimulator, startIntegritySimulator } from '@realname/integrity-simulator';
import {
  authorizationFor,
  eventually,
  freePort,
  resourceServerEnv,
  RunningService,
  startService,
  testInfrastructure,
  uniqueName,
} from '../src';

jest.setTimeout(240_000);

const run = uniqueName('w2a');
const services: RunningService[] = [];
let sim: IntegritySimulator;
const urls: Record<string, string> = {};
const secret = randomBytes(16).toString('hex');
const deviceId = `gate-${run}`.replace(/_/g, '-');

async function call(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const res = await fetch(urls[base] + path, {
    method,
    headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = (await res.json()) as Record<string, unknown>;
  if (res.status >= 400) throw new Error(`${method} ${path} -> ${res.status}: ${JSON.stringify(json)}`);
  return json;
}

beforeAll(async () => {
  const infra = await testInfrastructure();
  sim = await startIntegritySimulator({ apiKey: 'w2a', seed: 5, projects: 1, history: false });
  const [reg, gw, att, grpc, regGrpc] = await Promise.all([
    freePort(),
    freePort(),
    freePort(),
    freePort(),
    freePort(),
  ]);
  Object.assign(urls, {
    reg: `http://127.0.0.1:${reg}`,
    gw: `http://127.0.0.1:${gw}`,
    att: `http://127.0.0.1:${att}`,
  });
  const common = {
    ...resourceServerEnv(),
    DATABASE_URL: infra.postgresUrl,
    KAFKA_BROKERS: infra.kafkaBrokers.join(','),
    KAFKA_TOPIC_PREFIX: `${run}.`,
  };
  const project = sim.snapshot().projects[0];
  services.push(
    await startService(
      'worker-registry',
      {
        ...common,
        REGISTRY_HTTP_PORT: String(reg),
        REGISTRY_GRPC_URL: `127.0.0.1:${regGrpc}`,
        DATABASE_SCHEMA: `reg_${run}`,
        INTEGRITY_URL: sim.url,
        INTEGRITY_API_KEY: sim.apiKey,
        INTEGRITY_SYNC_INTERVAL_S: '0',
        PII_KEYS: `k1:${randomBytes(32).toString('base64')}`,
        PII_ACTIVE_KEY_ID: 'k1',
        PII_HASH_KEY: randomBytes(32).toString('base64'),
      },
      `${urls.reg}/health/ready`,
    ),
    await startService(
      'device-gateway',
      {
        ...common,
        GATEWAY_HTTP_PORT: String(gw),
        DATABASE_SCHEMA: `gw_${run}`,
        DEVICE_SECRET_KEYS: `k1:${randomBytes(32).toString('base64')}`,
        DEVICE_SECRET_ACTIVE_KEY_ID: 'k1',
        GATEWAY_DEVICES: JSON.stringify([
          { deviceId, projectId: project.projectCode, region: project.region, secret },
        ]),
      },
      `${urls.gw}/health/ready`,
    ),
    await startService(
      'attendance',
      {
        ...common,
        ATTENDANCE_HTTP_PORT: String(att),
        ATTENDANCE_GRPC_URL: `127.0.0.1:${grpc}`,
        DATABASE_SCHEMA: `att_${run}`,
        KAFKA_GROUP_ID: `attendance-${run}`,
        CLICKHOUSE_URL: infra.clickhouseUrl,
        CLICKHOUSE_DATABASE: `w2a_${run}`.toLowerCase(),
      },
      `${urls.att}/health/ready`,
    ),
  );
});

afterAll(async () => {
  for (const s of services.reverse()) await s.stop();
  await sim?.close();
});

it('shows a punch with the name, team and unit of the worker who made it', async () => {
  const project = sim.snapshot().projects[0];
  // Hangzhou's municipal system does the site's writes (the project is in Xihu, 330106).
  const site = await authorizationFor('municipal-hangzhou');
  await call('reg', 'POST', '/api/v1/integrity-sync', undefined, await authorizationFor('ops'));
  const unit = sim
    .snapshot()
    .participants.find(
      (p) => p.projectCode === project.projectCode && ['006', '001', '009'].includes(p.unitType),
    )!;

  const team = await call(
    'reg',
    'POST',
    `/api/v1/projects/${project.projectCode}/teams`,
    {
      name: 'Rebar team 1',
      participantId: unit.creditCode,
    },
    site,
  );
  const person = fakePerson(createRng(run), { ageRange: [25, 45] });
  const jpeg = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), randomBytes(2000)]).toString('base64');
  const worker = await call(
    'reg',
    'POST',
    '/api/v1/workers',
    {
      ...workerRegistration(person),
      headPhoto: jpeg,
    },
    site,
  );
  expect(JSON.stringify(worker)).not.toContain(person.idCardNumber);
  const enrolment = await call(
    'reg',
    'POST',
    `/api/v1/projects/${project.projectCode}/enrolments`,
    {
      workerId: worker.workerId,
      teamId: team.teamId,
      workType: '020',
      workRole: '20',
    },
    site,
  );
  const id = enrolment.enrolmentId as string;
  const today = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);

  // Entry is refused until contract and training are in place, with a reason for each.
  const refused = await fetch(`${urls.reg}/api/v1/enrolments/${id}/entry`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...site },
    body: JSON.stringify({ date: today }),
  });
  expect(refused.status).toBe(409);
  const problem = (await refused.json()) as { errors: { message: string }[] };
  expect(problem.errors.map((e) => e.message).join(' ')).toMatch(/contract.*training|training.*contract/is);

  await call('reg', 'POST', `/api/v1/enrolments/${id}/contract`, { periodType: '0', startDate: today }, site);
  await call(
    'reg',
    'POST',
    `/api/v1/enrolments/${id}/trainings`,
    {
      typeCode: '003001',
      date: today,
      passed: true,
      score: 90,
    },
    site,
  );
  await call('reg', 'POST', `/api/v1/enrolments/${id}/entry`, { date: today }, site);

  // The worker punches at the gate with the PIN the registry gave them.
  const body = JSON.stringify({
    punches: [
      {
        recordId: '1',
        personId: enrolment.personId,
        time: new Date().toISOString().slice(0, 19) + 'Z',
        direction: 'in',
        verifyMode: 'face',
      },
    ],
  });
  const ts = String(Math.floor(Date.now() / 1000));
  await call('gw', 'POST', OPEN_V1_PUNCHES_PATH, JSON.parse(body), {
    'x-device-id': deviceId,
    'x-timestamp': ts,
    'x-signature': signRequest(secret, ts, body),
  });

  const punch = await eventually(
    async () => {
      const r = await call(
        'att',
        'GET',
        `/api/v1/projects/${project.projectCode}/punches?day=${today}`,
        undefined,
        await authorizationFor('hz-city'),
      );
      const p = (r.punches as Record<string, unknown>[])[0];
      return p && p.resolutionStatus === 'resolved' ? p : undefined;
    },
    { timeoutMs: 60_000, what: 'the punch, resolved, in attendance' },
  );
  expect(punch).toMatchObject({
    workerName: person.name,
    teamName: 'Rebar team 1',
    workerId: worker.workerId,
  });
  expect(punch.corpName).toBeTruthy();
});
