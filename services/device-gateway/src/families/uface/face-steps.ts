/**
 * The second step of a person upsert with a photo. A Uface terminal creates the person first
 * (`person/create`) and only then takes a face for them (`face/createByUrl`); both steps carry the
 * command's seq as `taskNo`, and the command completes with the face step's result.
 *
 * The step between the two is remembered in this gateway instance only. Nothing is lost when it is
 * forgotten (a restart, another instance answering the next pull): the command stays `sent`, the queue's
 * acknowledgement timeout puts it back, and the device is sent both steps again (a repeated
 * `person/create` updates the person; the face id is stable per photo, so the face is replaced, not added).
 */

export interface FaceStep {
  seq: number;
  personId: string;
  photoDigest: string;
  state: 'due' | 'sent';
  since: number;
}

export class FaceSteps {
  private readonly byDevice = new Map<string, Map<number, FaceStep>>();

  /**
   * @param ttlMs a step older than this is dropped (by then the queue has put the command back)
   * @param now the clock, for tests
   */
  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** The person step of `seq` succeeded: its face step is due. */
  personDone(deviceId: string, seq: number, personId: string, photoDigest: string): void {
    this.steps(deviceId).set(seq, { seq, personId, photoDigest, state: 'due', since: this.now() });
  }

  /** The oldest due face step of the device, marked as sent; undefined when none is due. */
  takeDue(deviceId: string): FaceStep | undefined {
    const steps = this.live(deviceId);
    if (!steps) return undefined;
    let oldest: FaceStep | undefined;
    for (const s of steps.values()) if (s.state === 'due' && (!oldest || s.seq < oldest.seq)) oldest = s;
    if (!oldest) return undefined;
    oldest.state = 'sent';
    oldest.since = this.now();
    return { ...oldest };
  }

  /** The remembered step of a task number, if any. */
  get(deviceId: string, seq: number): FaceStep | undefined {
    const s = this.live(deviceId)?.get(seq);
    return s && { ...s };
  }

  forget(deviceId: string, seq: number): void {
    const steps = this.byDevice.get(deviceId);
    steps?.delete(seq);
    if (steps && steps.size === 0) this.byDevice.delete(deviceId);
  }

  /** Face steps due for the device (work the heartbeat reports as pending). */
  dueCount(deviceId: string): number {
    let n = 0;
    for (const s of this.live(deviceId)?.values() ?? []) if (s.state === 'due') n++;
    return n;
  }

  private steps(deviceId: string): Map<number, FaceStep> {
    let steps = this.byDevice.get(deviceId);
    if (!steps) this.byDevice.set(deviceId, (steps = new Map()));
    return steps;
  }

  private live(deviceId: string): Map<number, FaceStep> | undefined {
    const steps = this.byDevice.get(deviceId);
    if (!steps) return undefined;
    const cutoff = this.now() - this.ttlMs;
    for (const [seq, s] of steps) if (s.since < cutoff) steps.delete(seq);
    if (steps.size === 0) {
      this.byDevice.delete(deviceId);
      return undefined;
    }
    return steps;
  }
}
