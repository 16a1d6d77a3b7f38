import { Counter, Registry } from 'prom-client';
import type { FinaliseDaysHandler, FinaliserRun } from './finalise-days.handler';

export interface TimesheetFinaliserOptions {
  intervalMs: number;
  registry?: Registry;
  onError?: (err: unknown) => void;
}

/**
 * Runs the finaliser on a timer, one run at a time; a run that fails (database away) is simply tried
 * again at the next tick: pending days stay pending until decided.
 */
export class TimesheetFinaliser {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;
  private readonly published?: Counter;
  private readonly decided?: Counter;

  constructor(
    private readonly handler: FinaliseDaysHandler,
    private readonly opts: TimesheetFinaliserOptions,
  ) {
    if (opts.registry) {
      this.published = new Counter({
        name: 'attendance_days_published_total',
        help: 'Attendance days finalised or revised (AttendanceDayFinalised / AttendanceDayRevised)',
        registers: [opts.registry],
      });
      this.decided = new Counter({
        name: 'attendance_days_decided_total',
        help: 'Attendance days decided by the finaliser (published or unchanged)',
        registers: [opts.registry],
      });
    }
  }

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  /** One run now (also what the timer does). */
  async runOnce(now?: Date): Promise<FinaliserRun> {
    const r = await this.handler.run(now);
    this.published?.inc(r.published);
    this.decided?.inc(r.decided);
    return r;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private schedule(delay: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.runOnce()
        .then(() => undefined)
        .catch((err) => this.opts.onError?.(err))
        .finally(() => this.schedule(this.opts.intervalMs));
    }, delay);
  }
}
