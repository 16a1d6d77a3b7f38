import { z } from 'zod';
import {
  ACTOR_NOT_RECORDED,
  currentResidentIdMask,
  defineEvent,
  WorkerBlacklisted,
  WorkerBlacklistedData,
  WorkerBlacklistLifted,
  WorkerBlacklistLiftedData,
  UNAUTHENTICATED_ACTOR,
} from '@realname/contracts';
import { Decider, keyedStreamId, reject, Rejection } from '@realname/eventstore';

/**
 * A person as their ID card says, as far as their stream keeps it: the number itself never enters an
 * event (hash and mask only), nor does the birth date (with the mask it would nearly rebuild the
 * number; it is kept in the workers table and shown only through the reveal path).
 */
export interface WorkerIdentity {
  workerId: string;
  idHash: string;
  maskedIdNumber: string;
  name: string;
  gender: 'male' | 'female';
  nation: string;
}
export interface WorkerState {
  identity?: WorkerIdentity;
  blacklisted: boolean;
  /** Who put the worker on the blacklist, while they are on it. */
  blacklistedBy?: string;
}
/**
 * `actor` is who asks: the access token's subject, as the guard verified it, never a header. Writes
 * made before issue 10 name the placeholder `unauthenticated` (UNAUTHENTICATED_ACTOR).
 */
export type WorkerCommand =
  | { kind: 'Register'; identity: WorkerIdentity }
  | { kind: 'Blacklist'; reason: string; actor: string }
  | { kind: 'LiftBlacklist'; reason: string; actor: string };
export type WorkerEvent =
  | { type: 'realname.registry.WorkerRegistered'; data: WorkerIdentity }
  | { type: 'realname.registry.WorkerBlacklisted'; data: WorkerBlacklistedData }
  | { type: 'realname.registry.WorkerBlacklistLifted'; data: WorkerBlacklistLiftedData }
  /** Written by nothing any more (lifting is WorkerBlacklistLifted); read in streams that have it. */
  | { type: 'realname.registry.WorkerUnblacklisted'; data: { workerId: string } };

export const WorkerRegistered = defineEvent({
  type: 'realname.registry.WorkerRegistered',
  version: 2,
  schema: z.object({
    workerId: z.string(),
    idHash: z.string(),
    maskedIdNumber: z.string().transform(currentResidentIdMask),
    name: z.string(),
    gender: z.enum(['male', 'female']),
    nation: z.string(),
  }),
  upcasters: [
    {
      // v1 carried the birth date and the mask with the county (first 6 characters): both dropped.
      from: 1,
      up: (d) => {
        const { birthDate: _birthDate, ...rest } = d as Record<string, unknown>;
        return rest;
      },
    },
  ],
});
export const WorkerUnblacklisted = defineEvent({
  type: 'realname.registry.WorkerUnblacklisted',
  version: 1,
  schema: z.object({ workerId: z.string() }),
});
export const WORKER_EVENTS = {
  [WorkerRegistered.type]: WorkerRegistered,
  [WorkerBlacklisted.type]: WorkerBlacklisted,
  [WorkerBlacklistLifted.type]: WorkerBlacklistLifted,
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
      return { ...state, blacklisted: true, blacklistedBy: e.data.actor };
    case 'realname.registry.WorkerBlacklistLifted':
    case 'realname.registry.WorkerUnblacklisted':
      return { ...state, blacklisted: false, blacklistedBy: undefined };
  }
}

export type WorkerRejection = Rejection<
  'worker-exists' | 'unknown-worker' | 'reason-required' | 'not-blacklisted' | 'same-actor-cannot-lift'
>;

/**
 * One stream per ID card (its id derived from the keyed hash of the number: see workerStreamId), so a
 * second registration of the same card reads the first one and is refused here. A blacklisting needs a
 * reason and names who did it; lifting it needs a reason too and someone else (four eyes).
 */
export function decideWorker(c: WorkerCommand, s: WorkerState): WorkerEvent[] | WorkerRejection {
  if (c.kind === 'Register') {
    return s.identity
      ? reject('worker-exists', `this ID card is registered already as worker ${s.identity.workerId}`)
      : [{ type: 'realname.registry.WorkerRegistered', data: c.identity }];
  }
  if (!s.identity) return reject('unknown-worker', 'no such worker');
  const workerId = s.identity.workerId;
  if (!c.reason.trim()) return reject('reason-required', 'a reason is required');
  if (c.kind === 'Blacklist') {
    return s.blacklisted
      ? []
      : [
          {
            type: 'realname.registry.WorkerBlacklisted',
            data: { workerId, reason: c.reason, actor: c.actor },
          },
        ];
  }
  if (!s.blacklisted) return reject('not-blacklisted', `worker ${workerId} is not on the blacklist`);
  const blacklistedBy = s.blacklistedBy ?? ACTOR_NOT_RECORDED;
  if (blacklistedBy === c.actor)
    return reject(
      'same-actor-cannot-lift',
      `the blacklisting was made by "${c.actor}"; someone else has to lift it`,
    );
  // The placeholder of the time before tokens cannot be told apart from the one who blacklisted, so
  // it may not lift (no token's subject is the placeholder).
  if (c.actor === UNAUTHENTICATED_ACTOR)
    return reject(
      'same-actor-cannot-lift',
      'an unauthenticated caller cannot be shown to be someone other than the one who blacklisted; lifting needs an authenticated caller',
    );
  return [
    {
      type: 'realname.registry.WorkerBlacklistLifted',
      data: { workerId, reason: c.reason, actor: c.actor, blacklistedBy },
    },
  ];
}

export const workerDecider: Decider<WorkerState, WorkerCommand, WorkerEvent, WorkerRejection> = {
  initialState: initialWorkerState,
  decide: decideWorker,
  evolve: evolveWorker,
};
