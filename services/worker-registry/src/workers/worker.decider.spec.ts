import { deciderSpec } from '@realname/eventstore';
import { WorkerEvent, WorkerIdentity, workerDecider, workerStreamId } from './worker.decider';

const identity: WorkerIdentity = {
  workerId: 'w-1',
  idHash: 'a'.repeat(64),
  maskedIdNumber: '330106********0011',
  name: 'Worker One',
  gender: 'male',
  birthDate: '1990-05-01',
  nation: '汉',
};
const registered: WorkerEvent = { type: 'realname.registry.WorkerRegistered', data: identity };
const blacklisted: WorkerEvent = {
  type: 'realname.registry.WorkerBlacklisted',
  data: { workerId: 'w-1', reason: 'forged certificate' },
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
    spec.given([]).when({ kind: 'Blacklist', reason: 'x' }).thenRejects('unknown-worker');
  });

  it('is blacklisted once, and taken off again', () => {
    spec.given([registered]).when({ kind: 'Blacklist', reason: 'forged certificate' }).then([blacklisted]);
    spec.given([registered, blacklisted]).when({ kind: 'Blacklist', reason: 'again' }).then([]);
    spec
      .given([registered, blacklisted])
      .when({ kind: 'Unblacklist' })
      .then([{ type: 'realname.registry.WorkerUnblacklisted', data: { workerId: 'w-1' } }]);
  });

  it("has one stream per ID card, named by the number's keyed hash", () => {
    expect(workerStreamId(identity.idHash)).toBe(workerStreamId('a'.repeat(64)));
    expect(workerStreamId(identity.idHash)).not.toBe(workerStreamId('b'.repeat(64)));
    expect(workerStreamId(identity.idHash)).toMatch(/^worker-[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab]/);
  });
});
