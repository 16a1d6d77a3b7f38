import {
  AttendanceUpload,
  checkAttendanceUpload,
  checkEntryExitUpload,
  checkParticipatingUnitUpload,
  checkPayrollUpload,
  checkProjectWorkerUpload,
  checkTeamUpload,
  checkTrainingUpload,
  checkWorkerContractUpload,
  EntryExitUpload,
  ParticipatingUnitUpload,
  PayrollUpload,
  ProjectWorkerUpload,
  TeamUpload,
  TrainingUpload,
  UploadProblem,
  WorkerContractUpload,
} from '@realname/domain-rules';
import { JsonObject, NATIONAL_METHODS, RecordKind } from '@realname/uplinks';

/** What is known upstream of one project when its records are checked. */
export interface PrecheckContext {
  /** Today in Asia/Shanghai, `yyyy-MM-dd`. */
  readonly today: string;
  /** Credit codes of the project's participating units the platform holds. */
  readonly acceptedUnits: ReadonlySet<string>;
  readonly acceptedTeams: ReadonlySet<string>;
  /** Team names used upstream in the project, with the `teamSysNo` holding each. */
  readonly teamNames: ReadonlyMap<string, string>;
  /** ID numbers of the project's workers the platform holds. */
  readonly acceptedWorkers: ReadonlySet<string>;
  /** Last entry/exit date upstream by ID number. */
  readonly lastEntryExit: ReadonlyMap<string, string>;
  readonly workerNames: ReadonlyMap<string, string>;
}

/** The call's `data` for one record's items, as the adapter will build it (before field encryption). */
export function uploadData(kind: RecordKind, header: JsonObject, items: readonly JsonObject[]): JsonObject {
  const listField = NATIONAL_METHODS[kind].listField;
  return listField ? { ...header, [listField]: [...items] } : { ...header, ...items[0] };
}

/**
 * The local pre-check of one record: the problems the platform would reject it for, in plain Chinese
 * and English. Enterprises and projects reach the national platform from the integrity platform, not
 * from us, so a participating unit's own enterprise counts as upstream (the platform's reply says
 * otherwise if it is not).
 */
export function precheck(kind: RecordKind, data: JsonObject, ctx: PrecheckContext): UploadProblem[] {
  const base = { today: ctx.today, workerNames: ctx.workerNames };
  switch (kind) {
    case 'participating-unit': {
      const unit = data as unknown as ParticipatingUnitUpload;
      return checkParticipatingUnitUpload(unit, {
        ...base,
        acceptedEnterprises: new Set([String(unit.corpCode ?? '').toUpperCase()]),
      });
    }
    case 'team':
      return checkTeamUpload(data as unknown as TeamUpload, {
        ...base,
        acceptedUnits: ctx.acceptedUnits,
        acceptedTeams: ctx.acceptedTeams,
        teamNames: ctx.teamNames,
      });
    case 'project-worker':
      return checkProjectWorkerUpload(data as unknown as ProjectWorkerUpload, {
        ...base,
        acceptedTeams: ctx.acceptedTeams,
      });
    case 'worker-contract':
      return checkWorkerContractUpload(data as unknown as WorkerContractUpload, {
        ...base,
        acceptedWorkers: ctx.acceptedWorkers,
      });
    case 'training':
      return checkTrainingUpload(data as unknown as TrainingUpload, {
        ...base,
        acceptedWorkers: ctx.acceptedWorkers,
      });
    case 'entry':
    case 'exit':
      return checkEntryExitUpload(data as unknown as EntryExitUpload, {
        ...base,
        acceptedTeams: ctx.acceptedTeams,
        acceptedWorkers: ctx.acceptedWorkers,
        lastEntryExit: ctx.lastEntryExit,
      });
    case 'attendance':
      return checkAttendanceUpload(data as unknown as AttendanceUpload, {
        ...base,
        acceptedTeams: ctx.acceptedTeams,
        acceptedWorkers: ctx.acceptedWorkers,
      });
    case 'payroll':
      return checkPayrollUpload(data as unknown as PayrollUpload, {
        ...base,
        acceptedTeams: ctx.acceptedTeams,
        acceptedWorkers: ctx.acceptedWorkers,
      });
    case 'enterprise':
    case 'project':
      // Shared from the integrity platform and corrected there; the ledger never carries them.
      return [];
  }
}
