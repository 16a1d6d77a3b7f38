import type { CallerScope } from '@realname/platform';
import { Params, reachOf, ScopeSql } from './scope-sql';

const sql = new ScopeSql('reg');
const where = (scope: CallerScope, of: 'project' | 'enrolment' | 'worker' | 'enterprise' | 'participant') => {
  const params = new Params('first');
  const alias = { project: 'p', enrolment: 'e', worker: 'w', enterprise: 'en', participant: 'pa' }[of];
  return { text: sql[of](scope, alias, params).replace(/\s+/g, ' '), params: params.values };
};

describe('the SQL conditions of a scope', () => {
  it('matches projects of a region scope by division-code prefix, after the statement’s own parameters', () => {
    expect(where({ kind: 'province', code: '330000' }, 'project')).toEqual({
      text: 'p.region LIKE $2',
      params: ['first', '33%'],
    });
    expect(where({ kind: 'city', code: '330100' }, 'project').params).toEqual(['first', '3301%']);
    expect(where({ kind: 'county', code: '330106' }, 'project').params).toEqual(['first', '330106']);
  });

  it('matches a project scope by project id, an enterprise scope through the projects it takes part in', () => {
    expect(where({ kind: 'project', code: '330106202401150001' }, 'project')).toEqual({
      text: 'p.project_id = $2',
      params: ['first', '330106202401150001'],
    });
    const ent = where({ kind: 'enterprise', code: '91330106ma2h4k7n15' }, 'project');
    expect(ent.text).toMatch(
      /EXISTS \(SELECT 1 FROM reg\.participants .*project_id = p\.project_id AND .*credit_code = \$2\)/,
    );
    expect(ent.params).toEqual(['first', '91330106MA2H4K7N15']);
  });

  it('lets an enterprise see its own participant rows and enrolments only; others see every row of their projects', () => {
    expect(where({ kind: 'enterprise', code: '91330106MA2H4K7N15' }, 'participant').text).toBe(
      'pa.credit_code = $2',
    );
    expect(where({ kind: 'city', code: '330100' }, 'participant')).toEqual({
      text: 'true',
      params: ['first'],
    });
    expect(where({ kind: 'enterprise', code: '91330106MA2H4K7N15' }, 'enrolment').text).toBe(
      'e.participant_id = $2',
    );
    expect(where({ kind: 'project', code: 'P1' }, 'enrolment').text).toBe('e.project_id = $2');
    expect(where({ kind: 'city', code: '330100' }, 'enrolment').text).toMatch(
      /EXISTS \(SELECT 1 FROM reg\.projects scope_p WHERE scope_p\.project_id = e\.project_id AND scope_p\.region LIKE \$2\)/,
    );
  });

  it('puts a worker in scope through an in-scope enrolment or the scope that registered them', () => {
    const city = where({ kind: 'city', code: '330100' }, 'worker');
    expect(city.text).toMatch(
      /^\(EXISTS \(SELECT 1 FROM reg\.enrolments scope_e WHERE scope_e\.worker_id = w\.worker_id AND .* OR w\.registered_region LIKE \$3\)$/,
    );
    expect(city.params).toEqual(['first', '3301%', '3301%']);
    const project = where({ kind: 'project', code: 'P1' }, 'worker');
    expect(project.text).toMatch(/w\.registered_scope_kind = \$3 AND w\.registered_scope_code = \$4/);
    expect(project.params).toEqual(['first', 'P1', 'project', 'P1']);
  });

  it('puts an enterprise in scope by its region, its projects, or being the caller’s own', () => {
    const city = where({ kind: 'city', code: '330100' }, 'enterprise');
    expect(city.text).toMatch(/^\(en\.region LIKE \$2 OR EXISTS/);
    expect(city.params).toEqual(['first', '3301%']);
    const own = where({ kind: 'enterprise', code: '91330106MA2H4K7N15' }, 'enterprise');
    expect(own.text).toMatch(/^\(en\.credit_code = \$2 OR EXISTS/);
  });

  it('tells a missing record from one out of scope', () => {
    expect(reachOf(undefined)).toBe('missing');
    expect(reachOf({ in_scope: false })).toBe('out-of-scope');
    expect(reachOf({ in_scope: true })).toBe('in-scope');
  });
});
