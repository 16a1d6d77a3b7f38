import { CodeTableError, codeTables, createCodeTableRegistry, NATIONAL_TABLES } from './index';

describe('national code tables', () => {
  it('loads every table with a version and a source note', () => {
    expect([...codeTables.tables()].sort()).toEqual([...NATIONAL_TABLES].sort());
    for (const t of NATIONAL_TABLES) {
      expect(codeTables.version(t)).toBe('national-1.0');
      expect(codeTables.source(t).length).toBeGreaterThan(10);
      expect(codeTables.list(t).length).toBeGreaterThan(0);
    }
  });

  it('holds exactly the codes of CODE-TABLES.md', () => {
    const codes = (t: string) => codeTables.list(t).map((e) => e.code);
    const seq = (from: number, to: number, width: number) =>
      Array.from({ length: to - from + 1 }, (_, i) => String(from + i).padStart(width, '0'));
    expect(codes('corp-type')).toEqual(seq(1, 12, 3));
    expect(codes('id-card-type')).toEqual(seq(1, 17, 2));
    expect(codes('work-role')).toEqual(['10', '20']);
    expect(codes('politics-type')).toEqual(seq(1, 13, 2));
    expect(codes('culture-level')).toEqual([...seq(1, 8, 2), '99']);
    expect(codes('training-type')).toEqual(['003001', '003002', '003003', '003004']);
    expect(codes('project-category')).toEqual([...seq(1, 12, 2), '99']);
    expect(codes('project-status')).toEqual(seq(1, 5, 3));
    expect(codes('attend-type')).toEqual(seq(1, 11, 3));
    expect(codes('marital-status')).toEqual(seq(1, 4, 2));
    expect(codes('construction-nature')).toEqual([...seq(1, 6, 3), '099']);
    expect(codes('bank-code').sort()).toEqual(
      [
        102, 103, 104, 105, 403, 301, 302, 303, 304, 305, 306, 308, 309, 310, 313, 314, 315, 316, 317, 318,
        319, 320, 401, 402,
      ]
        .map(String)
        .sort(),
    );
    const workTypes = codes('work-type');
    expect(workTypes).toHaveLength(39);
    expect(workTypes).not.toContain('260');
    expect(workTypes).not.toContain('370');
    for (const c of ['010', '130', '180', '280', '320', '360', '380', '390', '900', '1000']) {
      expect(workTypes).toContain(c);
    }
    const reg = codes('enterprise-registration-type');
    for (const c of [
      '100',
      '110',
      '141',
      '149',
      '151',
      '159',
      '173',
      '190',
      '210',
      '290',
      '310',
      '390',
      '810',
    ]) {
      expect(reg).toContain(c);
    }
  });

  it('finds entries with Chinese and English names', () => {
    expect(codeTables.get('work-type', '130')).toEqual({
      code: '130',
      name: '建筑电工',
      nameEn: 'electrician',
    });
    expect(codeTables.get('corp-type', '009')?.nameEn).toBe('general contractor');
    expect(codeTables.get('work-type', '999')).toBeUndefined();
  });

  it('keeps 900 as a deprecated work type with a note', () => {
    const e = codeTables.get('work-type', '900');
    expect(e?.deprecated).toBe(true);
    expect(e?.note).toMatch(/late 2020/);
    expect(codeTables.isValid('work-type', '900')).toBe(true);
    expect(codeTables.isValid('work-type', '900', { current: true })).toBe(false);
    expect(codeTables.list('work-type', { current: true }).map((x) => x.code)).not.toContain('900');
    expect(codeTables.isValid('work-type', '130', { current: true })).toBe(true);
  });

  it('treats an unknown table as a programming error', () => {
    expect(() => codeTables.get('work-types', '130')).toThrow(/unknown code table "work-types"/);
  });

  it('freezes its entries', () => {
    const e = codeTables.get('work-type', '130');
    expect(Object.isFrozen(e)).toBe(true);
    expect(Object.isFrozen(codeTables.list('work-type'))).toBe(true);
  });
});

describe('regional overrides', () => {
  const zhejiang = codeTables.withOverrides([
    {
      table: 'work-type',
      version: 'zj-2.0',
      source: 'example Zhejiang data standard V2.0',
      entries: [
        { code: '130', name: '电工', nameEn: 'electrician (regional name)' },
        { code: '901', name: '项目负责人', nameEn: 'project manager' },
      ],
      remove: ['1000'],
    },
    {
      table: 'nation',
      version: 'zj-2.0',
      source: 'GB 3304 numeric codes wanted by an example province',
      entries: [{ code: '01', name: '汉族', nameEn: 'Han' }],
    },
  ]);

  it('adds, redefines and removes entries and gives the table its own version', () => {
    expect(zhejiang.get('work-type', '130')?.name).toBe('电工');
    expect(zhejiang.isValid('work-type', '901')).toBe(true);
    expect(zhejiang.isValid('work-type', '1000')).toBe(false);
    expect(zhejiang.version('work-type')).toBe('national-1.0+zj-2.0');
    expect(zhejiang.source('work-type')).toMatch(/Zhejiang/);
    // order: national order, redefined in place, additions last
    const codes = zhejiang.list('work-type').map((e) => e.code);
    expect(codes.indexOf('130')).toBe(codeTables.list('work-type').findIndex((e) => e.code === '130'));
    expect(codes.at(-1)).toBe('901');
  });

  it('extends the registry with a new table', () => {
    expect(zhejiang.get('nation', '01')?.name).toBe('汉族');
    expect(zhejiang.version('nation')).toBe('zj-2.0');
  });

  it('leaves the national registry and untouched tables alone', () => {
    expect(codeTables.get('work-type', '130')?.name).toBe('建筑电工');
    expect(codeTables.isValid('work-type', '901')).toBe(false);
    expect(() => codeTables.version('nation')).toThrow();
    expect(zhejiang.version('corp-type')).toBe('national-1.0');
  });

  it('stacks: a city applies its overrides over the province', () => {
    const hangzhou = zhejiang.withOverrides({
      table: 'work-type',
      version: 'hz-1',
      source: 'example city addition',
      entries: [{ code: '902', name: '安全员', nameEn: 'safety officer' }],
    });
    expect(hangzhou.version('work-type')).toBe('national-1.0+zj-2.0+hz-1');
    expect(hangzhou.isValid('work-type', '901')).toBe(true);
    expect(hangzhou.isValid('work-type', '902')).toBe(true);
  });

  it('reports every bad override at once', () => {
    let error: unknown;
    try {
      codeTables.withOverrides([
        { table: 'work-type', version: '', source: 'x', entries: [{ code: '1 3', name: '', nameEn: 'x' }] },
        { table: 'corp-type', version: 'v', source: 'x', remove: ['099'] },
        {
          table: 'work-role',
          version: 'v',
          source: 'x',
          entries: [
            { code: '30', name: 'a', nameEn: 'a' },
            { code: '30', name: 'b', nameEn: 'b' },
          ],
        },
      ]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CodeTableError);
    const paths = (error as CodeTableError).problems.map((p) => p.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        '[0].version',
        '[0].entries.0.code',
        '[0].entries.0.name',
        '[1].remove',
        '[2].entries.1.code',
      ]),
    );
  });
});

describe('createCodeTableRegistry', () => {
  it('refuses a table without version or with duplicate codes, naming the problems', () => {
    expect(() =>
      createCodeTableRegistry([
        { table: 'x', source: 's', entries: [{ code: '1', name: 'a', nameEn: 'a' }] },
        { table: 'y', version: '1', source: 's', entries: [] },
      ]),
    ).toThrow(/\[0\]\.version[\s\S]*\[1\]\.entries/);
  });
});
