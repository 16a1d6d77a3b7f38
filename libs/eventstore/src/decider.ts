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
