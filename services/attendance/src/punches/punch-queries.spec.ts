import { punchScopeCh } from '../analytics/analytics-queries';
import {
  checkDay,
  checkPageSize,
  checkProjectId,
  InvalidQuery,
  punchScopeSql,
  ScopeNotServed,
} from './punch-queries';

describe('the scope filter of the punch queries (SQL, from the token scope only)', () => {
  it.each([
    [{ kind: 'province', code: '330000' }, 'region LIKE $5', '33%'],
    [{ kind: 'city', code: '330100' }, 'region LIKE $5', '3301%'],
    [{ kind: 'county', code: '330106' }, 'region LIKE $5', '330106'],
    [{ kind: 'project', code: '330106202401150001' }, 'project_id = $5', '330106202401150001'],
  ] as const)('%j keeps punches by %s', (scope, sql, param) => {
    expect(punchScopeSql('att', scope, 5)).toEqual({ sql, param });
  });

  it('keeps an enterprise the punches of enrolments through its units, whatever the case of its code', () => {
    expect(punchScopeSql('att', { kind: 'enterprise', code: '91330106ma2h4k7n15' }, 2)).toEqual({
      sql: 'enrolment_id IN (SELECT enrolment_id FROM att.enrolments WHERE upper(credit_code) = $2)',
      param: '91330106MA2H4K7N15',
    });
  });
});

describe('the scope filter of the analytics (ClickHouse)', () => {
  it('filters by region or project, quoted', () => {
    expect(punchScopeCh({ kind: 'city', code: '330100' })).toBe("region LIKE '3301%'");
    expect(punchScopeCh({ kind: 'county', code: '330106' })).toBe("region LIKE '330106'");
    expect(punchScopeCh({ kind: 'project', code: "P'1" })).toBe("project_id = 'P\\'1'");
  });

  it('refuses an enterprise scope: ClickHouse holds no credit code of a punch', () => {
    expect(() => punchScopeCh({ kind: 'enterprise', code: '91330106MA2H4K7N15' })).toThrow(ScopeNotServed);
  });
});

describe('the query checks (what the OpenAPI document states, so a schema-valid request is never refused)', () => {
  it('takes only calendar days that exist', () => {
    expect(checkDay('day', '2024-02-29')).toBe('2024-02-29');
    expect(checkDay('day', '0001-01-01')).toBe('0001-01-01');
    for (const bad of ['2026-02-30', '2026-13-01', '0000-01-01', '2026-1-1', '', undefined])
      expect(() => checkDay('day', bad)).toThrow(InvalidQuery);
  });

  it('takes a page size of 1-1000 written as a whole number, nothing else', () => {
    expect(checkPageSize(undefined)).toBeUndefined();
    expect(checkPageSize('1')).toBe(1);
    expect(checkPageSize('1000')).toBe(1000);
    for (const bad of ['0', '1001', '', '1.5', '-1', 'abc', ' 5', '1e2'])
      expect(() => checkPageSize(bad)).toThrow(/pageSize must be a whole number 1-1000/);
  });

  it('refuses a project id with control characters (PostgreSQL text cannot hold NUL)', () => {
    expect(checkProjectId('330106202401150001')).toBe('330106202401150001');
    expect(() => checkProjectId('33\u0000')).toThrow(InvalidQuery);
    expect(() => checkProjectId('')).toThrow(/required/);
  });
});
