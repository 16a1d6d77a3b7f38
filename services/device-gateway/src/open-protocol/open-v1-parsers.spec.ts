import { createHash } from 'node:crypto';
import {
  completionOf,
  parseClaim,
  parseCommandResults,
  photoSha256,
  renderCommand,
  resultStatus,
} from './commands';
import { heartbeatReply, parseHeartbeat } from './heartbeat';
import { decodePhoto, parsePunchBatch } from './punch-batch';
import { fieldName, parseJsonBody, parseOffsetTime } from './wire';

const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(200, 7)]);
const UUID = '019aa3c1-7d2e-7c3a-9f1e-2b3c4d5e6f70';
const punch = { recordId: '1', personId: '1001', time: '2026-11-21 08:00:00' };

describe('open-v1 body bytes', () => {
  it('parses JSON and names the body for everything else', () => {
    expect(parseJsonBody(Buffer.from('{"a":1}'))).toEqual({ ok: true, value: { a: 1 } });
    for (const bad of [
      Buffer.alloc(0),
      Buffer.from('{"punches": ['),
      Buffer.from([0xc3, 0x28]),
      Buffer.from('\ufeff{}'),
    ]) {
      const r = parseJsonBody(bad);
      expect(r.ok).toBe(false);
      expect(!r.ok && r.problems.map((p) => p.field)).toEqual(['(body)']);
    }
  });

  it('names fields the way the document does', () => {
    expect(fieldName(['punches', 3, 'time'])).toBe('punches[3].time');
    expect(fieldName(['results', 0])).toBe('results[0]');
    expect(fieldName([])).toBe('(body)');
    // A key the device made up is quoted, so that the name stays unambiguous.
    expect(fieldName(['punches', 0, 'temp (C)'])).toBe('punches[0]["temp (C)"]');
    expect(fieldName(['[0]'])).toBe('["[0]"]');
    expect(fieldName(['体温'])).toBe('["\\u4f53\\u6e29"]');
  });

  it('reads RFC 3339 with an offset and checks the calendar', () => {
    expect(parseOffsetTime('2026-11-21T07:41:02+08:00')?.toISOString()).toBe('2026-11-20T23:41:02.000Z');
    expect(parseOffsetTime('2026-11-21T07:41:02.5Z')?.toISOString()).toBe('2026-11-21T07:41:02.500Z');
    expect(parseOffsetTime('2026-11-21T07:41:02-03:30')?.toISOString()).toBe('2026-11-21T11:11:02.000Z');
    for (const bad of [
      '2026-11-21 07:41:02',
      '2026-11-21T07:41:02',
      '2026-02-31T00:00:00Z',
      '2026-11-21T24:00:00Z',
      '2026-11-21T07:41:02+24:00',
      '1763683262',
    ])
      expect(parseOffsetTime(bad)).toBeUndefined();
  });
});

describe('open-v1 punches with photos and backfill', () => {
  it('decodes a base64 JPEG and passes the backfill id on', () => {
    const r = parsePunchBatch(
      {
        punches: [
          { ...punch, photo: JPEG.toString('base64') },
          { ...punch, recordId: '2' },
        ],
        backfillId: UUID,
      },
      'Asia/Shanghai',
      500,
      { maxPhotoBytes: 1000 },
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.backfillId).toBe(UUID);
    expect(r.punches[0].photo).toEqual({ bytes: JPEG, contentType: 'image/jpeg' });
    expect(r.punches[1].photo).toBeUndefined();
    expect('photo' in r.punches[1]).toBe(false);
  });

  it('refuses the whole batch for an oversized photo and names it', () => {
    const r = parsePunchBatch(
      { punches: [punch, { ...punch, recordId: '2', photo: JPEG.toString('base64') }] },
      'Asia/Shanghai',
      500,
      { maxPhotoBytes: 100 },
    );
    expect(r).toMatchObject({ ok: false, problems: [{ field: 'punches[1].photo' }] });
    expect(!r.ok && r.problems[0].message).toMatch(/204 bytes.*at most 100 bytes/);
    expect('punches' in r).toBe(false);
  });

  it('refuses photos that are not base64 JPEGs', () => {
    expect(decodePhoto('', 1000)).toMatch(/empty/);
    expect(decodePhoto('data:image/jpeg;base64,/9j/', 1000)).toMatch(/base64/);
    expect(decodePhoto('/9j/4A==\n', 1000)).toMatch(/base64/);
    expect(decodePhoto(Buffer.from('GIF89a....').toString('base64'), 1000)).toMatch(/not a JPEG/);
    expect(decodePhoto(JPEG.toString('base64'), 1000)).toEqual({ bytes: JPEG, contentType: 'image/jpeg' });
  });

  it('names an unknown field itself, and a bad backfill id', () => {
    const r = parsePunchBatch(
      { punches: [{ ...punch, temprature: 36.6 }], backfillId: 'not ok!' },
      'UTC',
      10,
    );
    expect(!r.ok && r.problems.map((p) => p.field).sort()).toEqual(['backfillId', 'punches[0].temprature']);
  });
});

describe('open-v1 heartbeat', () => {
  it('takes the device clock and status', () => {
    const r = parseHeartbeat({
      deviceTime: '2026-11-21T07:41:02+08:00',
      firmware: 'fw-2.4.1',
      personCount: 120,
      storedRecords: 0,
    });
    expect(r).toMatchObject({
      ok: true,
      value: { firmware: 'fw-2.4.1', personCount: 120, storedRecords: 0 },
    });
    expect(r.ok && r.value.deviceClock.toISOString()).toBe('2026-11-20T23:41:02.000Z');
  });

  it('refuses a local time, negative counts and unknown fields, naming each', () => {
    expect(parseHeartbeat({ deviceTime: '2026-11-21 07:41:02' })).toMatchObject({
      ok: false,
      problems: [{ field: 'deviceTime' }],
    });
    const r = parseHeartbeat({ deviceTime: 1763683262, personCount: -1, storedRecords: 1.5, ip: '10.0.0.9' });
    expect(!r.ok && r.problems.map((p) => p.field).sort()).toEqual([
      'deviceTime',
      'ip',
      'personCount',
      'storedRecords',
    ]);
    expect(parseHeartbeat(null)).toMatchObject({ ok: false, problems: [{ field: '(body)' }] });
  });

  it('answers with the pending work of open-v1 kinds only', () => {
    const reply = heartbeatReply(
      { 'person.upsert': 3, 'person.delete': 1, 'records.query': 0, 'records.verify': 5 },
      new Date('2026-11-21T00:00:00Z'),
      30,
    );
    expect(reply).toEqual({
      serverTime: '2026-11-21T00:00:00.000Z',
      pending: { personUpserts: 3, personDeletes: 1, recordQueries: 0 },
      pollAfterS: 30,
    });
  });
});

describe('open-v1 commands', () => {
  it('claims a default or given number, within the limit', () => {
    expect(parseClaim({})).toEqual({ ok: true, value: { limit: 10 } });
    expect(parseClaim({ limit: 50 })).toEqual({ ok: true, value: { limit: 50 } });
    expect(parseClaim({ limit: 51 })).toMatchObject({ ok: false, problems: [{ field: 'limit' }] });
    expect(parseClaim({ limit: '5' })).toMatchObject({ ok: false, problems: [{ field: 'limit' }] });
    expect(parseClaim([])).toMatchObject({ ok: false, problems: [{ field: '(body)' }] });
  });

  it('takes results, requires a code for a failure and one result per command', () => {
    const ok = parseCommandResults({
      results: [
        { commandId: UUID, ok: true, count: 12 },
        { commandId: UUID.replace('70', '71'), ok: false, code: 'photo-unusable', message: 'no face' },
      ],
    });
    expect(ok).toMatchObject({ ok: true });
    expect(ok.ok && completionOf(ok.value[0])).toEqual({ ok: true, result: { count: 12 } });
    expect(ok.ok && completionOf(ok.value[1])).toEqual({
      ok: false,
      code: 'photo-unusable',
      detail: 'no face',
    });

    const bad = parseCommandResults({
      results: [
        { commandId: UUID, ok: false },
        { commandId: UUID.toUpperCase(), ok: true },
        { commandId: 'C:12', ok: true },
      ],
    });
    expect(!bad.ok && bad.problems.map((p) => p.field)).toEqual(['results[2].commandId']);
    const second = parseCommandResults({
      results: [
        { commandId: UUID, ok: false },
        { commandId: UUID.toUpperCase(), ok: true },
      ],
    });
    expect(!second.ok && second.problems.map((p) => p.field)).toEqual([
      'results[0].code',
      'results[1].commandId',
    ]);
    expect(parseCommandResults({ results: [] })).toMatchObject({
      ok: false,
      problems: [{ field: 'results' }],
    });
  });

  it('tells the device what became of each result', () => {
    expect(resultStatus(UUID, { status: 'succeeded' })).toEqual({
      commandId: UUID,
      status: 'recorded',
      commandStatus: 'succeeded',
    });
    expect(resultStatus(UUID, { status: 'queued' })).toMatchObject({ commandStatus: 'queued' });
    expect(resultStatus(UUID, undefined)).toEqual({ commandId: UUID, status: 'unknown' });
  });

  it('renders person and record commands, with photo URLs under the gateway', () => {
    const sha = createHash('sha256').update(JPEG).digest('hex');
    expect(photoSha256(`sha256:${sha}`)).toBe(sha);
    expect(photoSha256('md5:abc')).toBeUndefined();
    const upsert = renderCommand({
      commandId: UUID,
      kind: 'person.upsert',
      payload: { personId: '10001', name: 'Wang Fang', cardNumber: '0012345678', photoRef: `sha256:${sha}` },
    });
    expect(upsert).toEqual({
      ok: true,
      command: {
        commandId: UUID,
        kind: 'person.upsert',
        person: {
          personId: '10001',
          name: 'Wang Fang',
          cardNumber: '0012345678',
          photoUrl: `/open/v1/photos/${sha}`,
          photoSha256: sha,
        },
      },
    });
    const absolute = renderCommand(
      {
        commandId: UUID,
        kind: 'person.upsert',
        payload: { personId: '1', name: 'A', photoRef: `sha256:${sha}` },
      },
      { publicBaseUrl: 'https://gw.example.org/devices/' },
    );
    expect(absolute.ok && absolute.command.kind === 'person.upsert' && absolute.command.person.photoUrl).toBe(
      `https://gw.example.org/devices/open/v1/photos/${sha}`,
    );
    expect(renderCommand({ commandId: UUID, kind: 'person.delete', payload: { personId: '10001' } })).toEqual(
      {
        ok: true,
        command: { commandId: UUID, kind: 'person.delete', person: { personId: '10001' } },
      },
    );
    expect(
      renderCommand({
        commandId: UUID,
        kind: 'records.query',
        payload: { from: '2026-11-21T06:00:00+08:00', to: '2026-11-21T09:00:00+08:00', backfillId: UUID },
      }),
    ).toEqual({
      ok: true,
      command: {
        commandId: UUID,
        kind: 'records.query',
        range: { from: '2026-11-20T22:00:00.000Z', to: '2026-11-21T01:00:00.000Z' },
        backfillId: UUID,
      },
    });
    expect(renderCommand({ commandId: UUID, kind: 'records.verify', payload: {} })).toMatchObject({
      ok: false,
    });
    expect(
      renderCommand({ commandId: UUID, kind: 'person.upsert', payload: { personId: '1' } }),
    ).toMatchObject({
      ok: false,
    });
  });
});
