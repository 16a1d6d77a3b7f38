/**
 * The registry's locally owned data as a municipal integrator uses it over REST: enterprises the
 * integrity platform does not share (with the GB 32100 check and the audited pilot-code override),
 * enrolments with a wage card, training sessions with attendees, and entry that depends on them.
 */
import { randomBytes } from 'node:crypto';
import { Database } from '@realname/eventstore';
import { createRng, fakeBankCard, fakeCreditCode, fakePerson } from '@realname/fixtures';
import { IntegritySimulator, startIntegritySimulator } from '@realname/integrity-simulator';
import { registryApi, registryTestEnv, subjectOf } from './registry-under-test.e2e-support';
import { freePort, RunningService, startService, testInfrastructure, uniqueName } from '@realname/testing';

jest.setTimeout(180_000);

const run = uniqueName('regppl');
const rng = createRng(run);
const validCode = fakeCreditCode(rng, '330106');
const pilot = fakeCreditCode(rng, '330106');
// A pilot code whose check character is off by one: it fails GB 32100 but is configured as known.
const pilotCode = pilot.slice(0, 17) + (pilot[17] === '0' ? '1' : '0');
let sim: IntegritySimulator;
let registry: RunningService;
let url: string;

const call = registryApi(() => url);
/** Hangzhou's municipal system (the simulator's projects and the enterprises here are in Xihu, 330106). */
const api = (method: string, path: string, body?: unknown) =>
  call(path === '/api/v1/integrity-sync' ? 'ops' : 'municipal-hangzhou', method, path, body);

beforeAll(async () => {
  const infra = await testInfrastructure();
  sim = await startIntegritySimulator({ apiKey: 'ppl', seed: 21, projects: 1, history: false });
  const [port, grpcPort] = await Promise.all([freePort(), freePort()]);
  url = `http://127.0.0.1:${port}`;
  registry = await startService(
    'worker-registry',
    registryTestEnv(
      { run, port, grpcUrl: `127.0.0.1:${grpcPort}`, infra, integrity: sim },
      { CREDIT_CODE_PILOT_OVERRIDES: pilotCode },
    ),
    `${url}/health/ready`,
  );
  await api('POST', '/api/v1/integrity-sync');
});

afterAll(async () => {
  await registry?.stop();
  await sim?.close();
});

describe('enterprises registered locally', () => {
  it('accepts a valid credit code', async () => {
    const r = await api('POST', '/api/v1/enterprises', {
      creditCode: validCode,
      name: 'Local labour service Co.',
    });
    expect(r.status).toBe(201);
    expect(r.json).toEqual({ creditCode: validCode, overridden: false });
  });

  it('refuses a code that fails GB 32100 and says why', async () => {
    const bad = validCode.slice(0, 17) + (validCode[17] === '0' ? '1' : '0');
    const r = await api('POST', '/api/v1/enterprises', { creditCode: bad, name: 'Typo Co.' });
    expect(r.status).toBe(400);
    expect(r.json.errors).toEqual([expect.objectContaining({ field: 'creditCode' })]);
  });

  it('admits a known pilot code only with a reason, and audits it', async () => {
    const noReason = await api('POST', '/api/v1/enterprises', { creditCode: pilotCode, name: 'Pilot Co.' });
    expect(noReason.status).toBe(400);
    expect(noReason.json.errors).toEqual([expect.objectContaining({ field: 'overrideReason' })]);
    const ok = await api('POST', '/api/v1/enterprises', {
      creditCode: pilotCode,
      name: 'Pilot Co.',
      overrideReason: 'issued in the 2015 pilot before the check character rule',
    });
    expect(ok.status).toBe(201);
    expect(ok.json).toEqual({ creditCode: pilotCode, overridden: true });
    const db = await Database.connect({ url: (await testInfrastructure()).postgresUrl });
    const audit = await db.query(`SELECT credit_code, reason, caller FROM reg_${run}.credit_code_overrides`);
    await db.close();
    expect(audit).toEqual([
      {
        credit_code: pilotCode,
        reason: 'issued in the 2015 pilot before the check character rule',
        caller: await subjectOf('municipal-hangzhou'),
      },
    ]);
  });

  it('refuses to change an enterprise the integrity platform shares', async () => {
    const shared = sim.snapshot().enterprises[0];
    const r = await api('POST', '/api/v1/enterprises', {
      creditCode: shared.creditCode,
      name: 'Renamed here',
    });
    expect(r.status).toBe(409);
    expect(r.json.detail).toMatch(/correct it on the integrity platform/);
  });
});

describe('enrolment, wage card, training session and entry', () => {
  it('keeps the wage card masked, records a training session, and lets only the trained worker in', async () => {
    const project = sim.snapshot().projects[0];
    const unit = sim.snapshot().participants.find((p) => ['006', '001', '009'].includes(p.unitType))!;
    const team = await api('POST', `/api/v1/projects/${project.projectCode}/teams`, {
      name: 'Formwork team',
      participantId: unit.creditCode,
    });
    const jpeg = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), randomBytes(1000)]).toString('base64');
    const enrolments: { id: string; card: string }[] = [];
    for (const n of [1, 2]) {
      const p = fakePerson(createRng(`${run}-${n}`), { ageRange: [25, 45] });
      const w = await api('POST', '/api/v1/workers', {
        idCardNumber: p.idCardNumber,
        name: p.name,
        nation: p.nation,
        address: p.address,
        issuingAuthority: p.issuingAuthority,
        headPhoto: jpeg,
      });
      const card = fakeBankCard(createRng(`${run}-card-${n}`));
      const body = { workerId: w.json.workerId, teamId: team.json.teamId, workType: '050', workRole: '20' };
      const bad = await api('POST', `/api/v1/projects/${project.projectCode}/enrolments`, {
        ...body,
        wageCard: {
          number: card.bankCardNumber.slice(0, -1) + ((Number(card.bankCardNumber.slice(-1)) + 1) % 10),
          bankCode: card.bankCode,
        },
      });
      expect(bad.status).toBe(400);
      expect(bad.json.errors).toEqual([expect.objectContaining({ field: 'wageCard.number' })]);
      const e = await api('POST', `/api/v1/projects/${project.projectCode}/enrolments`, {
        ...body,
        wageCard: { number: card.bankCardNumber, bankCode: card.bankCode },
      });
      expect(e.status).toBe(201);
      enrolments.push({ id: e.json.enrolmentId as string, card: card.bankCardNumber });
    }

    const list = await api(
      'GET',
      `/api/v1/projects/${project.projectCode}/enrolments?participantId=${unit.creditCode}`,
    );
    const text = JSON.stringify(list.json);
    expect((list.json.enrolments as unknown[]).length).toBe(2);
    const first = await api('GET', `/api/v1/projects/${project.projectCode}/enrolments?pageSize=1`);
    expect((first.json.enrolments as unknown[]).length).toBe(1);
    const second = await api(
      'GET',
      `/api/v1/projects/${project.projectCode}/enrolments?pageSize=1&pageToken=${first.json.nextPageToken}`,
    );
    expect((second.json.enrolments as { enrolmentId: string }[]).map((e) => e.enrolmentId)).toEqual([
      enrolments[1].id,
    ]);
    expect(second.json.nextPageToken).toBe('');
    for (const e of enrolments) {
      expect(text).not.toContain(e.card);
      expect(text).toContain(`${e.card.slice(0, 4)}`);
    }

    const today = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);
    const session = await api('POST', `/api/v1/projects/${project.projectCode}/trainings`, {
      name: 'Site safety induction',
      typeCode: '003001',
      date: today,
      durationHours: 2,
      trainer: 'Safety officer',
      attendees: [
        { enrolmentId: enrolments[0].id, passed: true, score: 88 },
        { enrolmentId: enrolments[1].id, passed: false, score: 41 },
      ],
    });
    expect(session.status).toBe(201);
    const sessions = await api('GET', `/api/v1/projects/${project.projectCode}/trainings`);
    expect((sessions.json.trainings as { attendees: unknown[] }[])[0].attendees).toHaveLength(2);

    for (const e of enrolments)
      await api('POST', `/api/v1/enrolments/${e.id}/contract`, { periodType: '1', startDate: today });
    const passed = await api('POST', `/api/v1/enrolments/${enrolments[0].id}/entry`, { date: today });
    expect(passed.status).toBe(200);
    const failed = await api('POST', `/api/v1/enrolments/${enrolments[1].id}/entry`, { date: today });
    expect(failed.status).toBe(409);
    expect(JSON.stringify(failed.json.errors)).toMatch(/training/i);
  });
});
