/**
 * Access control of the worker registry as a process (docs/access.md, issue 10): every REST endpoint and
 * every gRPC method, called by the local realm's identities (real tokens) on records in and out of
 * their scope. Projects in Xihu (330106, the pm-xihu project with enterprise 91330106MA2H4K7N15), in
 * Ningbo (330200) and in Wuhan (420100). For each cell: no token → 401 / UNAUTHENTICATED; a role the
 * route does not take → 403 / PERMISSION_DENIED; a read out of scope → 404 / NOT_FOUND; a write out
 * of scope → 403 / PERMISSION_DENIED with nothing changed; an allowed call in scope → 2xx. Lists hold
 * in-scope rows only, and no read shows an ID number, a birth date or an address.
 */
import { randomBytes } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { Database } from '@realname/eventstore';
import { createRng, fakeCreditCode, FakePerson, fakePerson, workerRegistration } from '@realname/fixtures';
import { IntegritySimulator, startIntegritySimulator } from '@realname/integrity-simulator';
import { scopeCovers, ScopeKind } from '@realname/platform';
import { PROTO_LOADER_OPTIONS, protoPath, REGISTRY_V1_PROTO } from '@realname/proto';
import {
  freePort,
  IdentitySelector,
  RunningService,
  startService,
  testIdentity,
  testInfrastructure,
  tokenFor,
  uniqueName,
} from '@realname/testing';
import {
  personalDataLeaks,
  PersonalSecrets,
  registryApi,
  registryTestEnv,
} from './registry-under-test.e2e-support';

jest.setTimeout(600_000);

const run = uniqueName('regacc');
const rng = createRng(run);
const XIHU_PROJECT = '330106202401150001';
const XIHU_ENTERPRISE = '91330106MA2H4K7N15';
const today = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);
const jpeg = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), randomBytes(800)]).toString('base64');

/** The identities of the matrix (docs/access.md), and who is given no token. */
const IDENTITIES = [
  'hz-city',
  'nb-city',
  'xh-county',
  'pm-xihu',
  'ent-hz',
  'municipal-hangzhou',
  'municipal-wuhan',
  'audit-zj',
  'ops',
  'dev-hz',
  'hz-revealer',
  'svc-device-gateway',
  'svc-reporting',
] as const;

type RecordName = 'xihu' | 'ningbo' | 'wuhan';
const RECORDS: RecordName[] = ['xihu', 'ningbo', 'wuhan'];

/** One project of the fixture and what hangs off it, made by its own writer. */
interface Site {
  name: RecordName;
  projectId: string;
  region: string;
  /** The participating unit its team belongs to (Xihu: the enterprise of ent-hz). */
  unit: string;
  /** Who writes on it (project manager or municipal system), and a province supervisor of it. */
  writer: IdentitySelector;
  blacklister: IdentitySelector;
  teamId: string;
  workerId: string;
  enrolmentId: string;
  personId: string;
}

const sites = {} as Record<RecordName, Site>;
const secrets: PersonalSecrets[] = [];
/** Every answer of an ordinary read (everything but reveals and photos), for the leak check. */
const reads: Record<string, unknown> = {};

let sim: IntegritySimulator;
let registry: RunningService;
let url: string;
let grpcUrl: string;
let client: grpc.Client;
let db: Database;
const schema = `reg_${run}`;
const rest = registryApi(() => url);

type Answer = { status: number; json: Record<string, unknown> };

async function ok(as: IdentitySelector, method: string, path: string, body?: unknown) {
  const r = await rest(as, method, path, body);
  if (r.status >= 300)
    throw new Error(`${method} ${path} as ${String(as)} -> ${r.status}: ${JSON.stringify(r.json)}`);
  return r.json;
}

const GRPC_TO_HTTP: Partial<Record<grpc.status, number>> = {
  [grpc.status.UNAUTHENTICATED]: 401,
  [grpc.status.PERMISSION_DENIED]: 403,
  [grpc.status.NOT_FOUND]: 404,
  [grpc.status.INVALID_ARGUMENT]: 400,
  [grpc.status.FAILED_PRECONDITION]: 409,
};

/** A gRPC call as an identity (or without a token), its status given as the REST status it stands for. */
async function call(as: IdentitySelector | null, method: string, req: object): Promise<Answer> {
  const metadata = new grpc.Metadata();
  if (as !== null) metadata.set('authorization', `Bearer ${await tokenFor(as)}`);
  return new Promise<Answer>((res) =>
    (
      client as unknown as Record<
        string,
        (
          r: object,
          m: grpc.Metadata,
          o: grpc.CallOptions,
          cb: (e: grpc.ServiceError | null, v: Record<string, unknown>) => void,
        ) => void
      >
    )[method](req, metadata, { deadline: Date.now() + 10_000 }, (e, v) =>
      res(
        e
          ? { status: GRPC_TO_HTTP[e.code] ?? 500, json: { code: e.code, details: e.details } }
          : { status: 200, json: v },
      ),
    ),
  );
}

function newPerson(label: string): FakePerson {
  const p = fakePerson(createRng(`${run}-${label}`), { ageRange: [25, 45] });
  secrets.push({ idCardNumber: p.idCardNumber, address: p.address, issuingAuthority: p.issuingAuthority });
  return p;
}

let serial = 0;
/** A worker registered by the site's writer, with a head photo. */
async function freshWorker(site: Site): Promise<string> {
  const p = newPerson(`w${++serial}`);
  return (await ok(site.writer, 'POST', '/api/v1/workers', { ...workerRegistration(p), headPhoto: jpeg }))
    .workerId as string;
}

/** A fresh worker enrolled on the site's project by its writer. */
async function freshEnrolment(site: Site, cardNumber?: string) {
  const workerId = await freshWorker(site);
  const e = await ok(site.writer, 'POST', `/api/v1/projects/${site.projectId}/enrolments`, {
    workerId,
    teamId: site.teamId,
    workType: '050',
    workRole: '20',
    ...(cardNumber ? { cardNumber } : {}),
  });
  return { workerId, enrolmentId: e.enrolmentId as string, personId: e.personId as string };
}

/** A fresh enrolment that may enter the site today: contract signed, safety training passed. */
async function enterable(site: Site) {
  const e = await freshEnrolment(site);
  await ok(site.writer, 'POST', `/api/v1/enrolments/${e.enrolmentId}/contract`, {
    periodType: '1',
    startDate: today,
  });
  await ok(site.writer, 'POST', `/api/v1/enrolments/${e.enrolmentId}/trainings`, {
    typeCode: '003001',
    date: today,
    passed: true,
  });
  return e;
}

/** What a refused write must leave as it was. */
async function registryState(): Promise<unknown> {
  const s = schema;
  return db.query(
    `SELECT (SELECT count(*) FROM ${s}.events)::int AS events, (SELECT count(*) FROM ${s}.enterprises)::int AS enterprises,
            (SELECT count(*) FROM ${s}.identity_reveals)::int AS reveals, (SELECT count(*) FROM ${s}.trainings)::int AS trainings,
            (SELECT count(*) FROM ${s}.teams)::int AS teams, (SELECT count(*) FROM ${s}.workers)::int AS workers,
            (SELECT count(*) FROM ${s}.key_persons)::int AS key_persons,
            (SELECT string_agg(project_id || ':' || coalesce(site_contact_phone, '') || ':' || coalesce(remark, ''), ',' ORDER BY project_id) FROM ${s}.projects) AS projects,
            (SELECT string_agg(worker_id || ':' || blacklisted::text, ',' ORDER BY worker_id) FROM ${s}.workers) AS blacklist,
            (SELECT string_agg(enrolment_id || ':' || status || ':' || coalesce(card_number, '') || ':' || contract_signed::text, ',' ORDER BY enrolment_id) FROM ${s}.enrolments) AS enrolments`,
  );
}

type Role = string;
const SUPERVISORS: Role[] = ['province-supervisor', 'city-supervisor', 'county-supervisor'];
const READERS: Role[] = [...SUPERVISORS, 'project-manager', 'enterprise-user', 'municipal-integrator'];
const SITE_WRITERS: Role[] = ['project-manager', 'municipal-integrator'];

/**
 * One REST endpoint or gRPC method. `call` makes the request as `as` on the site; `prepare` makes what an
 * allowed in-scope call needs fresh (so it succeeds), from the site's own writer.
 */
interface Endpoint {
  name: string;
  kind: 'read' | 'write';
  roles: Role[];
  /** False: the endpoint concerns no record of a region (it is allowed or not by role alone). */
  scoped?: boolean;
  permission?: string;
  /** Not an ordinary read: left out of the leak check (a reveal, a photo). */
  revealing?: boolean;
  prepare?: (site: Site, as: IdentitySelector) => Promise<Record<string, string>>;
  call: (as: IdentitySelector | null, site: Site, fresh: Record<string, string>) => Promise<Answer>;
}

const unitRegion: Record<RecordName, string> = { xihu: '330106', ningbo: '330200', wuhan: '420100' };

const ENDPOINTS: Endpoint[] = [
  // Projects
  {
    name: 'GET /projects/{id}',
    kind: 'read',
    roles: READERS,
    call: (as, s) => rest(as, 'GET', `/api/v1/projects/${s.projectId}`),
  },
  {
    name: 'PATCH /projects/{id}',
    kind: 'write',
    roles: SITE_WRITERS,
    call: (as, s) => rest(as, 'PATCH', `/api/v1/projects/${s.projectId}`, { remark: `set by ${String(as)}` }),
  },
  {
    name: 'PUT /projects/{id}/participants/{code}/key-persons/{post}',
    kind: 'write',
    roles: SITE_WRITERS,
    call: (as, s) => {
      const p = newPerson(`kp${++serial}`);
      return rest(
        as,
        'PUT',
        `/api/v1/projects/${s.projectId}/participants/${s.unit}/key-persons/project-manager`,
        {
          name: p.name,
          idCardNumber: p.idCardNumber,
        },
      );
    },
  },
  {
    name: 'POST /projects/{id}/teams',
    kind: 'write',
    roles: SITE_WRITERS,
    call: (as, s) =>
      rest(as, 'POST', `/api/v1/projects/${s.projectId}/teams`, {
        name: `Team ${++serial}`,
        participantId: s.unit,
      }),
  },
  {
    name: 'GET /enterprises/{code}',
    kind: 'read',
    roles: READERS,
    call: (as, s) => rest(as, 'GET', `/api/v1/enterprises/${s.unit}`),
  },
  {
    name: 'POST /enterprises',
    kind: 'write',
    roles: ['municipal-integrator'],
    call: (as, s) =>
      rest(as, 'POST', '/api/v1/enterprises', {
        creditCode: fakeCreditCode(createRng(`${run}-ent-${++serial}`), unitRegion[s.name]),
        name: `Local labour ${serial} Co.`,
      }),
  },
  {
    name: 'POST /integrity-sync',
    kind: 'write',
    roles: ['platform-operator', 'province-supervisor'],
    scoped: false,
    call: (as) => rest(as, 'POST', '/api/v1/integrity-sync'),
  },
  {
    name: 'GET /integrity-sync',
    kind: 'read',
    roles: ['platform-operator', ...SUPERVISORS],
    scoped: false,
    call: (as) => rest(as, 'GET', '/api/v1/integrity-sync'),
  },
  // Workers
  {
    name: 'POST /workers',
    kind: 'write',
    roles: SITE_WRITERS,
    // A new worker belongs to no one yet: it lands in the registering caller's scope.
    scoped: false,
    call: (as) => rest(as, 'POST', '/api/v1/workers', workerRegistration(newPerson(`reg${++serial}`))),
  },
  {
    name: 'GET /workers/{id}',
    kind: 'read',
    roles: READERS,
    call: (as, s) => rest(as, 'GET', `/api/v1/workers/${s.workerId}`),
  },
  {
    name: 'POST /workers/{id}/blacklist',
    kind: 'write',
    roles: SUPERVISORS,
    prepare: async (s) => ({ workerId: (await freshEnrolment(s)).workerId }),
    call: (as, s, f) =>
      rest(as, 'POST', `/api/v1/workers/${f.workerId ?? s.workerId}/blacklist`, {
        reason: 'forged certificate',
      }),
  },
  {
    name: 'POST /workers/{id}/blacklist/lift',
    kind: 'write',
    roles: SUPERVISORS,
    prepare: async (s) => {
      const { workerId } = await freshEnrolment(s);
      await ok(s.blacklister, 'POST', `/api/v1/workers/${workerId}/blacklist`, { reason: 'to be checked' });
      return { workerId };
    },
    call: (as, s, f) =>
      rest(as, 'POST', `/api/v1/workers/${f.workerId ?? s.workerId}/blacklist/lift`, {
        reason: 'certificate checked: genuine',
      }),
  },
  {
    name: 'POST /workers/{id}/identity-reveals',
    kind: 'read',
    // internal-service: reporting (svc-reporting holds the permission; svc-device-gateway does not).
    roles: [...SUPERVISORS, 'municipal-integrator', 'internal-service'],
    permission: 'reveal-identity',
    revealing: true,
    call: (as, s) =>
      rest(as, 'POST', `/api/v1/workers/${s.workerId}/identity-reveals`, {
        purpose: 'labour-dispute-case-17',
      }),
  },
  {
    name: 'GET /workers/{id}/identity-reveals',
    kind: 'read',
    roles: ['auditor'],
    call: (as, s) => rest(as, 'GET', `/api/v1/workers/${s.workerId}/identity-reveals`),
  },
  {
    name: 'GET /workers/{id}/head-photo',
    kind: 'read',
    roles: ['internal-service', ...SUPERVISORS],
    revealing: true,
    call: async (as, s) => {
      const res = await fetch(`${url}/api/v1/workers/${s.workerId}/head-photo`, {
        headers: as === null ? {} : { authorization: `Bearer ${await tokenFor(as)}` },
      });
      const type = res.headers.get('content-type') ?? '';
      const body = Buffer.from(await res.arrayBuffer());
      return {
        status: res.status,
        json: type.includes('json')
          ? (JSON.parse(body.toString()) as Record<string, unknown>)
          : { bytes: body.length },
      };
    },
  },
  // Enrolments
  {
    name: 'POST /projects/{id}/enrolments',
    kind: 'write',
    roles: SITE_WRITERS,
    prepare: async (s) => ({ workerId: await freshWorker(s) }),
    call: (as, s, f) =>
      rest(as, 'POST', `/api/v1/projects/${s.projectId}/enrolments`, {
        workerId: f.workerId ?? s.workerId,
        teamId: s.teamId,
        workType: '050',
        workRole: '20',
      }),
  },
  {
    name: 'GET /projects/{id}/enrolments',
    kind: 'read',
    roles: READERS,
    call: (as, s) => rest(as, 'GET', `/api/v1/projects/${s.projectId}/enrolments`),
  },
  {
    name: 'POST /projects/{id}/trainings',
    kind: 'write',
    roles: SITE_WRITERS,
    prepare: async (s) => ({ enrolmentId: (await freshEnrolment(s)).enrolmentId }),
    call: (as, s, f) =>
      rest(as, 'POST', `/api/v1/projects/${s.projectId}/trainings`, {
        name: 'Site safety induction',
        typeCode: '003001',
        date: today,
        attendees: [{ enrolmentId: f.enrolmentId ?? s.enrolmentId, passed: true, score: 90 }],
      }),
  },
  {
    name: 'GET /projects/{id}/trainings',
    kind: 'read',
    roles: READERS,
    call: (as, s) => rest(as, 'GET', `/api/v1/projects/${s.projectId}/trainings`),
  },
  ...(
    [
      ['contract', { periodType: '1', startDate: today }],
      ['trainings', { typeCode: '003001', date: today, passed: true }],
      ['certificates', { workType: '050', number: 'CERT-1', expiresOn: '2030-12-31' }],
      ['card', { cardNumber: 'CARD-X' }],
    ] as const
  ).map(([act, body]): Endpoint => ({
    name: `POST /enrolments/{id}/${act}`,
    kind: 'write',
    roles: SITE_WRITERS,
    prepare: async (s) => ({ enrolmentId: (await freshEnrolment(s)).enrolmentId }),
    call: (as, s, f) =>
      rest(as, 'POST', `/api/v1/enrolments/${f.enrolmentId ?? s.enrolmentId}/${act}`, {
        ...body,
        ...(act === 'card' ? { cardNumber: `CARD-${++serial}` } : {}),
      }),
  })),
  {
    name: 'POST /enrolments/{id}/entry',
    kind: 'write',
    roles: SITE_WRITERS,
    prepare: async (s) => ({ enrolmentId: (await enterable(s)).enrolmentId }),
    call: (as, s, f) =>
      rest(as, 'POST', `/api/v1/enrolments/${f.enrolmentId ?? s.enrolmentId}/entry`, { date: today }),
  },
  {
    name: 'POST /enrolments/{id}/exit',
    kind: 'write',
    roles: SITE_WRITERS,
    prepare: async (s) => {
      const { enrolmentId } = await enterable(s);
      await ok(s.writer, 'POST', `/api/v1/enrolments/${enrolmentId}/entry`, { date: today });
      return { enrolmentId };
    },
    call: (as, s, f) =>
      rest(as, 'POST', `/api/v1/enrolments/${f.enrolmentId ?? s.enrolmentId}/exit`, { date: today }),
  },
  // gRPC
  {
    name: 'grpc GetProject',
    kind: 'read',
    roles: READERS,
    call: (as, s) => call(as, 'getProject', { projectId: s.projectId }),
  },
  {
    name: 'grpc UpdateProject',
    kind: 'write',
    roles: SITE_WRITERS,
    call: (as, s) =>
      call(as, 'updateProject', {
        projectId: s.projectId,
        updateMask: ['remark'],
        details: { remark: `grpc ${String(as)}` },
      }),
  },
  {
    name: 'grpc GetWorker',
    kind: 'read',
    roles: READERS,
    call: (as, s) => call(as, 'getWorker', { workerId: s.workerId }),
  },
  {
    name: 'grpc ListEnrolments',
    kind: 'read',
    roles: READERS,
    call: (as, s) => call(as, 'listEnrolments', { projectId: s.projectId }),
  },
  {
    name: 'grpc ResolveCredential',
    kind: 'read',
    roles: [...SUPERVISORS, 'project-manager', 'municipal-integrator'],
    call: async (as, s) => {
      const r = await call(as, 'resolveCredential', { projectId: s.projectId, personId: s.personId });
      // Out of scope the project is not found; in scope the enrolment is.
      return r.status === 200 && !r.json.found ? { status: 404, json: r.json } : r;
    },
  },
  {
    name: 'grpc RevealIdentity',
    kind: 'read',
    // internal-service: reporting (svc-reporting holds the permission; svc-device-gateway does not).
    roles: [...SUPERVISORS, 'municipal-integrator', 'internal-service'],
    permission: 'reveal-identity',
    revealing: true,
    call: (as, s) =>
      call(as, 'revealIdentity', { workerId: s.workerId, purpose: 'national-platform-upload' }),
  },
];

/** Whether the identity's token scope covers the site (its region, its project, its enterprise). */
function covers(who: IdentitySelector, site: Site): boolean {
  const id = testIdentity(who);
  return scopeCovers(
    { kind: id.scopeKind as ScopeKind, code: id.scope },
    { region: site.region, projectId: site.projectId, creditCode: site.unit },
  );
}

/** What the registry must answer: a status, or 'ok' for any 2xx. */
function expected(ep: Endpoint, who: IdentitySelector | null, site: Site): number | 'ok' {
  if (who === null) return 401;
  const id = testIdentity(who);
  if (!id.roles.some((r) => ep.roles.includes(r))) return 403;
  if (ep.permission && !id.permissions.includes(ep.permission)) return 403;
  if (ep.scoped === false || covers(who, site)) return 'ok';
  return ep.kind === 'read' ? 404 : 403;
}

beforeAll(async () => {
  const infra = await testInfrastructure();
  sim = await startIntegritySimulator({ apiKey: 'acc-e2e', seed: 31, projects: 1, history: false });
  // The three sites of the matrix, as the integrity platform shares them.
  const ningboUnit = fakeCreditCode(rng, '330200');
  const wuhanUnit = fakeCreditCode(rng, '420100');
  const owner = fakeCreditCode(rng, '330106');
  const add = (kind: 'enterprise' | 'project' | 'participant', data: Record<string, unknown>) =>
    sim.appendChange({ kind, op: 'upsert', data } as Parameters<IntegritySimulator['appendChange']>[0]);
  for (const [creditCode, region] of [
    [XIHU_ENTERPRISE, '330106'],
    [ningboUnit, '330200'],
    [wuhanUnit, '420100'],
    [owner, '330106'],
  ])
    add('enterprise', {
      creditCode,
      name: `Builder ${creditCode.slice(-4)} Co.`,
      registrationType: '150',
      legalRepresentative: 'Zhang San',
      region,
    });
  const projects: [RecordName, string, string, string, IdentitySelector, IdentitySelector][] = [
    ['xihu', XIHU_PROJECT, '330106', XIHU_ENTERPRISE, 'pm-xihu', 'zj-province'],
    ['ningbo', '330200202402010001', '330200', ningboUnit, 'municipal-ningbo', 'zj-province'],
    ['wuhan', '420100202403010001', '420100', wuhanUnit, 'municipal-wuhan', 'hb-province'],
  ];
  for (const [name, projectId, region, unit] of projects) {
    add('project', {
      projectCode: projectId,
      name: `Site ${name}`,
      region,
      category: '01',
      status: '003',
      address: `${name} road 1`,
      lng: 120.1,
      lat: 30.2,
      generalContractorCode: unit,
      constructionOwnerCode: owner,
      startDate: '2024-01-15',
    });
    add('participant', {
      projectCode: projectId,
      creditCode: unit,
      unitType: '009',
      entryDate: '2024-01-15',
    });
  }

  const [port, grpcPort] = [await freePort(), await freePort()];
  url = `http://127.0.0.1:${port}`;
  grpcUrl = `127.0.0.1:${grpcPort}`;
  registry = await startService(
    'worker-registry',
    registryTestEnv({ run, port, grpcUrl, infra, integrity: sim }),
    `${url}/health/ready`,
  );
  const pkg = grpc.loadPackageDefinition(
    protoLoader.loadSync(protoPath(REGISTRY_V1_PROTO), PROTO_LOADER_OPTIONS),
  ) as unknown as { realname: { registry: { v1: { RegistryService: grpc.ServiceClientConstructor } } } };
  client = new pkg.realname.registry.v1.RegistryService(grpcUrl, grpc.credentials.createInsecure());
  db = await Database.connect({ url: infra.postgresUrl });

  await ok('ops', 'POST', '/api/v1/integrity-sync');
  for (const [name, projectId, region, unit, writer, blacklister] of projects) {
    const site: Site = {
      name,
      projectId,
      region,
      unit,
      writer,
      blacklister,
      teamId: '',
      workerId: '',
      enrolmentId: '',
      personId: '',
    };
    site.teamId = (
      await ok(writer, 'POST', `/api/v1/projects/${projectId}/teams`, {
        name: 'Formwork',
        participantId: unit,
      })
    ).teamId as string;
    const e = await freshEnrolment(site, `CARD-${name}`);
    Object.assign(site, e);
    sites[name] = site;
  }
  // The Xihu worker has been revealed once, so the audit trail has a row to show.
  await ok('hz-revealer', 'POST', `/api/v1/workers/${sites.xihu.workerId}/identity-reveals`, {
    purpose: 'fixture',
  });
});

afterAll(async () => {
  client?.close();
  await db?.close();
  await registry?.stop();
  await sim?.close();
});

describe('every endpoint × identity × in and out of scope', () => {
  for (const ep of ENDPOINTS) {
    it(ep.name, async () => {
      const wrong: string[] = [];
      for (const name of RECORDS) {
        const site = sites[name];
        for (const who of [null, ...IDENTITIES]) {
          const want = expected(ep, who, site);
          const fresh = want === 'ok' && ep.prepare ? await ep.prepare(site, who!) : {};
          const before = want !== 'ok' && ep.kind === 'write' ? await registryState() : undefined;
          const got = await ep.call(who, site, fresh);
          const cell = `${ep.name} as ${who ?? '(no token)'} on ${name}`;
          const good = want === 'ok' ? got.status >= 200 && got.status < 300 : got.status === want;
          if (!good)
            wrong.push(
              `${cell}: expected ${want}, got ${got.status} ${JSON.stringify(got.json).slice(0, 300)}`,
            );
          if (before !== undefined) {
            const after = await registryState();
            if (JSON.stringify(after) !== JSON.stringify(before))
              wrong.push(`${cell}: a refused write changed the registry`);
          }
          if (want === 401 && ep.name.startsWith('GET') && got.status === 401)
            expect(got.json).toMatchObject({ type: 'urn:realname:problem:unauthenticated' });
          if (!ep.revealing) reads[cell] = got.json;
        }
      }
      expect(wrong).toEqual([]);
    });
  }
});

describe('lists hold in-scope rows only', () => {
  const all = () => Object.values(sites);

  it('GET /projects: exactly the fixture projects each identity covers; ?region= is intersected with the scope', async () => {
    for (const who of IDENTITIES) {
      const id = testIdentity(who);
      const r = await rest(who, 'GET', '/api/v1/projects?pageSize=500');
      reads[`GET /projects as ${who}`] = r.json;
      if (!id.roles.some((role) => READERS.includes(role))) {
        expect([who, r.status]).toEqual([who, 403]);
        continue;
      }
      expect([who, r.status]).toEqual([who, 200]);
      const listed = (r.json.projects as { projectId: string; region: string }[]).map((p) => p.projectId);
      const fixture = all().map((s) => s.projectId);
      expect([who, listed.filter((p) => fixture.includes(p)).sort()]).toEqual([
        who,
        all()
          .filter((s) => covers(who, s))
          .map((s) => s.projectId)
          .sort(),
      ]);
      // The simulator's own project is in Xihu too: only region scopes covering 330106 see it.
      const simProject = sim.snapshot().projects.find((p) => !fixture.includes(p.projectCode))!;
      const seesSim = listed.includes(simProject.projectCode);
      expect([who, seesSim]).toEqual([
        who,
        scopeCovers({ kind: id.scopeKind as ScopeKind, code: id.scope }, { region: simProject.region }),
      ]);
    }
    // Hangzhou asking for all of Zhejiang (33) still sees Hangzhou only; asking for Ningbo sees nothing.
    const zj = await ok('hz-city', 'GET', '/api/v1/projects?region=33&pageSize=500');
    expect((zj.projects as { region: string }[]).every((p) => p.region.startsWith('3301'))).toBe(true);
    expect((zj.projects as { projectId: string }[]).map((p) => p.projectId)).toContain(XIHU_PROJECT);
    expect((await ok('hz-city', 'GET', '/api/v1/projects?region=3302')).projects).toEqual([]);
    const nb = await ok('nb-city', 'GET', '/api/v1/projects?region=33&pageSize=500');
    expect((nb.projects as { projectId: string }[]).map((p) => p.projectId)).toEqual([
      sites.ningbo.projectId,
    ]);
  });

  it('enrolments and trainings of a project: its rows only; an enterprise sees its own units only', async () => {
    for (const who of ['hz-city', 'xh-county', 'pm-xihu', 'ent-hz', 'municipal-hangzhou'] as const) {
      const r = await ok(who, 'GET', `/api/v1/projects/${XIHU_PROJECT}/enrolments?pageSize=1000`);
      const rows = r.enrolments as { participantId: string; workerId: string }[];
      expect(rows.length).toBeGreaterThan(0);
      expect(rows.every((e) => e.participantId === XIHU_ENTERPRISE)).toBe(true);
      const g = await call(who, 'listEnrolments', { projectId: XIHU_PROJECT, pageSize: 1000 });
      expect((g.json.enrolments as { projectId: string }[]).every((e) => e.projectId === XIHU_PROJECT)).toBe(
        true,
      );
      const t = await ok(who, 'GET', `/api/v1/projects/${XIHU_PROJECT}/trainings`);
      expect(Array.isArray(t.trainings)).toBe(true);
    }
    // The enterprise's project view shows its own participant row and key persons only.
    const p = await ok('ent-hz', 'GET', `/api/v1/projects/${XIHU_PROJECT}`);
    expect((p.participants as { creditCode: string }[]).map((u) => u.creditCode)).toEqual([XIHU_ENTERPRISE]);
    expect((p.keyPersons as { creditCode: string }[]).every((k) => k.creditCode === XIHU_ENTERPRISE)).toBe(
      true,
    );
  });

  it('a record out of scope is not found with the same answer as one that does not exist', async () => {
    // The same body but for the id asked for and the request's own correlation id.
    const strip = (j: Record<string, unknown>, id: string) => {
      const { correlationId: _request, ...body } = j;
      return JSON.parse(JSON.stringify(body).split(id).join('<id>')) as Record<string, unknown>;
    };
    for (const [path, missing] of [
      [`/api/v1/projects/${sites.ningbo.projectId}`, '/api/v1/projects/330106209901010001'],
      [`/api/v1/workers/${sites.ningbo.workerId}`, '/api/v1/workers/0190b3c4-0000-7000-8000-000000000000'],
    ]) {
      const outside = await rest('hz-city', 'GET', path);
      const absent = await rest('hz-city', 'GET', missing);
      expect([outside.status, absent.status]).toEqual([404, 404]);
      expect(strip(outside.json, path.split('/').pop()!)).toEqual(
        strip(absent.json, missing.split('/').pop()!),
      );
    }
  });

  it('an enterprise registered without a region is in the region its credit code was issued in, so its registrant sees it', async () => {
    const code = fakeCreditCode(createRng(`${run}-no-region`), '330106');
    const created = await rest('municipal-hangzhou', 'POST', '/api/v1/enterprises', {
      creditCode: code,
      name: 'Regionless labour Co.',
    });
    expect(created.status).toBe(201);
    const seen = await rest('municipal-hangzhou', 'GET', `/api/v1/enterprises/${code}`);
    expect(seen.status).toBe(200);
    expect(seen.json).toMatchObject({ creditCode: code, region: '330106' });
    expect((await rest('municipal-ningbo', 'GET', `/api/v1/enterprises/${code}`)).status).toBe(404);
  });

  it('the audit trail names who revealed, in which role and scope', async () => {
    const trail = await ok('audit-zj', 'GET', `/api/v1/workers/${sites.xihu.workerId}/identity-reveals`);
    expect((trail.reveals as unknown[]).length).toBeGreaterThan(0);
    expect(trail.reveals).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ callerRole: 'city-supervisor', callerScope: 'city:330100' }),
        // Reporting's client revealing for an upload: the service itself is the actor.
        expect.objectContaining({ callerRole: 'internal-service', callerScope: 'province:330000' }),
      ]),
    );
  });
});

describe('personal data', () => {
  it('no read of any endpoint, by anyone, shows a full ID number, a birth date or an address', () => {
    expect(Object.keys(reads).length).toBeGreaterThan(500);
    expect(personalDataLeaks(reads, secrets)).toEqual([]);
  });

  it('writes record their actor in the events (subject, role, scope); sync events have none', async () => {
    const rows = await db.query<{ event_type: string; metadata: Record<string, string> }>(
      `SELECT event_type, metadata FROM ${schema}.events ORDER BY global_position`,
    );
    const enrolled = rows.filter((r) => r.event_type === 'realname.registry.WorkerEnrolled');
    expect(enrolled.length).toBeGreaterThan(0);
    for (const e of enrolled) expect(e.metadata.actorsubject).toEqual(expect.any(String));
    expect(enrolled.map((e) => e.metadata.actorscope)).toEqual(
      expect.arrayContaining(['project:330106202401150001', 'city:330200', 'city:420100']),
    );
    const synced = rows.filter((r) => r.event_type === 'realname.registry.ProjectSynced');
    expect(synced.length).toBeGreaterThan(0);
    for (const e of synced) expect(e.metadata.actorsubject).toBeUndefined();
    const blacklisted = rows.find((r) => r.event_type === 'realname.registry.WorkerBlacklisted')!;
    expect(blacklisted.metadata).toMatchObject({ actorrole: expect.stringMatching(/supervisor$/) });
  });
});
