import { isDeepStrictEqual } from 'node:util';

/** A typed refusal of a command, with one plain reason per failed condition. */
export interface Rejection<Code extends string = string> {
  rejected: true;
  code: Code;
  reasons: string[];
}

export function reject<Code extends string>(code: Code, ...reasons: string[]): Rejection<Code> {
  return { rejected: true, code, reasons };
}

export function isRejection(x: unknown): x is Rejection {
  return typeof x === 'object' && x !== null && (x as Rejection).rejected === true;
}

/**
 * Business logic as pure functions: decide turns a command and the current state into new events or a
 * rejection; evolve folds events into state. Infrastructure only reads, calls and appends.
 */
export interface Decider<State, Command, Event, R extends Rejection = Rejection> {
  initialState(): State;
  decide(command: Command, state: State): Event[] | R;
  evolve(state: State, event: Event): State;
}

export function fold<State, Event>(
  d: Pick<Decider<State, never, Event>, 'initialState' | 'evolve'>,
  events: Event[],
): State {
  return events.reduce((s, e) => d.evolve(s, e), d.initialState());
}

/**
 * A decider specified as Given / When / Then: given these past events, when this command, then these
 * new events, or this rejection. Pure: no database.
 *
 *   const spec = deciderSpec(workerDecider);
 *   spec.given([registered]).when(register).thenRejects('worker-exists');
 */
export function deciderSpec<State, Command, Event, R extends Rejection>(
  decider: Decider<State, Command, Event, R>,
) {
  return {
    given(events: Event[] = []) {
      return {
        when(command: Command) {
          const result = decider.decide(command, fold(decider, events));
          return {
            result,
            then(expected: Event[]): void {
              if (isRejection(result))
                throw new Error(
                  `expected events, got rejection ${result.code}: ${result.reasons.join('; ')}`,
                );
              assertEqual(result, expected);
            },
            thenRejects(code: R['code'], reason?: RegExp): R {
              if (!isRejection(result))
                throw new Error(`expected rejection ${code}, got events ${JSON.stringify(result)}`);
              assertEqual(result.code, code);
              if (reason && !result.reasons.some((r) => reason.test(r)))
                throw new Error(`no reason of ${code} matches ${reason}: ${result.reasons.join('; ')}`);
              return result as R;
            },
          };
        },
      };
    },
  };
}

function assertEqual(actual: unknown, expected: unknown): void {
  if (!isDeepStrictEqual(actual, expected))
    throw new Error(`expected ${JSON.stringify(expected)}\n     got ${JSON.stringify(actual)}`);
}
