import fc from 'fast-check';
import { normaliseHikvisionRecords, normaliseUfaceRecords } from './records';

const TZ = 'Asia/Shanghai';

const info = (over: Record<string, unknown> = {}) => ({
  major: 5,
  minor: 75,
  time: '2026-11-21T07:41:02+08:00',
  cardType: 1,
  name: 'Test Worker',
  cardReaderNo: 1,
  doorNo: 1,
  employeeNoString: '1001',
  serialNo: 120,
  userType: 'normal',
  currentVerifyMode: 'cardOrFace',
  mask: 'no',
  pictureURL: 'http://192.168.1.64/LOCALS/pic/acsLinkCap/x.jpg',
  attendanceStatus: 'checkOut',
  ...over,
});

describe('normaliseHikvisionRecords (AcsEvent InfoList)', () => {
  it('turns passes into punches keyed by serialNo and sorts out the rest', () => {
    const r = normaliseHikvisionRecords(
      [
        info(),
        info({ minor: 76, serialNo: 121 }), // face failure
        info({ minor: 0x19, serialNo: 122, employeeNoString: undefined }), // door open
        info({ serialNo: 123, time: 'soon' }),
        'garbage',
        info({
          serialNo: 124,
          employeeNoString: undefined,
          employeeNo: 77,
          minor: 1,
          attendanceStatus: undefined,
        }),
      ],
      TZ,
    );
    expect(r.punches).toEqual([
      {
        index: 0,
        recordId: '120',
        personId: '1001',
        deviceTime: '2026-11-21T07:41:02+08:00',
        punchedAt: new Date('2026-11-20T23:41:02Z'),
        direction: 'out',
        verifyMode: 'face',
      },
      expect.objectContaining({ index: 5, recordId: '124', personId: '77', verifyMode: 'card' }),
    ]);
    expect(r.ignored.map((i) => i.index)).toEqual([1, 2]);
    expect(r.invalid).toEqual([
      { field: 'records[3].time', message: expect.any(String) },
      { field: 'records[4]', message: expect.any(String) },
    ]);
  });

  it('fuzz: never throws, every record is accounted for once, valid records survive among junk', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.jsonValue(),
            fc.constant(info()),
            fc.record({
              major: fc.jsonValue(),
              minor: fc.jsonValue(),
              time: fc.jsonValue(),
              employeeNoString: fc.jsonValue(),
              serialNo: fc.jsonValue(),
            }),
          ),
          { maxLength: 40 },
        ),
        (records) => {
          const r = normaliseHikvisionRecords(records, TZ);
          expect(r.punches.length + r.ignored.length + r.invalid.length).toBe(records.length);
          const valid = records.filter((x) => JSON.stringify(x) === JSON.stringify(info())).length;
          expect(r.punches.filter((p) => p.recordId === '120').length).toBe(valid);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('normaliseUfaceRecords (findRecords)', () => {
  const rec = (over: Record<string, unknown> = {}) => ({
    id: 9,
    personId: 'P-1001',
    time: 1763683262000,
    type: 'face_0',
    path: 'ftp://192.168.1.70/2026-11-21/x.jpg',
    ...over,
  });

  it('turns recognised passes into punches without a record id', () => {
    const r = normaliseUfaceRecords(
      [
        rec(),
        rec({ time: '1763683262' }),
        rec({ type: 'face_2', personId: 'STRANGERBABY' }),
        rec({ type: 'face_1' }),
        rec({ personId: 'STRANGERBABY' }),
        rec({ time: 'now' }),
        rec({ type: 'card_0', personId: 42 }),
        rec({ personId: 'IDCARD' }),
        rec({ time: '2026-11-21 07:41:02' }),
      ],
      TZ,
    );
    expect(r.punches).toEqual([
      {
        index: 0,
        personId: 'P-1001',
        deviceTime: '1763683262000',
        punchedAt: new Date(1763683262000),
        verifyMode: 'face',
      },
      {
        index: 1,
        personId: 'P-1001',
        deviceTime: '1763683262',
        punchedAt: new Date(1763683262000),
        verifyMode: 'face',
      },
      {
        index: 6,
        personId: '42',
        deviceTime: '1763683262000',
        punchedAt: new Date(1763683262000),
        verifyMode: 'card',
      },
      expect.objectContaining({ index: 8 }),
    ]);
    expect(r.punches[3]).toMatchObject({ index: 8, punchedAt: new Date('2026-11-20T23:41:02Z') });
    expect(r.ignored.map((i) => i.index)).toEqual([2, 3, 4, 7]);
    expect(r.invalid).toEqual([{ field: 'records[5].time', message: expect.any(String) }]);
  });

  it('fuzz: never throws and accounts for every record', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.jsonValue(), fc.constant(rec())), { maxLength: 40 }), (records) => {
        const r = normaliseUfaceRecords(records, TZ);
        expect(r.punches.length + r.ignored.length + r.invalid.length).toBe(records.length);
      }),
      { numRuns: 300 },
    );
  });
});
