import type { EventActor } from '@realname/contracts';
import type { EventStore } from '@realname/eventstore';

/**
 * The event store, recording `actor` (subject, role, scope) on every event appended through it: the
 * envelope's `actorsubject`, `actorrole`, `actorscope`. Without an actor (integrity-platform sync)
 * the store itself. runCommand builds the envelopes, so the actor is added where they are appended.
 */
export function actingAs(store: EventStore, actor: EventActor | undefined): EventStore {
  if (!actor) return store;
  const acting = Object.create(store) as EventStore;
  acting.append = (streamId, events, expected, tx) =>
    store.append(
      streamId,
      events.map((e) => ({
        ...e,
        actorsubject: actor.subject,
        actorrole: actor.role,
        actorscope: actor.scope,
      })),
      expected,
      tx,
    );
  return acting;
}
