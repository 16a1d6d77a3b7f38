/**
 * The registry as a process: it pulls projects from the integrity-platform simulator, refuses to
 * change what belongs to the integrity platform, and tells the rest of the platform (on Kafka) when a
 * key post is empty or held by someone other than the registered person, and when that is fixed.
 */
import { Consumer } from 'kafkajs';
import { fromKafkaRecord } from '@realname/contracts';
import { createKafka, subscribeFromBeginning } from '@realname/eventstore';
import { fakePerson, createRng } from '@realname/fixtures';
import { IntegritySimulator, startIntegritySimulator } from '@realname/integrity-simulator';
import {
  eventually,
  freePort,
  RunningService,
  startService,
  testInfrastructure,
  uniqueName,
} from '@realname/testing';
import { registryApi, registryTestEnv } from './registry-under-test.e2e-support';

jest.setTimeout(180_000);

const run = uniqueName('rege2e');
let sim: IntegritySimulator;
let registry: RunningService;
let url: string;
let consumer: Consumer;
const published: { type: string; data: Record<string, unknown> }[] = [];

const call = registryApi(() => url);
/**
 * As the platform operator triggers the sync, Hangzhou's city supervisor reads and Hangzhou's municipal
 * system writes (the simulator's projects are in Xihu, 330106).
 */
const api = (method: string, path: string, body?: unknown) =>
  call(
    path === '/api/v1/integrity-sync' ? 'ops' : method === 'GET' ? 'hz-city' : 'municipal-hangzhou',
    method,
    path,
    body,
  );

beforeAll(async () => {
  const infra = await testInfrastructure();
  sim = await startIntegritySimulator({ apiKey: 'e2e-key', seed: 11, projects: 2 });
  const [port, grpcPort] = [await freePort(), await freePort()];
  url = `http://127.0.0.1:${port}`;
  registry = await startService(
    'worker-registry',
    registryTestEnv({ run, port, grpcUrl: `127.0.0.1:${grpcPort}`, infra, integrity: sim }),
    `${url}/health/ready`,
  );
  const kafka = createKafka({ brokers: infra.kafkaBrokers, clientId: 'registry-e2e' });
  consumer = kafka.consumer({ groupId: uniqueName('registry-e2e'), maxWaitTimeInMs: 100 });
  await consumer.connect();
  await subscribeFromBeginning(consumer, [`${run}.registry.projects.v1`]);
  await consumer.run({
    eachMessage: async ({ message }) => {
      const e = fromKafkaRecord(message.headers, message.value);
      published.push({ type: e.type, data: e.data as Record<string, unknown> });
    },
  });
});

afterAll(async () => {
  await consumer?.disconnect();
  await registry?.stop();
  await sim?.close();
});

describe('worker registry with the integrity platform', () => {
  it('syncs on demand and shows projects with masked key personnel', async () => {
    const r = await api('POST', '/api/v1/integrity-sync');
    expect(r.status).toBe(200);
    expect((r.json.run as { error?: string }).error).toBeUndefined();
    const list = await api('GET', '/api/v1/projects?region=33');
    expect((list.json.projects as unknown[]).length).toBe(sim.snapshot().projects.length);

    const project = sim.snapshot().projects[0];
    const detail = await api('GET', `/api/v1/projects/${project.projectCode}`);
    expect(detail.json.name).toBe(project.name);
    const text = JSON.stringify(detail.json);
    for (const kp of sim.snapshot().keyPersons) expect(text).not.toContain(kp.idCardNumber);
    expect(text).toMatch(/\d{4}\*{10}[\dX]{4}/);
  });

  it('refuses to change a field that belongs to the integrity platform, and says where to correct it', async () => {
    const project = sim.snapshot().projects[0];
    const r = await api('PATCH', `/api/v1/projects/${project.projectCode}`, { name: 'Renamed locally' });
    expect(r.status).toBe(409);
    expect(r.type).toContain('application/problem+json');
    expect(r.json).toMatchObject({ type: 'urn:realname:problem:integrity-owned-field' });
    expect(r.json.detail).toMatch(
      /name belongs to the integrity platform.*correct it on the integrity platform/,
    );

    const ok = await api('PATCH', `/api/v1/projects/${project.projectCode}`, {
      siteContactPhone: '13912345678',
    });
    expect(ok.status).toBe(200);
    expect(ok.json.siteContactPhone).toBe('13912345678');
  });

  it('publishes a key-person mismatch and its resolution', async () => {
    const snap = sim.snapshot();
    // A project manager rightly registered for a unit that must have one and is still on the project.
    const pm = snap.keyPersons.find(
      (k) =>
        k.post === 'project-manager' &&
        ['一级建造师', '二级建造师'].includes(k.registrationCategory) &&
        snap.participants.some(
          (p) =>
            p.projectCode === k.projectCode &&
            p.creditCode === k.creditCode &&
            ['009', '001', '006'].includes(p.unitType) &&
            !p.exitDate,
        ),
    )!;
    expect(pm).toBeDefined();
    await eventually(
      async () =>
        published.some(
          (e) =>
            e.type === 'realname.registry.KeyPersonMismatchDetected' &&
            e.data.participantId === pm.creditCode &&
            e.data.reason === 'post-empty',
        ),
      { what: `post-empty on Kafka (seen: ${published.length})` },
    );

    // Someone else is put in the post on site: it differs from the integrity platform.
    const stranger = fakePerson(createRng('stranger'));
    const path = `/api/v1/projects/${pm.projectCode}/participants/${pm.creditCode}/key-persons/project-manager`;
    const wrong = await api('PUT', path, { name: stranger.name, idCardNumber: stranger.idCardNumber });
    expect(wrong.status).toBe(200);
    const open = (wrong.json.keyPersonMismatches as { creditCode: string; reason: string }[]).find(
      (m) => m.creditCode === pm.creditCode,
    );
    expect(open?.reason).toBe('differs-from-integrity-platform');

    // The registered person takes the post: resolved.
    const right = await api('PUT', path, { name: pm.name, idCardNumber: pm.idCardNumber });
    expect(
      (right.json.keyPersonMismatches as { creditCode: string; post: string }[]).filter(
        (m) => m.creditCode === pm.creditCode && m.post === 'project-manager',
      ),
    ).toEqual([]);
    await eventually(
      async () =>
        published.some(
          (e) =>
            e.type === 'realname.registry.KeyPersonMismatchResolved' &&
            e.data.participantId === pm.creditCode,
        ),
      { what: 'the resolution on Kafka' },
    );
    const detected = published.find(
      (e) =>
        e.type === 'realname.registry.KeyPersonMismatchDetected' &&
        e.data.reason === 'differs-from-integrity-platform',
    )!;
    expect(JSON.stringify(detected)).not.toContain(stranger.idCardNumber);

    // Who holds the post is published too (attendance computes presence from it), masked.
    const holders = () =>
      published
        .filter(
          (e) =>
            e.type === 'realname.registry.KeyPersonAppointed' &&
            e.data.participantId === pm.creditCode &&
            e.data.post === 'project-manager',
        )
        .map((e) => e.data as { person: { name: string } | null; source: string });
    await eventually(
      async () => holders().at(-1)?.person?.name === pm.name && holders().at(-1)?.source === 'local',
      { what: `the registered person appointed on site (seen: ${JSON.stringify(holders())})` },
    );
    expect(holders()).toContainEqual(
      expect.objectContaining({
        person: expect.objectContaining({ name: pm.name }),
        source: 'integrity-platform',
      }),
    );
    expect(holders()).toContainEqual(
      expect.objectContaining({ person: expect.objectContaining({ name: stranger.name }), source: 'local' }),
    );
    expect(JSON.stringify(holders())).not.toContain(stranger.idCardNumber);
    expect(JSON.stringify(holders())).not.toContain(pm.idCardNumber);
  });

  it('assigns a safety officer on site, publishes them as the holder, and raises no mismatch for the post', async () => {
    const unit = sim.snapshot().participants.find((p) => !p.exitDate)!;
    const officer = fakePerson(createRng('safety-officer'));
    const r = await api(
      'PUT',
      `/api/v1/projects/${unit.projectCode}/participants/${unit.creditCode}/key-persons/safety-officer`,
      { name: officer.name, idCardNumber: officer.idCardNumber },
    );
    expect(r.status).toBe(200);
    expect(r.json.keyPersons).toContainEqual(
      expect.objectContaining({ creditCode: unit.creditCode, post: 'safety-officer', source: 'local' }),
    );
    expect(
      (r.json.keyPersonMismatches as { post: string }[]).filter((m) => m.post === 'safety-officer'),
    ).toEqual([]);
    await eventually(
      async () =>
        published.some(
          (e) =>
            e.type === 'realname.registry.KeyPersonAppointed' &&
            e.data.participantId === unit.creditCode &&
            e.data.post === 'safety-officer' &&
            (e.data.person as { name: string } | null)?.name === officer.name,
        ),
      { what: 'the safety officer appointed on Kafka' },
    );
  });

  it('refuses an invalid ID number with the reason', async () => {
    const pm = sim.snapshot().keyPersons[0];
    const r = await api(
      'PUT',
      `/api/v1/projects/${pm.projectCode}/participants/${pm.creditCode}/key-persons/${pm.post}`,
      {
        name: 'Somebody',
        idCardNumber: '330106199001011230',
      },
    );
    expect(r.status).toBe(400);
    expect(r.json.errors).toEqual([expect.objectContaining({ field: 'idCardNumber' })]);
  });
});
