import { isRejection } from '@realname/eventstore';
import {
  decideProject,
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

/** Given past events, when a command, then these events. */
function given(...commands: ProjectCommand[]) {
  let state = initialProjectState();
  for (const c of commands) {
    const r = decideProject(c, state);
    if (isRejection(r)) throw new Error(r.reasons.join());
    state = r.reduce(evolveProject, state);
  }
  return { when: (c: ProjectCommand) => decideProject(c, state) };
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
const assignPm = (p: KeyPerson): ProjectCommand => ({
  kind: 'AssignKeyPerson',
  creditCode: 'GC',
  post: 'project-manager',
  person: p,
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
    expect(types(r)).toEqual(['KeyPersonAssigned', 'KeyPersonMismatchDetected']);
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
    expect(types(r)).toEqual(['KeyPersonAssigned', 'KeyPersonMismatchResolved']);
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
