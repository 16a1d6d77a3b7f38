import fc from 'fast-check';
import type { DeviceCommand } from '../../commands/command-queue';
import { FaceSteps } from './face-steps';
import { decodeFormComponent, parseFormBody, readFields } from '../shared/form-fields';
import {
  checkDeviceKey,
  decodeInlinePhoto,
  faceIdFor,
  faceTask,
  firstTask,
  parseHeartbeat,
  parseRecognition,
  parseTaskResult,
  parseUfaceTime,
  ufaceError,
  ufaceOk,
} from './uface-messages';

const TZ = 'Asia/Shanghai';
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0xff, 0xd9]);
const T = '1763683262000'; // 2025-11-21T00:01:02Z

const fields = (o: Record<string, string>) => new Map(Object.entries(o));
const form = (o: Record<string, string>) =>
  Buffer.from(
    Object.entries(o)
      .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
      .join('&'),
  );

function command(over: Partial<DeviceCommand>): DeviceCommand {
  return {
    commandId: '0190f5c0-0000-7000-8000-000000000001',
    seq: 41,
    deviceId: 'uf-1',
    kind: 'person.upsert',
    payload: { personId: '10001', name: '张三' },
    status: 'sent',
    attempts: 1,
    createdAt: new Date(),
    ...over,
  };
}

describe('form fields', () => {
  it('decodes form components: + is space, %XX bytes as UTF-8, broken escapes kept', () => {
    expect(decodeFormComponent(Buffer.from('a+b%20c'))).toBe('a b c');
    expect(decodeFormComponent(Buffer.from('%E5%BC%A0%E4%B8%89'))).toBe('张三');
    expect(decodeFormComponent(Buffer.from('100%'))).toBe('100%');
    expect(decodeFormComponent(Buffer.from('%G1%4'))).toBe('%G1%4');
  });

  it('splits a form body; the first occurrence of a name wins; empty pairs are skipped', () => {
    const f = parseFormBody(Buffer.from('a=1&&b=&a=2&c&=x'));
    expect([...f]).toEqual([
      ['a', '1'],
      ['b', ''],
      ['c', ''],
    ]);
  });

  it('reads JSON, form and multipart bodies, and JSON mislabelled as form', () => {
    const json = readFields(
      Buffer.from(JSON.stringify({ deviceKey: 'K1', time: 1763683262000, ok: true, n: null })),
      'application/json',
    );
    expect(json).toEqual({
      ok: true,
      format: 'json',
      fields: new Map([
        ['deviceKey', 'K1'],
        ['time', '1763683262000'],
        ['ok', 'true'],
      ]),
    });
    const mislabelled = readFields(Buffer.from('{"deviceKey":"K1"}'), 'application/x-www-form-urlencoded');
    expect(mislabelled.ok && mislabelled.format).toBe('json');
    const f = readFields(form({ deviceKey: 'K1', personId: '10001' }), 'application/x-www-form-urlencoded');
    expect(f.ok && f.fields.get('personId')).toBe('10001');
    const boundary = 'XyZ';
    const mp = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="deviceKey"\r\n\r\nK1\r\n`),
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="photo"; filename="a.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`,
      ),
      JPEG,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const m = readFields(mp, `multipart/form-data; boundary=${boundary}`);
    expect(m.ok && m.fields.get('deviceKey')).toBe('K1');
    expect(m.ok && Buffer.from(m.fields.get('photo')!, 'base64').equals(JPEG)).toBe(true);
  });

  it('refuses a body that claims JSON and is not, or is a JSON array', () => {
    expect(readFields(Buffer.from('{"a":'), 'application/json')).toMatchObject({
      ok: false,
      field: '(body)',
    });
    expect(readFields(Buffer.from('[1,2]'), 'application/json')).toMatchObject({
      ok: false,
      field: '(body)',
    });
    expect(readFields(Buffer.alloc(0), undefined)).toEqual({ ok: true, fields: new Map(), format: 'empty' });
  });

  it('keeps a field named __proto__ as a plain field, touching no prototype', () => {
    const r = readFields(Buffer.from('{"__proto__":{"x":1},"a":"1"}'), 'application/json');
    expect(r.ok && r.fields.get('__proto__')).toBe('{"x":1}');
    expect(r.ok && r.fields.get('a')).toBe('1');
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });
});

describe('Uface times', () => {
  it('takes epoch milliseconds, epoch seconds and local text in the device zone', () => {
    expect(parseUfaceTime(T, TZ)).toEqual({ at: new Date(1763683262000) });
    expect(parseUfaceTime('1763683262', TZ)).toEqual({ at: new Date(1763683262000) });
    expect(parseUfaceTime('2025-11-21 08:01:02', TZ)).toEqual({ at: new Date('2025-11-21T00:01:02Z') });
  });

  it('refuses other digit counts, garbage and clocks outside 2000-2099', () => {
    expect(parseUfaceTime('17636832620', TZ)).toHaveProperty('message');
    expect(parseUfaceTime('yesterday', TZ)).toHaveProperty('message');
    expect(parseUfaceTime('0000000000000', TZ)).toMatchObject({
      message: expect.stringContaining('not set'),
    });
    expect(parseUfaceTime('4102444800000', TZ)).toHaveProperty('message'); // 2100-01-01
  });
});

describe('recognition callback', () => {
  const base = {
    deviceKey: 'K1',
    personId: '10001',
    time: T,
    type: 'face_0',
    ip: '10.0.0.8',
    path: '/sdcard/a.jpg',
  };

  it('makes a face_0 of a person a face punch at the device time', () => {
    const r = parseRecognition(fields(base), TZ);
    expect(r).toEqual({
      ok: true,
      value: {
        deviceKey: 'K1',
        type: 'face_0',
        time: T,
        punchedAt: new Date(1763683262000),
        personId: '10001',
        isPunch: true,
        verifyMode: 'face',
        notes: [],
      },
    });
  });

  it('keeps face_1 and strangers as evidence, not punches', () => {
    const f1 = parseRecognition(fields({ ...base, type: 'face_1' }), TZ);
    expect(f1).toMatchObject({
      ok: true,
      value: { isPunch: false, personId: '10001', notPunchReason: 'type face_1 is not a pass' },
    });
    const stranger = parseRecognition(fields({ ...base, type: 'face_2', personId: 'STRANGERBABY' }), TZ);
    expect(stranger).toMatchObject({ ok: true, value: { isPunch: false } });
    const strangerPass = parseRecognition(fields({ ...base, personId: 'STRANGERBABY' }), TZ);
    expect(strangerPass).toMatchObject({ ok: true, value: { isPunch: false, personId: 'STRANGERBABY' } });
    const qr = parseRecognition(fields({ ...base, type: 'qrcode_0' }), TZ);
    expect(qr).toMatchObject({ ok: true, value: { isPunch: true, verifyMode: 'qr' } });
    const card = parseRecognition(fields({ ...base, type: 'card_0' }), TZ);
    expect(card).toMatchObject({ ok: true, value: { isPunch: true, verifyMode: 'card' } });
  });

  it('names every missing or bad field', () => {
    const r = parseRecognition(fields({ personId: 'x'.repeat(65), time: 'soon', type: 'face 0' }), TZ);
    expect(r.ok).toBe(false);
    const named = !r.ok ? r.problems.map((p) => p.field).sort() : [];
    expect(named).toEqual(['deviceKey', 'time', 'type']);
    const noPerson = parseRecognition(fields({ deviceKey: 'K1', time: T, type: 'face_0' }), TZ);
    expect(!noPerson.ok && noPerson.problems).toEqual([
      { field: 'personId', message: 'is required for a face_0 pass' },
    ]);
    const longPerson = parseRecognition(fields({ ...base, personId: 'x'.repeat(65) }), TZ);
    expect(!longPerson.ok && longPerson.problems[0].field).toBe('personId');
  });

  it('takes the inline photo (base64, else imgBase64), also when a form turned + into spaces', () => {
    const b64 = JPEG.toString('base64');
    const withPlus = Buffer.from([0xff, 0xd8, 0xff, 0xfb, 0xef, 0xbe]).toString('base64'); // "/9j/++++" style
    expect(withPlus).toContain('+');
    const r = parseRecognition(fields({ ...base, imgBase64: 'data:image/jpeg;base64,' + b64 }), TZ);
    expect(r.ok && r.value.photo).toEqual({ bytes: JPEG, contentType: 'image/jpeg' });
    const body = Buffer.from(`deviceKey=K1&personId=10001&time=${T}&type=face_0&base64=${withPlus}`);
    const read = readFields(body, 'application/x-www-form-urlencoded');
    const p = read.ok ? parseRecognition(read.fields, TZ) : undefined;
    expect(p?.ok && p.value.photo?.bytes).toEqual(Buffer.from([0xff, 0xd8, 0xff, 0xfb, 0xef, 0xbe]));
  });

  it('keeps the punch without an unreadable photo and says so', () => {
    const r = parseRecognition(fields({ ...base, base64: '***' }), TZ);
    expect(r).toMatchObject({
      ok: true,
      value: { isPunch: true, notes: [expect.stringContaining('base64: is not base64')] },
    });
    expect(r.ok && r.value.photo).toBeUndefined();
    expect(decodeInlinePhoto('A')).toEqual({ problem: 'is not base64' });
    expect(decodeInlinePhoto('')).toEqual({});
  });

  it('checks the device key against the registered serial', () => {
    expect(checkDeviceKey('K1', 'K1')).toBeUndefined();
    expect(checkDeviceKey('K2', 'K1')).toMatchObject({ field: 'deviceKey' });
    expect(checkDeviceKey('K1', undefined)).toMatchObject({ field: 'deviceKey' });
  });

  it('property: never throws; refusals name fields; valid pass callbacks survive any extra fields', () => {
    const anyFields = fc.dictionary(fc.string({ maxLength: 12 }), fc.string({ maxLength: 40 }), {
      maxKeys: 12,
    });
    fc.assert(
      fc.property(anyFields, (o) => {
        const r = parseRecognition(new Map(Object.entries(o)), TZ);
        if (!r.ok) {
          expect(r.problems.length).toBeGreaterThan(0);
          for (const p of r.problems) expect(['deviceKey', 'personId', 'time', 'type']).toContain(p.field);
        }
      }),
      { numRuns: 400 },
    );
    const valid = fc.record({
      deviceKey: fc.stringMatching(/^[A-Za-z0-9]{1,20}$/),
      personId: fc.stringMatching(/^[0-9]{1,12}$/),
      time: fc.integer({ min: Date.UTC(2001, 0, 1), max: Date.UTC(2099, 0, 1) }).map(String),
      type: fc.constantFrom('face_0', 'card_0', 'faceAndcard_0'),
    });
    fc.assert(
      fc.property(valid, anyFields, (v, extra) => {
        const m = new Map(Object.entries(extra));
        for (const [k, val] of Object.entries(v)) m.set(k, val);
        m.delete('base64');
        m.delete('imgBase64');
        const r = parseRecognition(m, TZ);
        expect(r.ok && r.value.isPunch).toBe(true);
        if (r.ok) {
          expect(r.value.personId).toBe(v.personId);
          expect(r.value.punchedAt.getTime()).toBe(Number(v.time));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('property: readFields never throws on arbitrary bytes under any content type', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }),
        fc.constantFrom(
          undefined,
          'application/json',
          'application/x-www-form-urlencoded',
          'multipart/form-data; boundary=b',
          'text/plain',
        ),
        (bytes, type) => {
          const r = readFields(Buffer.from(bytes), type);
          if (!r.ok) expect(r.field).toBe('(body)');
          else if (r.ok) {
            const p = parseRecognition(r.fields, TZ);
            expect(typeof p.ok).toBe('boolean');
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('property: a form body of valid fields round-trips through encoding', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.stringMatching(/^[a-zA-Z]{1,10}$/), fc.string({ maxLength: 30 }), { maxKeys: 8 }),
        (o) => {
          const r = readFields(form(o), 'application/x-www-form-urlencoded');
          expect(r.ok).toBe(true);
          if (r.ok) for (const [k, v] of Object.entries(o)) expect(r.fields.get(k)).toBe(v);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('heartbeat and task result', () => {
  it('reads the heartbeat; a bad clock is a note, not a refusal', () => {
    expect(
      parseHeartbeat(fields({ deviceKey: 'K1', time: T, personCount: '12', ip: '10.0.0.8' }), TZ),
    ).toEqual({
      ok: true,
      value: {
        deviceKey: 'K1',
        deviceClock: new Date(1763683262000),
        ip: '10.0.0.8',
        personCount: 12,
        notes: [],
      },
    });
    const bad = parseHeartbeat(fields({ deviceKey: 'K1', time: 'x', faceCount: '-1' }), TZ);
    expect(bad.ok && bad.value.notes).toHaveLength(2);
    expect(parseHeartbeat(fields({}), TZ)).toMatchObject({ ok: false, problems: [{ field: 'deviceKey' }] });
  });

  it('reads task results from success, else result', () => {
    expect(parseTaskResult(fields({ deviceKey: 'K1', taskNo: '41', success: 'true' }))).toEqual({
      ok: true,
      value: { deviceKey: 'K1', taskNo: 41, ok: true },
    });
    expect(
      parseTaskResult(
        fields({
          deviceKey: 'K1',
          taskNo: '41',
          result: '0',
          code: 'LAN_EXP-3001',
          msg: 'no face',
          interfaceName: 'face/createByUrl',
        }),
      ),
    ).toEqual({
      ok: true,
      value: {
        deviceKey: 'K1',
        taskNo: 41,
        ok: false,
        code: 'LAN_EXP-3001',
        msg: 'no face',
        interfaceName: 'face/createByUrl',
      },
    });
    const bad = parseTaskResult(fields({ deviceKey: 'K1', taskNo: '0', success: 'maybe' }));
    expect(!bad.ok && bad.problems.map((p) => p.field)).toEqual(['taskNo', 'success']);
    const none = parseTaskResult(fields({ deviceKey: 'K1', taskNo: '3' }));
    expect(!none.ok && none.problems).toEqual([{ field: 'success', message: expect.any(String) }]);
  });

  it('property: task results never throw and name only their own fields', () => {
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.constantFrom('deviceKey', 'taskNo', 'success', 'result', 'code', 'msg', 'x'),
          fc.string({ maxLength: 20 }),
        ),
        (o) => {
          const r = parseTaskResult(new Map(Object.entries(o)));
          if (!r.ok)
            for (const p of r.problems)
              expect(['deviceKey', 'taskNo', 'success', 'result']).toContain(p.field);
        },
      ),
      { numRuns: 400 },
    );
  });
});

describe('replies and tasks', () => {
  it('renders the Uface replies', () => {
    expect(JSON.stringify(ufaceOk())).toBe('{"result":1,"success":true}');
    expect(ufaceError([{ field: 'time', message: 'is required' }])).toEqual({
      result: 0,
      success: false,
      msg: 'time: is required',
    });
  });

  it('renders person/create, face/createByUrl and person/delete tasks', () => {
    expect(firstTask(command({ payload: { personId: '10001', name: '张三', cardNumber: 'C77' } }))).toEqual({
      taskNo: 41,
      interfaceName: 'person/create',
      person: { id: '10001', name: '张三', idcardNum: 'C77', facePermission: 2 },
    });
    expect(firstTask(command({ kind: 'person.delete', payload: { personId: '10001' } }))).toEqual({
      taskNo: 41,
      interfaceName: 'person/delete',
      id: '10001',
    });
    expect(
      firstTask(command({ kind: 'records.query', payload: { from: 'a', to: 'b', backfillId: 'x' } })),
    ).toBeUndefined();
    const digest = 'ab'.repeat(32);
    expect(faceTask(41, '10001', digest, 'http://gw/p')).toEqual({
      taskNo: 41,
      interfaceName: 'face/createByUrl',
      personId: '10001',
      faceId: faceIdFor('10001', digest),
      imgUrl: 'http://gw/p',
    });
  });
});

describe('face steps', () => {
  it('hands out a due face step once, oldest first, and forgets it after the TTL', () => {
    let now = 1000;
    const steps = new FaceSteps(60_000, () => now);
    steps.personDone('d', 9, 'p9', 'a'.repeat(64));
    steps.personDone('d', 7, 'p7', 'b'.repeat(64));
    expect(steps.dueCount('d')).toBe(2);
    expect(steps.takeDue('d')).toMatchObject({ seq: 7, state: 'sent' });
    expect(steps.get('d', 7)?.state).toBe('sent');
    expect(steps.takeDue('d')?.seq).toBe(9);
    expect(steps.takeDue('d')).toBeUndefined();
    steps.forget('d', 7);
    expect(steps.get('d', 7)).toBeUndefined();
    now += 60_001;
    expect(steps.get('d', 9)).toBeUndefined();
    expect(steps.dueCount('other')).toBe(0);
  });
});
