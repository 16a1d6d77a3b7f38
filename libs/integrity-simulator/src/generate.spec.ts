import { checkCreditCode, checkResidentId } from '@realname/domain-rules';
import { ChangeFeed } from './feed';
import { generateIntegrityData, INITIAL_LOAD_AT } from './generate';
import { CATEGORIES_FOR_POST, Enterprise, KeyPerson, keyOf, Participant, Project } from './model';

describe('generateIntegrityData', () => {
  const data = generateIntegrityData({ seed: 7, projects: 40 });
  const { fixtures, changes } = data;

  it('gives the same data and feed for the same seed, other data for another seed', () => {
    const again = generateIntegrityData({ seed: 7, projects: 40 });
    expect(again).toEqual(data);
    const other = generateIntegrityData({ seed: 8, projects: 40 });
    expect(other.fixtures.projects.map((p) => p.projectCode)).not.toEqual(
      fixtures.projects.map((p) => p.projectCode),
    );
  });

  it('folds the feed into the fixtures', () => {
    const feed = new ChangeFeed();
    for (const c of changes) feed.append(c);
    const { enterprises, projects, participants, keyPersons } = fixtures;
    expect(feed.snapshot()).toEqual({ enterprises, projects, participants, keyPersons });
    expect(fixtures.lastSeq).toBe(changes.length);
    expect(fixtures.projects).toHaveLength(40);
  });

  it('gives every resident ID and credit code a valid check, in every version of every record', () => {
    const ids = changes.flatMap((c) =>
      c.kind === 'key-person' && c.op === 'upsert' ? [c.data.idCardNumber] : [],
    );
    const codes = changes.flatMap((c) =>
      'creditCode' in c.data ? [c.data.creditCode] : c.kind === 'project' && c.op === 'upsert' ? [] : [],
    );
    for (const p of fixtures.projects) codes.push(p.generalContractorCode, p.constructionOwnerCode);
    expect(ids.length).toBeGreaterThan(100);
    expect(codes.length).toBeGreaterThan(200);
    const badIds = ids.filter((id) => !checkResidentId(id).ok);
    const badCodes = codes.filter((code) => !checkCreditCode(code).ok);
    expect(badIds).toEqual([]);
    expect(badCodes).toEqual([]);
  });

  it('gives every project its general contractor, owner and supervision, and subcontractors once started', () => {
    for (const p of fixtures.projects) {
      const units = fixtures.participants.filter((x) => x.projectCode === p.projectCode);
      const of = (t: string) => units.filter((u) => u.unitType === t);
      expect(of('009').map((u) => u.creditCode)).toEqual([p.generalContractorCode]);
      expect(of('008').map((u) => u.creditCode)).toEqual([p.constructionOwnerCode]);
      expect(of('007')).toHaveLength(1);
      const subs = [...of('001'), ...of('006')];
      if (p.status === '001' || p.status === '002') expect(subs).toHaveLength(0);
      else expect(subs.length).toBeGreaterThanOrEqual(1);
      expect(new Set(units.map((u) => u.creditCode)).size).toBe(units.length);
      for (const u of units) {
        if (u.exitDate) expect(u.exitDate >= u.entryDate).toBe(true);
        if (p.status === '004') expect(u.exitDate).toBeDefined();
      }
    }
  });

  it('registers one key person per post except the deliberately empty ones', () => {
    const empty = new Set(
      fixtures.anomalies.emptyPosts.map((e) => `${e.projectCode}|${e.creditCode}|${e.post}`),
    );
    const expected = fixtures.participants.flatMap((u) =>
      u.unitType === '007'
        ? [`${u.projectCode}|${u.creditCode}|chief-supervising-engineer`]
        : ['009', '001', '006'].includes(u.unitType)
          ? [`${u.projectCode}|${u.creditCode}|project-manager`]
          : [],
    );
    const held = fixtures.keyPersons.map((k) => keyOf('key-person', k));
    expect([...held, ...empty].sort()).toEqual([...expected].sort());
    expect(new Set(fixtures.keyPersons.map((k) => k.idCardNumber)).size).toBe(fixtures.keyPersons.length);
  });

  it('gives the right registration category except to the deliberately wrong ones', () => {
    const wrong = fixtures.keyPersons.filter(
      (k) => !CATEGORIES_FOR_POST[k.post].includes(k.registrationCategory),
    );
    expect(wrong).toEqual(fixtures.anomalies.wrongCategory);
  });

  it('publishes what a record refers to before the record, and never goes back in time', () => {
    const seen = new Set<string>();
    let last = INITIAL_LOAD_AT;
    for (const c of changes) {
      const at = Date.parse(c.at);
      expect(at).toBeGreaterThanOrEqual(last);
      last = at;
      if (c.op === 'delete') continue;
      if (c.kind === 'project') {
        expect(seen.has(`enterprise|${c.data.generalContractorCode}`)).toBe(true);
        expect(seen.has(`enterprise|${c.data.constructionOwnerCode}`)).toBe(true);
      }
      if (c.kind === 'participant' || c.kind === 'key-person') {
        expect(seen.has(`project|${c.data.projectCode}`)).toBe(true);
        expect(seen.has(`enterprise|${c.data.creditCode}`)).toBe(true);
      }
      if (c.kind === 'key-person')
        expect(seen.has(`participant|${c.data.projectCode}|${c.data.creditCode}`)).toBe(true);
      seen.add(`${c.kind}|${keyOf(c.kind, c.data)}`);
    }
  });

  it('has some history after the initial load: updates and deletes', () => {
    const later = changes.filter((c) => Date.parse(c.at) > INITIAL_LOAD_AT + 86_400_000);
    expect(later.length).toBeGreaterThan(5);
    expect(changes.some((c) => c.op === 'delete')).toBe(true);
    const flat = generateIntegrityData({ seed: 7, projects: 40, history: false });
    expect(flat.changes.every((c) => c.op === 'upsert')).toBe(true);
    const keys = flat.changes.map((c) => `${c.kind}|${keyOf(c.kind, c.data)}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('leaves every post empty, or gives every one a wrong category, when asked to', () => {
    const empty = generateIntegrityData({ seed: 3, projects: 5, emptyPostRate: 1 }).fixtures;
    expect(empty.keyPersons).toEqual([]);
    expect(empty.anomalies.emptyPosts.length).toBeGreaterThanOrEqual(10);
    const wrong = generateIntegrityData({
      seed: 3,
      projects: 5,
      wrongCategoryRate: 1,
      emptyPostRate: 0,
    }).fixtures;
    expect(wrong.keyPersons.length).toBeGreaterThanOrEqual(10);
    expect(wrong.anomalies.wrongCategory).toEqual(wrong.keyPersons);
    const clean = generateIntegrityData({
      seed: 3,
      projects: 5,
      wrongCategoryRate: 0,
      emptyPostRate: 0,
    }).fixtures;
    expect(clean.anomalies).toEqual({ wrongCategory: [], emptyPosts: [] });
  });

  it('produces records of the documented shapes', () => {
    for (const e of fixtures.enterprises) expect(Enterprise.safeParse(e).success).toBe(true);
    for (const p of fixtures.projects) expect(Project.safeParse(p).success).toBe(true);
    for (const p of fixtures.participants) expect(Participant.safeParse(p).success).toBe(true);
    for (const k of fixtures.keyPersons) expect(KeyPerson.safeParse(k).success).toBe(true);
    expect(fixtures.projects.every((p) => p.region === '330106')).toBe(true);
  });

  it('refuses options out of range', () => {
    expect(() => generateIntegrityData({ seed: 1, projects: -1 })).toThrow(RangeError);
    expect(() => generateIntegrityData({ seed: 1, projects: 1, region: '33' })).toThrow(RangeError);
    expect(() => generateIntegrityData({ seed: 1, projects: 1, emptyPostRate: 2 })).toThrow(RangeError);
  });
});
