/**
 * The representative "Province B" protocol (see signature.ts; not a named province's API), shared by
 * the adapter and its simulator: resources per record kind with their batch limits, reply codes, paths.
 *
 * Calls are JSON `POST`s to `<base>/<resource>/add|query` carrying `appKey`, `token`, `timestamp`
 * (Unix milliseconds), `nonce`, `data` (the payload as a JSON string) and `sign`; a token comes from
 * `<base>/auth/login` (`appKey`, `timestamp`, `nonce`, `sign`) and lives `expiresIn` seconds. Replies are
 * `{"resultCode": "0000", "resultMsg": "...", "data": ...}` and writes are answered synchronously.
 * Projects and enterprises are not uploaded: in this style the province takes them from its own
 * integrity platform, so the dependency order starts at the participating unit.
 */
import { BatchLimits, RecordKind } from '../uplink';

export const PROVINCE_B_CODE = {
  ok: '0000',
  tokenInvalid: '1001',
  badSignature: '1002',
  clockWindow: '1003',
  badParameters: '1004',
  rateLimited: '1005',
  alreadyExists: '1006',
  dependencyMissing: '1007',
  loginFailed: '2001',
  busy: '9999',
} as const;

export interface ProvinceBResource {
  /** Path segment of the resource. */
  readonly resource: string;
  readonly limit: number;
  /** Whether the call carries a `records` list (otherwise the record is the whole payload). */
  readonly listed: boolean;
  /** Fields (header or item) identifying a record, for reconciliation by query. */
  readonly identity: readonly string[];
  /** Keys the platform generates, adopted from the answer or a query row. */
  readonly platformKeys: readonly string[];
}

export const PROVINCE_B_LIST_FIELD = 'records';

export const PROVINCE_B_RESOURCES: Readonly<Partial<Record<RecordKind, ProvinceBResource>>> = {
  'participating-unit': {
    resource: 'subcontractor',
    limit: 1,
    listed: false,
    identity: ['projectCode', 'corpCode'],
    platformKeys: [],
  },
  team: {
    resource: 'team',
    limit: 1,
    listed: false,
    identity: ['projectCode', 'teamName'],
    platformKeys: ['teamId'],
  },
  'project-worker': {
    resource: 'worker',
    limit: 10,
    listed: true,
    identity: ['projectCode', 'idCardNumber'],
    platformKeys: [],
  },
  'worker-contract': {
    resource: 'contract',
    limit: 10,
    listed: true,
    identity: ['projectCode', 'idCardNumber', 'startDate'],
    platformKeys: [],
  },
  entry: {
    resource: 'entry',
    limit: 30,
    listed: true,
    identity: ['projectCode', 'idCardNumber', 'date'],
    platformKeys: [],
  },
  attendance: {
    resource: 'attendance',
    limit: 50,
    listed: true,
    identity: ['projectCode', 'idCardNumber', 'checkTime', 'direction'],
    platformKeys: [],
  },
  payroll: {
    resource: 'payroll',
    limit: 30,
    listed: true,
    identity: ['projectCode', 'payMonth', 'idCardNumber'],
    platformKeys: [],
  },
  exit: {
    resource: 'exit',
    limit: 30,
    listed: true,
    identity: ['projectCode', 'idCardNumber', 'date'],
    platformKeys: [],
  },
};

export const PROVINCE_B_DEPENDENCY_ORDER: readonly RecordKind[] = [
  'participating-unit',
  'team',
  'project-worker',
  'worker-contract',
  'entry',
  'attendance',
  'payroll',
  'exit',
];

export const PROVINCE_B_BATCH_LIMITS: BatchLimits = Object.fromEntries(
  Object.entries(PROVINCE_B_RESOURCES).map(([kind, resource]) => [kind, resource.limit]),
);

export const PROVINCE_B_LOGIN_PATH = 'auth/login';
