import { NATIONAL_PROFILE } from '../national/national-uplink';
import { JsonObject, UplinkRecord } from '../uplink';
import {
  missingZhejiangAdditions,
  toZhejiangV2,
  ZHEJIANG_V2_0,
  ZHEJIANG_V2_PROFILE,
  ZhejiangMappingError,
  ZhejiangStandardData,
} from './mapping';

const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(40, 3)]).toString('base64');
const PNG = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  Buffer.alloc(40, 3),
]).toString('base64');
// The 17th character is 1 (odd): a man; the second ends in ...0024 with 17th character 2: a woman.
const MAN = '330106199001011215';
const WOMAN = '330106199202020024';

function workerRecord(item: JsonObject): UplinkRecord {
  return {
    kind: 'project-worker',
    key: 'w-1',
    dependsOn: ['team-1'],
    header: { projectCode: 'P1', teamSysNo: 100001 },
    item: {
      workerName: '张三',
      idCardType: '01',
      idCardNumber: MAN,
      headImage: JPEG,
      startDate: '2015-06-01',
      expiryDate: '2035-06-01',
      ...item,
    },
  };
}

describe('Zhejiang V2.0 profile', () => {
  it('is the national profile with the provincial target and the 24:00 Asia/Shanghai deadline', () => {
    const { target, dailyAttendanceDeadline, ...rest } = ZHEJIANG_V2_PROFILE;
    const { target: nationalTarget, ...national } = NATIONAL_PROFILE;
    expect(target).toBe('zhejiang-v2');
    expect(nationalTarget).toBe('national');
    expect(rest).toEqual(national);
    expect(dailyAttendanceDeadline).toEqual({ localTime: '24:00', timeZone: 'Asia/Shanghai' });
    expect(ZHEJIANG_V2_0).toMatchObject({ standard: 'zhejiang-real-name-data-standard', version: '2.0' });
  });
});

describe('Zhejiang V2.0 worker mapping', () => {
  it('adds gender read from the resident ID, the head image suffix and the ID validity range, keeping national fields', () => {
    const mapped = toZhejiangV2(workerRecord({}), { inDate: '2026-11-02' });
    expect(mapped.item).toEqual({
      ...workerRecord({}).item,
      gender: '1',
      headImageSuffix: 'jpg',
      cardDate: '2015-06-01~2035-06-01',
      inDate: '2026-11-02',
    });
    expect(mapped.header).toEqual(workerRecord({}).header);
    expect(mapped.key).toBe('w-1');
    expect(mapped.dependsOn).toEqual(['team-1']);
    expect(missingZhejiangAdditions(mapped.item)).toEqual([]);
  });

  it('reads a woman from an even 17th character and png from the image bytes, with an exit date', () => {
    const mapped = toZhejiangV2(workerRecord({ idCardNumber: WOMAN, headImage: PNG }), {
      inDate: '2026-01-05',
      outDate: '2026-11-30',
    });
    expect(mapped.item).toMatchObject({ gender: '2', headImageSuffix: 'png', outDate: '2026-11-30' });
  });

  it('takes the gender as given for an ID that is not a resident ID, and refuses to guess it', () => {
    const passport = workerRecord({ idCardType: '03', idCardNumber: 'E12345678' });
    expect(toZhejiangV2(passport, { gender: 'female' }).item['gender']).toBe('2');
    expect(() => toZhejiangV2(passport)).toThrow(ZhejiangMappingError);
  });

  it('refuses what the province cannot take, saying which record', () => {
    expect(() =>
      toZhejiangV2(workerRecord({ headImage: Buffer.from('GIF89a....').toString('base64') })),
    ).toThrow(/w-1.*JPG\/PNG/);
    expect(() => toZhejiangV2(workerRecord({ startDate: '' }))).toThrow(/cardDate/);
    expect(() => toZhejiangV2(workerRecord({}), { inDate: '2026/11/02' })).toThrow(/inDate/);
    expect(() => toZhejiangV2(workerRecord({}), { inDate: '2026-11-02', outDate: '2026-11-01' })).toThrow(
      /outDate is before inDate/,
    );
  });

  it('lists the additions a national-only worker item lacks', () => {
    expect(missingZhejiangAdditions(workerRecord({}).item)).toEqual([
      'gender',
      'headImageSuffix',
      'cardDate',
    ]);
  });

  it('leaves kinds without a known provincial difference in the national shape', () => {
    const punch: UplinkRecord = {
      kind: 'attendance',
      key: 'a-1',
      dependsOn: ['w-1'],
      header: { projectCode: 'P1', teamSysNo: 100001 },
      item: { idCardType: '01', idCardNumber: MAN, date: '2026-12-03 08:00:00', direction: '01' },
    };
    expect(toZhejiangV2(punch)).toEqual(punch);
  });

  it('applies renames and code values from the data version it is given, not from code', () => {
    // A made-up later version, only to prove a new standard version is data: not a real Zhejiang table.
    const later: ZhejiangStandardData = {
      ...ZHEJIANG_V2_0,
      version: 'test-only',
      tables: { ...ZHEJIANG_V2_0.tables, gender: { male: 'M', female: 'F' } },
      renames: { 'project-worker': { teamSysNo: 'teamNo', workerName: 'name' } },
      cardDateSeparator: '/',
    };
    const mapped = toZhejiangV2(workerRecord({}), {}, later);
    expect(mapped.header).toEqual({ projectCode: 'P1', teamNo: 100001 });
    expect(mapped.item).toMatchObject({ name: '张三', gender: 'M', cardDate: '2015-06-01/2035-06-01' });
    expect(mapped.item['workerName']).toBeUndefined();
    const noGenderTable: ZhejiangStandardData = { ...later, tables: { ...later.tables, gender: {} } };
    expect(() => toZhejiangV2(workerRecord({}), {}, noGenderTable)).toThrow(ZhejiangMappingError);
  });
});
