import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as iconv from 'iconv-lite';
import { formatLocalTime } from '@realname/contracts';
import {
  parseOptionLines,
  renderAttphotoBody,
  renderCommandResults,
  ZktecoDevice,
  ZktecoDeviceOptions,
} from './zkteco';

interface Seen {
  method: string;
  path: string;
  query: Record<string, string>;
  body: Buffer;
}
type Answer = { status?: number; body?: string | Buffer; headers?: Record<string, string> };

/** A stand-in ADMS server: answers like a gateway unless a test says otherwise, and records every request. */
class FakeAdms {
  readonly requests: Seen[] = [];
  commands: string[] = [];
  /** Server clock offset for the Date header (to test clock setting). */
  dateOffsetMs = 0;
  override?: (r: Seen) => Answer | undefined;
  private server?: Server;

  get url(): string {
    return `http://127.0.0.1:${(this.server?.address() as AddressInfo).port}`;
  }

  start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => this.handle(req, Buffer.concat(chunks), res));
    });
    return new Promise((resolve) => this.server!.listen(0, '127.0.0.1', () => resolve(this)));
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      this.server?.closeAllConnections();
      this.server?.close(() => resolve());
    });
  }

  of(path: string, table?: string): Seen[] {
    return this.requests.filter(
      (r) => r.path === path && (table === undefined || r.query['table'] === table),
    );
  }

  private handle(req: IncomingMessage, body: Buffer, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://x');
    const seen: Seen = {
      method: req.method ?? '',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      body,
    };
    this.requests.push(seen);
    const a = this.override?.(seen) ?? this.answer(seen);
    res.writeHead(a.status ?? 200, {
      Date: new Date(Date.now() + this.dateOffsetMs).toUTCString(),
      'Content-Type': 'text/plain',
      ...a.headers,
    });
    res.end(a.body ?? 'OK');
  }

  private answer(r: Seen): Answer {
    if (r.path === '/iclock/cdata' && r.method === 'GET')
      return {
        body: `GET OPTION FROM: ${r.query['SN']}\nATTLOGStamp=None\nDelay=1\nErrorDelay=2\nTimeZone=8\n`,
      };
    if (r.path === '/iclock/cdata')
      return { body: `OK:${r.body.toString().split('\n').filter(Boolean).length}` };
    if (r.path === '/iclock/getrequest') {
      const lines = this.commands;
      this.commands = [];
      return { body: lines.length ? lines.join('\n') + '\n' : 'OK' };
    }
    if (r.path === '/iclock/registry') return { body: 'RegistryCode=abc123\n' };
    if (r.path === '/iclock/push') return { body: 'ServerVersion=3.1.2\nRequestDelay=1\nErrorDelay=2\n' };
    return { body: 'OK' };
  }
}

describe('ZktecoDevice', () => {
  let adms: FakeAdms;
  beforeEach(async () => (adms = await new FakeAdms().start()));
  afterEach(() => adms.stop());

  const device = (o: Partial<ZktecoDeviceOptions> = {}) =>
    new ZktecoDevice({ baseUrl: adms.url, serial: 'SIM001', pollIntervalMs: 20, ...o });

  it('starts with the options exchange and sets its clock from the Date header', async () => {
    adms.dateOffsetMs = 0;
    const d = device({ behaviour: 'skewed-clock', language: '83' });
    expect(d.clockErrorMs).toBe(433_000);
    await d.connect();
    const [req] = adms.requests;
    expect(req).toMatchObject({ method: 'GET', path: '/iclock/cdata' });
    expect(req.query).toMatchObject({ SN: 'SIM001', options: 'all', pushver: '2.4.1', language: '83' });
    expect(Math.abs(d.clockErrorMs)).toBeLessThan(1500);
    expect(d.options['delay']).toBe('1');
    expect(d.pollIntervalMs).toBe(20);
    expect(new ZktecoDevice({ baseUrl: adms.url, serial: 'X' }).pollIntervalMs).toBe(10_000);
  });

  it('keeps a skewed clock when its firmware ignores the Date header', async () => {
    const d = device({ behaviour: { clockSkewMs: -300_000, ignoreDateHeader: true } });
    await d.connect();
    expect(d.clockErrorMs).toBe(-300_000);
  });

  it('throws when the options exchange is refused', async () => {
    adms.override = () => ({ status: 403, body: 'ERROR: unknown SN' });
    await expect(device().connect()).rejects.toThrow('HTTP 403 ERROR: unknown SN');
  });

  it('uploads ATTLOG as TAB-separated lines, several per POST, in device-local time', async () => {
    const d = device({ batchSize: 2, now: () => Date.parse('2026-11-20T23:41:02Z') });
    d.punch('10001');
    d.punch('10002', { status: 1, verify: 1 });
    d.punch('10003', { at: '2026-11-21 07:50:00' });
    await d.flush();
    const posts = adms.of('/iclock/cdata', 'ATTLOG');
    expect(posts).toHaveLength(2);
    expect(posts[0].body.toString()).toBe(
      '10001\t2026-11-21 07:41:02\t0\t15\t0\t0\t0\n10002\t2026-11-21 07:41:02\t1\t1\t0\t0\t0\n',
    );
    expect(posts[1].query['Stamp']).toBe('3');
    expect(d.pendingRecords).toHaveLength(0);
    expect(d.counters.recordsUploaded).toBe(3);
  });

  it('sends every upload three times in a resend storm', async () => {
    const d = device({ behaviour: 'resend-storm' });
    d.punch('1', { at: '2026-11-21 07:00:00' });
    await d.flush();
    const posts = adms.of('/iclock/cdata', 'ATTLOG');
    expect(posts).toHaveLength(3);
    expect(new Set(posts.map((p) => p.body.toString())).size).toBe(1);
  });

  it('keeps records while offline or refused, and uploads them later', async () => {
    const d = device();
    d.setOnline(false);
    d.punch('1', { at: '2026-11-21 07:00:00' });
    d.punch('2', { at: '2026-11-21 07:01:00' });
    await d.flush();
    await d.pollOnce();
    expect(adms.requests).toHaveLength(0);
    d.setOnline(true);
    adms.override = (r) => (r.query['table'] === 'ATTLOG' ? { status: 500, body: 'ERROR: busy' } : undefined);
    await d.flush();
    expect(d.pendingRecords).toHaveLength(2);
    adms.override = undefined;
    await d.flush();
    expect(d.pendingRecords).toHaveLength(0);
    expect(adms.of('/iclock/cdata', 'ATTLOG')).toHaveLength(2);
  });

  it('loses records marked by dropUpload, but keeps them in its log for a DATA QUERY', async () => {
    const d = device({ behaviour: { dropUpload: (r) => r.pin === '2' } });
    d.punch('1', { at: '2026-11-21 07:00:00' });
    d.punch('2', { at: '2026-11-21 07:01:00' });
    d.punch('3', { at: '2026-11-21 08:00:00' });
    await d.flush();
    expect(adms.of('/iclock/cdata', 'ATTLOG')[0].body.toString()).not.toMatch(/^2\t/m);
    expect(d.counters.recordsLost).toBe(1);
    adms.commands = ['C:5:DATA QUERY ATTLOG StartTime=2026-11-21 07:00:00\tEndTime=2026-11-21 07:59:59'];
    await d.pollOnce();
    const reupload = adms.of('/iclock/cdata', 'ATTLOG')[1].body.toString();
    expect(
      reupload
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split('\t')[0]),
    ).toEqual(['1', '2']);
    expect(adms.of('/iclock/devicecmd')[0].body.toString()).toBe('ID=5&Return=0&CMD=DATA&Count=2\n');
  });

  it('runs user commands (GB2312 on a Chinese device), counts with VERIFY SUM, drops lines without C:', async () => {
    const d = device({ language: '83' });
    d.punch('1', { at: '2026-11-21 07:00:00' });
    const b64 = Buffer.from([0xff, 0xd8, 0xff, 1, 2]).toString('base64');
    const reply = [
      'C:1:DATA UPDATE USERINFO PIN=10001\tName=张三\tPri=0\tCard=555',
      `C:1:DATA UPDATE BIOPHOTO PIN=10001\tType=9\tFormat=0\tSize=${b64.length}\tContent=${b64}`,
      'DATA DELETE USERINFO PIN=10001',
      'C:2:VERIFY SUM ATTLOG StartTime=2026-11-21 00:00:00\tEndTime=2026-11-21 23:59:59',
      'C:3:DATA UPDATE BIOPHOTO PIN=999\tContent=AAAA',
      'C:4:SET OPTION X=1',
    ].join('\n');
    adms.override = (r) =>
      r.path === '/iclock/getrequest' ? { body: iconv.encode(reply, 'gb2312') } : undefined;
    await d.pollOnce();
    expect(d.users.get('10001')).toMatchObject({ name: '张三', card: '555' });
    expect(d.users.get('10001')?.photo?.length).toBe(5);
    expect(d.commandsReceived[2]).toEqual({ command: 'DATA DELETE USERINFO PIN=10001' });
    expect(adms.of('/iclock/devicecmd')[0].body.toString()).toBe(
      renderCommandResults([
        { id: '1', returnCode: 0, cmd: 'DATA' },
        { id: '1', returnCode: 0, cmd: 'DATA' },
        { id: '2', returnCode: 0, cmd: 'VERIFY', count: 1 },
        { id: '3', returnCode: -1, cmd: 'DATA' },
        { id: '4', returnCode: -1002, cmd: 'SET' },
      ]),
    );
    adms.override = (r) =>
      r.path === '/iclock/getrequest' ? { body: 'C:9:DATA DELETE USERINFO PIN=10001\n' } : undefined;
    await d.pollOnce();
    expect(d.users.has('10001')).toBe(false);
  });

  it('sends results in the query string when its firmware does', async () => {
    const d = device({ behaviour: { resultsInQuery: true } });
    adms.commands = ['C:7:CHECK', 'C:8:DATA DELETE USERINFO PIN=1'];
    await d.pollOnce();
    const posts = adms.of('/iclock/devicecmd');
    expect(posts.map((p) => [p.query['ID'], p.query['Return'], p.query['CMD'], p.body.length])).toEqual([
      ['7', '0', 'CHECK', 0],
      ['8', '0', 'DATA', 0],
    ]);
  });

  it('uploads ATTPHOTO as header, NUL, JPEG bytes, and OPERLOG in GB2312', async () => {
    const d = device({ language: '83' });
    const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0, 0, 9]);
    d.punch('10001', { at: '2026-11-21 07:41:02', photo: jpeg });
    d.enrolLocally('10002', '李四');
    await d.flush();
    const photo = adms.of('/iclock/cdata', 'ATTPHOTO')[0].body;
    expect(
      photo.equals(
        renderAttphotoBody({ pin: '10001', time: '2026-11-21 07:41:02', sn: 'SIM001', bytes: jpeg }),
      ),
    ).toBe(true);
    expect(photo.subarray(0, photo.indexOf(0)).toString()).toBe(
      'PIN=20261121074102-10001.jpg\nSN=SIM001\nsize=6\nCMD=uploadphoto',
    );
    const oper = adms.of('/iclock/cdata', 'OPERLOG')[0].body;
    expect(oper.includes(iconv.encode('李四', 'gb2312'))).toBe(true);
    expect(iconv.decode(oper, 'gb2312')).toMatch(/^OPLOG 30\t0\t.+\nUSER PIN=10002\tName=李四\tPri=0/);
  });

  it('declares an ATTPHOTO size= off from the JPEG it sends when photoSizeSkew is set', async () => {
    const d = device({ behaviour: { photoSizeSkew: -6 } });
    const jpeg = Buffer.concat([Buffer.from([0xff, 0xd8]), Buffer.alloc(608, 7), Buffer.from([0xff, 0xd9])]);
    d.punch('10001', { at: '2026-11-21 07:41:02', photo: jpeg });
    await d.flush();
    const photo = adms.of('/iclock/cdata', 'ATTPHOTO')[0].body;
    expect(photo.subarray(0, photo.indexOf(0)).toString()).toContain('\nsize=606\n');
    expect(photo.subarray(photo.indexOf(0) + 1).equals(jpeg)).toBe(true);
  });

  it('mixes garbage or a truncated copy into ATTLOG when malformed, keeping the good lines', async () => {
    const d = device({ behaviour: { malformed: 'truncated-line' } });
    d.punch('1', { at: '2026-11-21 07:00:00' });
    await d.flush();
    expect(adms.of('/iclock/cdata', 'ATTLOG')[0].body.toString()).toBe(
      '1\t2026-11-21 07:00:00\t0\t15\t0\t0\t0\n1\t2026-11-\n',
    );
    const g = device({ behaviour: 'malformed' });
    g.punch('2', { at: '2026-11-21 07:00:00' });
    await g.flush();
    const lines = adms.of('/iclock/cdata', 'ATTLOG')[1].body.toString().split('\n');
    expect(lines).toContain('2\t2026-11-21 07:00:00\t0\t15\t0\t0\t0');
    expect(lines.length).toBeGreaterThan(3);
  });

  it('in access mode registers, reads the push configuration and uploads rtlog with an index', async () => {
    const d = device({ mode: 'access' });
    await d.connect();
    expect(adms.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /iclock/registry',
      'POST /iclock/push',
    ]);
    expect(d.registryCode).toBe('abc123');
    expect(d.options['requestdelay']).toBe('1');
    d.punch('7', { at: '2026-11-21 07:00:00', status: 1 });
    await d.flush();
    const post = adms.of('/iclock/cdata', 'rtlog')[0];
    expect(post.body.toString()).toMatch(
      /^time=2026-11-21 07:00:00\tpin=7\t.*\tevent=0\tinoutstatus=1\tverifytype=15\tindex=1\t/,
    );
  });

  it('polls by itself until stopped', async () => {
    const d = device();
    d.start();
    for (let i = 0; i < 50 && adms.of('/iclock/getrequest').length < 3; i++)
      await new Promise((r) => setTimeout(r, 20));
    await d.stop();
    const polls = adms.of('/iclock/getrequest').length;
    expect(polls).toBeGreaterThanOrEqual(3);
    await new Promise((r) => setTimeout(r, 60));
    expect(adms.of('/iclock/getrequest').length).toBe(polls);
  });

  it('formats local times and reads option lines', () => {
    expect(formatLocalTime(new Date('2026-11-20T23:41:02Z'), 'Asia/Shanghai')).toBe('2026-11-21 07:41:02');
    expect(parseOptionLines('GET OPTION FROM: X\nDelay=10\nTransTimes=00:00;14:05\n')).toEqual({
      delay: '10',
      transtimes: '00:00;14:05',
    });
  });
});
