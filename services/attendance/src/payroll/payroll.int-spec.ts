/**
 * Monthly team sheets and payroll against a real PostgreSQL schema: finalised days are inserted into
 * timesheet_days directly (the finaliser is tested on its own), then read back through the same
 * services and controllers the REST API uses: sheets and their downloads, wage terms, payroll imports
 * (idempotent, all or nothing) and the findings reconciliation raises and clears, with their events.
 */
import ExcelJS from 'exceljs';
import type { Response } from 'express';
import { Module, type INestApplication, type StreamableFile } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Database, EventStore, migrate } from '@realname/eventstore';
import {
  bodyParsers,
  DEFAULT_BODY_LIMIT,
  ProblemDetailsFilter,
  TOKEN_VERIFIER,
  type Caller,
  type CallerScope,
} from '@realname/platform';
import { testInfrastructure, uniqueName } from '@realname/testing';
import { attendanceMigrations } from '../migrations';
import { ProjectNotFound } from '../punches/punch-queries';
import { InputRefused, NotInScope } from '../sheets/rest-support';
import { SheetsRepository } from '../sheets/sheets.repository';
import { SheetsController } from '../sheets/sheets.rest';
import { TeamSheets } from '../sheets/team-sheets';
import { PayrollReconciler, payrollStreamId } from './payroll-reconciler';
import { PayrollService } from './payroll.handler';
import { PayrollController } from './payroll.rest';

jest.setTimeout(120_000);

const run = uniqueName('pay');
const schema = `att_${run}`;
const projectId = `3301${run.replace(/[^a-z0-9]/gi, '')}`;
const region = '330106';
const CREDIT = '91330106MA2H4K7N15';
const OTHER_CREDIT = '91330106MA2XXXXXX1';
const MONTH = '2026-11';

const caller = (scope: CallerScope, role: Caller['roles'][number] = 'project-manager'): Caller => ({
  subject: `test-${role}`,
  roles: [role],
  actingRole: role,
  scope,
  permissions: [],
  expiresAt: 0,
});
const PM = caller({ kind: 'project', code: projectId });

let db: Database;
let store: EventStore;
let clock = new Date('2026-12-15T04:00:00Z');
let sheets: TeamSheets;
let reconciler: PayrollReconciler;
let payroll: PayrollService;

async function enrol(n: number, teamId: string, creditCode: string): Promise<void> {
  await db.execute(
    `INSERT INTO ${schema}.enrolments (enrolment_id, project_id, worker_id, name, masked_id_number, team_id, team_name,
       participant_id, credit_code, corp_name, work_type, entered_on)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, '某劳务公司', $10, '2026-10-20')`,
    [
      `en-${n}`,
      projectId,
      `w-${n}`,
      `工人${n}`,
      `3301**********000${n}`,
      teamId,
      teamId === 't1' ? '钢筋班' : '木工班',
      `pa-${creditCode.slice(-4)}`,
      creditCode,
      teamId === 't1' ? '钢筋工' : '木工',
    ],
  );
}

/** Finalised days of worker n: status per day from `from` (YYYY-MM-DD) on, 480 minutes when present. */
async function days(
  n: number,
  teamId: string,
  from: string,
  statuses: string[],
  revision = 1,
): Promise<void> {
  for (const [i, status] of statuses.entries()) {
    const day = new Date(Date.parse(`${from}T00:00:00Z`) + i * 86_400_000).toISOString().slice(0, 10);
    await db.execute(
      `INSERT INTO ${schema}.timesheet_days (project_id, enrolment_id, day, region, worker_id, team_id, participant_id,
         revision, status, working, calendar_kind, intervals, worked_minutes, punches, corrections, cause,
         finalised_at, revised_at)
       VALUES ($1, $2, $3, $4, $5, $6, 'pa-7N15', $7, $8, true, 'workday', '[]', $9, $10, '[]', 'finalised', now(), now())
       ON CONFLICT (project_id, enrolment_id, day) DO UPDATE SET status = EXCLUDED.status, revision = EXCLUDED.revision,
         worked_minutes = EXCLUDED.worked_minutes, revised_at = now()`,
      [
        projectId,
        `en-${n}`,
        day,
        region,
        `w-${n}`,
        teamId,
        revision,
        status,
        status === 'present' ? 480 : 0,
        status === 'present' ? 2 : 0,
      ],
    );
  }
}

async function payrollEvents(teamId: string, month = MONTH) {
  const events = await store.readStream(payrollStreamId(projectId, teamId, month));
  return events.map((e) => `${e.type.split('.').pop()} ${(e.data as { findingId: string }).findingId}`);
}

async function recordCount(): Promise<number> {
  const [{ n }] = await db.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${schema}.payroll_records`);
  return Number(n);
}

function fakeResponse() {
  const headers: Record<string, string> = {};
  return {
    headers,
    res: { setHeader: (k: string, v: string) => (headers[k.toLowerCase()] = v) } as unknown as Response,
  };
}

async function fileBytes(file: StreamableFile): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of file.getStream()) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

beforeAll(async () => {
  const infra = await testInfrastructure();
  db = await Database.connect({ url: infra.postgresUrl, poolSize: 4 });
  await migrate(db, schema, attendanceMigrations);
  store = new EventStore(db, schema);
  sheets = new TeamSheets(new SheetsRepository(db, schema));
  reconciler = new PayrollReconciler(db, schema, () => clock);
  payroll = new PayrollService(db, schema, reconciler);
  await db.execute(
    `INSERT INTO ${schema}.projects (project_id, region, name) VALUES ($1, $2, '西湖文化中心')`,
    [projectId, region],
  );
  await enrol(1, 't1', CREDIT);
  await enrol(2, 't1', CREDIT);
  await enrol(3, 't1', OTHER_CREDIT);
  await enrol(4, 't2', CREDIT);
  // 2026-11-02 is a Monday: w-1 works 20 days, w-2 5 days with leave and absence, w-3 none, w-4 (t2) 3 days.
  await days(1, 't1', '2026-11-02', Array(20).fill('present'));
  await days(2, 't1', '2026-11-02', [
    'present',
    'present',
    'incomplete',
    'leave',
    'absent',
    'present',
    'present',
  ]);
  await days(3, 't1', '2026-11-02', ['absent', 'absent']);
  await days(4, 't2', '2026-11-02', ['present', 'present', 'present']);
});

afterAll(async () => {
  await db?.execute(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await db?.close();
});

describe('the monthly team sheet', () => {
  it('has every worker of the team with marks, hours and totals', async () => {
    const sheet = await sheets.sheet({ projectId, teamId: 't1', month: MONTH }, PM.scope);
    expect(sheet.project).toEqual({ projectId, name: '西湖文化中心', region });
    expect(sheet.team).toEqual({ teamId: 't1', name: '钢筋班' });
    expect(sheet.days).toHaveLength(30);
    expect(sheet.workers.map((w) => [w.workerId, w.totals])).toEqual([
      [
        'w-1',
        { daysPresent: 20, incompleteDays: 0, workedMinutes: 9600, hours: 160, leaveDays: 0, absentDays: 0 },
      ],
      [
        'w-2',
        { daysPresent: 5, incompleteDays: 1, workedMinutes: 1920, hours: 32, leaveDays: 1, absentDays: 1 },
      ],
      ['w-3', { daysPresent: 0, incompleteDays: 0, workedMinutes: 0, hours: 0, leaveDays: 0, absentDays: 2 }],
    ]);
    expect(sheet.workers[1].days.slice(1, 7).map((d) => d.mark)).toEqual(['√8', '√8', '△', '假', '×', '√8']);
  });

  it('shows an enterprise only its own workers, and nothing of a team or region outside the scope', async () => {
    const own = await sheets.sheet(
      { projectId, teamId: 't1', month: MONTH },
      { kind: 'enterprise', code: CREDIT },
    );
    expect(own.workers.map((w) => w.workerId)).toEqual(['w-1', 'w-2']);
    const city = await sheets.sheet(
      { projectId, teamId: 't1', month: MONTH },
      { kind: 'city', code: '330100' },
    );
    expect(city.workers).toHaveLength(3);
    await expect(
      sheets.sheet({ projectId, teamId: 't1', month: MONTH }, { kind: 'county', code: '330105' }),
    ).rejects.toBeInstanceOf(ProjectNotFound);
    await expect(
      sheets.sheet({ projectId, teamId: 't2', month: MONTH }, { kind: 'enterprise', code: OTHER_CREDIT }),
    ).rejects.toBeInstanceOf(NotInScope);
  });

  it('downloads as XLSX and CSV through the controller', async () => {
    const controller = new SheetsController(sheets);
    const params = { projectId, teamId: 't1', month: MONTH };
    const x = fakeResponse();
    const xlsx = (await controller.sheet(PM, params, { format: 'xlsx' }, undefined, x.res)) as StreamableFile;
    expect(x.headers['content-type']).toBe(
      'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    );
    expect(x.headers['content-disposition']).toContain(`filename*=UTF-8''`);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load((await fileBytes(xlsx)) as unknown as ArrayBuffer);
    const ws = wb.worksheets[0];
    expect(ws.getCell('A1').value).toBe('西湖文化中心 钢筋班 2026年11月考勤表');
    expect(ws.getRow(4).getCell(2).value).toBe('工人2');
    expect(ws.getRow(4).getCell(4 + 4).value).toBe('△');
    expect(ws.getRow(4).getCell(35).value).toBe(5);
    const c = fakeResponse();
    const csv = await fileBytes(
      (await controller.sheet(PM, params, {}, 'text/csv', c.res)) as StreamableFile,
    );
    expect(c.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(csv.subarray(3).toString('utf8').split('\r\n')[2]).toMatch(/^1,工人1,3301\*{10}0001,钢筋工,/);
    const json = await controller.sheet(PM, params, {}, 'application/json', fakeResponse().res);
    expect(json).toHaveProperty('workers');
  });
});

describe('payroll', () => {
  it('computes the payroll sheet from the wage terms (a worker overriding the team)', async () => {
    await payroll.putTerms(
      { projectId, teamId: 't1' },
      { basis: 'daily', rateFen: 35000, effectiveFrom: '2026-10' },
      PM,
    );
    const terms = await payroll.putTerms(
      { projectId, teamId: 't1', workerId: 'w-2' },
      { basis: 'hourly', rateFen: 4001, effectiveFrom: MONTH },
      PM,
    );
    expect(terms.terms.map((t) => [t.workerId, t.basis, t.setBy])).toEqual([
      [null, 'daily', 'test-project-manager'],
      ['w-2', 'hourly', 'test-project-manager'],
    ]);
    await expect(
      payroll.putTerms(
        { projectId, teamId: 't1', workerId: 'w-4' },
        { basis: 'daily', rateFen: 1, effectiveFrom: MONTH },
        PM,
      ),
    ).rejects.toBeInstanceOf(NotInScope);
    await payroll.putTerms(
      { projectId, teamId: 't2' },
      { basis: 'piece', rateFen: 1250, effectiveFrom: MONTH },
      PM,
    );

    const sheet = await payroll.payrollSheet({ projectId, teamId: 't1', month: MONTH }, PM.scope);
    expect(
      sheet.lines.map((l) => [l.workerId, l.basis, l.amountDueFen, l.amountPaidFen, l.differenceFen]),
    ).toEqual([
      ['w-1', 'daily', 700000, 0, -700000],
      // 4001 × 1920 / 60 = 128032
      ['w-2', 'hourly', 128032, 0, -128032],
      ['w-3', 'daily', 0, 0, 0],
    ]);
    const pieceless = await payroll.payrollSheet({ projectId, teamId: 't2', month: MONTH }, PM.scope);
    expect(pieceless.lines[0]).toMatchObject({
      basis: 'piece',
      amountDueFen: null,
      amountDueNote: expect.stringMatching(/no pieces/),
    });
    await payroll.putPiecework({ projectId, teamId: 't2', workerId: 'w-4', month: MONTH }, 33.3, PM);
    const pieces = await payroll.payrollSheet({ projectId, teamId: 't2', month: MONTH }, PM.scope);
    expect(pieces.lines[0]).toMatchObject({ pieces: 33.3, amountDueFen: 41625 });
  });

  const goodRows = [
    {
      workerId: 'w-1',
      month: MONTH,
      amountPaid: '7000.00',
      paidOn: '2026-12-10',
      bankReference: 'ICBC20261210000001',
    },
    // Below any plausible minimum for 5 days (the region's monthly minimum × 5 / 21.75).
    {
      workerId: 'w-2',
      month: MONTH,
      amountPaid: 100,
      paidOn: '2026-12-10',
      bankReference: 'ICBC20261210000002',
    },
    {
      workerId: 'w-3',
      month: MONTH,
      amountPaid: '500.5',
      paidOn: '2026-12-10',
      bankReference: 'ICBC20261210000003',
    },
  ];

  it('refuses a whole import when one row is bad, naming the row and field', async () => {
    const bad = [...goodRows, { ...goodRows[0], workerId: 'w-999', bankReference: 'ICBC20261210000009' }];
    const err = await payroll
      .importRecords(projectId, [...bad.map((values, i) => ({ where: `records[${i}]`, values }))], 'json', PM)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputRefused);
    expect((err as InputRefused).errors).toEqual([
      { field: 'records[3].workerId', message: expect.stringContaining('worker w-999 is not enrolled') },
    ]);
    const controller = new PayrollController(payroll);
    const csv = Buffer.from(
      '\uFEFF工人ID,月份,实发金额,发放日期,银行流水号\r\nw-1,2026-11,7000,2026-12-10,IC\r\nw-2,2026-11,abc,2026-12-10,ICBC20261210000002\r\n',
    );
    await expect(
      controller.importFile(PM, { projectId }, { buffer: csv, mimetype: 'text/csv' }, {} as never),
    ).rejects.toMatchObject({
      status: 400,
      errors: [
        { field: 'row 2.bankReference', message: expect.any(String) },
        { field: 'row 3.amountPaid', message: expect.stringContaining('"abc" is not an amount paid') },
      ],
    });
    expect(await recordCount()).toBe(0);
    // An enterprise may not pay another unit's worker.
    await expect(
      payroll.importRecords(
        projectId,
        [{ where: 'records[0]', values: goodRows[2] }],
        'json',
        caller({ kind: 'enterprise', code: CREDIT }, 'enterprise-user'),
      ),
    ).rejects.toBeInstanceOf(InputRefused);
  });

  it('imports once, raises the findings, and a repeated import adds nothing', async () => {
    const rows = goodRows.map((values, i) => ({ where: `records[${i}]`, values }));
    const first = await payroll.importRecords(projectId, rows, 'json', PM);
    expect(first).toMatchObject({ received: 3, stored: 3, alreadyRecorded: 0 });
    expect(first.reconciled).toEqual([{ teamId: 't1', month: MONTH, raised: 2, cleared: 0 }]);
    expect(await payrollEvents('t1')).toEqual([
      `PayrollFindingRaised below-minimum-wage:${projectId}:t1:en-2:${MONTH}`,
      `PayrollFindingRaised paid-not-attended:${projectId}:t1:en-3:${MONTH}`,
    ]);
    const [raised] = await store.readStream(payrollStreamId(projectId, 't1', MONTH));
    expect(raised).toMatchObject({
      actorsubject: 'test-project-manager',
      region,
      correlationid: first.importId,
    });

    const again = await payroll.importRecords(projectId, rows, 'json', PM);
    expect(again).toMatchObject({
      stored: 0,
      alreadyRecorded: 3,
      reconciled: [{ teamId: 't1', raised: 0, cleared: 0 }],
    });
    expect(await recordCount()).toBe(3);
    expect(await payrollEvents('t1')).toHaveLength(2);

    const [stored] = await db.query<{ bank_reference_masked: string }>(
      `SELECT bank_reference_masked FROM ${schema}.payroll_records WHERE worker_id = 'w-1'`,
    );
    expect(stored.bank_reference_masked).toBe('**************0001');
    const sheet = await payroll.payrollSheet({ projectId, teamId: 't1', month: MONTH }, PM.scope);
    expect(sheet.lines.map((l) => [l.workerId, l.amountPaidFen, l.differenceFen])).toEqual([
      ['w-1', 700000, 0],
      ['w-2', 10000, 10000 - 128032],
      ['w-3', 50050, 50050],
    ]);
  });

  it('refuses a row that reuses a stored bank reference with another amount', async () => {
    const clash = { ...goodRows[0], amountPaid: '7100' };
    await expect(
      payroll.importRecords(projectId, [{ where: 'records[0]', values: clash }], 'json', PM),
    ).rejects.toMatchObject({ errors: [expect.objectContaining({ field: 'records[0].bankReference' })] });
    expect(await recordCount()).toBe(3);
  });

  it('clears findings that no longer hold, raises payroll-missing after the deadline, and twice decides once', async () => {
    // w-2 is paid the rest; w-3's payment turns out to have been for days now finalised as present.
    const topUp = { ...goodRows[1], amountPaid: '2000', bankReference: 'ICBC20261231000022' };
    const r = await payroll.importRecords(projectId, [{ where: 'records[0]', values: topUp }], 'json', PM);
    expect(r.reconciled).toEqual([{ teamId: 't1', month: MONTH, raised: 0, cleared: 1 }]);
    await days(3, 't1', '2026-11-02', ['present', 'present'], 2);

    clock = new Date('2027-01-01T00:00:00+08:00');
    const due = await reconciler.reconcileDue();
    expect(due.cleared).toBe(1);
    expect(await payrollEvents('t1')).toEqual([
      `PayrollFindingRaised below-minimum-wage:${projectId}:t1:en-2:${MONTH}`,
      `PayrollFindingRaised paid-not-attended:${projectId}:t1:en-3:${MONTH}`,
      `PayrollFindingCleared below-minimum-wage:${projectId}:t1:en-2:${MONTH}`,
      `PayrollFindingCleared paid-not-attended:${projectId}:t1:en-3:${MONTH}`,
    ]);
    expect(await payrollEvents('t2')).toEqual([
      `PayrollFindingRaised attended-not-paid:${projectId}:t2:en-4:${MONTH}`,
      `PayrollFindingRaised payroll-missing:${projectId}:t2:-:${MONTH}`,
    ]);
    expect(await reconciler.reconcileTeamMonth({ projectId, teamId: 't2', month: MONTH })).toEqual({
      raised: 0,
      cleared: 0,
    });
    expect(await reconciler.reconcileDue()).toMatchObject({ raised: 0, cleared: 0 });

    const open = await payroll.findings({ projectId, month: MONTH, open: 'true' }, PM.scope);
    expect(open.findings.map((f) => f.kind)).toEqual(['attended-not-paid', 'payroll-missing']);
    const all = await payroll.findings({ projectId }, { kind: 'city', code: '330100' });
    expect(all.findings).toHaveLength(4);
    expect(all.findings.find((f) => f.kind === 'paid-not-attended')).toMatchObject({
      open: false,
      clearedAt: expect.any(String),
      detail: expect.stringContaining('no longer holds'),
    });
    const otherUnit = await payroll.findings({ projectId }, { kind: 'enterprise', code: OTHER_CREDIT });
    expect(otherUnit.findings.map((f) => f.workerId)).toEqual(['w-3']);
  });
});

describe("over HTTP, with the platform's body parsers and problem details", () => {
  let app: INestApplication;
  let base: string;

  beforeAll(async () => {
    const callers: Record<string, Caller> = {
      'Bearer pm': PM,
      'Bearer county': caller({ kind: 'county', code: region }, 'county-supervisor'),
    };
    @Module({
      controllers: [SheetsController, PayrollController],
      providers: [
        { provide: TeamSheets, useValue: sheets },
        { provide: PayrollService, useValue: payroll },
        { provide: TOKEN_VERIFIER, useValue: { verifyAuthorization: async (h: string) => callers[h] } },
      ],
    })
    class Routes {}
    app = await NestFactory.create(Routes, { logger: false, bodyParser: false });
    app.use(bodyParsers([], [], DEFAULT_BODY_LIMIT));
    app.useGlobalFilters(new ProblemDetailsFilter());
    await app.listen(0, '127.0.0.1');
    base = `${await app.getUrl()}/api/v1/projects/${projectId}`;
  });
  afterAll(() => app?.close());

  const csvOf = (lines: string[]) =>
    `\uFEFF工人ID,月份,实发金额,发放日期,银行流水号\r\n${lines.join('\r\n')}\r\n`;

  it('downloads the sheet as CSV for Accept text/csv, and refuses a month that is not one', async () => {
    const res = await fetch(`${base}/teams/t1/sheets/${MONTH}`, {
      headers: { authorization: 'Bearer county', accept: 'text/csv' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    const bytes = Buffer.from(await res.arrayBuffer());
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(bytes.subarray(3).toString('utf8').split('\r\n')[0]).toBe('西湖文化中心 钢筋班 2026年11月考勤表');
    const bad = await fetch(`${base}/teams/t1/sheets/2026-13`, {
      headers: { authorization: 'Bearer county' },
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ errors: [expect.objectContaining({ field: 'month' })] });
  });

  it('imports a CSV sent as the body and a multipart XLSX, and a supervisor may not import', async () => {
    const body = csvOf([`w-4,${MONTH},600,2027-01-05,CCB2027010500004`]);
    const post = (auth: string) =>
      fetch(`${base}/payroll-records/file`, {
        method: 'POST',
        headers: { authorization: auth, 'content-type': 'text/csv' },
        body,
      });
    expect((await post('Bearer county')).status).toBe(403);
    const first = await post('Bearer pm');
    expect(first.status).toBe(200);
    expect(await first.json()).toMatchObject({
      stored: 1,
      reconciled: [{ teamId: 't2', month: MONTH, raised: 0, cleared: 2 }],
    });

    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('发放');
    ws.addRow(['workerId', 'month', 'amountPaid', 'paidOn', 'bankReference']);
    ws.addRow(['w-4', MONTH, 600, '2027-01-05', 'CCB2027010500004']);
    const form = new FormData();
    form.append('file', new Blob([await wb.xlsx.writeBuffer()]), 'payroll.xlsx');
    const again = await fetch(`${base}/payroll-records/file`, {
      method: 'POST',
      headers: { authorization: 'Bearer pm' },
      body: form,
    });
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ stored: 0, alreadyRecorded: 1 });
    const findings = await fetch(`${base}/payroll-findings?month=${MONTH}&open=true`, {
      headers: { authorization: 'Bearer pm' },
    });
    expect((await findings.json()).findings).toEqual([]);
  });

  it('answers a bad row with problem details naming it, storing nothing', async () => {
    const before = await recordCount();
    const res = await fetch(`${base}/payroll-records/file`, {
      method: 'POST',
      headers: { authorization: 'Bearer pm', 'content-type': 'text/csv' },
      body: csvOf([`w-1,${MONTH},1,2027-01-05,CCB-NEW-0001`, `w-2,${MONTH},1,2027-02-30,CCB-NEW-0002`]),
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(await res.json()).toMatchObject({
      detail: expect.stringContaining('nothing was stored'),
      errors: [
        { field: 'row 3.paidOn', message: '"2027-02-30" is not a date: write the day paid as YYYY-MM-DD' },
      ],
    });
    expect(await recordCount()).toBe(before);
  });
});
