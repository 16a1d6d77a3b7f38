/**
 * The national platform's write and query methods per record kind, with the batch limits of the
 * reference and how a record is found again on the platform (to reconcile an "already exists").
 */
import { BatchLimits, JsonObject, RecordKind } from '../uplink';

export interface NationalMethod {
  readonly add: string;
  readonly query: string;
  /** Name of the list inside `data` for kinds sent several per call; undefined: one record is the whole `data`. */
  readonly listField?: string;
  readonly limit: number;
  /** Fields (header or item) that identify a record on the platform; matched against query rows. */
  readonly identity: readonly string[];
  /** Query filter for a record; by default its identity fields. */
  readonly queryFilter?: (fields: JsonObject) => JsonObject;
  /** Keys the platform generates for a record, adopted from the async result or a query row. */
  readonly platformKeys: readonly string[];
}

const ENTRY_EXIT = {
  add: 'WorkerEntryExit.Add',
  query: 'WorkerEntryExit.Query',
  listField: 'workerList',
  limit: 50,
  identity: ['projectCode', 'idCardNumber', 'date', 'type'],
  platformKeys: [],
} as const;

export const NATIONAL_METHODS: Readonly<Record<RecordKind, NationalMethod>> = {
  enterprise: { add: 'Corp.Upload', query: 'Corp.Query', limit: 1, identity: ['corpCode'], platformKeys: [] },
  project: {
    add: 'Project.Add',
    query: 'Project.Query',
    limit: 1,
    identity: ['projectCode'],
    platformKeys: [],
  },
  'participating-unit': {
    add: 'ProjectSubContractor.Add',
    query: 'ProjectSubContractor.Query',
    limit: 1,
    identity: ['projectCode', 'corpCode'],
    platformKeys: [],
  },
  team: {
    add: 'Team.Add',
    query: 'Team.Query',
    limit: 1,
    // teamName is unique within a project, so it finds the team whose teamSysNo we must adopt.
    identity: ['projectCode', 'teamName'],
    platformKeys: ['teamSysNo'],
  },
  'project-worker': {
    add: 'ProjectWorker.Add',
    query: 'ProjectWorker.Query',
    listField: 'workerList',
    limit: 5,
    identity: ['projectCode', 'idCardNumber'],
    platformKeys: [],
  },
  'worker-contract': {
    add: 'WorkerContract.Add',
    query: 'WorkerContract.Query',
    listField: 'contractList',
    limit: 5,
    identity: ['projectCode', 'corpCode', 'idCardNumber', 'startDate'],
    platformKeys: [],
  },
  training: {
    add: 'ProjectTraining.Add',
    query: 'ProjectTraining.Query',
    limit: 1,
    identity: ['projectCode', 'trainingDate', 'trainingName'],
    platformKeys: [],
  },
  entry: ENTRY_EXIT,
  exit: ENTRY_EXIT,
  attendance: {
    add: 'WorkerAttendance.Add',
    query: 'WorkerAttendance.Query',
    listField: 'dataList',
    limit: 20,
    identity: ['projectCode', 'idCardNumber', 'date', 'direction'],
    // The attendance query is per day, so the filter carries the day and the row match does the rest.
    queryFilter: (fields) => ({
      projectCode: fields['projectCode'] ?? null,
      idCardNumber: fields['idCardNumber'] ?? null,
      date: typeof fields['date'] === 'string' ? fields['date'].slice(0, 10) : null,
    }),
    platformKeys: [],
  },
  payroll: {
    add: 'Payroll.Add',
    query: 'Payroll.Query',
    listField: 'detailList',
    limit: 20,
    identity: ['projectCode', 'teamSysNo', 'payMonth', 'idCardNumber'],
    platformKeys: [],
  },
};

export const NATIONAL_BATCH_LIMITS: BatchLimits = Object.fromEntries(
  Object.entries(NATIONAL_METHODS).map(([kind, method]) => [kind, method.limit]),
);

export const ASYNC_RESULT_METHOD = 'AsyncHandleResult.Query';
export const CHECK_SIGN_METHOD = 'CheckSign.Query';
