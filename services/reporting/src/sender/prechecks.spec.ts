import { creditCodeCheckChar, residentIdCheckChar } from '@realname/domain-rules';
import { precheck, PrecheckContext, uploadData } from './prechecks';

const ID = '33010619900101123' + residentIdCheckChar('33010619900101123');
const UNIT = '91330100MA27XY1A2' + creditCodeCheckChar('91330100MA27XY1A2');
const ctx = (over: Partial<PrecheckContext> = {}): PrecheckContext => ({
  today: '2026-12-03',
  acceptedUnits: new Set([UNIT]),
  acceptedTeams: new Set(['100001']),
  teamNames: new Map(),
  acceptedWorkers: new Set([ID]),
  lastEntryExit: new Map(),
  workerNames: new Map(),
  ...over,
});
const punch = (date: string) => ({ idCardType: '01', idCardNumber: ID, date, direction: '01' });

describe('local pre-checks of ledger records', () => {
  it('builds the call data the adapter sends: a list for list kinds, the fields for single ones', () => {
    expect(uploadData('attendance', { projectCode: 'P1' }, [{ a: 1 }, { a: 2 }])).toEqual({
      projectCode: 'P1',
      dataList: [{ a: 1 }, { a: 2 }],
    });
    expect(uploadData('team', { projectCode: 'P1' }, [{ teamName: '钢筋班' }])).toEqual({
      projectCode: 'P1',
      teamName: '钢筋班',
    });
  });

  it('passes a day of an uploaded worker in an uploaded team', () => {
    const data = uploadData('attendance', { projectCode: 'P1', teamSysNo: '100001' }, [
      punch('2026-12-02 08:00:00'),
    ]);
    expect(precheck('attendance', data, ctx())).toEqual([]);
  });

  it('finds a punch in the future and a team the platform does not hold, each in both languages', () => {
    const data = uploadData('attendance', { projectCode: 'P1', teamSysNo: '100002' }, [
      punch('2026-12-04 08:00:00'),
    ]);
    const problems = precheck('attendance', data, ctx());
    expect(problems.map((p) => p.code).sort()).toEqual(['date-in-future', 'team-not-uploaded']);
    for (const p of problems) {
      expect(p.zh).not.toBe('');
      expect(p.en).not.toBe('');
    }
  });

  it("counts a participating unit's own enterprise as upstream (the integrity platform registers it)", () => {
    const data = uploadData('participating-unit', { projectCode: 'P1' }, [
      { corpCode: UNIT, corpName: '杭州示例劳务有限公司', corpType: '009' },
    ]);
    expect(precheck('participating-unit', data, ctx())).toEqual([]);
  });

  it('refuses a team of a unit the platform does not hold yet', () => {
    const data = uploadData('team', { projectCode: 'P1' }, [
      { corpCode: UNIT, corpName: '杭州示例劳务有限公司', teamName: '钢筋班' },
    ]);
    expect(precheck('team', data, ctx({ acceptedUnits: new Set() })).map((p) => p.code)).toEqual([
      'unit-not-uploaded',
    ]);
  });
});
