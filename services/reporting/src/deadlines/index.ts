import type { Provider } from '@nestjs/common';
import type { Registry } from 'prom-client';
import { Database } from '@realname/eventstore';
import { JsonLogger, periodicJob, ServiceComponent } from '@realname/platform';
import type { DailyDeadline } from '@realname/uplinks';
import { DeadlineBoardQueries } from './deadline-board';
import { DeadlineBoardGrpcController } from './deadline-board.grpc';
import { DeadlineBoardController } from './deadline-board.rest';
import { DeadlineTracker } from './deadline-tracker';
import type { DeadlinePolicy } from './deadline.rules';

export { deadlineConfig } from './deadline.config';
export { DeadlineTracker } from './deadline-tracker';
export { DeadlineBoardQueries } from './deadline-board';

/** The deadline variables of the service's configuration (deadline.config.ts). */
export interface DeadlineSettings {
  DATABASE_SCHEMA: string;
  UPLOAD_DEADLINES: ReadonlyMap<string, DailyDeadline>;
  DEADLINE_AT_RISK_MINUTES: number;
  DEADLINE_FAILURES_AT_RISK: number;
  DEADLINE_PENDING_AT_RISK_MINUTES: number;
  DEADLINE_INTERVAL_MS: number;
  DEADLINE_LOOKBACK_DAYS: number;
}

export function deadlinePolicyOf(c: DeadlineSettings): DeadlinePolicy {
  return {
    atRiskMinutes: c.DEADLINE_AT_RISK_MINUTES,
    failuresAtRisk: c.DEADLINE_FAILURES_AT_RISK,
    pendingAtRiskSeconds: c.DEADLINE_PENDING_AT_RISK_MINUTES * 60,
  };
}

/** The board's REST and gRPC edges. */
export const DEADLINE_CONTROLLERS = [DeadlineBoardController, DeadlineBoardGrpcController];

/** The board's queries, given the service's database. */
export function deadlineBoardProvider(c: DeadlineSettings): Provider {
  return {
    provide: DeadlineBoardQueries,
    inject: [Database],
    useFactory: (db: Database) =>
      new DeadlineBoardQueries(db, {
        schema: c.DATABASE_SCHEMA,
        deadlines: c.UPLOAD_DEADLINES,
        policy: deadlinePolicyOf(c),
      }),
  };
}

/** The tracker as a job of the runtime, every DEADLINE_INTERVAL_MS over the switched-on targets. */
export function deadlineTrackerJob(
  db: Database,
  c: DeadlineSettings,
  targets: readonly string[],
  logger: JsonLogger,
  registry: Registry,
): ServiceComponent {
  const tracker = new DeadlineTracker(db, {
    schema: c.DATABASE_SCHEMA,
    targets,
    deadlines: c.UPLOAD_DEADLINES,
    policy: deadlinePolicyOf(c),
    lookbackDays: c.DEADLINE_LOOKBACK_DAYS,
    registry,
  });
  return periodicJob({
    name: 'upload deadline tracker',
    intervalMs: c.DEADLINE_INTERVAL_MS,
    logger,
    run: async () => {
      await tracker.runOnce();
    },
  });
}
