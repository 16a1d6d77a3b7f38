import type { Caller, CallerScope } from './caller';
import { inScope, regionCovers, regionLevel, regionPrefix, validScopeCode } from './scope';

const caller = (kind: CallerScope['kind'], code: string): Pick<Caller, 'scope'> => ({
  scope: { kind, code },
});

describe('region hierarchy (GB/T 2260)', () => {
  it.each([
    ['330000', 'province'],
    ['330100', 'city'],
    ['330106', 'county'],
    ['420100', 'city'],
  ] as const)('%s is a %s', (code, level) => expect(regionLevel(code)).toBe(level));

  it.each([
    // a province covers itself, its cities and their counties
    ['330000', '330000', true],
    ['330000', '330100', true],
    ['330000', '330200', true],
    ['330000', '330106', true],
    ['330000', '420100', false],
    // a city covers itself and its counties, not its sister cities nor its province
    ['330100', '330100', true],
    ['330100', '330106', true],
    ['330100', '330200', false],
    ['330100', '330212', false],
    ['330100', '330000', false],
    // a county covers only itself
    ['330106', '330106', true],
    ['330106', '330105', false],
    ['330106', '330100', false],
    // malformed codes never match
    ['330100', '3301', false],
    ['3301', '330100', false],
    ['330100', '33010x', false],
  ])('%s covers %s: %s', (scope, code, expected) => expect(regionCovers(scope, code)).toBe(expected));
});

describe('inScope', () => {
  const inHangzhouXihu = {
    region: '330106',
    projectId: '330106202401150001',
    creditCode: '91330106MA2H4K7N15',
  };
  const inNingbo = { region: '330203', projectId: '330203202402010002', creditCode: '91330203MA2AAAAA1X' };
  const inWuhan = { region: '420102', projectId: '420102202403030003' };

  it('province: every record of the province, none of another', () => {
    const zj = caller('province', '330000');
    expect(inScope(zj, inHangzhouXihu)).toBe(true);
    expect(inScope(zj, inNingbo)).toBe(true);
    expect(inScope(zj, inWuhan)).toBe(false);
  });

  it('city: its own records and its counties, not a sister city nor another province', () => {
    const hz = caller('city', '330100');
    expect(inScope(hz, inHangzhouXihu)).toBe(true);
    expect(inScope(hz, inNingbo)).toBe(false);
    expect(inScope(hz, inWuhan)).toBe(false);
    expect(inScope(caller('city', '420100'), inWuhan)).toBe(true);
  });

  it('county: only its own records', () => {
    expect(inScope(caller('county', '330106'), inHangzhouXihu)).toBe(true);
    expect(inScope(caller('county', '330106'), { region: '330105' })).toBe(false);
  });

  it('project: the records of that project only, whatever their region', () => {
    const pm = caller('project', '330106202401150001');
    expect(inScope(pm, inHangzhouXihu)).toBe(true);
    expect(inScope(pm, { region: '330106', projectId: '330106202401150009' })).toBe(false);
    expect(inScope(pm, { region: '330106' })).toBe(false);
  });

  it('enterprise: the records of that credit code only (case-insensitive)', () => {
    const ent = caller('enterprise', '91330106MA2H4K7N15');
    expect(inScope(ent, inHangzhouXihu)).toBe(true);
    expect(inScope(ent, { creditCode: '91330106ma2h4k7n15' })).toBe(true);
    expect(inScope(ent, inNingbo)).toBe(false);
    expect(inScope(ent, { region: '330106' })).toBe(false);
  });

  it('a record without the field the scope is about is out of scope', () => {
    expect(inScope(caller('province', '330000'), { projectId: '330106202401150001' })).toBe(false);
    expect(inScope(caller('city', '330100'), {})).toBe(false);
  });
});

describe('regionPrefix and validScopeCode', () => {
  it('gives the SQL LIKE prefix of a region scope', () => {
    expect(regionPrefix({ kind: 'province', code: '330000' })).toBe('33%');
    expect(regionPrefix({ kind: 'city', code: '330100' })).toBe('3301%');
    expect(regionPrefix({ kind: 'county', code: '330106' })).toBe('330106');
    expect(regionPrefix({ kind: 'project', code: 'p1' })).toBeUndefined();
  });

  it('accepts region codes only at the level the kind says', () => {
    expect(validScopeCode('province', '330000')).toBe(true);
    expect(validScopeCode('province', '330100')).toBe(false);
    expect(validScopeCode('city', '330100')).toBe(true);
    expect(validScopeCode('city', '330106')).toBe(false);
    expect(validScopeCode('county', '330106')).toBe(true);
    expect(validScopeCode('county', '330100')).toBe(false);
    expect(validScopeCode('enterprise', '91330106MA2H4K7N15')).toBe(true);
    expect(validScopeCode('enterprise', '91330106MA2H4K7NI5')).toBe(false);
    expect(validScopeCode('project', '330106202401150001')).toBe(true);
    expect(validScopeCode('project', "1' or '1'='1")).toBe(false);
  });
});
