import fc from 'fast-check';
import { createHash } from 'node:crypto';
import type { DeviceCommand } from '../../commands/command-queue';
import {
  deleteListItem,
  HTTPV2_MAX_PHOTO_BYTES,
  parseDownload,
  parseKeepalive,
  parseRecord,
  parseResults,
  parseV2Time,
  peopleListItem,
  readBody,
  readRecordParts,
  serialOfRecord,
  v2Error,
  v2Ok,
} from './httpv2-messages';

const TZ = 'Asia/Shanghai';
const JPEG = Buffer.concat([
  Buffer.from([0xff, 0xd8, 0xff, 0xe0]),
  Buffer.alloc(200, 7),
  Buffer.from([0xff, 0xd9]),
]);
const BOUNDARY = '----v2boundary';

function multipart(
  parts: { name: string; value: Buffer | string; filename?: string; type?: string }[],
  close = true,
): Buffer {
  const chunks: Buffer[] = [];
  for (const p of parts) {
    chunks.push(
      Buffer.from(
        `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${p.name}"${p.filename ? `; filename="${p.filename}"` : ''}\r\n` +
          (p.type ? `Content-Type: ${p.type}\r\n` : '') +
          '\r\n',
      ),
    );
    chunks.push(typeof p.value === 'string' ? Buffer.from(p.value) : p.value);
    chunks.push(Buffer.from('\r\n'));
  }
  if (close) chunks.push(Buffer.from(`--${BOUNDARY}--\r\n`));
  return Buffer.concat(chunks);
}
const CT = `multipart/form-data; boundary=${BOUNDARY}`;

const detail = {
  RecordID: 1207,
  RecordType: 0,
  RecordDate: 1763683262,
  UserID: '10001',
  IdentityCard: '',
  IsEntry: 1,
  BodyTemp: 36.4,
};

function record(body: Buffer, type = CT) {
  const parts = readRecordParts(body, type);
  if (!parts.ok) return parts;
  return parseRecord(parts.value, TZ);
}

function command(over: Partial<DeviceCommand>): DeviceCommand {
  return {
    commandId: '0190f5c0-0000-7000-8000-000000000002',
    seq: 7,
    deviceId: 'v2-1',
    kind: 'person.upsert',
    payload: { personId: '10001', name: '李四' },
    status: 'sent',
    attempts: 1,
    createdAt: new Date(),
    ...over,
  };
}

describe('HTTPv2 replies', () => {
  it('renders Success 1 and typed errors naming the field', () => {
    expect(JSON.stringify(v2Ok())).toBe('{"Success":1}');
    expect(v2Error(1001, [{ field: 'RecordDetail.RecordDate', message: 'is required' }])).toEqual({
      Success: 0,
      ErrorCode: 1001,
      ErrorMsg: 'RecordDetail.RecordDate: is required',
      Errors: [{ Field: 'RecordDetail.RecordDate', Message: 'is required' }],
    });
  });
});

describe('HTTPv2 times', () => {
  it('takes epoch seconds (number or text), milliseconds and local text', () => {
    expect(parseV2Time(1763683262, TZ)).toEqual({ at: new Date(1763683262000), text: '1763683262' });
    expect(parseV2Time('1763683262000', TZ)).toEqual({ at: new Date(1763683262000), text: '1763683262000' });
    expect(parseV2Time('2025-11-21 08:01:02', TZ)).toMatchObject({ at: new Date('2025-11-21T00:01:02Z') });
  });
  it('refuses fractions, garbage and unset clocks', () => {
    expect(parseV2Time(1763683262.5, TZ)).toHaveProperty('message');
    expect(parseV2Time('abc', TZ)).toHaveProperty('message');
    expect(parseV2Time(0, TZ)).toHaveProperty('message');
    expect(parseV2Time(undefined, TZ)).toHaveProperty('message');
  });
});

describe('keepalive, download and results', () => {
  it('reads a keepalive with an optional device clock', () => {
    const b = readBody(
      Buffer.from(JSON.stringify({ SN: 'V2-001', DeviceTime: 1763683262, Version: '2.1' })),
      'application/json',
    );
    expect(b.ok && parseKeepalive(b.value, TZ)).toEqual({
      ok: true,
      value: { SN: 'V2-001', deviceClock: new Date(1763683262000), notes: [] },
    });
    const noSn = readBody(Buffer.from('{}'), 'application/json');
    expect(noSn.ok && parseKeepalive(noSn.value, TZ)).toMatchObject({
      ok: false,
      problems: [{ field: 'SN' }],
    });
    const form = readBody(Buffer.from('SN=V2-001&Time=garbage'), 'application/x-www-form-urlencoded');
    expect(form.ok && parseKeepalive(form.value, TZ)).toMatchObject({
      ok: true,
      value: { SN: 'V2-001', notes: [expect.stringContaining('Time:')] },
    });
  });

  it('reads Limit: default 10, cut to 100, refused when not a positive whole number', () => {
    expect(parseDownload({ SN: 'A' })).toEqual({ ok: true, value: { SN: 'A', Limit: 10 } });
    expect(parseDownload({ SN: 'A', Limit: 5000 })).toEqual({ ok: true, value: { SN: 'A', Limit: 100 } });
    expect(parseDownload({ SN: 'A', Limit: '3' })).toEqual({ ok: true, value: { SN: 'A', Limit: 3 } });
    expect(parseDownload({ SN: 'A', Limit: 0 })).toMatchObject({ ok: false, problems: [{ field: 'Limit' }] });
    expect(parseDownload({ SN: 'A', Limit: 'ten' })).toMatchObject({
      ok: false,
      problems: [{ field: 'Limit' }],
    });
  });

  it('reads per-person results, skipping and naming unreadable entries', () => {
    const r = parseResults({
      SN: 'A',
      Results: [
        { UserID: '1', ErrorCode: 0 },
        { UserID: 2, ErrorCode: '3', ErrorMsg: 'no face' },
        { ErrorCode: 0 },
        'x',
        { UserID: '4' },
      ],
    });
    expect(r).toEqual({
      ok: true,
      value: {
        SN: 'A',
        results: [
          { UserID: '1', ErrorCode: 0 },
          { UserID: '2', ErrorCode: 3, ErrorMsg: 'no face' },
        ],
        skipped: [
          { field: 'Results[2].UserID', message: expect.any(String) },
          { field: 'Results[3]', message: expect.any(String) },
          { field: 'Results[4].ErrorCode', message: expect.any(String) },
        ],
      },
    });
    expect(parseResults({ SN: 'A' })).toMatchObject({ ok: false, problems: [{ field: 'Results' }] });
    expect(parseResults({ SN: 'A', Results: '[{"UserID":"1","ErrorCode":0}]' })).toMatchObject({ ok: true });
  });

  it('renders people and delete lists with the photo and its MD5', () => {
    expect(
      peopleListItem(command({ payload: { personId: '10001', name: '李四', cardNumber: 'C9' } }), {
        bytes: JPEG,
      }),
    ).toEqual({
      UserID: '10001',
      Name: '李四',
      CardNo: 'C9',
      Photo: JPEG.toString('base64'),
      PhotoMD5: createHash('md5').update(JPEG).digest('hex'),
    });
    expect(peopleListItem(command({}))).toEqual({ UserID: '10001', Name: '李四', Photo: '', PhotoMD5: '' });
    expect(peopleListItem(command({ payload: { personId: '' } as never }))).toBeUndefined();
    expect(deleteListItem(command({ kind: 'person.delete', payload: { personId: '10001' } }))).toEqual({
      UserID: '10001',
    });
    expect(deleteListItem(command({}))).toBeUndefined();
  });
});

describe('UploadIdentifyRecord', () => {
  const body = (d: unknown = detail, photo: Buffer | undefined = JPEG, close = true) =>
    multipart(
      [
        { name: 'SN', value: 'V2-001' },
        { name: 'RecordDetail', value: typeof d === 'string' ? d : JSON.stringify(d) },
        ...(photo ? [{ name: 'Photo', value: photo, filename: 'p.jpg', type: 'image/jpeg' }] : []),
      ],
      close,
    );

  it('reads the multipart record with its photo', () => {
    expect(record(body())).toEqual({
      ok: true,
      value: {
        SN: 'V2-001',
        RecordID: '1207',
        recordDate: '1763683262',
        punchedAt: new Date(1763683262000),
        UserID: '10001',
        direction: 'in',
        verifyMode: 'face',
        photo: { bytes: JPEG, contentType: 'image/jpeg' },
        notes: [],
      },
    });
  });

  it('IsEntry 0 is out; absent leaves the gate direction; a stranger has no UserID', () => {
    expect(record(body({ ...detail, IsEntry: 0 }))).toMatchObject({ ok: true, value: { direction: 'out' } });
    const none = record(body({ ...detail, IsEntry: undefined }));
    expect(none.ok && none.value.direction).toBeUndefined();
    const stranger = record(body({ ...detail, UserID: '' }));
    expect(stranger.ok && stranger.value.UserID).toBeUndefined();
  });

  it('keeps the record without a photo over 50 KB or cut off with the body', () => {
    const big = Buffer.concat([JPEG, Buffer.alloc(HTTPV2_MAX_PHOTO_BYTES)]);
    const r = record(body(detail, big));
    expect(r).toMatchObject({ ok: true, value: { notes: [expect.stringContaining('limit')] } });
    expect(r.ok && r.value.photo).toBeUndefined();
    const cut = body(detail, JPEG, false);
    const truncated = record(cut.subarray(0, cut.length - 60));
    expect(truncated).toMatchObject({
      ok: true,
      value: { RecordID: '1207', notes: [expect.stringContaining('cut off')] },
    });
    expect(truncated.ok && truncated.value.photo).toBeUndefined();
  });

  it('names the fields at fault', () => {
    const r = record(body({ RecordType: 0, RecordDate: 'soon', UserID: 'x'.repeat(70) }));
    expect(!r.ok && r.problems.map((p) => p.field)).toEqual([
      'RecordDetail.RecordID',
      'RecordDetail.RecordDate',
      'RecordDetail.UserID',
    ]);
    const broken = record(body('{"RecordID":'));
    expect(!broken.ok && broken.problems[0].field).toBe('RecordDetail');
    const noSn = record(multipart([{ name: 'RecordDetail', value: JSON.stringify(detail) }]));
    expect(!noSn.ok && noSn.problems.map((p) => p.field)).toEqual(['SN']);
    expect(readRecordParts(Buffer.from('garbage'), CT)).toMatchObject({
      ok: false,
      problems: [{ field: '(body)' }],
    });
  });

  it('tolerates a JSON body with RecordDetail as an object and a base64 photo, and SN inside the detail', () => {
    const json = Buffer.from(
      JSON.stringify({ SN: 'V2-001', RecordDetail: detail, Photo: JPEG.toString('base64') }),
    );
    expect(record(json, 'application/json')).toMatchObject({
      ok: true,
      value: { RecordID: '1207', photo: { bytes: JPEG } },
    });
    const inner = multipart([{ name: 'RecordDetail', value: JSON.stringify({ ...detail, SN: 'V2-001' }) }]);
    const parts = readRecordParts(inner, CT);
    expect(parts.ok && serialOfRecord(parts.value)).toBe('V2-001');
  });

  it('property: never throws on arbitrary bytes; refusals name fields', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 400 }),
        fc.constantFrom(CT, 'application/json', undefined),
        (bytes, type) => {
          const r = record(Buffer.from(bytes), type);
          if (!r.ok)
            for (const p of r.problems) expect(p.field).toMatch(/^(\(body\)|SN|RecordDetail(\.\w+)?)$/);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('property: arbitrary RecordDetail objects never throw and name only RecordDetail fields', () => {
    const value = fc.oneof(
      fc.string({ maxLength: 20 }),
      fc.integer(),
      fc.double(),
      fc.boolean(),
      fc.constant(null),
    );
    const d = fc.dictionary(
      fc.constantFrom('RecordID', 'RecordType', 'RecordDate', 'UserID', 'IsEntry', 'BodyTemp', 'x'),
      value,
    );
    fc.assert(
      fc.property(d, (obj) => {
        const r = record(body(obj, undefined));
        if (!r.ok)
          for (const p of r.problems) expect(p.field).toMatch(/^RecordDetail\.(RecordID|RecordDate|UserID)$/);
      }),
      { numRuns: 500 },
    );
  });

  it('property: valid records survive, cut-off bodies included, with their id, person and instant', () => {
    const valid = fc.record({
      RecordID: fc.integer({ min: 1, max: 2 ** 31 }),
      RecordType: fc.integer({ min: 0, max: 5 }),
      RecordDate: fc.integer({ min: Date.UTC(2001, 0, 1) / 1000, max: Date.UTC(2099, 0, 1) / 1000 }),
      UserID: fc.stringMatching(/^[0-9A-Za-z]{1,20}$/),
      IsEntry: fc.constantFrom(0, 1),
    });
    fc.assert(
      fc.property(valid, fc.uint8Array({ minLength: 0, maxLength: 2000 }), fc.nat(100), (d, photo, cut) => {
        const full = body(d, Buffer.from(photo), true);
        // Cut anywhere inside the photo part: the record must still be read.
        const headerEnd = full.indexOf('name="Photo"');
        const keep = Math.max(headerEnd + 80, full.length - cut);
        const r = record(full.subarray(0, Math.min(full.length, keep)));
        expect(r.ok).toBe(true);
        if (r.ok) {
          expect(r.value.RecordID).toBe(String(d.RecordID));
          expect(r.value.UserID).toBe(d.UserID);
          expect(r.value.punchedAt.getTime()).toBe(d.RecordDate * 1000);
          expect(r.value.direction).toBe(d.IsEntry === 1 ? 'in' : 'out');
        }
      }),
      { numRuns: 300 },
    );
  });
});
