/**
 * The HTTPv2 controller over real HTTP, with the core (devices, ingestion, presence, commands, photos)
 * replaced by in-memory stand-ins that keep the core's contracts, driven by the HTTPv2 simulator.
 */
import 'reflect-metadata';
import { createHash } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import {
  HttpV2Device,
  HttpV2DeviceError,
  httpV2MultipartBody,
  httpV2SampleJpeg,
} from '@realname/device-simulator';
import type { Device } from '../../devices/device';
import { CoreStandIns, serveController } from '../shared/core-stand-ins.spec-support';
import { HttpV2Controller } from './httpv2.controller';

const JPEG = httpV2SampleJpeg(800, 9);

const device: Device = {
  deviceId: 'v2-1',
  projectId: 'P1',
  region: '330106',
  family: 'httpv2',
  serial: 'V2-0001',
  token: 'tok_v2_0123456789abcdef',
  timeZone: 'Asia/Shanghai',
  defaultDirection: 'unknown',
  enabled: true,
  online: true,
};

let fakes: CoreStandIns;
let app: INestApplication;
let base: string;

beforeAll(async () => {
  fakes = new CoreStandIns([device]);
  ({ app, base } = await serveController(HttpV2Controller, '/httpv2', fakes.providers()));
});
afterAll(async () => {
  await app?.close();
});

let records = 1;
function sim(over: Partial<ConstructorParameters<typeof HttpV2Device>[0]> = {}): HttpV2Device {
  // One device, one record counter: each simulator instance continues where the last one stopped.
  records += 1000;
  return new HttpV2Device({
    firstRecordId: records,
    baseUrl: `${base}/httpv2/${device.token}`,
    sn: 'V2-0001',
    retryIntervalMs: 5,
    downloadLimit: 2,
    ...over,
  });
}

describe('keepalive and people', () => {
  it('announces pending work, hands people out in pages with photo and MD5, and completes them by UserID', async () => {
    const ref = fakes.addPhoto(JPEG);
    const a = fakes.enqueue('person.upsert', { personId: '30001', name: '孙七', photoRef: ref });
    const b = fakes.enqueue('person.upsert', { personId: '30002', name: '周八', cardNumber: 'C8' });
    const c = fakes.enqueue('person.upsert', { personId: '30003', name: '吴九' });
    const del = fakes.enqueue('person.delete', { personId: '30003' });
    const d = sim({ clockSkewMs: -30_000 });
    const k = await d.keepalive();
    expect(k).toMatchObject({ AddPeople: 3, DeletePeople: 1 });
    expect(k.reply.json).toMatchObject({ Success: 1, ServerTime: expect.any(Number) });
    expect(fakes.seen.at(-1)).toMatchObject({ via: 'heartbeat', deviceClock: expect.any(Date) });

    expect(await d.syncPeople()).toEqual({ added: 3, deleted: 1, failed: 0 });
    expect(d.persons.get('30001')).toEqual({
      UserID: '30001',
      Name: '孙七',
      photoMd5: createHash('md5').update(JPEG).digest('hex'),
    });
    expect(d.persons.get('30002')).toEqual({ UserID: '30002', Name: '周八', CardNo: 'C8' });
    expect(d.persons.has('30003')).toBe(false);
    expect([a, b, c, del].map((x) => x.status)).toEqual(['succeeded', 'succeeded', 'succeeded', 'succeeded']);
    expect(a.deviceCode).toBe('0');
  });

  it('a refused person goes back to the queue with the device error code', async () => {
    const c = fakes.enqueue('person.upsert', {
      personId: '30004',
      name: 'Z',
      photoRef: fakes.addPhoto(Buffer.from('not a jpeg at all')),
    });
    const d = sim();
    expect(await d.syncPeople()).toEqual({ added: 0, deleted: 0, failed: 1 });
    expect(c).toMatchObject({ status: 'queued', deviceCode: String(HttpV2DeviceError.photoUnreadable) });
    const path = `${base}/httpv2/${device.token}/People/UploadPeopleResult`;
    const res = await fetch(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        SN: 'V2-0001',
        Results: [{ UserID: 'nobody', ErrorCode: 0 }, { ErrorCode: 0 }],
      }),
    });
    expect(await res.json()).toEqual({
      Success: 1,
      Applied: 0,
      Unknown: ['nobody'],
      Skipped: [{ Field: 'Results[1].UserID', Message: expect.any(String) }],
    });
  });

  it('refuses an unknown SN, a wrong token and a malformed body with typed errors', async () => {
    const wrongSn = await sim({ sn: 'V2-9999' }).post('Device/Keepalive', JSON.stringify({ SN: 'V2-9999' }));
    expect(wrongSn).toMatchObject({ status: 401, json: { Success: 0, ErrorCode: 1002 } });
    const wrongToken = new HttpV2Device({ baseUrl: `${base}/httpv2/someone-elses-token-123`, sn: 'V2-0001' });
    expect((await wrongToken.post('Device/Keepalive', JSON.stringify({ SN: 'V2-0001' }))).status).toBe(401);
    const d = sim();
    const noSn = await d.post('Device/Keepalive', JSON.stringify({ DeviceTime: 1763683262 }));
    expect(noSn).toMatchObject({
      status: 400,
      json: { Success: 0, ErrorCode: 1001, Errors: [{ Field: 'SN' }] },
    });
    const badJson = await d.post('People/DownloadPeopleList', '{"SN":"V2-0001","Limit":');
    expect(badJson).toMatchObject({
      status: 400,
      json: { Success: 0, ErrorCode: 1001, Errors: [{ Field: '(body)' }] },
    });
    const badLimit = await d.post('People/DownloadPeopleList', JSON.stringify({ SN: 'V2-0001', Limit: -3 }));
    expect(badLimit).toMatchObject({ status: 400, json: { ErrorMsg: expect.stringMatching(/^Limit: /) } });
  });
});

describe('records', () => {
  it('stores a record once whatever the storm, with RecordID as the key and IsEntry as direction', async () => {
    const d = sim();
    const before = fakes.punches.length;
    const r = d.identify('30001', { at: Date.UTC(2026, 10, 21, 0, 5, 0), isEntry: 0, recordType: 1 });
    const replies = await d.storm(r, 3);
    expect(replies.map((x) => x?.text)).toEqual(['{"Success":1}', '{"Success":1}', '{"Success":1}']);
    expect(fakes.punches.length - before).toBe(1);
    expect(fakes.punches.at(-1)).toMatchObject({
      recordId: String(r.RecordID),
      personId: '30001',
      deviceTime: String(r.RecordDate),
      punchedAt: new Date(r.RecordDate * 1000),
      direction: 'out',
      verifyMode: 'card',
      photo: { bytes: expect.any(Buffer), contentType: 'image/jpeg' },
    });
  });

  it('buffers offline and delivers the complete backlog in order when back', async () => {
    const d = sim();
    d.online = false;
    const ids = Array.from(
      { length: 12 },
      (_, i) => d.identify(`3100${i % 4}`, { at: Date.UTC(2026, 10, 21, 1, i, 0) }).RecordID,
    );
    expect(await d.flush({ maxAttempts: 2 })).toBe(0);
    d.online = true;
    expect(await d.flush()).toBe(12);
    const stored = fakes.punches.filter((p) => p.personId.startsWith('3100')).map((p) => Number(p.recordId));
    expect(stored).toEqual(ids);
  });

  it('keeps strangers as ignored, drops a cut-off photo but keeps the record, and names bad fields', async () => {
    const d = sim();
    const stranger = d.identify('');
    expect(await d.flush()).toBe(1);
    expect(fakes.kept.at(-1)).toMatchObject({
      outcome: 'ignored',
      detail: expect.stringContaining(`record ${stranger.RecordID}`),
    });

    const r = d.identify('30009', { photo: httpV2SampleJpeg(20_000) });
    const { body, contentType } = d.recordBody(r);
    const cut = await d.post(
      'Record/UploadIdentifyRecord',
      body.subarray(0, body.length - 5_000),
      contentType,
    );
    expect(cut.json).toEqual({ Success: 1 });
    expect(fakes.punches.at(-1)).toMatchObject({ recordId: String(r.RecordID), personId: '30009' });
    expect(fakes.punches.at(-1)).not.toHaveProperty('photo');

    const bad = httpV2MultipartBody([
      { name: 'SN', value: 'V2-0001' },
      {
        name: 'RecordDetail',
        value: JSON.stringify({ RecordID: 'x', RecordDate: 'yesterday', UserID: '1' }),
      },
    ]);
    const refused = await d.post('Record/UploadIdentifyRecord', bad.body, bad.contentType);
    expect(refused).toMatchObject({
      status: 400,
      json: { Success: 0, ErrorCode: 1001, Errors: [{ Field: 'RecordDetail.RecordDate' }] },
    });
    const noSn = httpV2MultipartBody([{ name: 'RecordDetail', value: JSON.stringify({ RecordID: 1 }) }]);
    expect(await d.post('Record/UploadIdentifyRecord', noSn.body, noSn.contentType)).toMatchObject({
      status: 400,
      json: { Errors: [{ Field: 'SN' }] },
    });
    expect(fakes.refused.at(-1)).toMatchObject({ outcome: 'malformed' });
  });

  it('retries every interval until the gateway stores the record', async () => {
    const d = sim({ retryIntervalMs: 20 });
    const realIngest = fakes.ingestion.ingest;
    let failures = 2;
    fakes.ingestion.ingest = async (...args) => {
      if (failures-- > 0) throw new Error('database down');
      return realIngest(...args);
    };
    try {
      const r = d.identify('30010');
      expect(await d.flush()).toBe(1);
      expect(d.counters.failedAttempts).toBe(2);
      expect(fakes.punches.at(-1)).toMatchObject({ recordId: String(r.RecordID) });
    } finally {
      fakes.ingestion.ingest = realIngest;
    }
  });
});
