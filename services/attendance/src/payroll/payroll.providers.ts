import type { Provider } from '@nestjs/common';
import { z } from 'zod';
import { Database } from '@realname/eventstore';
import type { JsonLogger, ServiceComponent } from '@realname/platform';
import { SheetsRepository } from '../sheets/sheets.repository';
import { SheetsController } from '../sheets/sheets.rest';
import { TeamSheets } from '../sheets/team-sheets';
import { PayrollReconciler, payrollReconciliationJob } from './payroll-reconciler';
import { PayrollService } from './payroll.handler';
import { PayrollController } from './payroll.rest';

/** The controllers of monthly team sheets and payroll. */
export const PAYROLL_CONTROLLERS = [SheetsController, PayrollController];

/** How often the timer reconciles (PAYROLL_RECONCILE_INTERVAL_MS, 10 minutes by default, at least 10 s). */
export const PayrollSettings = z.object({
  PAYROLL_RECONCILE_INTERVAL_MS: z.coerce.number().int().min(10_000).max(86_400_000).default(600_000),
});

/** The providers behind them, over the service's database and schema. */
export function payrollProviders(schema: string): Provider[] {
  return [
    {
      provide: TeamSheets,
      useFactory: (db: Database) => new TeamSheets(new SheetsRepository(db, schema)),
      inject: [Database],
    },
    {
      provide: PayrollReconciler,
      useFactory: (db: Database) => new PayrollReconciler(db, schema),
      inject: [Database],
    },
    {
      provide: PayrollService,
      useFactory: (db: Database, r: PayrollReconciler) => new PayrollService(db, schema, r),
      inject: [Database, PayrollReconciler],
    },
  ];
}

/** The reconciliation timer as a runtime component (covers payroll deadlines and attendance revisions). */
export function payrollTimer(
  db: Database,
  schema: string,
  logger: JsonLogger,
  env: Record<string, string | undefined> = process.env,
): ServiceComponent {
  const { PAYROLL_RECONCILE_INTERVAL_MS } = PayrollSettings.parse(env);
  return payrollReconciliationJob({
    reconciler: new PayrollReconciler(db, schema),
    intervalMs: PAYROLL_RECONCILE_INTERVAL_MS,
    logger,
  });
}
