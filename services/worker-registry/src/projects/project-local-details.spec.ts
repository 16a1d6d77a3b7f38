import type { Database } from '@realname/eventstore';
import type { CallerScope } from '@realname/platform';
import {
  changeFromMask,
  integrityOwnedFields,
  integrityOwnedMessage,
  PROJECT_MASK_PATHS,
  ProjectLocalDetails,
} from './project-local-details';
import { INTEGRITY_OWNED_PROJECT_FIELDS, LOCAL_PROJECT_FIELDS } from './project-queries';

/** A Database that records statements and answers the UPDATE with the given rows. */
function fakeDb(rows: Record<string, unknown>[]) {
  const calls: { sql: string; params: unknown[] }[] = [];
  const db = {
    query: async (sql: string, params: unknown[] = []) => {
      calls.push({ sql, params });
      return rows;
    },
  } as unknown as Database;
  return { db, calls };
}

describe('integrity-owned fields', () => {
  it('says which fields, that they belong to the integrity platform, and where to correct them', () => {
    expect(integrityOwnedMessage(['name'])).toBe(
      'name belongs to the integrity platform and cannot be changed here; correct it on the integrity platform and the change will arrive with the next sync',
    );
    expect(integrityOwnedMessage(['name', 'status'])).toBe(
      'name, status belong to the integrity platform and cannot be changed here; correct them on the integrity platform and the change will arrive with the next sync',
    );
  });

  it('picks the integrity-owned among the named fields, each once, in order', () => {
    expect(integrityOwnedFields(['remark', 'status', 'name', 'status', 'siteContactPhone'])).toEqual([
      'status',
      'name',
    ]);
    expect(integrityOwnedFields(['remark', 'siteContactPhone', 'unknown'])).toEqual([]);
  });

  it('every mask path is a field REST knows, integrity-owned or local', () => {
    for (const field of Object.values(PROJECT_MASK_PATHS))
      expect([...INTEGRITY_OWNED_PROJECT_FIELDS, ...LOCAL_PROJECT_FIELDS]).toContain(field);
    for (const field of LOCAL_PROJECT_FIELDS) expect(Object.values(PROJECT_MASK_PATHS)).toContain(field);
  });
});

describe('changeFromMask (UpdateProject)', () => {
  it('refuses an empty mask', () => {
    expect(changeFromMask([], { remark: 'x' })).toEqual({
      outcome: 'invalid',
      errors: [expect.objectContaining({ field: 'update_mask' })],
    });
  });

  it('refuses integrity-owned paths, named as paths, before looking at anything else', () => {
    expect(
      changeFromMask(['remark', 'general_contractor_code', 'no_such_field', 'status'], { remark: 'x' }),
    ).toEqual({
      outcome: 'integrity-owned',
      fields: ['general_contractor_code', 'status'],
      message: integrityOwnedMessage(['general_contractor_code', 'status']),
    });
    for (const path of [
      'project_id',
      'name',
      'region',
      'category',
      'status',
      'address',
      'construction_owner_code',
    ])
      expect(changeFromMask([path], {})).toMatchObject({ outcome: 'integrity-owned', fields: [path] });
  });

  it('refuses paths that are no field of Project, naming them', () => {
    const r = changeFromMask(['remark', 'siteContactPhone'], {});
    expect(r).toEqual({
      outcome: 'invalid',
      errors: [{ field: 'update_mask', message: expect.stringContaining('"siteContactPhone"') }],
    });
  });

  it('takes the named local values only; an empty value clears', () => {
    expect(changeFromMask(['site_contact_phone'], { siteContactPhone: '13912345678', remark: 'x' })).toEqual({
      outcome: 'change',
      changes: { siteContactPhone: '13912345678' },
    });
    expect(changeFromMask(['remark', 'site_contact_phone', 'remark'], { remark: '' })).toEqual({
      outcome: 'change',
      changes: { remark: null, siteContactPhone: null },
    });
  });
});

const HANGZHOU: CallerScope = { kind: 'city', code: '330100' };

/** A Database answering the UPDATE with `updated` and the existence check with `known`. */
function scopedDb(updated: Record<string, unknown>[], known: Record<string, unknown>[]) {
  const calls: { sql: string; params: unknown[] }[] = [];
  const db = {
    query: async (sql: string, params: unknown[] = []) => {
      calls.push({ sql, params });
      return sql.trimStart().startsWith('UPDATE') ? updated : known;
    },
  } as unknown as Database;
  return { db, calls };
}

describe('ProjectLocalDetails', () => {
  it('REST: refuses integrity-owned fields first, then invalid values, without touching the database', async () => {
    const { db, calls } = fakeDb([]);
    const details = new ProjectLocalDetails(db, 'registry');
    expect(await details.update('P1', { name: 'x', siteContactPhone: 'nope' }, HANGZHOU)).toEqual({
      outcome: 'integrity-owned',
      fields: ['name'],
      message: integrityOwnedMessage(['name']),
    });
    expect(await details.update('P1', { siteContactPhone: '12345' }, HANGZHOU)).toEqual({
      outcome: 'invalid',
      errors: [{ field: 'siteContactPhone', message: 'must be a mainland mobile number' }],
    });
    expect(await details.update('P1', { remark: 'x'.repeat(501) }, HANGZHOU)).toMatchObject({
      outcome: 'invalid',
      errors: [{ field: 'remark' }],
    });
    expect(await details.update('P1', { color: 'red' }, HANGZHOU)).toMatchObject({ outcome: 'invalid' });
    expect(calls).toEqual([]);
  });

  it('REST: updates only the named fields of a project in scope; null clears; unknown is not found, outside the scope refused', async () => {
    const { db, calls } = fakeDb([{ site_contact_phone: '13912345678', remark: 'gate 2' }]);
    expect(
      await new ProjectLocalDetails(db, 'reg_x').update('P1', { siteContactPhone: '13912345678' }, HANGZHOU),
    ).toEqual({
      outcome: 'updated',
      projectId: 'P1',
      siteContactPhone: '13912345678',
      remark: 'gate 2',
    });
    expect(calls[0].sql).toContain('UPDATE reg_x.projects');
    // The scope is part of the UPDATE's WHERE: a project outside it is never changed.
    expect(calls[0].sql).toContain('p.region LIKE $6');
    expect(calls[0].params).toEqual(['P1', true, '13912345678', false, null, '3301%']);

    const none = scopedDb([], []);
    expect(
      await new ProjectLocalDetails(none.db, 'reg_x').update('NOPE', { remark: null }, HANGZHOU),
    ).toEqual({ outcome: 'not-found', projectId: 'NOPE' });
    expect(none.calls[0].params).toEqual(['NOPE', false, null, true, null, '3301%']);

    const elsewhere = scopedDb([], [{ in_scope: false }]);
    expect(
      await new ProjectLocalDetails(elsewhere.db, 'reg_x').update('NB1', { remark: 'x' }, HANGZHOU),
    ).toEqual({ outcome: 'out-of-scope', projectId: 'NB1' });
  });

  it('gRPC: names fields by mask path, in refusals and in value errors', async () => {
    const { db, calls } = fakeDb([]);
    const details = new ProjectLocalDetails(db, 'registry');
    expect(await details.updateMasked('P1', ['name', 'remark'], { remark: 'x' }, HANGZHOU)).toMatchObject({
      outcome: 'integrity-owned',
      fields: ['name'],
      message: expect.stringMatching(/^name belongs to the integrity platform/),
    });
    expect(
      await details.updateMasked('P1', ['site_contact_phone'], { siteContactPhone: '555-1234' }, HANGZHOU),
    ).toEqual({
      outcome: 'invalid',
      errors: [{ field: 'site_contact_phone', message: 'must be a mainland mobile number' }],
    });
    expect(calls).toEqual([]);
  });
});
