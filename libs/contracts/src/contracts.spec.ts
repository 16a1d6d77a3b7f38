import { z } from 'zod';
import {
  AttendanceRecorded,
  ContractViolation,
  createEvent,
  defineEvent,
  fromKafkaRecord,
  isUuidV7,
  parseEvent,
  PunchRecorded,
  toKafkaRecord,
  topicOf,
} from './index';

const punchData = {
  deviceId: 'dev-1',
  projectId: 'P330106001',
  region: '330106',
  deviceRecordId: 'r-1',
  personId: '1001',
  deviceTime: '2026-11-21 08:01:02',
  punchedAt: '2026-11-21T00:01:02.000Z',
  timeZone: 'Asia/Shanghai',
  receivedAt: '2026-11-21T00:01:03.000Z',
  skewMs: 1000,
  direction: 'in' as const,
  verifyMode: 'face',
  protocol: 'open-v1',
  rawRequestId: '0190a8c4-8f6e-7cc1-a1b2-3c4d5e6f7a8b',
};
const opts = { source: '/realname/device-gateway', subject: 'device-dev-1', region: '330106' };

describe('event envelope', () => {
  it('gives a new event a UUIDv7 id, its schema version and itself as correlation when none is given', () => {
    const e = createEvent(PunchRecorded, punchData, opts);
    expect(isUuidV7(e.id)).toBe(true);
    expect(e.schemaversion).toBe(1);
    expect(e.dataschema).toBe('urn:realname:schema:realname.device.PunchRecorded:1');
    expect(e.correlationid).toBe(e.id);
    expect(e.causationid).toBe(e.id);
  });

  it('keeps the correlation and causation ids it is given', () => {
    const e = createEvent(PunchRecorded, punchData, {
      ...opts,
      correlationId: 'req-1',
      causationId: 'cmd-1',
    });
    expect([e.correlationid, e.causationid]).toEqual(['req-1', 'cmd-1']);
  });

  it('refuses data that breaks the contract and names the field', () => {
    expect(() => createEvent(PunchRecorded, { ...punchData, punchedAt: 'yesterday' }, opts)).toThrow(
      /data\.punchedAt/,
    );
  });

  it('refuses a region that is not a six-digit division code', () => {
    expect(() => createEvent(PunchRecorded, punchData, { ...opts, region: '33' })).toThrow(ContractViolation);
  });

  it('survives the Kafka binary binding unchanged', () => {
    const e = createEvent(PunchRecorded, punchData, opts);
    const record = toKafkaRecord(e);
    expect(record.key).toBe('device-dev-1');
    expect(record.headers.ce_type).toBe('realname.device.PunchRecorded');
    const headers = Object.fromEntries(Object.entries(record.headers).map(([k, v]) => [k, Buffer.from(v)]));
    expect(parseEvent(PunchRecorded, fromKafkaRecord(headers, record.value))).toEqual(e);
  });

  it('carries the actor of a write through the Kafka binding; events without one stay without', () => {
    const actor = { subject: 'f3a1c2', role: 'city-supervisor', scope: 'city:330100' };
    const e = createEvent(PunchRecorded, punchData, { ...opts, actor });
    expect([e.actorsubject, e.actorrole, e.actorscope]).toEqual(['f3a1c2', 'city-supervisor', 'city:330100']);
    const record = toKafkaRecord(e);
    expect(record.headers.ce_actorscope).toBe('city:330100');
    expect(parseEvent(PunchRecorded, fromKafkaRecord(record.headers, record.value))).toEqual(e);
    const plain = toKafkaRecord(createEvent(PunchRecorded, punchData, opts));
    expect(Object.keys(plain.headers).filter((h) => h.startsWith('ce_actor'))).toEqual([]);
    expect('actorsubject' in parseEvent(PunchRecorded, fromKafkaRecord(plain.headers, plain.value))).toBe(
      false,
    );
  });

  it('refuses to read an event of another type', () => {
    const e = createEvent(PunchRecorded, punchData, opts);
    expect(() => parseEvent(AttendanceRecorded, e)).toThrow(
      /expected realname.attendance.AttendanceRecorded/,
    );
  });

  it('maps each event type to its topic', () => {
    expect(topicOf(PunchRecorded.type)).toBe('device.punches.v1');
    expect(topicOf(AttendanceRecorded.type)).toBe('attendance.records.v1');
    expect(topicOf('realname.unknown.Thing')).toBeUndefined();
  });
});

describe('upcasting', () => {
  // A v2 event whose v1 shape kept the name in one field; stored v1 JSON must still read as v2.
  const Renamed = defineEvent({
    type: 'realname.test.Renamed',
    version: 2,
    schema: z.object({ familyName: z.string(), givenName: z.string() }),
    upcasters: [
      {
        from: 1,
        up: (d) => {
          const [familyName, ...rest] = String((d as { name: string }).name).split(' ');
          return { familyName, givenName: rest.join(' ') };
        },
      },
    ],
  });
  const storedV1 = JSON.parse(
    '{"specversion":"1.0","id":"0190a8c4-8f6e-7cc1-a1b2-3c4d5e6f7a8b","source":"/t","type":"realname.test.Renamed",' +
      '"subject":"s-1","time":"2026-01-01T00:00:00.000Z","datacontenttype":"application/json",' +
      '"dataschema":"urn:realname:schema:realname.test.Renamed:1","schemaversion":1,"correlationid":"c","causationid":"c",' +
      '"region":"330106","data":{"name":"Wang Xiaoming"}}',
  );

  it('turns a stored v1 event into the current shape', () => {
    const e = parseEvent(Renamed, storedV1);
    expect(e.schemaversion).toBe(2);
    expect(e.data).toEqual({ familyName: 'Wang', givenName: 'Xiaoming' });
  });

  it('refuses an event newer than the reader', () => {
    expect(() => parseEvent(Renamed, { ...storedV1, schemaversion: 3 })).toThrow(/upgrade the consumer/);
  });

  it('refuses a definition with a gap in its upcasters', () => {
    expect(() => defineEvent({ type: 'x', version: 2, schema: z.object({}) })).toThrow(
      /lacks an upcaster from v1/,
    );
  });
});
