import { createHash } from 'node:crypto';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fakeJpeg, hikTime, HikvisionTerminal } from './hikvision';

/** A stand-in HTTP listening host: records every push, answers with a configurable status. */
class Receiver {
  readonly requests: { path: string; contentType: string; body: Buffer }[] = [];
  status = 200;
  private server?: Server;

  start(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.requests.push({
          path: req.url ?? '',
          contentType: req.headers['content-type'] ?? '',
          body: Buffer.concat(chunks),
        });
        res.writeHead(this.status, { 'content-type': 'application/json' });
        res.end('{"statusCode":1,"statusString":"OK"}');
      });
    });
    return new Promise((r) =>
      this.server!.listen(0, '127.0.0.1', () =>
        r(`http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`),
      ),
    );
  }

  stop(): Promise<void> {
    return new Promise((r) => {
      this.server?.closeAllConnections();
      this.server?.close(() => r());
    });
  }

  /** The AccessControllerEvent objects pushed, in order (JSON, multipart and XML alike). */
  events(): Record<string, unknown>[] {
    return this.requests.flatMap((r) => {
      const text = r.body.toString('latin1');
      const json = /\{.*\}/s.exec(text.split('--MIME_boundary').find((p) => p.includes('{')) ?? text)?.[0];
      if (r.contentType.includes('xml')) {
        const tag = (n: string) => new RegExp(`<${n}>([^<]*)</${n}>`).exec(text)?.[1];
        return [
          {
            serialNo: Number(tag('serialNo')),
            frontSerialNo: Number(tag('frontSerialNo')),
            currentEvent: tag('currentEvent') === 'true',
            employeeNoString: tag('employeeNoString'),
          },
        ];
      }
      if (!json) return [];
      const o = JSON.parse(json) as { eventType: string; AccessControllerEvent?: Record<string, unknown> };
      return o.AccessControllerEvent ? [o.AccessControllerEvent] : [];
    });
  }
}

describe('HikvisionTerminal as a push client', () => {
  let rx: Receiver;
  let url: string;
  beforeEach(async () => {
    rx = new Receiver();
    url = await rx.start();
  });
  afterEach(() => rx.stop());

  const terminal = (o: Partial<ConstructorParameters<typeof HikvisionTerminal>[0]> = {}) =>
    new HikvisionTerminal({ gatewayUrl: url, deviceId: 'gate-1', token: 'tok_1234567890abcdef', ...o });

  it('pushes multipart with the JSON part and a JPEG, then JSON and XML, with consecutive serials', async () => {
    const t = terminal();
    await t.punch({ employeeNo: '1001', name: 'A', attendanceStatus: 'checkIn' });
    await t.punch({ employeeNo: '1002', form: 'json' });
    await t.punch({ employeeNo: '1003', form: 'xml', minor: 1, cardNo: '12345678' });
    expect(rx.requests.map((r) => r.path)).toEqual(
      Array(3).fill('/isapi/v1/gate-1/tok_1234567890abcdef/events'),
    );
    expect(rx.requests[0].contentType).toBe('multipart/form-data; boundary=MIME_boundary');
    const first = rx.requests[0].body;
    expect(first.includes('name="AccessControllerEvent"')).toBe(true);
    expect(first.includes(fakeJpeg(1))).toBe(true);
    expect(rx.requests[1].contentType).toContain('application/json');
    expect(rx.requests[2].body.toString()).toContain('<EventNotificationAlert');
    expect(rx.events()).toEqual([
      expect.objectContaining({
        serialNo: 1,
        frontSerialNo: 0,
        employeeNoString: '1001',
        currentEvent: true,
        subEventType: 75,
        attendanceStatus: 'checkIn',
      }),
      expect.objectContaining({ serialNo: 2, frontSerialNo: 1, employeeNoString: '1002' }),
      expect.objectContaining({
        serialNo: 3,
        frontSerialNo: 2,
        employeeNoString: '1003',
        currentEvent: true,
      }),
    ]);
    expect(t.log.every((e) => e.delivered)).toBe(true);
  });

  it('storms, loses, truncates and sends heartbeats with its (skewed) clock', async () => {
    const t = terminal({
      behaviour: { resendTimes: 3, clockSkewMs: 3_600_000 },
      now: () => Date.UTC(2026, 10, 21, 0, 0, 0),
    });
    await t.punch({ employeeNo: '1001' });
    expect(rx.requests).toHaveLength(3);
    rx.requests.length = 0;
    t.behaviour.resendTimes = 1;
    await t.punch({ employeeNo: '1002', lose: true });
    expect(rx.requests).toHaveLength(0);
    await t.punch({ employeeNo: '1003', truncate: true });
    const cut = rx.requests[0].body;
    expect(cut.includes('--MIME_boundary--')).toBe(false);
    expect(rx.events()[0]).toMatchObject({ serialNo: 3, frontSerialNo: 2 });
    await t.heartbeat();
    const hb = JSON.parse(rx.requests[1].body.toString());
    expect(hb).toMatchObject({ eventType: 'heartBeat', dateTime: '2026-11-21T09:00:00+08:00' });
  });

  it('buffers while offline (or the gateway fails) and uploads later as offline events', async () => {
    const t = terminal();
    await t.setOnline(false);
    await t.punch({ employeeNo: '1001' });
    rx.status = 503;
    await t.setOnline(true); // the upload fails: still undelivered
    expect(t.log[0].delivered).toBe(false);
    rx.status = 200;
    rx.requests.length = 0;
    expect(await t.uploadUndelivered()).toBe(1);
    expect(rx.events()[0]).toMatchObject({ serialNo: 1, currentEvent: false });

    const discarding = terminal({ behaviour: { discardWhileOffline: true } });
    await discarding.setOnline(false);
    await discarding.punch({ employeeNo: '1009' });
    rx.requests.length = 0;
    expect(await discarding.setOnline(true)).toBe(0);
    expect(rx.requests).toHaveLength(0);
    expect(discarding.log).toHaveLength(1);
  });

  it('formats device times in its zone', () => {
    expect(hikTime(new Date('2026-11-20T23:41:02.900Z'), 'Asia/Shanghai')).toBe('2026-11-21T07:41:02+08:00');
    expect(hikTime(new Date('2026-07-01T12:00:00Z'), 'America/New_York')).toBe('2026-07-01T08:00:00-04:00');
  });
});

describe('HikvisionTerminal ISAPI server', () => {
  let t: HikvisionTerminal;
  let base: string;
  beforeEach(async () => {
    t = new HikvisionTerminal({
      deviceId: 'gate-1',
      user: 'admin',
      password: 'Pw:12345',
      now: () => Date.UTC(2026, 10, 21, 0, 0, 0),
    });
    base = await t.listen();
  });
  afterEach(() => t.close());

  /** A minimal RFC 7616 client, independent of the site agent's. */
  async function digest(method: string, path: string, body?: string, password = 'Pw:12345', nc = 1) {
    const first = await fetch(base + path, { method, body });
    expect(first.status).toBe(401);
    const h = first.headers.get('www-authenticate')!;
    const nonce = /nonce="([^"]+)"/.exec(h)![1];
    const realm = /realm="([^"]+)"/.exec(h)![1];
    const md5 = (s: string) => createHash('md5').update(s).digest('hex');
    const ncHex = nc.toString(16).padStart(8, '0');
    const response = md5(
      `${md5(`admin:${realm}:${password}`)}:${nonce}:${ncHex}:c0ffee:auth:${md5(`${method}:${path}`)}`,
    );
    const auth = `Digest username="admin", realm="${realm}", nonce="${nonce}", uri="${path}", qop=auth, nc=${ncHex}, cnonce="c0ffee", response="${response}", algorithm=MD5`;
    const res = await fetch(base + path, {
      method,
      body,
      headers: { authorization: auth, 'content-type': 'application/json' },
    });
    return {
      status: res.status,
      json: (await res.json().catch(() => undefined)) as Record<string, unknown> | undefined,
      auth,
    };
  }

  it('challenges with Digest, accepts the right password and refuses a wrong one or a replay', async () => {
    const ok = await digest(
      'PUT',
      '/ISAPI/AccessControl/UserInfo/SetUp?format=json',
      JSON.stringify({ UserInfo: { employeeNo: '1001', name: 'A', userType: 'normal' } }),
    );
    expect(ok.status).toBe(200);
    expect(ok.json).toMatchObject({ statusCode: 1, subStatusCode: 'ok' });
    expect(t.users.get('1001')).toMatchObject({ name: 'A' });
    const replay = await fetch(base + '/ISAPI/AccessControl/UserInfo/SetUp?format=json', {
      method: 'PUT',
      body: '{}',
      headers: { authorization: ok.auth },
    });
    expect(replay.status).toBe(401);
    expect((await digest('GET', '/ISAPI/System/deviceInfo', undefined, 'wrong')).status).toBe(401);
  });

  it('keeps users, cards and faces, and deletes them', async () => {
    await digest(
      'PUT',
      '/ISAPI/AccessControl/UserInfo/SetUp?format=json',
      JSON.stringify({ UserInfo: { employeeNo: '7', name: 'B' } }),
    );
    const card = await digest(
      'PUT',
      '/ISAPI/AccessControl/CardInfo/SetUp?format=json',
      JSON.stringify({ CardInfo: { employeeNo: '7', cardNo: '99', cardType: 'normalCard' } }),
    );
    expect(card.status).toBe(200);
    expect(t.users.get('7')?.cardNo).toBe('99');
    const dup = await digest(
      'POST',
      '/ISAPI/AccessControl/UserInfo/Record?format=json',
      JSON.stringify({ UserInfo: { employeeNo: '7', name: 'B' } }),
    );
    expect(dup).toMatchObject({ status: 400, json: { subStatusCode: 'employeeNoAlreadyExist' } });
    const del = await digest(
      'PUT',
      '/ISAPI/AccessControl/UserInfo/Delete?format=json',
      JSON.stringify({ UserInfoDelCond: { EmployeeNoList: [{ employeeNo: '7' }] } }),
    );
    expect(del.status).toBe(200);
    expect(t.users.has('7')).toBe(false);
  });

  it('searches its event log page by page (major 5, any minor, time range)', async () => {
    const at = (m: number) => new Date(Date.UTC(2026, 10, 21, 0, m, 0));
    t.gatewayUrl = 'http://127.0.0.1:9'; // unreachable: events stay undelivered, but are logged
    t.token = 'x'.repeat(16);
    for (let i = 0; i < 7; i++) await t.punch({ employeeNo: String(1000 + i), at: at(i), form: 'json' });
    await t.event(3, 0x70, at(3));
    const search = (pos: number) =>
      digest(
        'POST',
        '/ISAPI/AccessControl/AcsEvent?format=json',
        JSON.stringify({
          AcsEventCond: {
            searchID: 's1',
            searchResultPosition: pos,
            maxResults: 3,
            major: 5,
            minor: 0,
            startTime: '2026-11-21T08:01:00+08:00',
            endTime: '2026-11-21T08:05:00+08:00',
          },
        }),
      );
    const p1 = await search(0);
    expect(p1.json).toMatchObject({
      AcsEvent: { responseStatusStrg: 'MORE', numOfMatches: 3, totalMatches: 5 },
    });
    const p2 = await search(3);
    expect(p2.json).toMatchObject({
      AcsEvent: { responseStatusStrg: 'OK', numOfMatches: 2, totalMatches: 5 },
    });
    const list = [
      ...(p1.json!.AcsEvent as { InfoList: { serialNo: number }[] }).InfoList,
      ...(p2.json!.AcsEvent as { InfoList: { serialNo: number }[] }).InfoList,
    ];
    expect(list.map((e) => e.serialNo)).toEqual([2, 3, 4, 5, 6]);
    expect(list[0]).toMatchObject({
      major: 5,
      minor: 75,
      employeeNoString: '1001',
      time: '2026-11-21T08:01:00+08:00',
    });
    const none = await digest(
      'POST',
      '/ISAPI/AccessControl/AcsEvent?format=json',
      JSON.stringify({
        AcsEventCond: {
          searchID: 's2',
          searchResultPosition: 0,
          maxResults: 3,
          major: 5,
          minor: 0,
          startTime: '2027-01-01T00:00:00+08:00',
          endTime: '2027-01-02T00:00:00+08:00',
        },
      }),
    );
    expect(none.json).toMatchObject({
      AcsEvent: { responseStatusStrg: 'NO MATCH', numOfMatches: 0, totalMatches: 0 },
    });
  });
});
