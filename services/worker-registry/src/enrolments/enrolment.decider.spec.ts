import { profileFor } from '@realname/domain-rules';
import { deciderSpec, isRejection } from '@realname/eventstore';
import {
  decideEnrolment,
  EnrolmentCommand,
  enrolmentDecider,
  enrolmentStreamId,
  EnrolmentDetails,
  EnrolmentEvent,
  evolveEnrolment,
  initialEnrolmentState,
  WorkerFacts,
} from './enrolment.decider';

const today = '2026-11-21';
const profile = profileFor('330106');
const details: EnrolmentDetails = {
  enrolmentId: 'e-1',
  projectId: 'P1',
  workerId: 'w-1',
  name: 'Worker One',
  idHash: 'h'.repeat(64),
  maskedIdNumber: '330106********0011',
  teamId: 't-1',
  teamName: 'Rebar team',
  participantId: 'C1',
  creditCode: 'C1',
  corpName: 'Labour subcontractor Co.',
  workType: '020',
  workRole: '20',
  isTeamLeader: false,
  credentials: { personId: '10001' },
};
const worker: WorkerFacts = {
  birthDate: '1990-05-01',
  gender: 'male',
  hasHeadPhoto: true,
  blacklisted: false,
  lastUpdatedOn: today,
};
const enrol: EnrolmentCommand = { kind: 'Enrol', details };
const contract: EnrolmentCommand = {
  kind: 'SignContract',
  contract: { contractId: 'c-1', periodType: '0', startDate: '2026-11-01' },
  today,
};
const training: EnrolmentCommand = {
  kind: 'RecordTraining',
  training: { trainingId: 'tr-1', typeCode: '003001', date: '2026-11-02', passed: true, score: 92 },
  today,
};
const enter = (date = '2026-11-20', w: Partial<WorkerFacts> = {}): EnrolmentCommand => ({
  kind: 'Enter',
  date,
  today,
  worker: { ...worker, ...w },
  profile,
});

/** Given these commands accepted, when this command, then... */
function given(...commands: EnrolmentCommand[]) {
  let state = initialEnrolmentState();
  for (const c of commands) {
    const r = decideEnrolment(c, state);
    if (isRejection(r)) throw new Error(r.reasons.join('; '));
    state = r.reduce(evolveEnrolment, state);
  }
  return { when: (c: EnrolmentCommand) => decideEnrolment(c, state) };
}
const types = (r: EnrolmentEvent[] | unknown) =>
  isRejection(r) ? r : (r as EnrolmentEvent[]).map((e) => e.type.split('.').pop());

describe('a worker on a project', () => {
  it('enters when contract, safety training, age, photo and team are in order', () => {
    expect(types(given(enrol, contract, training).when(enter()))).toEqual(['WorkerEntered']);
  });

  it('is refused entry with one plain reason per failed condition', () => {
    const r = given(enrol).when(enter('2026-11-20', { hasHeadPhoto: false, blacklisted: true }));
    expect(r).toMatchObject({ rejected: true, code: 'entry-refused' });
    const reasons = isRejection(r) ? r.reasons : [];
    expect(reasons).toHaveLength(4);
    expect(reasons.join(' | ')).toMatch(/contract/i);
    expect(reasons.join(' | ')).toMatch(/training/i);
    expect(reasons.join(' | ')).toMatch(/photo/i);
    expect(reasons.join(' | ')).toMatch(/blacklist/i);
  });

  it('is refused entry under 18 and over the regional age limit', () => {
    expect(
      isRejection(given(enrol, contract, training).when(enter('2026-11-20', { birthDate: '2010-01-01' }))),
    ).toBe(true);
    expect(
      isRejection(given(enrol, contract, training).when(enter('2026-11-20', { birthDate: '1950-01-01' }))),
    ).toBe(true);
  });

  it('needs a valid certificate for a special work type', () => {
    const electrician: EnrolmentCommand = { kind: 'Enrol', details: { ...details, workType: '130' } };
    const r = given(electrician, contract, training).when(enter());
    expect(isRejection(r) && r.reasons.join()).toMatch(/certificate/i);
    const cert: EnrolmentCommand = {
      kind: 'AddCertificate',
      certificate: { workType: '130', number: 'T-1', expiresOn: '2027-01-01' },
    };
    expect(types(given(electrician, contract, training, cert).when(enter()))).toEqual(['WorkerEntered']);
    const expired: EnrolmentCommand = {
      kind: 'AddCertificate',
      certificate: { workType: '130', number: 'T-0', expiresOn: '2026-01-01' },
    };
    expect(isRejection(given(electrician, contract, training, expired).when(enter()))).toBe(true);
  });

  it('cannot enter in the future, twice, or before its last exit', () => {
    expect(given(enrol, contract, training).when(enter('2026-11-22'))).toMatchObject({
      code: 'date-in-future',
    });
    expect(given(enrol, contract, training, enter()).when(enter())).toMatchObject({
      code: 'already-entered',
    });
    const exit: EnrolmentCommand = { kind: 'Exit', date: '2026-11-21', today };
    expect(given(enrol, contract, training, enter(), exit).when(enter('2026-11-20'))).toMatchObject({
      code: 'date-out-of-order',
    });
  });

  it('exits after its entry, not before and not without one', () => {
    expect(given(enrol).when({ kind: 'Exit', date: '2026-11-21', today })).toMatchObject({
      code: 'not-entered',
    });
    expect(
      given(enrol, contract, training, enter()).when({ kind: 'Exit', date: '2026-11-19', today }),
    ).toMatchObject({
      code: 'date-out-of-order',
    });
    expect(
      types(given(enrol, contract, training, enter()).when({ kind: 'Exit', date: '2026-11-21', today })),
    ).toEqual(['WorkerExited']);
  });

  it('is issued an attendance card, keeping its PIN, and a repeat changes nothing', () => {
    const issue: EnrolmentCommand = { kind: 'IssueCard', cardNumber: 'C-778' };
    const r = given(enrol).when(issue) as EnrolmentEvent[];
    expect(r).toEqual([
      {
        type: 'realname.registry.EnrolmentCredentialsChanged',
        data: {
          enrolmentId: 'e-1',
          projectId: 'P1',
          workerId: 'w-1',
          credentials: { personId: '10001', cardNumber: 'C-778' },
        },
      },
    ]);
    expect(given(enrol, issue).when(issue)).toEqual([]);
  });

  it('already-enrolled: is enrolled once per project (one stream per project and worker)', () => {
    deciderSpec(enrolmentDecider)
      .given([{ type: 'realname.registry.WorkerEnrolled', data: details }])
      .when({ kind: 'Enrol', details: { ...details, enrolmentId: 'e-2' } })
      .thenRejects('already-enrolled', /one role per ID card per project.*e-1/);
    expect(enrolmentStreamId('P1', 'w-1')).toBe(enrolmentStreamId('P1', 'w-1'));
    expect(enrolmentStreamId('P1', 'w-1')).not.toBe(enrolmentStreamId('P2', 'w-1'));
  });

  it('not-enrolled: nothing is done to an enrolment that was never made', () => {
    deciderSpec(enrolmentDecider).given([]).when(contract).thenRejects('not-enrolled');
  });

  it('date-in-future: no contract or training dated after today', () => {
    expect(
      given(enrol).when({
        ...contract,
        contract: { ...(contract as { contract: object }).contract, startDate: '2026-12-01' },
      } as EnrolmentCommand),
    ).toMatchObject({ code: 'date-in-future' });
  });
});
