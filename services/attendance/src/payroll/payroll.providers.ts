import type { Provider } from '@nestjs/common';
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
  intervalMs: number,
): ServiceComponent {
  return payrollReconciliationJob({
    reconciler: new PayrollReconciler(db, schema),
    intervalMs,
    logger,
  });
}
