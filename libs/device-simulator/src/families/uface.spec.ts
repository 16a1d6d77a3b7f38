import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { formatLocalTime } from '@realname/contracts';
import { UfaceDevice } from './uface';

/** A stand-in of the gateway's Uface routes: records requests, answers from a script. */
class FakeUfaceGateway {
  readonly requests: { path: string; contentType?: string; body: Buffer }[] = [];
  /** Status and body of the next replies to /recognition (then: success). */
  readonly callbackReplies: { status: number; body: unknown }[] = [];
  tasks: unknown[] = [];
  readonly results: Record<string, unknown>[] = [];
  photo = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 0xff, 0xd9]);
  private server?: Server;

  get url(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}/uface/v1/uf-1/tok`;
  }

  start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const path = (req.url ?? '').replace('/uface/v1/uf-1/tok', '');
        this.requests.push({ path, contentType: req.headers['content-type'], body });
        const send = (status: number, b: unknown, type = 'application/json') => {
          res.writeHead(status, { 'Content-Type': type });
          res.end(Buffer.isBuffer(b) ? b : JSON.stringify(b));
        };
        if (path === '/recognition') {
          const next = this.callbackReplies.shift();
          return next ? send(next.status, next.body) : send(200, { result: 1, success: true });
        }
        if (path === '/heartbeat')
          return send(200, {
            result: 1,
            success: true,
            data: { taskPending: this.tasks.length > 0, taskCount: this.tasks.length },
          });
        if (path === '/task')
          return send(200, { result: 1, success: true, data: this.tasks.shift() ?? null });
        if (path === '/task/result') {
          this.results.push(JSON.parse(body.toString()));
          return send(200, { result: 1, success: true });
        }
        if (path === '/photos/abc') return send(200, this.photo, 'image/jpeg');
        return send(404, { result: 0, success: false, msg: 'no route' });
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

const T0 = Date.UTC(2026, 10, 21, 0, 0, 0); // 2026-11-21 08:00:00 Asia/Shanghai

let gw: FakeUfaceGateway;
let device: UfaceDevice;

beforeEach(async () => {
  gw = new FakeUfaceGateway();
  await gw.start();
  device = new UfaceDevice({ gatewayUrl: gw.url, deviceKey: 'UF0001', pass: 'p4ss', now: () => T0 });
});
afterEach(async () => {
  await device.stop();
  await device.close();
  await gw.stop();
});

async function api(path: string, fields: Record<string, string>, as: 'form' | 'multipart' = 'form') {
  let body: Buffer | FormData;
  const headers: Record<string, string> = {};
  if (as === 'form') {
    body = Buffer.from(new URLSearchParams(fields).toString());
    headers['Content-Type'] = 'application/x-www-form-urlencoded';
  } else {
    body = new FormData();
    for (const [k, v] of Object.entries(fields)) body.append(k, v);
  }
  const res = await fetch(device.apiUrl + path, { method: 'POST', headers, body });
  return (await res.json()) as {
    result: number;
    success: boolean;
    msg?: string;
    data: {
      pageInfo: { index: number; length: number; size: number; total: number };
      records: { id: number; personId: string; time: number; type: string; path: string }[];
    };
  };
}

describe('UfaceDevice callbacks', () => {
  it('sends a JSON recognition callback with the firmware fields and marks it delivered', async () => {
    const { record, delivered } = await device.recognise('10001');
    expect(delivered).toBe(true);
    const sent = JSON.parse(gw.requests[0].body.toString());
    expect(gw.requests[0]).toMatchObject({ path: '/recognition', contentType: 'application/json' });
    expect(sent).toMatchObject({ deviceKey: 'UF0001', personId: '10001', time: String(T0), type: 'face_0' });
    expect(record).toMatchObject({ id: 1, time: T0, delivered: true });
  });

  it('sends form callbacks with an inline photo that survives form encoding', async () => {
    const photo = Buffer.from([0xff, 0xd8, 0xff, 0xfb, 0xef, 0xbe, 0xff, 0xd9]);
    const d = new UfaceDevice({ gatewayUrl: gw.url, deviceKey: 'UF0001', callbackFormat: 'form', photo });
    await d.recognise('10002');
    const fields = new URLSearchParams(gw.requests[0].body.toString());
    expect(fields.get('personId')).toBe('10002');
    expect(Buffer.from(fields.get('base64')!, 'base64')).toEqual(photo);
  });

  it('does not retry a lost or refused callback: the record stays undelivered on the device', async () => {
    await device.recognise('10001', { lose: true });
    gw.callbackReplies.push({ status: 503, body: { result: 0, success: false, msg: 'busy' } });
    await device.recognise('10002');
    device.online = false;
    await device.recognise('10003');
    expect(gw.requests).toHaveLength(1);
    expect(device.undeliveredRecords().map((r) => r.personId)).toEqual(['10001', '10002', '10003']);
    expect(device.counters.undelivered).toBe(3);
    device.online = true;
    expect(await device.resendUndelivered()).toBe(3);
    expect(device.undeliveredRecords()).toEqual([]);
  });

  it('loses callbacks at the configured rate and storms on demand', async () => {
    let i = 0;
    const lossy = new UfaceDevice({
      gatewayUrl: gw.url,
      deviceKey: 'UF0001',
      lossRate: 0.5,
      random: () => (i++ % 2 ? 0.9 : 0.1),
    });
    for (let n = 0; n < 4; n++) await lossy.recognise(`p${n}`);
    expect(lossy.undeliveredRecords().map((r) => r.personId)).toEqual(['p0', 'p2']);
    const { record } = await device.recognise('10001');
    const before = gw.requests.length;
    await device.storm(record, 3);
    expect(gw.requests.length - before).toBe(3);
  });

  it('keeps its skewed clock in callbacks and heartbeats', async () => {
    device.clockSkewMs = -90_000;
    await device.recognise('10001');
    expect(JSON.parse(gw.requests[0].body.toString()).time).toBe(String(T0 - 90_000));
    await device.heartbeat();
    expect(JSON.parse(gw.requests[1].body.toString())).toMatchObject({
      deviceKey: 'UF0001',
      time: String(T0 - 90_000),
    });
  });
});

describe('UfaceDevice task pull', () => {
  it('runs person/create, face/createByUrl and person/delete tasks and reports each', async () => {
    gw.tasks = [
      { taskNo: 5, interfaceName: 'person/create', person: { id: '10001', name: '张三', facePermission: 2 } },
      {
        taskNo: 5,
        interfaceName: 'face/createByUrl',
        personId: '10001',
        faceId: '10001_abc',
        imgUrl: gw.url + '/photos/abc',
      },
      { taskNo: 6, interfaceName: 'person/create', person: { id: '10002', name: '李四' } },
      { taskNo: 7, interfaceName: 'person/delete', id: '10002' },
      { taskNo: 8, interfaceName: 'face/createByUrl', personId: 'nobody', imgUrl: gw.url + '/photos/abc' },
      { taskNo: 9, interfaceName: 'face/createByUrl', personId: '10001', imgUrl: gw.url + '/photos/missing' },
    ];
    expect(await device.syncOnce()).toBe(6);
    expect([...device.persons.keys()]).toEqual(['10001']);
    expect(device.persons.get('10001')!.faces).toEqual([
      { faceId: '10001_abc', md5: expect.any(String), bytes: gw.photo.length },
    ]);
    expect(gw.results.map((r) => [r.taskNo, r.interfaceName, r.success, r.code])).toEqual([
      [5, 'person/create', true, undefined],
      [5, 'face/createByUrl', true, undefined],
      [6, 'person/create', true, undefined],
      [7, 'person/delete', true, undefined],
      [8, 'face/createByUrl', false, 'PERSON_NOT_FOUND'],
      [9, 'face/createByUrl', false, 'IMG_DOWNLOAD_FAILED'],
    ]);
    expect(gw.results[0]).toMatchObject({ deviceKey: 'UF0001', result: 1 });
  });

  it('does not pull when the heartbeat says nothing is pending; the loop runs until stopped', async () => {
    expect(await device.syncOnce()).toBe(0);
    expect(gw.requests.map((r) => r.path)).toEqual(['/heartbeat']);
    gw.tasks = [{ taskNo: 1, interfaceName: 'person/create', person: { id: 'a', name: 'A' } }];
    device.start(10);
    for (let i = 0; i < 100 && device.persons.size === 0; i++) await new Promise((r) => setTimeout(r, 10));
    await device.stop();
    expect(device.persons.has('a')).toBe(true);
  });
});

describe('UfaceDevice device API', () => {
  beforeEach(async () => {
    await device.listen();
  });

  it('checks the password and manages persons and faces', async () => {
    expect(await api('/person/create', { pass: 'wrong', person: '{"id":"1","name":"A"}' })).toMatchObject({
      result: 0,
      success: false,
    });
    expect(
      await api('/person/create', { pass: 'p4ss', person: '{"id":"1","name":"A","idcardNum":"C1"}' }),
    ).toMatchObject({ result: 1 });
    expect(await api('/person/create', { pass: 'p4ss', person: '{"id":"1","name":"A"}' })).toMatchObject({
      result: 0,
      msg: expect.stringContaining('exists'),
    });
    expect(await api('/person/create', { pass: 'p4ss', person: 'nope' })).toMatchObject({
      result: 0,
      msg: expect.stringContaining('person'),
    });
    const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 9, 9, 0xff, 0xd9]);
    expect(
      await api(
        '/face/create',
        { pass: 'p4ss', personId: '1', imgBase64: jpeg.toString('base64') },
        'multipart',
      ),
    ).toMatchObject({ result: 1 });
    expect(await api('/face/create', { pass: 'p4ss', personId: '1', imgBase64: 'aGVsbG8=' })).toMatchObject({
      result: 0,
    });
    expect(
      await api('/face/createByUrl', { pass: 'p4ss', personId: '1', imgUrl: gw.url + '/photos/abc' }),
    ).toMatchObject({ result: 1 });
    expect(device.persons.get('1')!.faces).toHaveLength(2);
    expect(await api('/person/delete', { pass: 'p4ss', id: '1' })).toMatchObject({ result: 1 });
    expect(device.persons.size).toBe(0);
  });

  it('sets its clock', async () => {
    expect(await api('/setTime', { pass: 'p4ss', timestamp: String(T0 + 5000) })).toMatchObject({
      result: 1,
    });
    expect(device.deviceNow()).toBe(T0 + 5000);
    expect(await api('/setTime', { pass: 'p4ss', timestamp: 'x' })).toMatchObject({
      result: 0,
      msg: expect.stringContaining('timestamp'),
    });
  });

  it('finds records by person, device-local time range and page', async () => {
    device.online = false; // callbacks lost: the records are only on the device
    for (let i = 0; i < 25; i++) await device.recognise(i % 2 ? '10002' : '10001', { at: T0 + i * 60_000 });
    await device.recognise('STRANGERBABY', { at: T0, type: 'face_2' });
    const all = await api('/findRecords', {
      pass: 'p4ss',
      personId: '-1',
      startTime: '0',
      endTime: '0',
      length: '-1',
      index: '0',
    });
    expect(all.data.pageInfo).toEqual({ index: 0, length: -1, size: 1, total: 26 });
    const local = formatLocalTime(new Date(T0 + 10 * 60_000), 'Asia/Shanghai');
    expect(local).toBe('2026-11-21 08:10:00');
    const range = await api('/findRecords', {
      pass: 'p4ss',
      personId: '-1',
      startTime: '2026-11-21 08:10:00',
      endTime: '2026-11-21 08:19:00',
      length: '4',
      index: '2',
    });
    expect(range.data.pageInfo).toEqual({ index: 2, length: 4, size: 3, total: 10 });
    expect(range.data.records.map((r: { time: number }) => (r.time - T0) / 60_000)).toEqual([18, 19]);
    expect(range.data.records[0]).toEqual({
      id: 19,
      personId: '10001',
      time: T0 + 18 * 60_000,
      type: 'face_0',
      path: expect.any(String),
    });
    const one = await api('/findRecords', {
      pass: 'p4ss',
      personId: '10002',
      startTime: '0',
      endTime: '0',
      length: '100',
      index: '0',
    });
    expect(one.data.pageInfo.total).toBe(12);
    expect(
      await api('/findRecords', {
        pass: 'p4ss',
        personId: '-1',
        startTime: '21/11/2026',
        endTime: '0',
        length: '1',
        index: '0',
      }),
    ).toMatchObject({
      result: 0,
      msg: expect.stringContaining('startTime'),
    });
    expect(
      await api('/findRecords', { pass: 'p4ss', personId: '-1', length: '0', index: '0' }),
    ).toMatchObject({ result: 0, msg: expect.stringContaining('length') });
  });
});
