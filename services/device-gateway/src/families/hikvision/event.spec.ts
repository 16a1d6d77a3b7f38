import fc from 'fast-check';
import { buildMultipart } from '../shared/multipart';
import { HikEventNotification, interpretEvent, parseHikvisionBody, parseIsapiTime } from './event';
import { parseXml } from './xml';

const TZ = 'Asia/Shanghai';
const JPEG = Buffer.concat([
  Buffer.from([0xff, 0xd8, 0xff, 0xe0]),
  Buffer.alloc(500, 0x41),
  Buffer.from([0xff, 0xd9]),
]);

function accessEvent(over: Record<string, unknown> = {}, top: Record<string, unknown> = {}) {
  return {
    ipAddress: '192.168.1.64',
    portNo: 80,
    protocol: 'HTTP',
    macAddress: 'a4:14:37:00:00:01',
    channelID: 1,
    dateTime: '2026-11-21T07:41:02+08:00',
    activePostCount: 1,
    eventType: 'AccessControllerEvent',
    eventState: 'active',
    eventDescription: 'Access Controller Event',
    AccessControllerEvent: {
      deviceName: 'Entrance',
      majorEventType: 5,
      subEventType: 75,
      name: 'Test Worker',
      cardReaderNo: 1,
      employeeNoString: '1001',
      serialNo: 120,
      frontSerialNo: 119,
      userType: 'normal',
      currentVerifyMode: 'cardOrFaceOrFp',
      currentEvent: true,
      attendanceStatus: 'checkIn',
      mask: 'no',
      picturesNumber: 1,
      ...over,
    },
    ...top,
  };
}

function parsed(body: Buffer, ct?: string): HikEventNotification {
  const r = parseHikvisionBody(body, ct);
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

const XML = `<?xml version="1.0" encoding="UTF-8"?>
<EventNotificationAlert version="2.0" xmlns="http://www.isapi.org/ver20/XMLSchema">
<ipAddress>192.168.1.64</ipAddress>
<dateTime>2026-11-21T18:02:10+08:00</dateTime>
<eventType>AccessControllerEvent</eventType>
<eventState>active</eventState>
<!-- old firmware -->
<AccessControllerEvent>
<majorEventType>5</majorEventType>
<subEventType>1</subEventType>
<cardNo>0012345678</cardNo>
<employeeNoString>W&amp;7</employeeNoString>
<serialNo>88</serialNo>
<frontSerialNo>87</frontSerialNo>
<currentEvent>false</currentEvent>
<attendanceStatus>checkOut</attendanceStatus>
</AccessControllerEvent>
</EventNotificationAlert>`;

describe('parseHikvisionBody', () => {
  it('reads the multipart form with the JSON part and the picture', () => {
    const { body, contentType } = buildMultipart([
      { name: 'AccessControllerEvent', contentType: 'application/json', data: JSON.stringify(accessEvent()) },
      { name: 'Picture', filename: 'Picture.jpg', contentType: 'image/jpeg', data: JPEG },
    ]);
    const e = parsed(body, contentType);
    expect(e).toMatchObject({
      format: 'multipart',
      eventType: 'AccessControllerEvent',
      dateTime: '2026-11-21T07:41:02+08:00',
      truncated: false,
      access: {
        majorEventType: 5,
        subEventType: 75,
        employeeNo: '1001',
        serialNo: 120,
        frontSerialNo: 119,
        currentEvent: true,
        attendanceStatus: 'checkIn',
      },
    });
    expect(e.picture?.contentType).toBe('image/jpeg');
    expect(e.picture?.bytes.equals(JPEG)).toBe(true);
  });

  it('uses the JSON of a body cut off inside the JPEG and drops the broken picture', () => {
    const { body, contentType } = buildMultipart([
      { name: 'event_log', data: JSON.stringify(accessEvent()) },
      { name: 'Picture', contentType: 'image/jpeg', data: JPEG },
    ]);
    const e = parsed(body.subarray(0, body.length - 200), contentType);
    expect(e.truncated).toBe(true);
    expect(e.picture).toBeUndefined();
    expect(e.access?.employeeNo).toBe('1001');
  });

  it('reads bare JSON and the old EventNotificationAlert XML', () => {
    expect(parsed(Buffer.from(JSON.stringify(accessEvent())), 'application/json').format).toBe('json');
    const x = parsed(Buffer.from(XML), 'application/xml');
    expect(x).toMatchObject({
      format: 'xml',
      dateTime: '2026-11-21T18:02:10+08:00',
      access: { majorEventType: 5, subEventType: 1, employeeNo: 'W&7', serialNo: 88, currentEvent: false },
    });
    // XML inside a multipart part, with a wrong Content-Type on the request.
    const { body } = buildMultipart([{ name: 'EventNotificationAlert', data: XML }], 'b0undary');
    expect(parsed(body, 'text/plain').access?.serialNo).toBe(88);
  });

  it('falls back to the numeric employeeNo of older firmware', () => {
    const e = parsed(
      Buffer.from(JSON.stringify(accessEvent({ employeeNoString: undefined, employeeNo: 42 }))),
    );
    expect(e.access?.employeeNo).toBe('42');
  });

  it('refuses bodies that carry no event, with a reason', () => {
    const cases: [string, string | undefined][] = [
      ['', 'application/json'],
      ['hello', 'text/plain'],
      ['{"eventType":', 'application/json'],
      ['[1,2]', 'application/json'],
      ['{"foo":1}', 'application/json'],
      ['<EventNotificationAlert><eventType>Acc', 'application/xml'],
    ];
    for (const [body, ct] of cases) {
      const r = parseHikvisionBody(Buffer.from(body), ct);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.length).toBeGreaterThan(5);
    }
  });
});

describe('interpretEvent', () => {
  const meaning = (o: object) => interpretEvent(parsed(Buffer.from(JSON.stringify(o))), TZ);

  it('turns a face pass naming a person into a punch', () => {
    const m = meaning(accessEvent());
    expect(m).toEqual({
      kind: 'pass',
      punchedAt: new Date('2026-11-20T23:41:02Z'),
      pass: {
        personId: '1001',
        recordId: '120',
        deviceTime: '2026-11-21T07:41:02+08:00',
        direction: 'in',
        verifyMode: 'face',
      },
    });
  });

  it('maps pass codes to verify modes and attendance status to direction', () => {
    const cases: [number, string][] = [
      [1, 'card'],
      [38, 'fingerprint'],
      [75, 'face'],
      [77, 'face'],
      [0x9c, 'qr'],
    ];
    for (const [minor, mode] of cases) {
      const m = meaning(accessEvent({ subEventType: minor, attendanceStatus: 'checkOut' }));
      expect(m.kind).toBe('pass');
      if (m.kind === 'pass') expect(m.pass).toMatchObject({ verifyMode: mode, direction: 'out' });
    }
    const noStatus = meaning(accessEvent({ attendanceStatus: 'undefined' }));
    expect(noStatus.kind === 'pass' && noStatus.pass.direction).toBe(undefined);
  });

  it('ignores failures, door events, passes without a person and other event types', () => {
    expect(meaning(accessEvent({ subEventType: 76 })).kind).toBe('ignored'); // face failure
    expect(meaning(accessEvent({ subEventType: 0x15 })).kind).toBe('ignored'); // lock open
    expect(meaning(accessEvent({ majorEventType: 3 })).kind).toBe('ignored');
    expect(meaning(accessEvent({ employeeNoString: '' })).kind).toBe('ignored');
    expect(meaning({ eventType: 'VMD', dateTime: '2026-11-21T07:41:02+08:00' }).kind).toBe('ignored');
  });

  it('reports unusable pass fields as invalid', () => {
    expect(meaning(accessEvent({}, { dateTime: 'yesterday' }))).toMatchObject({
      kind: 'invalid',
      field: 'dateTime',
    });
    expect(meaning(accessEvent({ employeeNoString: 'has space' }))).toMatchObject({
      kind: 'invalid',
      field: 'employeeNoString',
    });
  });

  it('reads heartbeats (JSON heartBeat, XML videoloss inactive) with the device clock', () => {
    const hb = meaning({
      eventType: 'heartBeat',
      dateTime: '2026-11-21T07:41:02+08:00',
      eventState: 'active',
    });
    expect(hb).toEqual({ kind: 'heartbeat', deviceClock: new Date('2026-11-20T23:41:02Z') });
    const old = parsed(
      Buffer.from(
        '<EventNotificationAlert><dateTime>2026-11-21T07:41:02</dateTime><eventType>videoloss</eventType><eventState>inactive</eventState></EventNotificationAlert>',
      ),
    );
    expect(interpretEvent(old, TZ)).toEqual({
      kind: 'heartbeat',
      deviceClock: new Date('2026-11-20T23:41:02Z'),
    });
    expect(meaning({ eventType: 'heartbeat' })).toEqual({ kind: 'heartbeat' });
  });
});

describe('parseIsapiTime', () => {
  it('accepts the offset forms firmware sends and naive local times', () => {
    const at = new Date('2026-11-20T23:41:02Z');
    for (const t of [
      '2026-11-21T07:41:02+08:00',
      '2026-11-21T07:41:02+0800',
      '2026-11-21T07:41:02+08',
      '2026-11-20T23:41:02Z',
      '2026-11-21T07:41:02',
      '2026-11-21 07:41:02',
    ])
      expect(parseIsapiTime(t, TZ)).toEqual(at);
    expect(parseIsapiTime('2026-11-21T07:41:02.250+08:00', TZ)).toEqual(new Date('2026-11-20T23:41:02.250Z'));
    for (const t of ['', '1970-01-01T00:00:00+08:00', '2026-13-01T00:00:00+08:00', 'x'.repeat(50)])
      expect(parseIsapiTime(t, TZ)).toBeUndefined();
  });
});

describe('fuzzing the event parsers', () => {
  it('never throws on arbitrary bytes with any content type', () => {
    const ct = fc.constantFrom(
      undefined,
      'application/json',
      'application/xml',
      'multipart/form-data; boundary=MIME_boundary',
      'multipart/form-data',
      'text/plain',
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1500 }), ct, (bytes, contentType) => {
        const r = parseHikvisionBody(Buffer.from(bytes), contentType);
        expect(typeof r.ok).toBe('boolean');
        if (r.ok) interpretEvent(r.value, TZ);
        else expect(typeof r.error).toBe('string');
      }),
      { numRuns: 500 },
    );
  });

  it('never throws on arbitrary JSON values and mutated events', () => {
    fc.assert(
      fc.property(
        fc.jsonValue(),
        fc.jsonValue(),
        fc.constantFrom('majorEventType', 'subEventType', 'employeeNoString', 'serialNo', 'currentEvent'),
        (v, w, key) => {
          const a = parseHikvisionBody(Buffer.from(JSON.stringify(v)), 'application/json');
          if (a.ok) interpretEvent(a.value, TZ);
          const ev = accessEvent({ [key]: w });
          const b = parseHikvisionBody(Buffer.from(JSON.stringify(ev)), 'application/json');
          expect(b.ok).toBe(true);
          if (b.ok) expect(['pass', 'ignored', 'invalid']).toContain(interpretEvent(b.value, TZ).kind);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('the JSON of a multipart body cut anywhere inside the picture is still read', () => {
    const json = JSON.stringify(accessEvent());
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 10, maxLength: 800 }), fc.nat(), (pic, n) => {
        const picture = Buffer.concat([Buffer.from([0xff, 0xd8]), Buffer.from(pic)]);
        const { body, contentType } = buildMultipart(
          [
            { name: 'AccessControllerEvent', contentType: 'application/json', data: json },
            { name: 'Picture', contentType: 'image/jpeg', data: picture },
          ],
          'MIME_boundary',
        );
        fc.pre(picture.indexOf(Buffer.from('--MIME_boundary')) < 0);
        const picStart = body.indexOf(picture);
        const closeEnd = body.lastIndexOf('--MIME_boundary--') + '--MIME_boundary--'.length;
        const cut = picStart + (n % (closeEnd - picStart));
        const e = parsed(body.subarray(0, cut), contentType);
        const m = interpretEvent(e, TZ);
        expect(m.kind).toBe('pass');
        expect(e.picture).toBeUndefined();
      }),
      { numRuns: 300 },
    );
  });

  it('XML: never throws, and arbitrary text content survives escaping', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (s) => {
        const r = parseXml(s);
        expect(r).toBeDefined();
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (s) => {
        const clean = s.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ud800-\udfff]/g, '').trim();
        const esc = clean.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
        const r = parseXml(`<a><b>${esc}</b><c>2</c></a>`);
        expect(r).toMatchObject({ root: 'a', truncated: false, value: { b: clean, c: '2' } });
      }),
      { numRuns: 300 },
    );
  });
});
