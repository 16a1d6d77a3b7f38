import { createHash } from 'node:crypto';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpV2Device, HttpV2DeviceError, httpV2SampleJpeg } from './httpv2';

/** A stand-in of the gateway's HTTPv2 routes: records requests, answers from a script. */
class FakeV2Gateway {
  readonly requests: { path: string; contentType?: string; body: Buffer }[] = [];
  /** Replies to the next record uploads (then: Success 1). */
  readonly uploadReplies: { status: number; body: unknown }[] = [];
  /** Record ids stored (deduplicated like the gateway). */
  readonly stored = new Set<string>();
  people: Record<string, unknown>[] = [];
  deletes: Record<string, unknown>[] = [];
  readonly results: { route: string; Results: unknown[] }[] = [];
  private server?: Server;

  get url(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}/httpv2/tok`;
  }

  start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const path = (req.url ?? '').replace('/httpv2/tok', '');
        this.requests.push({ path, contentType: req.headers['content-type'], body });
        const send = (status: number, b: unknown) => {
          res.writeHead(status, { 'Content-Type': 'application/json' });
          res.end(JSON.stringify(b));
        };
        const json = () => JSON.parse(body.toString()) as Record<string, unknown>;
        switch (path) {
          case '/Device/Keepalive':
            return send(200, {
              Success: 1,
              AddPeople: this.people.length,
              DeletePeople: this.deletes.length,
            });
          case '/People/DownloadPeopleList':
            return send(200, { Success: 1, PeopleList: this.people.splice(0, Number(json().Limit)) });
          case '/People/DownloadDeleteList':
            return send(200, { Success: 1, DeleteList: this.deletes.splice(0, Number(json().Limit)) });
          case '/People/UploadPeopleResult':
          case '/People/UploadDeleteResult':
            this.results.push({ route: path, Results: json().Results as unknown[] });
            return send(200, { Success: 1 });
          case '/Record/UploadIdentifyRecord': {
            const next = this.uploadReplies.shift();
            if (next) return send(next.status, next.body);
            const detail = /name="RecordDetail"\r\n\r\n([^\r]*)\r\n/.exec(body.toString('latin1'))?.[1];
            this.stored.add(String(JSON.parse(detail ?? '{}').RecordID));
            return send(200, { Success: 1 });
          }
          default:
            return send(404, { Success: 0 });
        }
      });
    });
    return new Promise((r) => this.server!.listen(0, '127.0.0.1', () => r()));
  }

  stop(): Promise<void> {
    return new Promise((r) => {
      this.server?.closeAllConnections();
      this.server?.close(() => r());
    });
  }
}

const T0 = Date.UTC(2026, 10, 21, 0, 0, 0);
let gw: FakeV2Gateway;
let device: HttpV2Device;
const sleeps: number[] = [];

beforeEach(async () => {
  gw = new FakeV2Gateway();
  await gw.start();
  sleeps.length = 0;
  device = new HttpV2Device({
    baseUrl: gw.url,
    sn: 'V2-0001',
    now: () => T0,
    downloadLimit: 2,
    sleep: async (ms) => void sleeps.push(ms),
  });
});
afterEach(async () => {
  await device.stop();
  await gw.stop();
});

describe('HttpV2Device records', () => {
  it('uploads a multipart record with SN, RecordDetail and Photo', async () => {
    const r = device.identify('10001', { isEntry: 0 });
    expect(await device.flush()).toBe(1);
    const req = gw.requests[0];
    expect(req.path).toBe('/Record/UploadIdentifyRecord');
    expect(req.contentType).toMatch(/^multipart\/form-data; boundary=/);
    const text = req.body.toString('latin1');
    expect(text).toContain('name="SN"\r\n\r\nV2-0001\r\n');
    expect(text).toContain(
      `name="RecordDetail"\r\n\r\n${JSON.stringify({ RecordID: 1, RecordType: 0, RecordDate: T0 / 1000, UserID: '10001', IdentityCard: '', IsEntry: 0, BodyTemp: 36.5 })}\r\n`,
    );
    expect(req.body.includes(httpV2SampleJpeg())).toBe(true);
    expect(device.uploaded).toEqual([r]);
    expect(device.pending).toEqual([]);
  });

  it('retries a record every retryIntervalMs until Success 1, in order', async () => {
    device.retryIntervalMs = 25;
    device.identify('10001');
    device.identify('10002');
    gw.uploadReplies.push(
      { status: 503, body: { Success: 0 } },
      { status: 200, body: { Success: 0, ErrorCode: 1003 } },
    );
    expect(await device.flush()).toBe(2);
    expect(sleeps).toEqual([25, 25]);
    expect(device.counters).toMatchObject({ uploads: 4, acknowledged: 2, failedAttempts: 2 });
    expect([...gw.stored]).toEqual(['1', '2']);
  });

  it('buffers while offline and uploads the whole backlog when back', async () => {
    device.online = false;
    for (let i = 0; i < 5; i++) device.identify(`p${i}`, { at: T0 + i * 1000 });
    expect(await device.flush({ maxAttempts: 3 })).toBe(0);
    expect(device.pending).toHaveLength(5);
    expect(gw.requests).toHaveLength(0);
    device.online = true;
    expect(await device.flush()).toBe(5);
    expect([...gw.stored]).toEqual(['1', '2', '3', '4', '5']);
  });

  it('storms a record and uses its skewed clock', async () => {
    device.clockSkewMs = 3_600_000;
    const r = device.identify('10001');
    expect(r.RecordDate).toBe(T0 / 1000 + 3600);
    await device.storm(r, 3);
    expect(gw.requests.filter((q) => q.path === '/Record/UploadIdentifyRecord')).toHaveLength(3);
    expect(gw.stored.size).toBe(1);
  });
});

describe('HttpV2Device people', () => {
  const jpeg = httpV2SampleJpeg(500, 3);
  const md5 = createHash('md5').update(jpeg).digest('hex');

  it('downloads people in pages, checks PhotoMD5 and reports per-person codes; then deletions', async () => {
    gw.people = [
      { UserID: '1', Name: 'A', Photo: jpeg.toString('base64'), PhotoMD5: md5 },
      { UserID: '2', Name: 'B', Photo: jpeg.toString('base64'), PhotoMD5: '0'.repeat(32) },
      { UserID: '3', Name: 'C', Photo: '', PhotoMD5: '', CardNo: 'C3' },
      { UserID: '4', Name: 'D', Photo: Buffer.from('not an image').toString('base64'), PhotoMD5: '' },
      { UserID: '', Name: 'E' },
    ];
    gw.deletes = [{ UserID: '3' }, { UserID: '99' }];
    expect(await device.syncPeople()).toEqual({ added: 2, deleted: 2, failed: 3 });
    expect([...device.persons.keys()]).toEqual(['1']);
    expect(device.persons.get('1')).toEqual({ UserID: '1', Name: 'A', photoMd5: md5 });
    expect(gw.results).toEqual([
      {
        route: '/People/UploadPeopleResult',
        Results: [
          { UserID: '1', ErrorCode: 0 },
          { UserID: '2', ErrorCode: HttpV2DeviceError.photoChecksum },
        ],
      },
      {
        route: '/People/UploadPeopleResult',
        Results: [
          { UserID: '3', ErrorCode: 0 },
          { UserID: '4', ErrorCode: HttpV2DeviceError.photoUnreadable },
        ],
      },
      {
        route: '/People/UploadPeopleResult',
        Results: [{ UserID: '', ErrorCode: HttpV2DeviceError.badPerson }],
      },
      {
        route: '/People/UploadDeleteResult',
        Results: [
          { UserID: '3', ErrorCode: 0 },
          { UserID: '99', ErrorCode: 0 },
        ],
      },
    ]);
    const keepalive = JSON.parse(gw.requests[0].body.toString());
    expect(keepalive).toEqual({ SN: 'V2-0001', DeviceTime: T0 / 1000, PersonCount: 0, PendingRecords: 0 });
  });

  it('the loop keeps people in sync and flushes records until stopped', async () => {
    const real = new HttpV2Device({ baseUrl: gw.url, sn: 'V2-0001', retryIntervalMs: 10 });
    gw.people = [{ UserID: '7', Name: 'G', Photo: '', PhotoMD5: '' }];
    real.identify('7');
    real.start(10);
    for (let i = 0; i < 200 && (real.pending.length > 0 || !real.persons.has('7')); i++)
      await new Promise((r) => setTimeout(r, 10));
    await real.stop();
    expect(real.persons.has('7')).toBe(true);
    expect(real.pending).toHaveLength(0);
  });
});
