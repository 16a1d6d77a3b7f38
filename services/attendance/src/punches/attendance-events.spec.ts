import {
  AttendanceRecorded,
  ContractViolation,
  createEvent,
  parseEvent,
  PunchResolved,
} from '@realname/contracts';

/**
 * AttendanceRecorded v2 added `resolution`. v1 events are stored in attendance's event store (person-day
 * streams, read on every decision), were published on attendance.records.v1 and feed ClickHouse: they
 * must still read, as punches recorded before resolution existed.
 */
describe('AttendanceRecorded versions', () => {
  // Exactly what the v1 service stored and published.
  const storedV1 = JSON.parse(
    '{"specversion":"1.0","id":"0190a8c4-8f6e-7cc1-a1b2-3c4d5e6f7a8c","source":"/realname/attendance",' +
      '"type":"realname.attendance.AttendanceRecorded","subject":"attendance-P1-10001-2026-11-21",' +
      '"time":"2026-11-20T23:30:00.000Z","datacontenttype":"application/json",' +
      '"dataschema":"urn:realname:schema:realname.attendance.AttendanceRecorded:1","schemaversion":1,' +
      '"correlationid":"0190a8c4-8f6e-7cc1-a1b2-3c4d5e6f7a8b","causationid":"0190a8c4-8f6e-7cc1-a1b2-3c4d5e6f7a8b",' +
      '"region":"330106","data":{"punchEventId":"0190a8c4-8f6e-7cc1-a1b2-3c4d5e6f7a8b","projectId":"P1",' +
      '"personId":"10001","day":"2026-11-21","punchedAt":"2026-11-20T23:30:00.000Z","direction":"in",' +
      '"deviceId":"gate-1","deviceRecordId":"000001","verifyMode":"face","receivedAt":"2026-11-20T23:30:01.000Z"}}',
  );

  it('reads a stored v1 event as v2, unresolved because it was recorded before resolution', () => {
    const e = parseEvent(AttendanceRecorded, storedV1);
    expect(e.schemaversion).toBe(2);
    expect(e.dataschema).toBe('urn:realname:schema:realname.attendance.AttendanceRecorded:2');
    expect(e.data).toEqual({
      ...storedV1.data,
      resolution: { status: 'unresolved', reason: 'recorded-before-resolution' },
    });
  });

  it('writes new events as v2 with the resolution', () => {
    const e = createEvent(
      AttendanceRecorded,
      { ...storedV1.data, resolution: { status: 'resolved', enrolmentId: 'en-1', workerName: '王小明' } },
      { source: '/t', subject: storedV1.subject, region: '330106' },
    );
    expect(e.schemaversion).toBe(2);
    expect(parseEvent(AttendanceRecorded, JSON.parse(JSON.stringify(e))).data.resolution.workerName).toBe(
      '王小明',
    );
  });

  it('refuses a resolution that contradicts itself', () => {
    const opts = { source: '/t', subject: storedV1.subject, region: '330106' };
    for (const resolution of [
      { status: 'resolved', reason: 'exited', enrolmentId: 'en-1' },
      { status: 'resolved' },
      { status: 'unresolved' },
      { status: 'unresolved', reason: 'who-knows' },
    ]) {
      expect(() => createEvent(AttendanceRecorded, { ...storedV1.data, resolution } as never, opts)).toThrow(
        ContractViolation,
      );
    }
  });

  it('publishes PunchResolved on attendance.records.v1, beside AttendanceRecorded (same key: the person-day)', () => {
    expect(PunchResolved.topic).toBe(AttendanceRecorded.topic);
    expect(PunchResolved.topic).toBe('attendance.records.v1');
  });
});
