import { UplinkRecord } from '../uplink';
import { ProvinceBMappingError, PROVINCE_B_TABLES_V1, toProvinceB } from './mapping';

const punch: UplinkRecord = {
  kind: 'attendance',
  key: 'a-1',
  dependsOn: ['w-1'],
  header: { projectCode: 'P1', teamSysNo: 100001 },
  item: {
    idCardType: '01',
    idCardNumber: '440106198500000001',
    date: '2026-12-03 08:00:00',
    direction: '02',
  },
};

describe('Province B style mapping', () => {
  it('puts its own teamId in place of teamSysNo, and renames and recodes the punch', () => {
    expect(toProvinceB(punch, { teamId: 'T000007' })).toEqual({
      ...punch,
      header: { projectCode: 'P1', teamId: 'T000007' },
      item: {
        idCardType: '01',
        idCardNumber: '440106198500000001',
        checkTime: '2026-12-03 08:00:00',
        direction: 'OUT',
      },
    });
  });

  it('refuses to send a record whose team it has not accepted yet, a kind it does not take, an unknown direction', () => {
    expect(() => toProvinceB(punch)).toThrow(/teamId/);
    expect(() => toProvinceB({ ...punch, kind: 'project' })).toThrow(ProvinceBMappingError);
    expect(() =>
      toProvinceB({ ...punch, item: { ...punch.item, direction: '03' } }, { teamId: 'T1' }),
    ).toThrow(/"03" has no code in table "direction"/);
  });

  it('drops the national entry/exit type, as entry and exit are separate resources', () => {
    const exit: UplinkRecord = {
      ...punch,
      kind: 'exit',
      item: { idCardNumber: 'x', date: '2026-12-03', type: 0 },
    };
    expect(toProvinceB(exit, { teamId: 'T1' }).item).toEqual({ idCardNumber: 'x', date: '2026-12-03' });
  });

  it('takes direction codes from the table version it is given', () => {
    // A made-up version, only to prove the codes are data.
    const tables = { ...PROVINCE_B_TABLES_V1, version: 'test-only', tables: { direction: { '02': 'O' } } };
    expect(toProvinceB(punch, { teamId: 'T1' }, tables).item['direction']).toBe('O');
  });
});
