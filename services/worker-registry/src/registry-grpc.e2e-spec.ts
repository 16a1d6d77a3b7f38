/**
 * The registry's gRPC API as a process (realname.registry.v1.RegistryService): projects from the
 * integrity-platform simulator, workers and enrolments registered over REST, read back over gRPC with
 * personal numbers masked; credentials resolved by PIN, card and ID number; and the one way to see the
 * numbers unmasked (a token with the reveal-identity permission, a purpose, an audit row naming who, in
 * which role and scope), over gRPC and REST. The registry's log never carries a raw ID or phone number.
 * Callers: the local realm's identities (hz-city reads, municipal-hangzhou writes, hz-revealer reveals,
 * audit-zj reads the audit trail; the simulator's projects are in Xihu, 330106).
 */
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import { createRng, fakePerson, FakePerson, workerRegistration } from '@realname/fixtures';
import { IntegritySimulator, startIntegritySimulator } from '@realname/integrity-simulator';
import { PROTO_LOADER_OPTIONS, protoPath, REGISTRY_V1_PROTO } from '@realname/proto';
import {
  personalDataLeaks,
  registryApi,
  registryTestEnv,
  subjectOf,
} from './registry-under-test.e2e-support';
import {
  freePort,
  IdentitySelector,
  RunningService,
  startService,
  testInfrastructure,
  tokenFor,
  uniqueName,
} from '@realname/testing';

jest.setTimeout(180_000);

const run = uniqueName('reggrpc');
const MASKED_ID = /^\d{4}\*{10}[\dX]{4}$/;
let sim: IntegritySimulator;
let registry: RunningService;
let url: string;
let grpcUrl: string;
let client: grpc.Client;

const people: FakePerson[] = [createRng(`${run}-a`), createRng(`${run}-b`)].map((rng) =>
  fakePerson(rng, { ageRange: [25, 45] }),
);
const workerIds: string[] = [];
let projectId: string;
let teamId: string;
const enrolments: { enrolmentId: string; personId: string }[] = [];
const cardNumber = `C${Date.now()}`;

const rest = registryApi(() => url);

/** Who calls a REST route in these tests, unless a test says otherwise. */
function callerOfRoute(method: string, path: string): IdentitySelector {
  if (path.endsWith('/identity-reveals')) return method === 'GET' ? 'audit-zj' : 'hz-revealer';
  if (path === '/api/v1/integrity-sync' && method === 'POST') return 'ops';
  return method === 'GET' ? 'hz-city' : 'municipal-hangzhou';
}

async function api(method: string, path: string, body?: unknown, as?: IdentitySelector | null) {
  return rest(as === undefined ? callerOfRoute(method, path) : as, method, path, body);
}

async function ok(method: string, path: string, body?: unknown) {
  const r = await api(method, path, body);
  if (r.status >= 400) throw new Error(`${method} ${path} -> ${r.status}: ${JSON.stringify(r.json)}`);
  return r.json;
}

/** Who calls a gRPC method in these tests, unless a test says otherwise. */
function callerOfMethod(method: string): IdentitySelector {
  if (method === 'updateProject') return 'municipal-hangzhou';
  if (method === 'revealIdentity') return 'hz-revealer';
  return 'hz-city';
}

async function call<T = Record<string, unknown>>(
  method: string,
  req: object,
  as: IdentitySelector | null = callerOfMethod(method),
) {
  const metadata = as === null ? new grpc.Metadata() : await bearer(as);
  return new Promise<T>((res, rej) =>
    (
      client as unknown as Record<
        string,
        (
          r: object,
          m: grpc.Metadata,
          o: grpc.CallOptions,
          cb: (e: grpc.ServiceError | null, v: T) => void,
        ) => void
      >
    )[method](req, metadata, { deadline: Date.now() + 10_000 }, (e, v) => (e ? rej(e) : res(v))),
  );
}

async function bearer(as: IdentitySelector): Promise<grpc.Metadata> {
  const m = new grpc.Metadata();
  m.set('authorization', `Bearer ${await tokenFor(as)}`);
  return m;
}

beforeAll(async () => {
  const infra = await testInfrastructure();
  sim = await startIntegritySimulator({ apiKey: 'grpc-e2e-key', seed: 23, projects: 1, history: false });
  const [port, grpcPort] = [await freePort(), await freePort()];
  url = `http://127.0.0.1:${port}`;
  grpcUrl = `127.0.0.1:${grpcPort}`;
  registry = await startService(
    'worker-registry',
    registryTestEnv(
      { run, port, grpcUrl: grpcUrl, infra, integrity: sim },
      // Everything the registry can log, so that the check below covers it all.
      { LOG_LEVEL: 'debug' },
    ),
    `${url}/health/ready`,
  );
  const pkg = grpc.loadPackageDefinition(
    protoLoader.loadSync(protoPath(REGISTRY_V1_PROTO), PROTO_LOADER_OPTIONS),
  ) as unknown as { realname: { registry: { v1: { RegistryService: grpc.ServiceClientConstructor } } } };
  client = new pkg.realname.registry.v1.RegistryService(grpcUrl, grpc.credentials.createInsecure());

  // A project from the integrity platform, a team of one of its units, two workers enrolled in it.
  await ok('POST', '/api/v1/integrity-sync');
  projectId = sim.snapshot().projects[0].projectCode;
  const unit = sim
    .snapshot()
    .participants.find((p) => p.projectCode === projectId && ['006', '001', '009'].includes(p.unitType))!;
  teamId = (
    await ok('POST', `/api/v1/projects/${projectId}/teams`, {
      name: 'Formwork team 2',
      participantId: unit.creditCode,
    })
  ).teamId as string;
  for (const [i, person] of people.entries()) {
    // The card's validity too: the reveal hands it over (Zhejiang's uplink asks for it).
    const worker = await ok('POST', '/api/v1/workers', {
      ...workerRegistration(person),
      idValidFrom: person.idValidFrom,
      idValidTo: person.idValidTo,
    });
    workerIds.push(worker.workerId as string);
    const e = await ok('POST', `/api/v1/projects/${projectId}/enrolments`, {
      workerId: worker.workerId,
      teamId,
      workType: '020',
      workRole: '20',
      ...(i === 0 ? { cardNumber } : {}),
    });
    enrolments.push({ enrolmentId: e.enrolmentId as string, personId: e.personId as string });
  }
});

afterAll(async () => {
  client?.close();
  await registry?.stop();
  await sim?.close();
});

describe('worker registry over gRPC', () => {
  it('serves gRPC health for RegistryService', async () => {
    const def = protoLoader.loadSync(healthProtoPath, { keepCase: true, enums: String });
    const Health = (
      grpc.loadPackageDefinition(def) as unknown as {
        grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } };
      }
    ).grpc.health.v1.Health;
    const health = new Health(grpcUrl, grpc.credentials.createInsecure());
    const r = await new Promise<{ status: string }>((res, rej) =>
      (
        health as unknown as {
          check: (
            req: object,
            o: grpc.CallOptions,
            cb: (e: grpc.ServiceError | null, v: { status: string }) => void,
          ) => void;
        }
      ).check(
        { service: 'realname.registry.v1.RegistryService' },
        { deadline: Date.now() + 10_000 },
        (e, v) => (e ? rej(e) : res(v)),
      ),
    );
    health.close();
    expect(r.status).toBe('SERVING');
  });

  it('GetProject: the integrity fields, units, key personnel masked and mismatches', async () => {
    const project = sim.snapshot().projects[0];
    const r = await call<{
      project: Record<string, string>;
      participants: { creditCode: string }[];
      keyPersons: { maskedIdNumber: string; post: number; source: number }[];
      keyPersonMismatches: unknown[];
    }>('getProject', { projectId });
    expect(r.project).toMatchObject({
      projectId,
      name: project.name,
      region: project.region,
      category: project.category,
      status: project.status,
      address: project.address,
      generalContractorCode: project.generalContractorCode,
      constructionOwnerCode: project.constructionOwnerCode,
    });
    const units = sim.snapshot().participants.filter((p) => p.projectCode === projectId);
    expect(r.participants.map((p) => p.creditCode).sort()).toEqual(units.map((u) => u.creditCode).sort());
    expect(r.keyPersons.length).toBeGreaterThan(0);
    for (const k of r.keyPersons) {
      expect(k.maskedIdNumber).toMatch(MASKED_ID);
      expect(k.post).toBeGreaterThan(0);
      expect(k.source).toBe(1); // KEY_PERSON_SOURCE_INTEGRITY_PLATFORM
    }
    expect(Array.isArray(r.keyPersonMismatches)).toBe(true);
    const text = JSON.stringify(r);
    for (const kp of sim.snapshot().keyPersons) expect(text).not.toContain(kp.idCardNumber);

    await expect(call('getProject', { projectId: 'NO-SUCH-PROJECT' })).rejects.toMatchObject({
      code: grpc.status.NOT_FOUND,
    });
    await expect(call('getProject', {})).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT });
  });

  it('UpdateProject: integrity-owned fields refused with FAILED_PRECONDITION, saying where to correct them', async () => {
    const project = sim.snapshot().projects[0];
    const one = await call('updateProject', {
      projectId,
      updateMask: ['name'],
      details: {},
    }).catch((e: grpc.ServiceError) => e);
    expect(one).toMatchObject({
      code: grpc.status.FAILED_PRECONDITION,
      details:
        'name belongs to the integrity platform and cannot be changed here; correct it on the integrity platform and the change will arrive with the next sync',
    });
    // The same wording as REST gives the same attempt.
    const rest = await api('PATCH', `/api/v1/projects/${projectId}`, { name: 'Renamed locally' });
    expect(rest.status).toBe(409);
    expect(rest.json).toMatchObject({ type: 'urn:realname:problem:integrity-owned-field' });
    expect((one as grpc.ServiceError).details).toBe(rest.json.detail);

    // Together with a local field the whole call is refused, and nothing changes.
    await expect(
      call('updateProject', {
        projectId,
        updateMask: ['site_contact_phone', 'status', 'general_contractor_code'],
        details: { siteContactPhone: '13800001111' },
      }),
    ).rejects.toMatchObject({
      code: grpc.status.FAILED_PRECONDITION,
      details: expect.stringMatching(
        /^status, general_contractor_code belong to the integrity platform and cannot be changed here; correct them on the integrity platform/,
      ),
    });
    for (const path of ['region', 'address', 'category', 'construction_owner_code', 'project_id'])
      await expect(call('updateProject', { projectId, updateMask: [path] })).rejects.toMatchObject({
        code: grpc.status.FAILED_PRECONDITION,
        details: expect.stringContaining(path),
      });
    const after = await call<{ project: Record<string, string> }>('getProject', { projectId });
    expect(after.project).toMatchObject({
      name: project.name,
      status: project.status,
      generalContractorCode: project.generalContractorCode,
      siteContactPhone: '',
    });
  });

  it('UpdateProject: local details changed, seen over gRPC and REST; invalid values refused', async () => {
    const project = sim.snapshot().projects[0];
    type Updated = { project: Record<string, string> };
    const r = await call<Updated>('updateProject', {
      projectId,
      updateMask: ['site_contact_phone', 'remark'],
      details: { siteContactPhone: '13912345678', remark: 'Deliveries through gate 2' },
    });
    expect(r.project).toMatchObject({
      projectId,
      name: project.name,
      status: project.status,
      siteContactPhone: '13912345678',
      remark: 'Deliveries through gate 2',
    });
    expect((await call<Updated>('getProject', { projectId })).project).toMatchObject({
      siteContactPhone: '13912345678',
      remark: 'Deliveries through gate 2',
    });
    expect(await ok('GET', `/api/v1/projects/${projectId}`)).toMatchObject({
      siteContactPhone: '13912345678',
      remark: 'Deliveries through gate 2',
    });

    // Only what the mask names changes; a named field left empty is cleared.
    const cleared = await call<Updated>('updateProject', {
      projectId,
      updateMask: ['remark'],
      details: { siteContactPhone: '13000000000' },
    });
    expect(cleared.project).toMatchObject({ siteContactPhone: '13912345678', remark: '' });
    expect(await ok('GET', `/api/v1/projects/${projectId}`)).toMatchObject({
      siteContactPhone: '13912345678',
      remark: null,
    });

    await expect(
      call('updateProject', {
        projectId,
        updateMask: ['site_contact_phone'],
        details: { siteContactPhone: '555-0100' },
      }),
    ).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      details: 'site_contact_phone: must be a mainland mobile number',
    });
    await expect(
      call('updateProject', { projectId, updateMask: [], details: { remark: 'x' } }),
    ).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      details: expect.stringMatching(/^update_mask/),
    });
    await expect(call('updateProject', { projectId, details: { remark: 'x' } })).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      details: expect.stringMatching(/^update_mask/),
    });
    await expect(call('updateProject', { projectId, updateMask: ['colour'] })).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      details: expect.stringContaining('"colour"'),
    });
    await expect(call('updateProject', { updateMask: ['remark'] })).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      details: expect.stringMatching(/project_id/),
    });
    await expect(
      call('updateProject', { projectId: 'NO-SUCH-PROJECT', updateMask: ['remark'] }),
    ).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
    // The refused calls changed nothing.
    expect((await call<Updated>('getProject', { projectId })).project).toMatchObject({
      siteContactPhone: '13912345678',
      remark: '',
    });
  });

  it('GetWorker: masked ID and phone, the age but not the birth date nor the address', async () => {
    const r = await call<{ worker: Record<string, unknown> }>('getWorker', { workerId: workerIds[0] });
    const person = people[0];
    expect(r.worker).toMatchObject({
      workerId: workerIds[0],
      name: person.name,
      gender: person.gender === 'male' ? 1 : 2,
      birthDate: '',
      address: '',
      issuingAuthority: '',
      ageYears: expect.any(Number),
      hasHeadPhoto: false,
      blacklisted: false,
    });
    expect(r.worker.ageYears).toBeGreaterThanOrEqual(25);
    expect(r.worker.ageYears).toBeLessThanOrEqual(46);
    expect(r.worker.maskedIdNumber).toMatch(MASKED_ID);
    expect(r.worker.maskedIdNumber).toBe(
      `${person.idCardNumber.slice(0, 4)}**********${person.idCardNumber.slice(-4)}`,
    );
    expect(r.worker.maskedPhone).toMatch(/^1\d{2}\*{4}\d{4}$/);
    const text = JSON.stringify(r);
    expect(text).not.toContain(person.idCardNumber);
    expect(text).not.toContain(person.phone);
    await expect(
      call('getWorker', { workerId: '0190b3c4-0000-7000-8000-000000000000' }),
    ).rejects.toMatchObject({
      code: grpc.status.NOT_FOUND,
    });
  });

  it('ListEnrolments: page by page, filtered by team and status', async () => {
    type Page = { enrolments: Record<string, unknown>[]; nextPageToken: string };
    const first = await call<Page>('listEnrolments', { projectId, pageSize: 1 });
    expect(first.enrolments).toHaveLength(1);
    expect(first.nextPageToken).not.toBe('');
    const second = await call<Page>('listEnrolments', {
      projectId,
      pageSize: 1,
      pageToken: first.nextPageToken,
    });
    expect(second.enrolments).toHaveLength(1);
    expect(second.nextPageToken).toBe('');
    expect([...first.enrolments, ...second.enrolments].map((e) => e.enrolmentId)).toEqual(
      enrolments.map((e) => e.enrolmentId),
    );
    expect(first.enrolments[0]).toMatchObject({
      projectId,
      workerId: workerIds[0],
      workerName: people[0].name,
      teamId,
      teamName: 'Formwork team 2',
      workType: '020',
      workRole: '20',
      personId: enrolments[0].personId,
      cardNumber,
      status: 1, // ENROLMENT_STATUS_ENROLLED
      enteredOn: '',
      contractSigned: false,
    });
    expect(first.enrolments[0].maskedIdNumber).toMatch(MASKED_ID);

    const byTeam = await call<Page>('listEnrolments', { projectId, teamId, status: 1 });
    expect(byTeam.enrolments).toHaveLength(2);
    expect((await call<Page>('listEnrolments', { projectId, status: 2 })).enrolments).toEqual([]);
    expect((await call<Page>('listEnrolments', { projectId, teamId: 'other-team' })).enrolments).toEqual([]);
    await expect(call('listEnrolments', { projectId, pageToken: 'not-a-token' })).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
    });
    await expect(call('listEnrolments', { projectId: 'NO-SUCH-PROJECT' })).rejects.toMatchObject({
      code: grpc.status.NOT_FOUND,
    });
  });

  it('ResolveCredential: by device PIN, by card number and by ID number', async () => {
    type Resolved = { found: boolean; enrolment?: Record<string, unknown> };
    const byPin = await call<Resolved>('resolveCredential', { projectId, personId: enrolments[1].personId });
    expect(byPin).toMatchObject({ found: true, enrolment: { enrolmentId: enrolments[1].enrolmentId } });

    const byCard = await call<Resolved>('resolveCredential', { projectId, cardNumber });
    expect(byCard).toMatchObject({
      found: true,
      enrolment: { enrolmentId: enrolments[0].enrolmentId, workerId: workerIds[0] },
    });

    const byId = await call<Resolved>('resolveCredential', {
      projectId,
      idCardNumber: people[1].idCardNumber,
    });
    expect(byId).toMatchObject({
      found: true,
      enrolment: { workerId: workerIds[1], personId: enrolments[1].personId },
    });
    expect(JSON.stringify(byId)).not.toContain(people[1].idCardNumber);

    const stranger = fakePerson(createRng(`${run}-stranger`));
    for (const req of [
      { personId: '99999' },
      { cardNumber: 'NO-SUCH-CARD' },
      { idCardNumber: stranger.idCardNumber },
    ]) {
      const r = await call<Resolved>('resolveCredential', { projectId, ...req });
      expect(r.found).toBe(false);
      expect(r.enrolment ?? null).toBeNull();
    }
    await expect(call('resolveCredential', { projectId })).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
    });
    await expect(
      call('resolveCredential', { projectId, idCardNumber: '330106199001011230' }),
    ).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      details: expect.stringMatching(/id_card_number/),
    });
  });

  it('RevealIdentity: refused without a token, without the permission, without a purpose, out of scope', async () => {
    const req = { workerId: workerIds[0], purpose: 'national-platform-upload' };
    await expect(call('revealIdentity', req, null)).rejects.toMatchObject({
      code: grpc.status.UNAUTHENTICATED,
      details: expect.stringMatching(/authorization: Bearer/),
    });
    // A supervisor of the city without the permission, and an auditor (a role that may not reveal).
    for (const who of ['hz-city', 'audit-zj'])
      await expect(call('revealIdentity', req, who)).rejects.toMatchObject({
        code: grpc.status.PERMISSION_DENIED,
        details: expect.stringMatching(/reveal-identity|needs the role/),
      });
    await expect(call('revealIdentity', { workerId: workerIds[0] })).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      details: expect.stringMatching(/purpose/),
    });
    await expect(call('revealIdentity', { workerId: 'no-such-worker', purpose: 'x' })).rejects.toMatchObject({
      code: grpc.status.NOT_FOUND,
    });
    // Nothing was revealed, so nothing is in the trail.
    expect((await ok('GET', `/api/v1/workers/${workerIds[0]}/identity-reveals`)).reveals).toEqual([]);
  });

  it('RevealIdentity: with the permission and a purpose, the numbers, recorded in the audit trail with the actor', async () => {
    const r = await call<{ idCardNumber: string; phone: string }>('revealIdentity', {
      workerId: workerIds[0],
      purpose: 'national-platform-upload',
    });
    expect(r).toEqual({
      idCardNumber: people[0].idCardNumber,
      phone: people[0].phone,
      birthDate: people[0].birthDate,
      address: people[0].address,
      issuingAuthority: people[0].issuingAuthority,
      idValidFrom: people[0].idValidFrom,
      idValidTo: people[0].idValidTo,
    });

    const trail = await api('GET', `/api/v1/workers/${workerIds[0]}/identity-reveals`);
    expect(trail.status).toBe(200);
    const reveals = trail.json.reveals as { caller: string; purpose: string; revealedAt: string }[];
    expect(reveals).toEqual([
      {
        revealId: expect.any(String),
        caller: await subjectOf('hz-revealer'),
        callerRole: 'city-supervisor',
        callerScope: 'city:330100',
        purpose: 'national-platform-upload',
        revealedAt: expect.any(String),
      },
    ]);
    expect(Math.abs(Date.parse(reveals[0].revealedAt) - Date.now())).toBeLessThan(60_000);
    // The other worker's numbers were not revealed.
    expect((await ok('GET', `/api/v1/workers/${workerIds[1]}/identity-reveals`)).reveals).toEqual([]);
    // The trail is the auditors' only: a supervisor does not read it.
    expect(
      (await api('GET', `/api/v1/workers/${workerIds[0]}/identity-reveals`, undefined, 'hz-city')).status,
    ).toBe(403);
  });

  it('REST reveal: 401 without a token, 403 without the permission, 400 without a purpose, then the numbers', async () => {
    const path = `/api/v1/workers/${workerIds[1]}/identity-reveals`;
    const body = { purpose: 'labour-dispute-case-17' };
    const none = await api('POST', path, body, null);
    expect(none.status).toBe(401);
    expect(none.type).toContain('application/problem+json');
    expect(none.json).toMatchObject({ type: 'urn:realname:problem:unauthenticated' });
    const wrong = await api('POST', path, body, 'hz-city');
    expect(wrong.status).toBe(403);
    expect(wrong.json).toMatchObject({ type: 'urn:realname:problem:forbidden' });
    expect(wrong.json.detail).toMatch(/reveal-identity/);
    const noPurpose = await api('POST', path, {});
    expect(noPurpose.status).toBe(400);
    expect(noPurpose.json.errors).toEqual([expect.objectContaining({ field: 'purpose' })]);
    for (const r of [none, wrong, noPurpose])
      expect(JSON.stringify(r.json)).not.toContain(people[1].idCardNumber);

    const good = await api('POST', path, body);
    expect(good.status).toBe(200);
    expect(good.cacheControl).toBe('no-store');
    expect(good.json).toEqual({
      idCardNumber: people[1].idCardNumber,
      phone: people[1].phone,
      birthDate: people[1].birthDate,
      address: people[1].address,
      issuingAuthority: people[1].issuingAuthority,
      idValidFrom: people[1].idValidFrom,
      idValidTo: people[1].idValidTo,
    });

    const trail = (await ok('GET', path)).reveals as { caller: string; purpose: string }[];
    expect(trail).toEqual([
      expect.objectContaining({
        caller: await subjectOf('hz-revealer'),
        callerRole: 'city-supervisor',
        callerScope: 'city:330100',
        purpose: 'labour-dispute-case-17',
      }),
    ]);
    expect((await api('GET', '/api/v1/workers/no-such-worker/identity-reveals')).status).toBe(404);

    // Everything else stays masked.
    const worker = await ok('GET', `/api/v1/workers/${workerIds[1]}`);
    expect(JSON.stringify(worker)).not.toContain(people[1].idCardNumber);
    expect(JSON.stringify(worker)).not.toContain(people[1].phone);
    const listed = await ok('GET', `/api/v1/projects/${projectId}/enrolments`);
    expect(JSON.stringify(listed)).not.toContain(people[1].idCardNumber);
  });

  it('no ordinary read, REST or gRPC, shows an ID number, a birth date, an area + birth-date run or an address', async () => {
    // The checker itself finds each of them, at any depth (so the test fails if one comes back).
    const p = people[0];
    const id = p.idCardNumber;
    const [y, m, d] = [id.slice(6, 10), id.slice(10, 12), id.slice(12, 14)];
    for (const leak of [
      { n: id },
      { a: [{ b: `born ${y}-${m}-${d}` }] },
      { birthDate: `${y}${m}${d}` },
      { x: `${id.slice(0, 6)}********${id.slice(-4)}` },
      { x: `${id.slice(0, 14)}` },
      { deep: { address: p.address } },
    ])
      expect(personalDataLeaks(leak, [p])).not.toEqual([]);

    // A worker registered for this test: registration's own answer is an ordinary read too.
    const person = fakePerson(createRng(`${run}-leak`), { ageRange: [30, 50] });
    const registered = await ok('POST', '/api/v1/workers', workerRegistration(person));
    const workerId = registered.workerId as string;
    const enrolled = await ok('POST', `/api/v1/projects/${projectId}/enrolments`, {
      workerId,
      teamId,
      workType: '020',
      workRole: '20',
    });
    const enrolmentId = enrolled.enrolmentId as string;
    const unit = sim.snapshot().participants.find((u) => u.projectCode === projectId)!;
    const secrets = [
      ...[...people, person].map((q) => ({
        idCardNumber: q.idCardNumber,
        address: q.address,
        issuingAuthority: q.issuingAuthority,
      })),
      ...sim.snapshot().keyPersons.map((k) => ({ idCardNumber: k.idCardNumber })),
    ];
    const answers: Record<string, unknown> = {
      'POST /workers': registered,
      'POST /enrolments': enrolled,
      'GET /workers/{id}': await api('GET', `/api/v1/workers/${workerId}`),
      'POST /workers/{id}/blacklist': await api(
        'POST',
        `/api/v1/workers/${workerId}/blacklist`,
        { reason: 'leak test' },
        'hz-city',
      ),
      'POST /workers/{id}/blacklist/lift': await api(
        'POST',
        `/api/v1/workers/${workerId}/blacklist/lift`,
        { reason: 'leak test' },
        'xh-county',
      ),
      'POST /enrolments/{id}/entry': await api('POST', `/api/v1/enrolments/${enrolmentId}/entry`, {
        date: new Date().toISOString().slice(0, 10),
      }),
      'GET /workers/{id}/identity-reveals': await api(
        'GET',
        `/api/v1/workers/${workerIds[0]}/identity-reveals`,
      ),
      'GET /projects': await api('GET', '/api/v1/projects'),
      'GET /projects/{id}': await api('GET', `/api/v1/projects/${projectId}`),
      'GET /projects/{id}/enrolments': await api('GET', `/api/v1/projects/${projectId}/enrolments`),
      'GET /projects/{id}/trainings': await api('GET', `/api/v1/projects/${projectId}/trainings`),
      'GET /enterprises/{code}': await api('GET', `/api/v1/enterprises/${unit.creditCode}`),
      'GET /integrity-sync': await api('GET', '/api/v1/integrity-sync'),
      'GET /workers/{id}/head-photo': await api('GET', `/api/v1/workers/${workerId}/head-photo`),
      'grpc GetWorker': await call('getWorker', { workerId }),
      'grpc GetProject': await call('getProject', { projectId }),
      'grpc ListEnrolments': await call('listEnrolments', { projectId }),
      'grpc ResolveCredential by PIN': await call('resolveCredential', {
        projectId,
        personId: enrolled.personId,
      }),
      'grpc ResolveCredential by ID': await call('resolveCredential', {
        projectId,
        idCardNumber: person.idCardNumber,
      }),
    };
    expect(personalDataLeaks(answers, secrets)).toEqual([]);
    // They did answer: the worker and the enrolment are in them, masked.
    expect(
      (answers['grpc GetWorker'] as { worker: { maskedIdNumber: string } }).worker.maskedIdNumber,
    ).toMatch(MASKED_ID);
    expect(JSON.stringify(answers['GET /projects/{id}/enrolments'])).toContain(enrolmentId);
  });

  it("never writes a raw ID or phone number to the registry's log", async () => {
    await registry.stop(); // flushes and closes the log
    const log = readFileSync(registry.logFile, 'utf8');
    // The log is the real one: it has the reveals, naming the callers (subject, role, scope).
    const revealer = await subjectOf('hz-revealer');
    expect(log).toMatch(
      new RegExp(`"msg":"identity revealed".*"caller":"${revealer}".*"role":"city-supervisor"`),
    );
    expect(log).toMatch(/"msg":"identity reveal refused".*"reason":"invalid-argument"/);
    const numbers = [
      ...people.flatMap((p) => [p.idCardNumber, p.phone]),
      ...sim.snapshot().keyPersons.map((k) => k.idCardNumber),
    ];
    for (const n of numbers) expect(log).not.toContain(n);
    // Nor a birth date, an area + birth-date run, a county-revealing mask or an address, in any line.
    const secrets = [
      ...people.map((q) => ({ idCardNumber: q.idCardNumber, address: q.address })),
      ...sim.snapshot().keyPersons.map((k) => ({ idCardNumber: k.idCardNumber })),
    ];
    const lines = log.split('\n').filter((l) => l.trim().startsWith('{'));
    expect(lines.flatMap((l) => personalDataLeaks(JSON.parse(l), secrets))).toEqual([]);
    for (const who of ['hz-revealer', 'hz-city', 'municipal-hangzhou'])
      expect(log).not.toContain((await tokenFor(who)).split('.')[2]);
  });
});
