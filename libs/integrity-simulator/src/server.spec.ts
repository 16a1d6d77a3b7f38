import { checkCreditCode, checkResidentId } from '@realname/domain-rules';
import { Change, keyOf, Project } from './model';
import { IntegritySimulator, startIntegritySimulator } from './server';

const API_KEY = 'test-key-not-secret';

interface ChangesPage {
  changes: Change[];
  nextCursor: string;
  hasMore: boolean;
}

function client(sim: IntegritySimulator) {
  const get = (path: string, init: RequestInit = {}, key: string | null = API_KEY) =>
    fetch(`${sim.url}${path}`, {
      ...init,
      headers: { ...(key === null ? {} : { 'X-Api-Key': key }), ...(init.headers as Record<string, string>) },
    });
  const page = async (cursor: string, limit?: number): Promise<ChangesPage> => {
    const q = new URLSearchParams({ cursor, ...(limit ? { limit: String(limit) } : {}) });
    const res = await get(`/api/v1/changes?${q}`);
    expect(res.status).toBe(200);
    return (await res.json()) as ChangesPage;
  };
  const readAll = async (cursor = '', limit = 7) => {
    const changes: Change[] = [];
    const pages: ChangesPage[] = [];
    for (;;) {
      const p = await page(cursor, limit);
      pages.push(p);
      changes.push(...p.changes);
      cursor = p.nextCursor;
      if (!p.hasMore) return { changes, cursor, pages };
    }
  };
  const admin = (path: string, body?: unknown) =>
    fetch(`${sim.url}/__admin/${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      ...(body === undefined
        ? {}
        : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    });
  return { get, page, readAll, admin };
}

/** Folds changes into the current state, as a sync adapter would. */
function fold(changes: Change[]) {
  const tables = new Map<string, Map<string, unknown>>();
  for (const c of changes) {
    const t = tables.get(c.kind) ?? new Map<string, unknown>();
    tables.set(c.kind, t);
    const key = keyOf(c.kind, c.data);
    if (c.op === 'delete') t.delete(key);
    else t.set(key, c.data);
  }
  const sorted = (kind: string) =>
    [...(tables.get(kind) ?? new Map<string, unknown>()).entries()]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([, v]) => v);
  return {
    enterprises: sorted('enterprise'),
    projects: sorted('project'),
    participants: sorted('participant'),
    keyPersons: sorted('key-person'),
  };
}

describe('integrity simulator over HTTP', () => {
  let sim: IntegritySimulator;
  let api: ReturnType<typeof client>;

  beforeAll(async () => {
    sim = await startIntegritySimulator({ apiKey: API_KEY, seed: 11, projects: 6, port: 0 });
    api = client(sim);
  });
  afterAll(() => sim.close());
  afterEach(() => sim.reset());

  it('listens on a free loopback port', () => {
    expect(sim.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(sim.port).toBeGreaterThan(0);
  });

  it('refuses requests without the key, or with a wrong one, with 401 JSON', async () => {
    for (const key of [null, 'wrong-key', '']) {
      const res = await api.get('/api/v1/changes', {}, key);
      expect(res.status).toBe(401);
      const body = (await res.json()) as { code: number; message: string };
      expect(body.code).toBe(401);
      expect(body.message).toEqual(expect.any(String));
    }
    expect(sim.state().requests.unauthorized).toBe(3);
  });

  it('serves the whole feed page by page; folded, it equals the fixtures', async () => {
    const { changes, pages } = await api.readAll('', 7);
    expect(changes.map((c) => c.seq)).toEqual(Array.from({ length: sim.fixtures.lastSeq }, (_, i) => i + 1));
    expect(pages.slice(0, -1).every((p) => p.changes.length === 7 && p.hasMore)).toBe(true);
    const { enterprises, projects, participants, keyPersons } = sim.fixtures;
    expect(fold(changes)).toEqual({ enterprises, projects, participants, keyPersons });
    expect(changes.some((c) => c.op === 'delete')).toBe(true);
    for (const c of changes) expect(c.at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$/);
  });

  it('returns the same page for the same cursor, and an empty page at the end', async () => {
    const first = await api.page('', 10);
    const second = await api.page(first.nextCursor, 10);
    expect(await api.page(first.nextCursor, 10)).toEqual(second);
    expect(await api.page('', 10)).toEqual(first);
    expect(second.changes[0].seq).toBe(11);

    const { cursor } = await api.readAll(second.nextCursor, 100);
    const end = await api.page(cursor);
    expect(end).toEqual({ changes: [], nextCursor: cursor, hasMore: false });
  });

  it('defaults to 100 changes a page and caps pages at pageSizeMax', async () => {
    const big = await startIntegritySimulator({ apiKey: API_KEY, seed: 11, projects: 12, pageSizeMax: 25 });
    try {
      const c = client(big);
      expect((await c.page('', 500)).changes).toHaveLength(25);
      expect((await client(sim).page('')).changes).toHaveLength(Math.min(100, sim.fixtures.lastSeq));
    } finally {
      await big.close();
    }
  });

  it('pages across a change appended after the end was reached', async () => {
    const { cursor } = await api.readAll();
    const project = sim.fixtures.projects[0];
    const renamed: Project = { ...project, name: `${project.name}（二期）` };
    const res = await api.admin('changes', { kind: 'project', op: 'upsert', data: renamed });
    expect(res.status).toBe(201);
    const { seq } = (await res.json()) as { seq: number };
    expect(seq).toBe(sim.fixtures.lastSeq + 1);

    const pm = sim.fixtures.keyPersons.find((k) => k.post === 'project-manager')!;
    const seq2 = sim.appendChange({
      kind: 'key-person',
      op: 'delete',
      data: { projectCode: pm.projectCode, creditCode: pm.creditCode, post: pm.post },
    });
    expect(seq2).toBe(seq + 1);

    const first = await api.page(cursor, 1);
    expect(first.changes).toMatchObject([{ seq, kind: 'project', op: 'upsert', data: renamed }]);
    expect(first.hasMore).toBe(true);
    const second = await api.page(first.nextCursor, 1);
    expect(second).toMatchObject({
      changes: [{ seq: seq2, kind: 'key-person', op: 'delete', data: { projectCode: pm.projectCode } }],
      hasMore: false,
    });
    expect(Object.keys(second.changes[0].data).sort()).toEqual(['creditCode', 'post', 'projectCode']);
    expect(Date.parse(second.changes[0].at)).toBeGreaterThanOrEqual(Date.parse(first.changes[0].at));

    const current = (await (await api.get(`/api/v1/projects/${project.projectCode}`)).json()) as {
      project: Project;
      keyPersons: unknown[];
      asOfSeq: number;
    };
    expect(current.project.name).toBe(renamed.name);
    expect(current.asOfSeq).toBe(seq2);
    expect(sim.state()).toMatchObject({ lastSeq: seq2, changes: seq2 });
  });

  it('answers 400 for a bad cursor, a cursor past the end, and a bad limit', async () => {
    const { cursor } = await api.readAll();
    sim.appendChange({ kind: 'enterprise', op: 'upsert', data: sim.fixtures.enterprises[0] });
    const { nextCursor: ahead } = await api.page(cursor);
    sim.reset(); // the feed is shorter again: `ahead` points past its end

    const bad = [
      'not-a-cursor',
      Buffer.from(`v1.3.AAAAAAAAAAAA`).toString('base64url'),
      cursor.slice(0, -2),
      ahead,
    ];
    for (const c of bad) {
      const res = await api.get(`/api/v1/changes?cursor=${encodeURIComponent(c)}`);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { code: number }).code).toBe(400);
    }
    for (const limit of ['0', '501', 'ten', '-1', '2.5']) {
      expect((await api.get(`/api/v1/changes?limit=${limit}`)).status).toBe(400);
    }
    // A cursor from a simulator with another seed is refused too.
    const other = await startIntegritySimulator({ apiKey: API_KEY, seed: 12, projects: 1 });
    try {
      const foreign = (await client(other).page('', 1)).nextCursor;
      expect((await api.get(`/api/v1/changes?cursor=${foreign}`)).status).toBe(400);
    } finally {
      await other.close();
    }
  });

  it('serves the current state of a project and of an enterprise, 404 when unknown', async () => {
    const p = sim.fixtures.projects[1];
    const res = await api.get(`/api/v1/projects/${p.projectCode}`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { project: Project; participants: unknown[]; keyPersons: unknown[] };
    expect(body.project).toEqual(p);
    expect(body.participants).toEqual(
      sim.fixtures.participants.filter((x) => x.projectCode === p.projectCode),
    );
    expect(body.keyPersons).toEqual(sim.fixtures.keyPersons.filter((x) => x.projectCode === p.projectCode));

    const e = sim.fixtures.enterprises[0];
    const er = await api.get(`/api/v1/enterprises/${e.creditCode}`);
    expect(((await er.json()) as { enterprise: unknown }).enterprise).toEqual(e);

    expect((await api.get('/api/v1/projects/330106000000000000')).status).toBe(404);
    expect((await api.get('/api/v1/enterprises/91330106MA00000000')).status).toBe(404);
    expect((await api.get('/api/v1/nothing')).status).toBe(404);
    expect((await api.get('/api/v1/changes', { method: 'POST' })).status).toBe(405);

    sim.appendChange({ kind: 'project', op: 'delete', data: { projectCode: p.projectCode } });
    expect((await api.get(`/api/v1/projects/${p.projectCode}`)).status).toBe(404);
  });

  it('refuses an invalid change with 400 and the fields at fault', async () => {
    const res = await api.admin('changes', {
      kind: 'key-person',
      op: 'upsert',
      data: { projectCode: 'x', post: 'foreman' },
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { code: number; errors: { field: string }[] };
    expect(body.errors.map((e) => e.field)).toEqual(expect.arrayContaining(['data.post', 'data.creditCode']));
    expect(() =>
      sim.appendChange({ kind: 'project', op: 'delete', data: { projectCode: '' } } as never),
    ).toThrow(RangeError);
    expect(sim.state().lastSeq).toBe(sim.fixtures.lastSeq);
  });

  it('reports its state and resets to the generated feed', async () => {
    const state = (await (await api.admin('state')).json()) as Record<string, unknown>;
    expect(state).toMatchObject({
      seed: 11,
      projects: 6,
      enterprises: sim.fixtures.enterprises.length,
      participants: sim.fixtures.participants.length,
      keyPersons: sim.fixtures.keyPersons.length,
      lastSeq: sim.fixtures.lastSeq,
      fault: { mode: 'none' },
    });
    sim.appendChange({
      kind: 'enterprise',
      op: 'delete',
      data: { creditCode: sim.fixtures.enterprises[0].creditCode },
    });
    sim.injectFault({ mode: 'error' });
    expect((await api.admin('reset', {})).status).toBe(200);
    expect(sim.state()).toMatchObject({ lastSeq: sim.fixtures.lastSeq, fault: { mode: 'none' } });
    expect(await (await api.admin('fixtures')).json()).toEqual(sim.fixtures);
  });

  it('gives every resident ID and credit code in the fixtures a valid check', () => {
    const ids = sim.fixtures.keyPersons.map((k) => k.idCardNumber);
    const codes = [
      ...sim.fixtures.enterprises.map((e) => e.creditCode),
      ...sim.fixtures.participants.map((p) => p.creditCode),
      ...sim.fixtures.keyPersons.map((k) => k.creditCode),
    ];
    expect(ids.filter((id) => !checkResidentId(id).ok)).toEqual([]);
    expect(codes.filter((c) => !checkCreditCode(c).ok)).toEqual([]);
  });
});

describe('determinism', () => {
  it('gives the same data and the same pages for the same seed', async () => {
    const [a, b, c] = await Promise.all([
      startIntegritySimulator({ apiKey: API_KEY, seed: 5, projects: 4 }),
      startIntegritySimulator({ apiKey: API_KEY, seed: 5, projects: 4 }),
      startIntegritySimulator({ apiKey: API_KEY, seed: 6, projects: 4 }),
    ]);
    try {
      expect(b.fixtures).toEqual(a.fixtures);
      expect(c.fixtures.projects).not.toEqual(a.fixtures.projects);
      const pa = await client(a).readAll('', 50);
      const pb = await client(b).readAll('', 50);
      expect(pb.pages).toEqual(pa.pages);
    } finally {
      await Promise.all([a.close(), b.close(), c.close()]);
    }
  });
});
