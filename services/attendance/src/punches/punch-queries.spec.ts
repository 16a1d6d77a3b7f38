import { punchScopeCh } from '../analytics/analytics-queries';
import { punchScopeSql, ScopeNotServed } from './punch-queries';

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
