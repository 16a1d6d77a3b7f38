import { z } from 'zod';
import { defineEvent } from '@realname/contracts';
import { Decider, keyedStreamId, reject, Rejection } from '@realname/eventstore';

/** A person as their ID card says (the number itself never enters an event: hash and mask only). */
export interface WorkerIdentity {
  workerId: string;
  idHash: string;
  maskedIdNumber: string;
  name: string;
  gender: 'male' | 'female';
  birthDate: string;
  nation: string;
}
export interface WorkerState {
  identity?: WorkerIdentity;
  blacklisted: boolean;
}
export type WorkerCommand =
  | { kind: 'Register'; identity: WorkerIdentity }
  | { kind: 'Blacklist'; reason: string }
  | { kind: 'Unblacklist' };
export type WorkerEvent =
  | { type: 'realname.registry.WorkerRegistered'; data: WorkerIdentity }
  | { type: 'realname.registry.WorkerBlacklisted'; data: { workerId: string; reason: string } }
  | { type: 'realname.registry.WorkerUnblacklisted'; data: { workerId: string } };

export const WorkerRegistered = defineEvent({
  type: 'realname.registry.WorkerRegistered',
  version: 1,
  schema: z.object({
    workerId: z.string(),
    idHash: z.string(),
    maskedIdNumber: z.string(),
    name: z.string(),
    gender: z.enum(['male', 'female']),
    birthDate: z.string(),
    nation: z.string(),
  }),
});
export const WorkerBlacklisted = defineEvent({
  type: 'realname.registry.WorkerBlacklisted',
  version: 1,
  schema: z.object({ workerId: z.string(), reason: z.string() }),
});
export const WorkerUnblacklisted = defineEvent({
  type: 'realname.registry.WorkerUnblacklisted',
  version: 1,
  schema: z.object({ workerId: z.string() }),
});
export const WORKER_EVENTS = {
  [WorkerRegistered.type]: WorkerRegistered,
  [WorkerBlacklisted.type]: WorkerBlacklisted,
  [WorkerUnblacklisted.type]: WorkerUnblacklisted,
};

/** A worker's stream: one per ID card, named by the keyed hash of its number (never the number). */
export const workerStreamId = (idHash: string) => keyedStreamId('worker', idHash);

export const initialWorkerState = (): WorkerState => ({ blacklisted: false });

export function evolveWorker(state: WorkerState, e: WorkerEvent): WorkerState {
  switch (e.type) {
    case 'realname.registry.WorkerRegistered':
      return { ...state, identity: e.data };
    case 'realname.registry.WorkerBlacklisted':
      return { ...state, blacklisted: true };
    case 'realname.registry.WorkerUnblacklisted':
      return { ...state, blacklisted: false };
  }
}

export type WorkerRejection = Rejection<'worker-exists' | 'unknown-worker'>;

/**
 * One stream per ID card (its id derived from the keyed hash of the number: see workerStreamId), so a
 * second registration of the same card reads the first one and is refused here.
 */
export function decideWorker(c: WorkerCommand, s: WorkerState): WorkerEvent[] | WorkerRejection {
  if (c.kind === 'Register') {
    return s.identity
      ? reject('worker-exists', `this ID card is registered already as worker ${s.identity.workerId}`)
      : [{ type: 'realname.registry.WorkerRegistered', data: c.identity }];
  }
  if (!s.identity) return reject('unknown-worker', 'no such worker');
  if (c.kind === 'Blacklist') {
    return s.blacklisted
      ? []
      : [
          {
            type: 'realname.registry.WorkerBlacklisted',
            data: { workerId: s.identity.workerId, reason: c.reason },
          },
        ];
  }
  return s.blacklisted
    ? [{ type: 'realname.registry.WorkerUnblacklisted', data: { workerId: s.identity.workerId } }]
    : [];
}

export const workerDecider: Decider<WorkerState, WorkerCommand, WorkerEvent, WorkerRejection> = {
  initialState: initialWorkerState,
  decide: decideWorker,
  evolve: evolveWorker,
};
