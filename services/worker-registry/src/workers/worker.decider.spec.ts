import { createEvent, parseEvent, WorkerBlacklisted } from '@realname/contracts';
import { deciderSpec } from '@realname/eventstore';
import {
  WorkerEvent,
  WorkerIdentity,
  workerDecider,
  WorkerRegistered,
  workerStreamId,
} from './worker.decider';

const identity: WorkerIdentity = {
  workerId: 'w-1',
  idHash: 'a'.repeat(64),
  maskedIdNumber: '3301**********0011',
  name: 'Worker One',
  gender: 'male',
  nation: '汉',
};
const registered: WorkerEvent = { type: 'realname.registry.WorkerRegistered', data: identity };
const blacklisted: WorkerEvent = {
  type: 'realname.registry.WorkerBlacklisted',
  data: { workerId: 'w-1', reason: 'forged certificate', actor: 'alice' },
};
const spec = deciderSpec(workerDecider);

describe('a worker', () => {
  it('is registered from an ID card not seen before', () => {
    spec.given([]).when({ kind: 'Register', identity }).then([registered]);
  });

  it('worker-exists: the same ID card is not registered twice', () => {
    spec
      .given([registered])
      .when({ kind: 'Register', identity: { ...identity, workerId: 'w-2' } })
      .thenRejects('worker-exists', /registered already as worker w-1/);
  });

  it('unknown-worker: nobody is blacklisted who was never registered', () => {
    spec.given([]).when({ kind: 'Blacklist', reason: 'x', actor: 'alice' }).thenRejects('unknown-worker');
  });
});

describe('the blacklist', () => {
  it('takes a worker with a reason and who did it, once', () => {
    spec
      .given([registered])
      .when({ kind: 'Blacklist', reason: 'forged certificate', actor: 'alice' })
      .then([blacklisted]);
    spec.given([registered, blacklisted]).when({ kind: 'Blacklist', reason: 'again', actor: 'bob' }).then([]);
  });

  it('reason-required: neither blacklisting nor lifting without a reason', () => {
    spec
      .given([registered])
      .when({ kind: 'Blacklist', reason: '  ', actor: 'alice' })
      .thenRejects('reason-required');
    spec
      .given([registered, blacklisted])
      .when({ kind: 'LiftBlacklist', reason: '', actor: 'bob' })
      .thenRejects('reason-required');
  });

  it('is lifted, with a reason, by someone other than the one who blacklisted', () => {
    spec
      .given([registered, blacklisted])
      .when({ kind: 'LiftBlacklist', reason: 'certificate checked: genuine', actor: 'bob' })
      .then([
        {
          type: 'realname.registry.WorkerBlacklistLifted',
          data: {
            workerId: 'w-1',
            reason: 'certificate checked: genuine',
            actor: 'bob',
            blacklistedBy: 'alice',
          },
        },
      ]);
  });

  it('same-actor-cannot-lift: the one who blacklisted cannot lift it', () => {
    spec
      .given([registered, blacklisted])
      .when({ kind: 'LiftBlacklist', reason: 'changed my mind', actor: 'alice' })
      .thenRejects('same-actor-cannot-lift', /made by "alice"; someone else/);
  });

  it('same-actor-cannot-lift: an unauthenticated caller cannot be told apart from the one who blacklisted', () => {
    spec
      .given([registered, { ...blacklisted, data: { ...blacklisted.data, actor: 'unauthenticated' } }])
      .when({ kind: 'LiftBlacklist', reason: 'x', actor: 'unauthenticated' })
      .thenRejects('same-actor-cannot-lift');
    spec
      .given([registered, blacklisted])
      .when({ kind: 'LiftBlacklist', reason: 'x', actor: 'unauthenticated' })
      .thenRejects('same-actor-cannot-lift', /authenticated caller/);
  });

  it('not-blacklisted: nothing to lift', () => {
    spec
      .given([registered])
      .when({ kind: 'LiftBlacklist', reason: 'x', actor: 'bob' })
      .thenRejects('not-blacklisted');
  });

  it('can be blacklisted again after a lift', () => {
    const lifted: WorkerEvent = {
      type: 'realname.registry.WorkerBlacklistLifted',
      data: { workerId: 'w-1', reason: 'ok', actor: 'bob', blacklistedBy: 'alice' },
    };
    spec
      .given([registered, blacklisted, lifted])
      .when({ kind: 'Blacklist', reason: 'again', actor: 'bob' })
      .then([
        {
          type: 'realname.registry.WorkerBlacklisted',
          data: { workerId: 'w-1', reason: 'again', actor: 'bob' },
        },
      ]);
    // Bob blacklisted this time: Alice may lift it, Bob may not.
    const again: WorkerEvent = {
      type: 'realname.registry.WorkerBlacklisted',
      data: { workerId: 'w-1', reason: 'again', actor: 'bob' },
    };
    spec
      .given([registered, blacklisted, lifted, again])
      .when({ kind: 'LiftBlacklist', reason: 'x', actor: 'bob' })
      .thenRejects('same-actor-cannot-lift');
  });

  it('a legacy lift (WorkerUnblacklisted) still takes the worker off', () => {
    spec
      .given([
        registered,
        blacklisted,
        { type: 'realname.registry.WorkerUnblacklisted', data: { workerId: 'w-1' } },
      ])
      .when({ kind: 'LiftBlacklist', reason: 'x', actor: 'bob' })
      .thenRejects('not-blacklisted');
  });
});

describe('stored events of the earlier schema', () => {
  const v1 = (type: string, data: unknown) => ({
    ...createEvent(
      WorkerBlacklisted,
      { workerId: 'w', reason: 'r', actor: 'a' },
      { source: 't', subject: 's', region: '330106' },
    ),
    type,
    schemaversion: 1,
    data,
  });

  it('WorkerRegistered v1 reads without the birth date and with the current mask', () => {
    const e = parseEvent(
      WorkerRegistered,
      v1('realname.registry.WorkerRegistered', {
        ...identity,
        maskedIdNumber: '330106********0011',
        birthDate: '1990-05-01',
      }),
    );
    expect(e.data).toEqual(identity);
    expect(JSON.stringify(e.data)).not.toMatch(/1990|330106/);
  });

  it('WorkerBlacklisted v1 reads with its actor not recorded', () => {
    const e = parseEvent(
      WorkerBlacklisted,
      v1('realname.registry.WorkerBlacklisted', { workerId: 'w', reason: 'r' }),
    );
    expect(e.data).toEqual({ workerId: 'w', reason: 'r', actor: 'not-recorded' });
  });
});

describe("a worker's stream", () => {
  it("is one per ID card, named by the number's keyed hash", () => {
    expect(workerStreamId(identity.idHash)).toBe(workerStreamId('a'.repeat(64)));
    expect(workerStreamId(identity.idHash)).not.toBe(workerStreamId('b'.repeat(64)));
    expect(workerStreamId(identity.idHash)).toMatch(/^worker-[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab]/);
  });
});
