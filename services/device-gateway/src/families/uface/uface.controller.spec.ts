/**
 * The Uface controller over real HTTP, with the core (devices, ingestion, presence, commands, photos)
 * replaced by in-memory stand-ins that keep the core's contracts, driven by the Uface simulator.
 */
import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { SERVICE_CONFIG } from '@realname/platform';
import { UfaceDevice } from '@realname/device-simulator';
import type { Device } from '../../devices/device';
import { CoreStandIns, serveController } from '../shared/core-stand-ins.spec-support';
import { UfaceController } from './uface.controller';

const JPEG = Buffer.concat([
  Buffer.from([0xff, 0xd8, 0xff, 0xe0]),
  Buffer.alloc(300, 5),
  Buffer.from([0xff, 0xd9]),
]);

const device: Device = {
  deviceId: 'uf-1',
  projectId: 'P1',
  region: '330106',
  family: 'uface',
  serial: 'UF0001',
  token: 'tok_0123456789abcdef',
  timeZone: 'Asia/Shanghai',
  defaultDirection: 'in',
  enabled: true,
  online: true,
};

let fakes: CoreStandIns;
let app: INestApplication;
let base: string;

beforeAll(async () => {
  fakes = new CoreStandIns([device]);
  ({ app, base } = await serveController(UfaceController, '/uface', [
    ...fakes.providers(),
    { provide: SERVICE_CONFIG, useValue: { COMMAND_ACK_TIMEOUT_S: 120 } },
  ]));
});
afterAll(async () => {
  await app?.close();
});

function sim(over: Partial<ConstructorParameters<typeof UfaceDevice>[0]> = {}): UfaceDevice {
  return new UfaceDevice({
    gatewayUrl: `${base}/uface/v1/${device.deviceId}/${device.token}`,
    deviceKey: 'UF0001',
    ...over,
  });
}

async function post(path: string, body: string, type = 'application/json') {
  const res = await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': type }, body });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

describe('recognition callback', () => {
  it('answers its own busy reply (503), not a generic error, while the database is away', async () => {
    fakes.databaseAway = true;
    try {
      const before = fakes.punches.length;
      const res = await fetch(`${base}/uface/v1/${device.deviceId}/${device.token}/recognition`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          deviceKey: 'UF0001',
          personId: '10001',
          time: String(Date.now()),
          type: 'face_0',
        }),
      });
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('5');
      expect(await res.json()).toMatchObject({ result: 0, success: false });
      expect(fakes.punches.length).toBe(before);
    } finally {
      fakes.databaseAway = false;
    }
  });

  it('turns a face_0 callback into one punch and answers exactly {"result":1,"success":true}', async () => {
    const d = sim({ photo: JPEG });
    const at = Date.UTC(2026, 10, 21, 0, 1, 2);
    const { delivered, reply } = await d.recognise('10001', { at });
    expect(delivered).toBe(true);
    expect(reply?.text).toBe('{"result":1,"success":true}');
    expect(fakes.punches.at(-1)).toMatchObject({
      personId: '10001',
      deviceTime: String(at),
      punchedAt: new Date(at),
      verifyMode: 'face',
      photo: { bytes: JPEG, contentType: 'image/jpeg' },
    });
    expect(fakes.punches.at(-1)).not.toHaveProperty('recordId');
    expect(fakes.seen.at(-1)).toEqual({ via: 'upload' });
  });

  it('stores a storm of the same form callback once', async () => {
    const d = sim({ callbackFormat: 'form' });
    const before = fakes.punches.length;
    const { record } = await d.recognise('10002', { at: Date.UTC(2026, 10, 21, 0, 2, 0) });
    const replies = await d.storm(record, 3);
    expect(replies.every((r) => r?.status === 200)).toBe(true);
    expect(fakes.punches.length - before).toBe(1);
  });

  it('keeps strangers and face_1 as ignored evidence, not punches', async () => {
    const d = sim();
    const before = fakes.punches.length;
    await d.recognise('STRANGERBABY', { type: 'face_2' });
    await d.recognise('10001', { type: 'face_1' });
    expect(fakes.punches.length).toBe(before);
    expect(fakes.kept.slice(-2).map((k) => k.outcome)).toEqual(['ignored', 'ignored']);
  });

  it('refuses a wrong token, an unknown device and a foreign deviceKey', async () => {
    const body = JSON.stringify({
      deviceKey: 'UF0001',
      personId: '1',
      time: '1763683262000',
      type: 'face_0',
    });
    const wrongToken = await post(`/uface/v1/uf-1/not-the-token-at-all/recognition`, body);
    expect(wrongToken).toEqual({
      status: 401,
      json: { result: 0, success: false, msg: 'unknown device or wrong token' },
    });
    expect((await post(`/uface/v1/nope/${device.token}/recognition`, body)).status).toBe(401);
    const foreign = await post(
      `/uface/v1/uf-1/${device.token}/recognition`,
      body.replace('UF0001', 'UF9999'),
    );
    expect(foreign).toMatchObject({
      status: 401,
      json: { result: 0, msg: expect.stringMatching(/^deviceKey: /) },
    });
    expect(fakes.refused.slice(-3).map((r) => r.outcome)).toEqual([
      'unauthenticated',
      'unauthenticated',
      'unauthenticated',
    ]);
  });

  it('refuses malformed and truncated callbacks naming the field', async () => {
    const d = sim();
    const noTime = await d.sendRaw(
      'recognition',
      JSON.stringify({ deviceKey: 'UF0001', personId: '1', type: 'face_0' }),
      'application/json',
    );
    expect(noTime).toMatchObject({
      status: 400,
      json: { result: 0, success: false, msg: expect.stringMatching(/^time: /) },
    });
    const cut = await d.sendRaw(
      'recognition',
      '{"deviceKey":"UF0001","personId":"1","ti',
      'application/json',
    );
    expect(cut).toMatchObject({
      status: 400,
      json: { result: 0, msg: expect.stringMatching(/^\(body\): /) },
    });
    const badTime = await d.sendRaw(
      'recognition',
      'deviceKey=UF0001&personId=1&type=face_0&time=tomorrow',
      'application/x-www-form-urlencoded',
    );
    expect(badTime).toMatchObject({ status: 400, json: { msg: expect.stringMatching(/^time: /) } });
    expect(fakes.refused.at(-1)).toMatchObject({ deviceId: 'uf-1', outcome: 'malformed' });
  });
});

describe('heartbeat and task pull', () => {
  it('delivers upserts (person, then face by URL) and deletes; the commands succeed', async () => {
    const ref = fakes.addPhoto(JPEG);
    const withFace = fakes.enqueue('person.upsert', { personId: '20001', name: '王五', photoRef: ref });
    const noFace = fakes.enqueue('person.upsert', { personId: '20002', name: '赵六', cardNumber: 'C2' });
    const del = fakes.enqueue('person.delete', { personId: '20002' });
    const d = sim({ clockSkewMs: 45_000 });
    const hb = await d.heartbeat();
    expect(hb.data).toMatchObject({ taskPending: true, taskCount: 3 });
    expect(fakes.seen.at(-1)?.deviceClock).toBeInstanceOf(Date);

    expect(await d.syncOnce()).toBe(4);
    expect(d.taskLog.map((t) => [t.task.taskNo, t.task.interfaceName, t.outcome.success])).toEqual([
      [withFace.seq, 'person/create', true],
      [withFace.seq, 'face/createByUrl', true],
      [noFace.seq, 'person/create', true],
      [del.seq, 'person/delete', true],
    ]);
    const faceTask = d.taskLog[1].task as { imgUrl: string };
    expect(faceTask.imgUrl).toBe(`${base}/uface/v1/uf-1/${device.token}/photos/${ref.slice(7)}`);
    expect(d.persons.get('20001')?.faces).toHaveLength(1);
    expect(d.persons.has('20002')).toBe(false);
    expect([withFace, noFace, del].map((c) => c.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    expect((await d.heartbeat()).data).toMatchObject({ taskPending: false, taskCount: 0 });
  });

  it('a failed face step sends the command back with the device code; the next round succeeds', async () => {
    const missing = 'sha256:' + 'e'.repeat(64);
    const c = fakes.enqueue('person.upsert', { personId: '20003', name: 'X', photoRef: missing });
    const d = sim();
    await d.syncOnce();
    expect(c).toMatchObject({ status: 'queued', deviceCode: 'IMG_DOWNLOAD_FAILED', attempts: 1 });
    expect(await d.syncOnce()).toBe(0); // not due yet
    fakes.photos.set('e'.repeat(64), { bytes: JPEG, contentType: 'image/jpeg' });
    fakes.notBefore.delete(c.seq);
    await d.syncOnce();
    expect(c).toMatchObject({ status: 'succeeded', attempts: 2 });
  });

  it('treats a result without interfaceName by the remembered step, and a result for nothing outstanding as kept', async () => {
    const ref = fakes.addPhoto(Buffer.concat([JPEG, Buffer.from([1])]));
    const c = fakes.enqueue('person.upsert', { personId: '20004', name: 'Y', photoRef: ref });
    const path = `/uface/v1/uf-1/${device.token}`;
    const task = await post(`${path}/task`, JSON.stringify({ deviceKey: 'UF0001' }));
    expect(task.json.data).toMatchObject({ taskNo: c.seq, interfaceName: 'person/create' });
    const r1 = await post(
      `${path}/task/result`,
      `deviceKey=UF0001&taskNo=${c.seq}&result=1`,
      'application/x-www-form-urlencoded',
    );
    expect(r1.json).toEqual({ result: 1, success: true });
    expect(c.status).toBe('sent');
    const face = await post(`${path}/task`, JSON.stringify({ deviceKey: 'UF0001' }));
    expect(face.json.data).toMatchObject({
      taskNo: c.seq,
      interfaceName: 'face/createByUrl',
      personId: '20004',
    });
    await post(`${path}/task/result`, JSON.stringify({ deviceKey: 'UF0001', taskNo: c.seq, success: true }));
    expect(c.status).toBe('succeeded');
    const late = await post(
      `${path}/task/result`,
      JSON.stringify({ deviceKey: 'UF0001', taskNo: 999999, success: true }),
    );
    expect(late.json).toEqual({ result: 1, success: true });
    expect(fakes.kept.at(-1)?.detail).toContain('not outstanding');
    const empty = await post(`${path}/task`, JSON.stringify({ deviceKey: 'UF0001' }));
    expect(empty.json).toEqual({ result: 1, success: true, data: null });
    const bad = await post(
      `${path}/task/result`,
      JSON.stringify({ deviceKey: 'UF0001', taskNo: 'x', success: 'yes' }),
    );
    expect(bad).toMatchObject({ status: 400, json: { result: 0, msg: expect.stringContaining('taskNo: ') } });
  });

  it('serves photos only under the device token', async () => {
    const ref = fakes.addPhoto(JPEG);
    const ok = await fetch(`${base}/uface/v1/uf-1/${device.token}/photos/${ref.slice(7)}`);
    expect(ok.status).toBe(200);
    expect(Buffer.from(await ok.arrayBuffer())).toEqual(JPEG);
    expect((await fetch(`${base}/uface/v1/uf-1/wrong-token-xxxxxxxx/photos/${ref.slice(7)}`)).status).toBe(
      401,
    );
    expect((await fetch(`${base}/uface/v1/uf-1/${device.token}/photos/${'0'.repeat(64)}`)).status).toBe(404);
  });
});
