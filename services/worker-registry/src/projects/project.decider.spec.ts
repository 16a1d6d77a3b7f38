import { isRejection } from '@realname/eventstore';
import {
  decideProject,
  DEFAULT_KEY_POST_RULES,
  evolveProject,
  initialProjectState,
  KeyPerson,
  ProjectCommand,
  ProjectEvent,
  ProjectInfo,
} from './project.decider';

const info: ProjectInfo = {
  projectId: '330106202611210001',
  name: 'Riverside residential block 1',
  region: '330106',
  category: '01',
  status: '003',
  address: 'Xihu district, Hangzhou',
  generalContractor: { creditCode: 'GC', name: 'General contractor Co.' },
  constructionOwner: { creditCode: 'OWN', name: 'Owner Co.' },
};
const person = (n: number, category = '一级建造师'): KeyPerson => ({
  name: `Person ${n}`,
  idHash: `hash-${n}`.padEnd(20, '0'),
  maskedIdNumber: `330106********000${n}`,
  registrationCategory: category,
});

/** Today in Asia/Shanghai as the specs' clock reads it. */
const TODAY = '2026-12-03';

/** Given past commands, when a command, then these events (today being TODAY, or `today`). */
function given(...commands: ProjectCommand[]) {
  let state = initialProjectState();
  for (const c of commands) {
    const r = decideProject(c, state, DEFAULT_KEY_POST_RULES, TODAY);
    if (isRejection(r)) throw new Error(r.reasons.join());
    state = r.reduce(evolveProject, state);
  }
  return {
    when: (c: ProjectCommand, today = TODAY) => decideProject(c, state, DEFAULT_KEY_POST_RULES, today),
  };
}
const types = (r: ReturnType<typeof decideProject>) =>
  isRejection(r) ? r : r.map((e: ProjectEvent) => e.type.split('.').pop());

const sync: ProjectCommand = { kind: 'SyncProject', info, changeCursor: '1' };
const gc: ProjectCommand = {
  kind: 'SyncParticipant',
  participant: { creditCode: 'GC', corpName: 'General contractor Co.', unitType: '009' },
};
const supervisor: ProjectCommand = {
  kind: 'SyncParticipant',
  participant: { creditCode: 'SUP', corpName: 'Supervision Co.', unitType: '007' },
};
const registerPm = (p: KeyPerson | null): ProjectCommand => ({
  kind: 'SyncKeyPerson',
  creditCode: 'GC',
  post: 'project-manager',
  person: p,
});
const assignPm = (p: KeyPerson, appointedOn?: string): ProjectCommand => ({
  kind: 'AssignKeyPerson',
  creditCode: 'GC',
  post: 'project-manager',
  person: p,
  ...(appointedOn ? { appointedOn } : {}),
});

describe('project synced from the integrity platform', () => {
  it('records a new project, and nothing when the same data arrives again', () => {
    expect(types(given().when(sync))).toEqual(['ProjectSynced']);
    expect(types(given(sync).when({ ...sync, changeCursor: '2' }))).toEqual([]);
  });

  it('refuses a participant of a project it has not seen', () => {
    expect(given().when(gc)).toMatchObject({ rejected: true, code: 'unknown-project' });
  });

  it('raises post-empty when a general contractor joins without a project manager on site', () => {
    const r = given(sync).when(gc);
    expect(types(r)).toEqual(['ParticipantJoined', 'KeyPersonMismatchDetected']);
    expect((r as ProjectEvent[])[1].data).toMatchObject({ post: 'project-manager', reason: 'post-empty' });
  });

  it('raises post-empty for the chief supervising engineer of the supervision unit', () => {
    const r = given(sync).when(supervisor) as ProjectEvent[];
    expect(r[1].data).toMatchObject({ post: 'chief-supervising-engineer', reason: 'post-empty' });
  });

  it('raises differs-from-integrity-platform when the person on site is not the one registered', () => {
    const r = given(sync, gc, registerPm(person(1))).when(assignPm(person(2))) as ProjectEvent[];
    expect(types(r)).toEqual(['KeyPersonAssigned', 'KeyPersonMismatchDetected', 'KeyPersonAppointed']);
    expect(r[1].data).toMatchObject({ reason: 'differs-from-integrity-platform' });
    expect((r[1].data as { detail: string }).detail).toContain('Person 1');
  });

  it('raises wrong-registration-category when the registered person lacks the category the post needs', () => {
    const r = given(sync, gc, registerPm(person(1, '注册监理工程师'))).when(
      assignPm(person(1)),
    ) as ProjectEvent[];
    expect(r[1].data).toMatchObject({ reason: 'wrong-registration-category' });
  });

  it('resolves the mismatch when the right person is assigned', () => {
    const r = given(sync, gc, registerPm(person(1)), assignPm(person(2))).when(assignPm(person(1)));
    expect(types(r)).toEqual(['KeyPersonAssigned', 'KeyPersonMismatchResolved', 'KeyPersonAppointed']);
  });

  it('resolves it too when the integrity platform is corrected to the person on site', () => {
    const r = given(sync, gc, registerPm(person(1)), assignPm(person(2))).when(registerPm(person(2)));
    expect(types(r)).toEqual(['KeyPersonRegistered', 'KeyPersonMismatchResolved']);
  });

  it('does not repeat a mismatch that is already raised', () => {
    expect(
      types(given(sync, gc).when({ ...sync, info: { ...info, name: 'Renamed' }, changeCursor: '9' })),
    ).toEqual(['ProjectSynced']);
  });

  it('closes the mismatch of a unit that left the project', () => {
    const r = given(sync, gc).when({
      kind: 'SyncParticipant',
      participant: {
        creditCode: 'GC',
        corpName: 'General contractor Co.',
        unitType: '009',
        exitDate: '2026-11-20',
      },
    });
    expect(types(r)).toEqual(['ParticipantUpdated', 'KeyPersonMismatchResolved']);
  });

  it('refuses a local assignment for a unit that is not on the project', () => {
    expect(given(sync).when(assignPm(person(1)))).toMatchObject({
      rejected: true,
      code: 'unknown-participant',
    });
  });
});

describe('who holds a key post (KeyPersonAppointed, for attendance)', () => {
  const appointed = (r: ReturnType<typeof decideProject>) =>
    (r as ProjectEvent[]).filter((e) => e.type === 'realname.registry.KeyPersonAppointed').map((e) => e.data);
  const published = (n: number) => ({
    name: `Person ${n}`,
    idHash: person(n).idHash,
    maskedIdNumber: person(n).maskedIdNumber,
  });

  it('given a project and its general contractor, when the integrity platform registers the project manager, then that person is appointed', () => {
    const r = given(sync, gc).when(registerPm(person(1)));
    expect(types(r)).toEqual(['KeyPersonRegistered', 'KeyPersonAppointed']);
    expect(appointed(r)).toEqual([
      {
        projectId: info.projectId,
        participantId: 'GC',
        creditCode: 'GC',
        post: 'project-manager',
        person: published(1),
        source: 'integrity-platform',
        appointedOn: TODAY,
      },
    ]);
  });

  it('given a registered project manager, when someone else is assigned on site, then the local person holds the post', () => {
    const r = given(sync, gc, registerPm(person(1))).when(assignPm(person(2)));
    expect(appointed(r)).toEqual([expect.objectContaining({ person: published(2), source: 'local' })]);
  });

  it('given a local assignment, when the integrity platform registers another person, then the local one keeps the post', () => {
    const r = given(sync, gc, assignPm(person(2))).when(registerPm(person(1)));
    expect(types(r)).toEqual(['KeyPersonRegistered']);
  });

  it('given a registered project manager, when the integrity platform empties the post, then it is vacated', () => {
    const r = given(sync, gc, registerPm(person(1))).when(registerPm(null));
    expect(appointed(r)).toEqual([
      expect.objectContaining({ post: 'project-manager', person: null, source: 'integrity-platform' }),
    ]);
    expect(appointed(r)[0]).not.toHaveProperty('appointedOn');
  });

  it('given a holder, when their unit leaves the project, then the post is vacated', () => {
    const r = given(sync, gc, registerPm(person(1))).when({
      kind: 'SyncParticipant',
      participant: {
        creditCode: 'GC',
        corpName: 'General contractor Co.',
        unitType: '009',
        exitDate: '2026-11-20',
      },
    });
    expect(appointed(r)).toEqual([expect.objectContaining({ person: null })]);
  });

  it('given a holder, when the same person is registered again or assigned on site, then nothing is appointed', () => {
    expect(appointed(given(sync, gc, registerPm(person(1))).when(registerPm(person(1))))).toEqual([]);
    expect(appointed(given(sync, gc, registerPm(person(1))).when(assignPm(person(1))))).toEqual([]);
    expect(appointed(given(sync, gc, assignPm(person(2))).when(assignPm(person(2))))).toEqual([]);
  });

  it('given an empty post, when it is emptied again, then nothing is appointed', () => {
    expect(given(sync, gc).when(registerPm(null))).toEqual([]);
  });

  it('appoints the new posts a region may supervise, without raising mismatches for them by default', () => {
    const r = given(sync, gc).when({
      kind: 'AssignKeyPerson',
      creditCode: 'GC',
      post: 'safety-officer',
      person: person(3, '安全生产考核合格证书C类'),
    });
    expect(types(r)).toEqual(['KeyPersonAssigned', 'KeyPersonAppointed']);
    expect(appointed(r)[0]).toMatchObject({ post: 'safety-officer', person: published(3), source: 'local' });
  });

  it('given a stream written before appointments were published, when the project is synced unchanged, then its holders are published once', () => {
    // What such a stream holds: a project manager registered (so post-empty on site), no appointment.
    const legacy: ProjectEvent[] = [
      { type: 'realname.registry.ProjectSynced', data: { ...info, changeCursor: '1' } },
      {
        type: 'realname.registry.ParticipantJoined',
        data: {
          projectId: info.projectId,
          participantId: 'GC',
          creditCode: 'GC',
          corpName: 'General contractor Co.',
          unitType: '009',
        },
      },
      {
        type: 'realname.registry.KeyPersonRegistered',
        data: { projectId: info.projectId, participantId: 'GC', post: 'project-manager', person: person(1) },
      },
      {
        type: 'realname.registry.KeyPersonMismatchDetected',
        data: {
          projectId: info.projectId,
          participantId: 'GC',
          post: 'project-manager',
          reason: 'post-empty',
          detail: 'No project manager is assigned on site for General contractor Co.',
          registered: person(1),
        },
      },
    ];
    const state = legacy.reduce(evolveProject, initialProjectState());
    const r = decideProject({ ...sync, changeCursor: '2' }, state);
    expect(types(r)).toEqual(['KeyPersonAppointed']);
    expect(appointed(r)[0]).toMatchObject({ person: published(1), source: 'integrity-platform' });
    const after = (r as ProjectEvent[]).reduce(evolveProject, state);
    expect(decideProject({ ...sync, changeCursor: '3' }, after)).toEqual([]);
  });
});

describe('the day a key person took the post (appointedOn, for presence rates)', () => {
  const appointed = (r: ReturnType<typeof decideProject>) =>
    (r as ProjectEvent[]).filter((e) => e.type === 'realname.registry.KeyPersonAppointed').map((e) => e.data);
  const assigned = (r: ReturnType<typeof decideProject>) =>
    (r as ProjectEvent[]).filter((e) => e.type === 'realname.registry.KeyPersonAssigned').map((e) => e.data);
  const gcEntered = (entryDate: string): ProjectCommand => ({
    kind: 'SyncParticipant',
    participant: { creditCode: 'GC', corpName: 'General contractor Co.', unitType: '009', entryDate },
  });

  it('given a general contractor, when a project manager is assigned on site with appointedOn, then that day is stored and published', () => {
    const r = given(sync, gc).when(assignPm(person(1), '2026-03-01'));
    expect(assigned(r)).toEqual([expect.objectContaining({ appointedOn: '2026-03-01' })]);
    expect(appointed(r)).toEqual([
      expect.objectContaining({
        person: expect.objectContaining({ name: 'Person 1' }),
        source: 'local',
        appointedOn: '2026-03-01',
      }),
    ]);
  });

  it('given a general contractor, when a project manager is assigned on site without a day, then today is the day', () => {
    const r = given(sync, gc).when(assignPm(person(1)), '2026-11-21');
    expect(assigned(r)).toEqual([expect.objectContaining({ appointedOn: '2026-11-21' })]);
    expect(appointed(r)).toEqual([expect.objectContaining({ source: 'local', appointedOn: '2026-11-21' })]);
  });

  it('given a general contractor that entered the project on a day, when the integrity platform registers its project manager, then the entry date is the day', () => {
    const r = given(sync, gcEntered('2026-01-15')).when(registerPm(person(1)));
    expect(appointed(r)).toEqual([
      expect.objectContaining({ source: 'integrity-platform', appointedOn: '2026-01-15' }),
    ]);
  });

  it('given a general contractor without an entry date, when the integrity platform registers its project manager, then the day of the sync is the day', () => {
    const r = given(sync, gc).when({ ...registerPm(person(1)), syncedOn: '2026-11-30' } as ProjectCommand);
    expect(appointed(r)).toEqual([expect.objectContaining({ appointedOn: '2026-11-30' })]);
  });

  it("given a registered holder, when the unit's entry date becomes known, then the holder is published again with it", () => {
    const r = given(sync, gc, registerPm(person(1))).when(gcEntered('2026-01-15'));
    expect(appointed(r)).toEqual([
      expect.objectContaining({
        person: expect.objectContaining({ name: 'Person 1' }),
        appointedOn: '2026-01-15',
      }),
    ]);
  });

  it('given a local holder, when the same person is assigned again without a day, then nothing changes', () => {
    expect(given(sync, gc, assignPm(person(1), '2026-03-01')).when(assignPm(person(1)))).toEqual([]);
  });

  it('given a local holder, when the same person is assigned with a corrected day, then the day is published again', () => {
    const r = given(sync, gc, assignPm(person(1), '2026-03-01')).when(assignPm(person(1), '2026-02-01'));
    expect(types(r)).toEqual(['KeyPersonAssigned', 'KeyPersonAppointed']);
    expect(appointed(r)).toEqual([expect.objectContaining({ appointedOn: '2026-02-01' })]);
  });

  it('given a local assignment written before the day was kept, when its holder is published, then no day is claimed', () => {
    // Readers take such an event's own day (the registry's fold has no event times to offer).
    const legacy: ProjectEvent[] = [
      { type: 'realname.registry.ProjectSynced', data: { ...info, changeCursor: '1' } },
      {
        type: 'realname.registry.ParticipantJoined',
        data: {
          projectId: info.projectId,
          participantId: 'GC',
          creditCode: 'GC',
          corpName: 'General contractor Co.',
          unitType: '009',
        },
      },
      {
        type: 'realname.registry.KeyPersonAssigned',
        data: { projectId: info.projectId, participantId: 'GC', post: 'project-manager', person: person(1) },
      },
    ];
    const state = legacy.reduce(evolveProject, initialProjectState());
    const r = decideProject({ ...sync, changeCursor: '2' }, state, DEFAULT_KEY_POST_RULES, TODAY);
    expect(appointed(r)).toEqual([expect.objectContaining({ source: 'local' })]);
    expect(appointed(r)[0]).not.toHaveProperty('appointedOn');
  });
});
