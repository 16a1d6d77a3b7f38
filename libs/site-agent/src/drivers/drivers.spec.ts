import fc from 'fast-check';
import { CommandOutcomeSchema } from '@realname/contracts';
import { fakeJpeg, HikvisionTerminal, UfaceDevice } from '@realname/device-simulator';
import { FakeAgentGateway } from '../../test/fake-agent-gateway';
import { GatewayClient, GatewayError } from '../gateway-client';
import { TransportError } from '../http';
import { AgentCommand } from '../protocol';
import { DriverContext, executeCommand, failure } from './driver';
import {
  deviceName,
  HikvisionIsapiDriver,
  isPassRecord,
  parseAcsEventResponse,
  parseIsapiStatus,
} from './hikvision';
import { isUfacePass, parseFindRecordsData, parseUfaceReply, UfaceDriver } from './uface';

const TZ = 'Asia/Shanghai';
const TOKEN = 'tok_0123456789abcdef';
const BACKFILL = '0190f0e4-0000-7000-8000-000000000001';
let n = 0;
const cmd = (kind: string, payload: unknown): AgentCommand => ({
  commandId: `0190f0e4-0000-7000-8000-${String(++n).padStart(12, '0')}`,
  seq: n,
  kind,
  payload,
  attempts: 1,
  createdAt: new Date().toISOString(),
});

describe('Hikvision ISAPI driver against the simulated terminal', () => {
  let gw: FakeAgentGateway;
  let t: HikvisionTerminal;
  let driver: HikvisionIsapiDriver;
  let ctx: DriverContext;

  beforeEach(async () => {
    gw = await new FakeAgentGateway().start();
    gw.addDevice({ deviceId: 'gate-1', token: TOKEN, family: 'hikvision-isapi', timeZone: TZ });
    t = new HikvisionTerminal({
      deviceId: 'gate-1',
      password: 'Pw12345!',
      gatewayUrl: 'http://127.0.0.1:9',
      token: TOKEN,
    });
    driver = new HikvisionIsapiDriver({
      baseUrl: await t.listen(),
      user: 'admin',
      password: 'Pw12345!',
      pageSize: 4,
    });
    ctx = {
      gateway: new GatewayClient({ baseUrl: gw.url, deviceId: 'gate-1', token: TOKEN }),
      timeZone: TZ,
      commandId: cmd('x', {}).commandId,
    };
  });
  afterEach(async () => {
    await t.close();
    await gw.stop();
  });

  it('person.upsert puts the user, the card and the face; a re-issue replaces the face', async () => {
    const photoRef = gw.putPhoto(fakeJpeg(7));
    const payload = {
      personId: 'P1001',
      name: '张三丰-Test-Worker-With-A-Long-Name',
      cardNumber: '12345678',
      photoRef,
    };
    const out = await executeCommand(driver, cmd('person.upsert', payload), ctx);
    expect(out).toEqual({ ok: true, result: { steps: ['user', 'card', 'face'] } });
    const user = t.users.get('P1001')!;
    expect(user).toMatchObject({ userType: 'normal', cardNo: '12345678', valid: { enable: true } });
    expect(Buffer.byteLength(user.name)).toBeLessThanOrEqual(32);
    expect(user.face?.bytes).toBe(fakeJpeg(7).length);
    const again = await executeCommand(
      driver,
      cmd('person.upsert', { ...payload, photoRef: gw.putPhoto(fakeJpeg(8)) }),
      ctx,
    );
    expect(again.ok).toBe(true);
    expect(user.face?.bytes).toBe(fakeJpeg(8).length);
    expect(t.isapiLog.some((r) => r.path === '/ISAPI/Intelligent/FDLib/FDSetUp')).toBe(true);
  });

  it('person.delete removes the user, and succeeds when it is already gone', async () => {
    await executeCommand(driver, cmd('person.upsert', { personId: 'P1', name: 'A' }), ctx);
    expect(await executeCommand(driver, cmd('person.delete', { personId: 'P1' }), ctx)).toEqual({ ok: true });
    expect(t.users.has('P1')).toBe(false);
    expect((await executeCommand(driver, cmd('person.delete', { personId: 'P1' }), ctx)).ok).toBe(true);
  });

  it('records.query pages through the AcsEvent search and uploads every page; verify counts passes', async () => {
    const at = (m: number) => new Date(Date.UTC(2026, 10, 21, 0, m, 0));
    for (let i = 0; i < 9; i++) await t.punch({ employeeNo: `P${i}`, at: at(i), form: 'json' });
    await t.event(5, 0x19, at(2)); // door open: no person
    await t.punch({ employeeNo: 'P9', minor: 76, at: at(3), form: 'json' }); // face failure
    const range = {
      from: at(1).toISOString(),
      to: new Date(at(7).getTime() + 500).toISOString(),
      backfillId: BACKFILL,
    };
    const out = await executeCommand(driver, cmd('records.query', range), ctx);
    expect(out.ok).toBe(true);
    expect(out.result).toMatchObject({ count: 7, deviceMatches: 9, fetched: 9, pages: 3 });
    const uploaded = gw.uploads.flatMap((u) => u.records as { serialNo: number }[]);
    expect(uploaded.map((r) => r.serialNo).sort((a, b) => a - b)).toEqual([2, 3, 4, 5, 6, 7, 8, 10, 11]);
    expect(gw.uploads.every((u) => u.backfillId === BACKFILL && u.commandId === ctx.commandId)).toBe(true);
    const verify = await executeCommand(driver, cmd('records.verify', range), ctx);
    expect(verify).toEqual({ ok: true, result: { count: 7, deviceMatches: 9 } });
  });

  it('reports device refusals, wrong passwords, unreachable devices and bad payloads as codes', async () => {
    const bad = await executeCommand(driver, cmd('person.upsert', { personId: 'has space', name: 'x' }), ctx);
    expect(bad).toMatchObject({ ok: false, code: 'invalid-payload' });
    expect(await executeCommand(driver, cmd('reboot', {}), ctx)).toMatchObject({
      ok: false,
      code: 'unsupported-kind',
    });
    const noPhoto = await executeCommand(
      driver,
      cmd('person.upsert', { personId: 'P2', name: 'B', photoRef: 'sha256:' + 'a'.repeat(64) }),
      ctx,
    );
    expect(noPhoto).toMatchObject({ ok: false, code: 'photo-unavailable' });
    const wrong = new HikvisionIsapiDriver({ baseUrl: t.isapiUrl, user: 'admin', password: 'nope' });
    expect(await executeCommand(wrong, cmd('person.delete', { personId: 'P2' }), ctx)).toMatchObject({
      ok: false,
      code: 'auth-failed',
    });
    const gone = new HikvisionIsapiDriver({
      baseUrl: 'http://127.0.0.1:9',
      user: 'admin',
      password: 'x',
      timeoutMs: 2000,
    });
    expect(await executeCommand(gone, cmd('person.delete', { personId: 'P2' }), ctx)).toMatchObject({
      ok: false,
      code: 'unreachable',
    });
    const tooLong = await executeCommand(
      driver,
      cmd('person.upsert', { personId: 'P3', name: 'N', cardNumber: 'x'.repeat(33) }),
      ctx,
    );
    expect(tooLong.code).toBe('invalid-payload');
  });

  it('cuts names at 32 UTF-8 bytes on a character boundary', () => {
    expect(deviceName('张三丰张三丰张三丰张三丰')).toBe('张三丰张三丰张三丰张');
    expect(deviceName('short')).toBe('short');
  });
});

describe('Uface driver against the simulated terminal', () => {
  let gw: FakeAgentGateway;
  let dev: UfaceDevice;
  let ctx: DriverContext;

  beforeEach(async () => {
    gw = await new FakeAgentGateway().start();
    gw.addDevice({ deviceId: 'uf-1', token: TOKEN, family: 'uface', timeZone: TZ });
    dev = new UfaceDevice({ gatewayUrl: 'http://127.0.0.1:9', deviceKey: 'UF0001', pass: 'devpass' });
    await dev.listen();
    ctx = {
      gateway: new GatewayClient({ baseUrl: gw.url, deviceId: 'uf-1', token: TOKEN }),
      timeZone: TZ,
      commandId: cmd('x', {}).commandId,
    };
  });
  afterEach(async () => {
    await dev.close();
    await gw.stop();
  });

  it('creates, updates and deletes persons with faces (base64 and by URL)', async () => {
    const driver = new UfaceDriver({ baseUrl: dev.apiUrl, password: 'devpass' });
    const photoRef = gw.putPhoto(fakeJpeg(3));
    const out = await executeCommand(
      driver,
      cmd('person.upsert', { personId: 'P1', name: 'A', cardNumber: 'C1', photoRef }),
      ctx,
    );
    expect(out).toEqual({ ok: true, result: { steps: ['person.create', 'face.create'] } });
    expect(dev.persons.get('P1')).toMatchObject({ name: 'A', idcardNum: 'C1' });
    expect(dev.persons.get('P1')!.faces).toHaveLength(1);
    const byUrl = new UfaceDriver({ baseUrl: dev.apiUrl, password: 'devpass', faceVia: 'url' });
    const again = await executeCommand(
      byUrl,
      cmd('person.upsert', { personId: 'P1', name: 'A2', photoRef }),
      ctx,
    );
    expect(again).toEqual({ ok: true, result: { steps: ['person.update', 'face.createByUrl'] } });
    expect(dev.persons.get('P1')!.name).toBe('A2');
    expect(await executeCommand(driver, cmd('person.delete', { personId: 'P1' }), ctx)).toEqual({ ok: true });
    expect(dev.persons.has('P1')).toBe(false);
    const wrongPass = new UfaceDriver({ baseUrl: dev.apiUrl, password: 'nope' });
    const refused = await executeCommand(wrongPass, cmd('person.delete', { personId: 'P1' }), ctx);
    expect(refused).toMatchObject({ ok: false, code: 'pass: wrong device password' });
  });

  it('records.query pages findRecords in device-local time and uploads the records', async () => {
    const base = Date.UTC(2026, 10, 21, 0, 0, 0);
    for (let i = 0; i < 7; i++) await dev.recognise(`P${i}`, { at: base + i * 60_000, lose: true });
    const driver = new UfaceDriver({ baseUrl: dev.apiUrl, password: 'devpass', pageSize: 3 });
    const range = {
      from: new Date(base + 60_000).toISOString(),
      to: new Date(base + 5 * 60_000).toISOString(),
      backfillId: BACKFILL,
    };
    const out = await executeCommand(driver, cmd('records.query', range), ctx);
    expect(out).toMatchObject({ ok: true, result: { count: 5, deviceMatches: 5, fetched: 5, pages: 2 } });
    expect(gw.uploads.flatMap((u) => u.records as { personId: string }[]).map((r) => r.personId)).toEqual([
      'P1',
      'P2',
      'P3',
      'P4',
      'P5',
    ]);
  });
});

describe('device reply parsers (fuzz)', () => {
  it('parseAcsEventResponse never throws and keeps every object record', () => {
    fc.assert(
      fc.property(
        fc.jsonValue(),
        fc.array(fc.jsonValue(), { maxLength: 20 }),
        fc.constantFrom('OK', 'MORE', 'NO MATCH', undefined),
        (junk, list, status) => {
          parseAcsEventResponse(Buffer.from(JSON.stringify(junk) ?? ''));
          const body = {
            AcsEvent: {
              searchID: 's',
              responseStatusStrg: status,
              numOfMatches: list.length,
              totalMatches: 99,
              InfoList: list,
            },
          };
          const r = parseAcsEventResponse(Buffer.from(JSON.stringify(body)));
          expect(r.ok).toBe(true);
          if (r.ok) {
            // As the device sends them: through JSON (which writes -0 as 0).
            const sent = JSON.parse(JSON.stringify(list)) as unknown[];
            const objects = sent.filter((x) => typeof x === 'object' && x !== null && !Array.isArray(x));
            expect(r.page.records).toEqual(objects);
            expect(r.page.records.length + r.page.dropped).toBe(list.length);
            r.page.records.forEach((x) => isPassRecord(x));
          }
        },
      ),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 500 }), (b) => void parseAcsEventResponse(Buffer.from(b))),
      { numRuns: 300 },
    );
  });

  it('Uface and ISAPI status parsers never throw', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.string({ maxLength: 200 }), (v, s) => {
        parseUfaceReply(JSON.stringify(v) ?? '');
        parseUfaceReply(s);
        parseFindRecordsData(v);
        parseIsapiStatus(Buffer.from(s));
        parseIsapiStatus(Buffer.from(JSON.stringify(v) ?? ''));
        if (v && typeof v === 'object' && !Array.isArray(v)) isUfacePass(v as Record<string, unknown>);
      }),
      { numRuns: 500 },
    );
  });

  it('reads ISAPI statuses in JSON and XML', () => {
    expect(
      parseIsapiStatus(
        Buffer.from('{"statusCode":4,"statusString":"Invalid Operation","subStatusCode":"notSupport"}'),
      ),
    ).toEqual({
      statusCode: 4,
      statusString: 'Invalid Operation',
      subStatusCode: 'notSupport',
    });
    expect(
      parseIsapiStatus(
        Buffer.from(
          '<ResponseStatus version="2.0"><statusCode>6</statusCode><subStatusCode>badXmlContent</subStatusCode></ResponseStatus>',
        ),
      ),
    ).toEqual({ statusCode: 6, subStatusCode: 'badXmlContent' });
    expect(parseUfaceReply('{"result":0,"success":false,"msg":"LAN_EXP-3005"}')).toEqual({
      ok: false,
      msg: 'LAN_EXP-3005',
    });
  });
});

describe('failure', () => {
  it('reports every failure within the contract the gateway checks (code <= 64, detail <= 1000)', () => {
    const long = 'x'.repeat(5000);
    for (const err of [
      new TransportError(long, 'http://10.0.0.5', false),
      new GatewayError(long, false, 400),
      new Error(long),
    ]) {
      const outcome = failure(err);
      expect(CommandOutcomeSchema.safeParse(outcome).success).toBe(true);
      expect(outcome.detail).toHaveLength(1000);
    }
  });
});
