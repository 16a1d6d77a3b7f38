import { codeTables } from '../code-tables';
import { creditCodeOverrides } from '../identity/credit-code';
import {
  checkEnterpriseUpload,
  checkParticipatingUnitUpload,
  checkProjectUpload,
  checkProjectWorkerUpload,
  checkTeamUpload,
} from './checks';
import {
  enterprise,
  GENERAL_CONTRACTOR,
  gif,
  jpeg,
  png,
  project,
  projectWorkerEntry,
  projectWorkers,
  SUBCONTRACTOR,
  team,
  TEAM_NO,
  teamContext,
  teamOnly,
  TODAY,
  unit,
  unitContext,
  ZHANG,
} from './fixtures.spec-support';

const codes = (problems: { code: string }[]) => problems.map((p) => p.code);

describe('enterprise (Corp.Upload)', () => {
  it('Given a complete enterprise, when checked, then nothing is wrong', () => {
    expect(checkEnterpriseUpload(enterprise(), { today: TODAY })).toEqual([]);
  });

  it('Given a credit code with a wrong check character, when checked, then it is refused and corrected on the integrity platform', () => {
    const bad = `${GENERAL_CONTRACTOR.slice(0, 17)}${GENERAL_CONTRACTOR[17] === '0' ? '1' : '0'}`;
    const [p, ...rest] = checkEnterpriseUpload({ ...enterprise(), corpCode: bad }, { today: TODAY });
    expect(rest).toEqual([]);
    expect(p).toMatchObject({ code: 'credit-code-invalid', path: 'corpCode' });
    expect(p.zh).toContain('最后一位校验码不对');
    expect(p.zh).toContain('建筑市场监管与诚信信息平台');
    expect(p.en).toContain('on the integrity platform');
  });

  it('Given an audited pilot code, when checked with the override list, then it passes', () => {
    const bad = `${GENERAL_CONTRACTOR.slice(0, 17)}${GENERAL_CONTRACTOR[17] === '0' ? '1' : '0'}`;
    const ctx = { today: TODAY, creditCodeOverrides: creditCodeOverrides([bad]) };
    expect(checkEnterpriseUpload({ ...enterprise(), corpCode: bad }, ctx)).toEqual([]);
  });

  it.each([
    ['33010', 'it must be 6 digits'],
    ['990101', 'its first two digits name no province'],
    ['830000', 'its first two digits name no province'],
  ])('Given area code %s, when checked, then it is not GB/T 2260 because %s', (areaCode, reason) => {
    const [p] = checkEnterpriseUpload({ ...enterprise(), areaCode }, { today: TODAY });
    expect(p).toMatchObject({ code: 'area-code-invalid', path: 'areaCode' });
    expect(p.en).toContain(reason);
  });

  it('Given a full division table, when the area code is not in it, then it is refused', () => {
    const ctx = { today: TODAY, areaCodes: new Set(['330102']) };
    expect(codes(checkEnterpriseUpload(enterprise(), ctx))).toEqual(['area-code-invalid']);
    expect(checkEnterpriseUpload({ ...enterprise(), areaCode: '330102' }, ctx)).toEqual([]);
  });

  it('Given a registration type outside the table, when checked, then the code is named', () => {
    const [p] = checkEnterpriseUpload({ ...enterprise(), corpType: '155' }, { today: TODAY });
    expect(p).toMatchObject({ code: 'code-value-unknown', path: 'corpType' });
    expect(p.zh).toContain('企业登记注册类型“155”');
  });

  it("Given a legal representative's invalid resident ID, when checked, then it is shown masked", () => {
    const bad = `${ZHANG.slice(0, 17)}${ZHANG[17] === '1' ? '2' : '1'}`;
    const [p] = checkEnterpriseUpload({ ...enterprise(), legalManIDCardNumber: bad }, { today: TODAY });
    expect(p).toMatchObject({ code: 'id-number-invalid', path: 'legalManIDCardNumber' });
    expect(p.zh).not.toContain(bad);
    expect(p.zh).toContain(`${bad.slice(0, 4)}**********${bad.slice(-4)}`);
  });

  it('Given a today that is not a date, when checked, then it is a programming error', () => {
    expect(() => checkEnterpriseUpload(enterprise(), { today: '2026-02-30' })).toThrow(RangeError);
  });
});

describe('project (Project.Add)', () => {
  it('Given a complete project, when checked, then nothing is wrong', () => {
    expect(checkProjectUpload(project(), { today: TODAY })).toEqual([]);
  });

  it('Given values outside the code tables and the protocol sets, when checked, then each is named by path', () => {
    const r = {
      ...project(),
      category: '13',
      prjStatus: '009',
      propertyNum: '007',
      approvalLevelNum: '007',
      prjSize: '04',
    };
    const problems = checkProjectUpload(r, { today: TODAY });
    expect(problems.map((p) => [p.code, p.path])).toEqual([
      ['code-value-unknown', 'category'],
      ['code-value-unknown', 'prjStatus'],
      ['code-value-unknown', 'propertyNum'],
      ['code-value-unknown', 'approvalLevelNum'],
      ['code-value-unknown', 'prjSize'],
    ]);
  });

  it('Given a missing area code and contractor, when checked, then each is asked for', () => {
    const problems = checkProjectUpload(
      { ...project(), areaCode: ' ', contractorCorpCode: '' },
      { today: TODAY },
    );
    expect(problems.map((p) => [p.code, p.path])).toEqual([
      ['field-missing', 'contractorCorpCode'],
      ['field-missing', 'areaCode'],
    ]);
    expect(problems[1].en).toBe(
      'The area code of project 西湖区示例安置房项目 is empty: fill it in on the integrity platform (the data is shared from there and cannot be changed here).',
    );
  });
});

describe('participating unit (ProjectSubContractor.Add)', () => {
  it('Given a unit whose enterprise is accepted, when checked, then nothing is wrong', () => {
    expect(checkParticipatingUnitUpload(unit(), unitContext())).toEqual([]);
  });

  it('Given an enterprise not yet accepted upstream, when checked, then the unit waits for it', () => {
    const [p] = checkParticipatingUnitUpload(unit(), { ...unitContext(), acceptedEnterprises: new Set() });
    expect(p).toMatchObject({ code: 'enterprise-not-uploaded', path: 'corpCode' });
    expect(p.zh).toContain(`杭州示例劳务有限公司（${SUBCONTRACTOR}）`);
    expect(p.en).toContain(`杭州示例劳务有限公司 (${SUBCONTRACTOR})`);
  });

  it('Given an entry time tomorrow, when checked, then it is a date in the future', () => {
    const [p] = checkParticipatingUnitUpload({ ...unit(), entryTime: '2026-12-04 08:00:00' }, unitContext());
    expect(p).toMatchObject({ code: 'date-in-future', path: 'entryTime' });
    expect(p.zh).toBe(
      '参建单位 杭州示例劳务有限公司 的进场时间为 2026-12-04 08:00:00，晚于今天（2026-12-03）：请在实名制系统“参建单位”中改为今天或更早的日期。',
    );
  });

  it('Given an entry time later today, when checked, then it is not in the future (days are compared)', () => {
    expect(
      checkParticipatingUnitUpload({ ...unit(), entryTime: '2026-12-03 23:59:59' }, unitContext()),
    ).toEqual([]);
  });

  it('Given an entry time without seconds or an exit before the entry, when checked, then both are named', () => {
    expect(
      codes(checkParticipatingUnitUpload({ ...unit(), entryTime: '2026-03-01 08:00' }, unitContext())),
    ).toEqual(['date-invalid']);
    const [p] = checkParticipatingUnitUpload({ ...unit(), exitTime: '2026-02-01 08:00:00' }, unitContext());
    expect(p).toMatchObject({ code: 'date-range-reversed', path: 'exitTime' });
  });

  it('Given a participation type or bank code outside the tables, when checked, then both are refused', () => {
    const r = {
      ...unit(),
      corpType: '013',
      bankInfos: [{ bankCode: '999', bankName: 'x', bankNumber: '1' }],
    };
    expect(checkParticipatingUnitUpload(r, unitContext()).map((p) => p.path)).toEqual([
      'corpType',
      'bankInfos[0].bankCode',
    ]);
  });
});

describe('team (Team.Add / Team.Update)', () => {
  it('Given a team of an accepted unit, when checked, then nothing is wrong', () => {
    expect(checkTeamUpload(team(), teamContext())).toEqual([]);
  });

  it('Given a unit not yet accepted, when checked, then the team waits for it', () => {
    expect(codes(checkTeamUpload(team(), { ...teamContext(), acceptedUnits: new Set() }))).toEqual([
      'unit-not-uploaded',
    ]);
  });

  it('Given an update with a teamSysNo the platform never issued, when checked, then the team is not uploaded', () => {
    const [p] = checkTeamUpload({ ...team(), teamSysNo: 'T-9999' }, teamContext());
    expect(p).toMatchObject({ code: 'team-not-uploaded', path: 'teamSysNo' });
    expect(p.zh).toContain('木工一班（T-9999）');
  });

  it("Given an update renaming a team to another team's name, when checked, then the name is taken", () => {
    const ctx = { ...teamContext(), acceptedTeams: new Set([TEAM_NO, 'T-0002']) };
    const [p] = checkTeamUpload({ ...team(), teamSysNo: 'T-0002' }, ctx);
    expect(p).toMatchObject({ code: 'team-name-taken', path: 'teamName' });
    // On Add the same name is the same team upstream: "already exists" is reconciled, not refused.
    expect(checkTeamUpload(team(), ctx)).toEqual([]);
  });

  it('Given six entry attachments, one over 1 MB, when checked, then both limits are reported', () => {
    const big = { name: '大文件.pdf', data: Buffer.alloc(1024 * 1024 + 1).toString('base64') };
    const small = { name: 'a.pdf', data: 'AAAA' };
    const r = { ...team(), entryAttachments: [big, small, small, small, small, small] };
    const problems = checkTeamUpload(r, teamContext());
    expect(problems.map((p) => [p.code, p.path])).toEqual([
      ['attachments-too-many', 'entryAttachments'],
      ['attachment-too-large', 'entryAttachments[0].data'],
    ]);
    expect(problems[1].zh).toContain('附件“大文件.pdf”为 1025 KB，超过 1024 KB');
  });

  it("Given a team leader's ID number of the wrong length, when checked, then the reason says so", () => {
    const [p] = checkTeamUpload({ ...team(), teamLeaderIdNumber: ZHANG.slice(0, 15) }, teamContext());
    expect(p).toMatchObject({ code: 'id-number-invalid', path: 'teamLeaderIdNumber' });
    expect(p.zh).toContain('班组长 张三');
    expect(p.zh).toContain('应为 18 位');
  });

  it('Given an ID number of another document type, when checked, then no resident-ID rule applies', () => {
    expect(
      checkTeamUpload(
        { ...team(), teamLeaderIdcardType: '08', teamLeaderIdNumber: 'E12345678' },
        teamContext(),
      ),
    ).toEqual([]);
  });
});

describe('project worker (ProjectWorker.Add)', () => {
  const withWorker = (patch: Partial<ReturnType<typeof projectWorkerEntry>>) => ({
    ...projectWorkers(),
    workerList: [{ ...projectWorkerEntry(), ...patch }],
  });

  it('Given a complete worker in an accepted team, when checked, then nothing is wrong', () => {
    expect(checkProjectWorkerUpload(projectWorkers(), teamOnly())).toEqual([]);
    expect(checkProjectWorkerUpload(withWorker({ headImage: png(10 * 1024) }), teamOnly())).toEqual([]);
  });

  it('Given a head image over 50 KB, when checked, then the sentence says how big and what to do where', () => {
    const [p, ...rest] = checkProjectWorkerUpload(withWorker({ headImage: jpeg(63 * 1024) }), teamOnly());
    expect(rest).toEqual([]);
    expect(p).toEqual({
      code: 'head-image-too-large',
      path: 'workerList[0].headImage',
      zh: '工人 张三 的头像为 63 KB，超过 50 KB：请在实名制系统“工人信息”中重新上传不超过 50 KB 的 JPG 或 PNG 照片。',
      en: 'The head photo of worker 张三 is 63 KB, over 50 KB: upload a JPG or PNG of at most 50 KB again under Workers in the site system.',
    });
  });

  it('Given a head image of exactly 50 KB, when checked, then it is accepted (the limit is inclusive)', () => {
    expect(checkProjectWorkerUpload(withWorker({ headImage: jpeg(50 * 1024) }), teamOnly())).toEqual([]);
    expect(
      codes(checkProjectWorkerUpload(withWorker({ headImage: jpeg(50 * 1024 + 1) }), teamOnly())),
    ).toEqual(['head-image-too-large']);
  });

  it('Given no head image, when checked, then it is missing', () => {
    expect(codes(checkProjectWorkerUpload(withWorker({ headImage: undefined }), teamOnly()))).toEqual([
      'head-image-missing',
    ]);
    expect(codes(checkProjectWorkerUpload(withWorker({ headImage: '' }), teamOnly()))).toEqual([
      'head-image-missing',
    ]);
  });

  it('Given a GIF, text that is not Base64, or a data URI, when checked, then it is not a JPG or PNG', () => {
    for (const headImage of [gif(1000), 'not base64!', `data:image/jpeg;base64,${jpeg(1000)}`]) {
      expect(codes(checkProjectWorkerUpload(withWorker({ headImage }), teamOnly()))).toEqual([
        'head-image-not-jpg-png',
      ]);
    }
  });

  it('Given ID card images over 500 KB or not an image, when checked, then each side is named', () => {
    const r = withWorker({ positiveIDCardImage: jpeg(501 * 1024), negativeIDCardImage: gif(100) });
    const problems = checkProjectWorkerUpload(r, teamOnly());
    expect(problems.map((p) => [p.code, p.path])).toEqual([
      ['id-card-image-too-large', 'workerList[0].positiveIDCardImage'],
      ['id-card-image-not-jpg-png', 'workerList[0].negativeIDCardImage'],
    ]);
    expect(problems[0].zh).toContain('身份证正面照片为 501 KB，超过 500 KB');
    expect(problems[1].en).toContain('ID card back image');
  });

  it('Given a team the platform has not issued a teamSysNo for, when checked, then the workers wait for it', () => {
    const [p] = checkProjectWorkerUpload(projectWorkers(), { ...teamOnly(), acceptedTeams: new Set() });
    expect(p).toMatchObject({ code: 'team-not-uploaded', path: 'teamSysNo' });
    expect(p.en).toContain('then submit this worker again');
  });

  it('Given six workers in one call, when checked, then the batch is too large', () => {
    const r = { ...projectWorkers(), workerList: Array.from({ length: 6 }, projectWorkerEntry) };
    expect(codes(checkProjectWorkerUpload(r, teamOnly()))).toEqual(['batch-too-large']);
    expect(codes(checkProjectWorkerUpload({ ...projectWorkers(), workerList: [] }, teamOnly()))).toEqual([
      'batch-empty',
    ]);
  });

  it('Given codes outside the tables, when checked, then each field is named', () => {
    const r = withWorker({
      idCardType: '18',
      workType: '260',
      workRole: 30,
      isTeamLeader: 2,
      politicsType: '14',
      cultureLevelType: '09',
      maritalStatus: '05',
      payRollTopBankCode: '101',
      hasBuyInsurance: 3,
    });
    expect(checkProjectWorkerUpload(r, teamOnly()).map((p) => p.path.replace('workerList[0].', ''))).toEqual([
      'idCardType',
      'workType',
      'workRole',
      'isTeamLeader',
      'hasBuyInsurance',
      'politicsType',
      'cultureLevelType',
      'maritalStatus',
      'payRollTopBankCode',
    ]);
  });

  it('Given the retired work type 900, when checked, then a current one is asked for', () => {
    expect(codeTables.isValid('work-type', '900')).toBe(true);
    const [p] = checkProjectWorkerUpload(withWorker({ workType: '900' }), teamOnly());
    expect(p).toMatchObject({ code: 'code-value-retired', path: 'workerList[0].workType' });
  });

  it('Given a region whose table adds a work type, when checked with its registry, then the code passes', () => {
    const regional = codeTables.withOverrides({
      table: 'work-type',
      version: 'zj-1',
      source: 'test region',
      entries: [{ code: '260', name: '测试工种', nameEn: 'test trade' }],
    });
    expect(
      checkProjectWorkerUpload(withWorker({ workType: '260' }), { ...teamOnly(), codeTables: regional }),
    ).toEqual([]);
  });

  it('Given a resident ID whose birth date is after today, when checked, then the ID is invalid', () => {
    const [p] = checkProjectWorkerUpload(
      withWorker({ idCardNumber: `330106202701011230`.slice(0, 17) + 'X' }),
      teamOnly(),
    );
    expect(p.code).toBe('id-number-invalid');
    expect(p.zh).toContain('其中的出生日期不对');
  });

  it('Given an ID validity starting tomorrow or ending before it starts, when checked, then the dates are named', () => {
    expect(codes(checkProjectWorkerUpload(withWorker({ startDate: '2026-12-04' }), teamOnly()))).toEqual([
      'date-in-future',
    ]);
    expect(codes(checkProjectWorkerUpload(withWorker({ expiryDate: '2010-01-01' }), teamOnly()))).toEqual([
      'date-range-reversed',
    ]);
    // Long-term cards carry a word, not a date, as their end.
    expect(checkProjectWorkerUpload(withWorker({ expiryDate: '长期' }), teamOnly())).toEqual([]);
  });

  it('Given missing name and ID number, when checked, then the worker is named by what is known', () => {
    const problems = checkProjectWorkerUpload(withWorker({ workerName: '', idCardNumber: '' }), teamOnly());
    expect(problems.map((p) => p.path)).toEqual(['workerList[0].workerName', 'workerList[0].idCardNumber']);
    expect(problems[1].en).toBe(
      'The ID number of the worker is empty: fill it in under Workers in the site system.',
    );
  });

  it('Given a head image and an unknown name, when it is too large, then the worker is named by masked ID', () => {
    const r = withWorker({ workerName: ' ', headImage: jpeg(60 * 1024) });
    const p = checkProjectWorkerUpload(r, teamOnly()).find((x) => x.code === 'head-image-too-large');
    expect(p?.zh).toContain(`工人 ${ZHANG.slice(0, 4)}**********${ZHANG.slice(-4)} 的头像`);
  });
});

describe('how subjects read', () => {
  it('Given a name, when worded, then Chinese puts it between spaces; without one, the word alone', () => {
    const named = checkProjectWorkerUpload(
      { ...projectWorkers(), workerList: [{ ...projectWorkerEntry(), workType: '' }] },
      teamOnly(),
    );
    expect(named[0].zh).toBe('工人 张三 的工种为空：请在实名制系统“工人信息”中补填。');
    const unnamed = checkProjectWorkerUpload(
      {
        ...projectWorkers(),
        workerList: [{ ...projectWorkerEntry(), workerName: '', idCardNumber: '', headImage: '' }],
      },
      teamOnly(),
    );
    expect(unnamed.map((p) => p.zh)).toEqual([
      '工人的姓名为空：请在实名制系统“工人信息”中补填。',
      '工人的证件号码为空：请在实名制系统“工人信息”中补填。',
      '工人 （未填姓名和证件号） 没有头像：请在实名制系统“工人信息”中上传不超过 50 KB 的 JPG 或 PNG 照片。',
    ]);
  });
});
