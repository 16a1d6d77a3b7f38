/**
 * A national platform simulator: a real HTTP server speaking the docking protocol of
 * NATIONAL-PLATFORM-API.md. It checks timestamps and signatures, decrypts the encrypted fields (bad
 * ciphertext is refused), enforces batch limits and dependency order, answers writes with a
 * `requestSerialCode` whose result appears after a delay, answers "already exists" for duplicates,
 * fails on demand (HTTP 500 for N calls, down, rate limit as 429 or code -5) and shows what it accepted.
 * Where the reference is silent the choice is the one the real platform plausibly makes, said in place.
 */
import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import { AddressInfo, Socket } from 'node:net';
import {
  ASYNC_RESULT_METHOD,
  CHECK_SIGN_METHOD,
  decryptSensitiveFields,
  encryptSensitiveFields,
  FieldCipherError,
  JsonObject,
  JsonValue,
  NATIONAL_CODE,
  nationalSignature,
  parsePlatformTimestamp,
  platformDateTime,
  platformTimestamp,
} from '@realname/uplinks';

export interface SimulatedProject {
  readonly appid: string;
  readonly secret: string;
}

export interface NationalSimulatorOptions {
  /** The projects (appid and secret) the platform knows. */
  readonly projects: readonly SimulatedProject[];
  /** Delay before a write's result leaves status 0 (pending). */
  readonly asyncDelayMs?: number;
  /** Accepted difference between the call's timestamp and the platform clock. */
  readonly clockWindowSeconds?: number;
  /** The platform clock (timestamps, "date in the future" checks); rate limiting always uses real time. */
  readonly now?: () => Date;
  /** Where to listen: 127.0.0.1 and any free port unless given (the CLI listens on a fixed one). */
  readonly port?: number;
  readonly host?: string;
}

export type RateLimitAnswer = 'http-429' | 'busy-code';

export interface SimulatorCall {
  readonly method: string;
  readonly httpStatus: number;
  /** The reply's code, undefined when the reply was not the protocol's JSON. */
  readonly code?: number;
}

export interface AcceptedRecord {
  readonly method: string;
  /** The record as stored: header fields merged into the list element, encrypted fields in clear. */
  readonly record: JsonObject;
}

export interface NationalSimulator {
  /** The endpoint, ending in `/open.api`. */
  readonly url: string;
  close(): Promise<void>;
  /** The next `calls` requests get HTTP `status` (500 by default) without being looked at. */
  failNext(calls: number, status?: number): void;
  /** Down: connections are accepted and dropped, so clients see a network error. */
  setDown(down: boolean): void;
  /** A project's keys issued after start (the demo registers each project's appid as it goes); replaces a secret. */
  addProject(project: SimulatedProject): void;
  /** More than `callsPerSecond` calls of one appid within a second are refused. */
  setRateLimit(limit: { callsPerSecond: number; answer: RateLimitAnswer } | undefined): void;
  /** Records accepted so far, in order, optionally of one method. */
  accepted(method?: string): AcceptedRecord[];
  /** How many records are accepted, optionally of one method (no copies: for large runs). */
  acceptedCount(method?: string): number;
  calls(): SimulatorCall[];
  /**
   * What earlier days put upstream, held at once without calls (benchmarks start from a platform that
   * already knows a city's enterprises, projects, units, teams and workers). Returns each team's
   * `teamSysNo`, in the order given.
   */
  seed(upstream: SeededUpstream): number[];
  /** Everything the platform holds, keys and results of writes included, as JSON (the CLI keeps it across runs). */
  snapshot(): NationalSnapshot;
  /** Holds exactly what `snapshot` gave (results of writes ready at once); the call log starts empty. */
  restore(snapshot: NationalSnapshot): void;
}

/** What a simulator holds, for `snapshot` and `restore`. */
export interface NationalSnapshot {
  readonly version: 1;
  readonly secrets: [string, string][];
  readonly corps: [string, JsonObject][];
  readonly projects: [string, JsonObject][];
  readonly units: string[];
  readonly teams: [number, JsonObject][];
  readonly teamNames: [string, number][];
  readonly workers: string[];
  readonly keys: string[];
  readonly lastEntryExit: [string, string][];
  readonly accepted: AcceptedRecord[];
  readonly nextTeamSysNo: number;
  readonly results: [string, { status: 10 | 20; result: JsonValue }][];
  readonly serialSequence: number;
}

/** A platform's holdings from earlier days, for `seed`. */
export interface SeededUpstream {
  readonly corps?: readonly { corpCode: string; corpName: string }[];
  readonly projects?: readonly { projectCode: string; name: string; contractorCorpCode: string }[];
  readonly units?: readonly { projectCode: string; corpCode: string }[];
  readonly teams?: readonly { projectCode: string; corpCode: string; teamName: string }[];
  readonly workers?: readonly { projectCode: string; idCardNumber: string }[];
}

const WRITE_LIMITS: Readonly<Record<string, { listField?: string; limit?: number }>> = {
  'Corp.Upload': {},
  'Project.Add': {},
  'ProjectSubContractor.Add': {},
  'Team.Add': {},
  'ProjectWorker.Add': { listField: 'workerList', limit: 5 },
  'WorkerContract.Add': { listField: 'contractList', limit: 5 },
  'ProjectTraining.Add': {},
  'WorkerEntryExit.Add': { listField: 'workerList', limit: 50 },
  'WorkerAttendance.Add': { listField: 'dataList', limit: 20 },
  'Payroll.Add': { listField: 'detailList', limit: 20 },
};

/** Query method → the write method whose accepted records it searches. */
const QUERIES: Readonly<Record<string, string>> = {
  'Corp.Query': 'Corp.Upload',
  'Project.Query': 'Project.Add',
  'ProjectSubContractor.Query': 'ProjectSubContractor.Add',
  'Team.Query': 'Team.Add',
  'ProjectWorker.Query': 'ProjectWorker.Add',
  'WorkerContract.Query': 'WorkerContract.Add',
  'ProjectTraining.Query': 'ProjectTraining.Add',
  'WorkerEntryExit.Query': 'WorkerEntryExit.Add',
  'WorkerAttendance.Query': 'WorkerAttendance.Add',
  'Payroll.Query': 'Payroll.Add',
};

const MAX_BODY_BYTES = 20 * 1024 * 1024;
const IMAGE_LIMIT_BYTES = 50 * 1024;

class Refusal extends Error {}

interface PendingResult {
  readonly readyAt: number;
  readonly status: 10 | 20;
  readonly result: JsonValue;
}

function text(object: JsonObject, field: string): string {
  const value = object[field];
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : '';
}

function required(object: JsonObject, fields: readonly string[], where: string): void {
  for (const field of fields) if (text(object, field) === '') throw new Refusal(`${where}${field}不能为空`);
}

function isJpegOrPng(bytes: Buffer): boolean {
  const jpeg = bytes.length > 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
  const png =
    bytes.length > 8 &&
    bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  return jpeg || png;
}

function checkImage(value: string, where: string, field: string, mandatory: boolean): void {
  if (value === '') {
    if (mandatory) throw new Refusal(`${where}${field}不能为空`);
    return;
  }
  const bytes = Buffer.from(value, 'base64');
  if (bytes.length > IMAGE_LIMIT_BYTES) throw new Refusal(`${where}${field}大小不能超过50KB`);
  if (!isJpegOrPng(bytes)) throw new Refusal(`${where}${field}格式必须为JPG或PNG`);
}

/** Everything the platform holds, with encrypted fields in clear (replies encrypt them per caller). */
class PlatformState {
  readonly corps = new Map<string, JsonObject>();
  readonly projects = new Map<string, JsonObject>();
  readonly units = new Set<string>();
  readonly teams = new Map<number, JsonObject>();
  readonly teamNames = new Map<string, number>();
  readonly workers = new Set<string>();
  readonly keys = new Set<string>();
  readonly lastEntryExit = new Map<string, string>();
  readonly accepted: AcceptedRecord[] = [];
  readonly acceptedPerMethod = new Map<string, number>();
  nextTeamSysNo = 100001;

  accept(entry: AcceptedRecord): void {
    this.accepted.push(entry);
    this.acceptedPerMethod.set(entry.method, (this.acceptedPerMethod.get(entry.method) ?? 0) + 1);
  }

  project(projectCode: string): void {
    if (!this.projects.has(projectCode)) throw new Refusal(`项目${projectCode}不存在`);
  }

  team(projectCode: string, teamSysNo: string): JsonObject {
    const team = this.teams.get(Number(teamSysNo));
    if (!team || text(team, 'projectCode') !== projectCode)
      throw new Refusal(`班组teamSysNo=${teamSysNo}不存在,请先上传班组`);
    return team;
  }

  worker(projectCode: string, idCardNumber: string, where: string): void {
    if (!this.workers.has(`${projectCode}|${idCardNumber}`))
      throw new Refusal(`${where}人员未上传到项目,请先上传人员`);
  }
}

export async function startNationalSimulator(options: NationalSimulatorOptions): Promise<NationalSimulator> {
  const secrets = new Map(options.projects.map((project) => [project.appid, project.secret]));
  const now = options.now ?? (() => new Date());
  const asyncDelayMs = options.asyncDelayMs ?? 200;
  // The reference publishes no window; ±10 minutes tolerates ordinary clock drift of site servers.
  const clockWindowMs = (options.clockWindowSeconds ?? 600) * 1000;
  const state = new PlatformState();
  const results = new Map<string, PendingResult>();
  const callLog: SimulatorCall[] = [];
  let serialSequence = 0;
  let failing = { calls: 0, status: 500 };
  let down = false;
  let rateLimit: { callsPerSecond: number; answer: RateLimitAnswer } | undefined;
  const callsInSecond = new Map<string, { second: number; count: number }>();
  const sockets = new Set<Socket>();

  const reply = (
    res: ServerResponse,
    method: string,
    httpStatus: number,
    body: JsonObject | string,
  ): void => {
    const isJson = typeof body !== 'string';
    callLog.push({ method, httpStatus, code: isJson ? (body['code'] as number) : undefined });
    res.writeHead(httpStatus, {
      'content-type': isJson ? 'application/json;charset=UTF-8' : 'text/plain;charset=UTF-8',
    });
    res.end(isJson ? JSON.stringify(body) : body);
  };
  const answer = (code: number, message: string, data: JsonValue = null): JsonObject => ({
    code,
    message,
    data,
  });

  const notFuture = (value: string, where: string, field: string, format: RegExp): void => {
    if (!format.test(value)) throw new Refusal(`${where}${field}格式不正确`);
    if (value > platformDateTime(now()).slice(0, value.length))
      throw new Refusal(`${where}${field}不能晚于当前日期`);
  };
  const DAY = /^\d{4}-\d{2}-\d{2}$/;
  const DATE_TIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;
  const MONTH = /^\d{4}-\d{2}$/;

  const listOf = (data: JsonObject, field: string, limit: number): JsonObject[] => {
    const list = data[field];
    if (!Array.isArray(list) || list.length === 0) throw new Refusal(`${field}不能为空`);
    if (list.length > limit) throw new Refusal(`${field}每次最多上传${limit}条`);
    return list.map((element, index) => {
      if (element === null || typeof element !== 'object' || Array.isArray(element))
        throw new Refusal(`${field}[${index}]格式不正确`);
      return element;
    });
  };

  /** Applies one write atomically (all records or none) and returns the async result's payload. */
  const write = (method: string, data: JsonObject): JsonValue => {
    const header: JsonObject = Object.fromEntries(
      Object.entries(data).filter(([key]) => key !== WRITE_LIMITS[method].listField),
    );
    const list = (field: string, limit: number) => listOf(data, field, limit);
    const commits: Array<() => void> = [];
    const inBatch = new Set<string>();
    const unique = (key: string, message: string): void => {
      if (state.keys.has(key) || inBatch.has(key)) throw new Refusal(message);
      inBatch.add(key);
      commits.push(() => state.keys.add(key));
    };
    const accept = (record: JsonObject): void => {
      commits.push(() => state.accept({ method, record }));
    };
    let result: JsonValue = null;

    switch (method) {
      case 'Corp.Upload': {
        required(data, ['corpCode', 'corpName'], '');
        // "Upload" re-sends an enterprise's registration; the platform keeps the latest, never "exists".
        const corpCode = text(data, 'corpCode');
        commits.push(() => {
          state.corps.set(corpCode, data);
          const previous = state.accepted.findIndex(
            (entry) => entry.method === method && text(entry.record, 'corpCode') === corpCode,
          );
          if (previous >= 0) {
            state.accepted.splice(previous, 1);
            state.acceptedPerMethod.set(method, (state.acceptedPerMethod.get(method) ?? 1) - 1);
          }
        });
        accept(data);
        break;
      }
      case 'Project.Add': {
        // The reference lists no project fields; the general contractor's code ties it to an enterprise.
        required(data, ['projectCode', 'name', 'contractorCorpCode'], '');
        if (!state.corps.has(text(data, 'contractorCorpCode')))
          throw new Refusal('总承包企业未上传,请先上传企业信息');
        if (state.projects.has(text(data, 'projectCode'))) throw new Refusal('项目已存在');
        commits.push(() => state.projects.set(text(data, 'projectCode'), data));
        accept(data);
        break;
      }
      case 'ProjectSubContractor.Add': {
        required(data, ['projectCode', 'corpCode', 'corpName', 'corpType'], '');
        state.project(text(data, 'projectCode'));
        if (!state.corps.has(text(data, 'corpCode'))) throw new Refusal('参建企业未上传,请先上传企业信息');
        const key = `${text(data, 'projectCode')}|${text(data, 'corpCode')}`;
        unique(`unit|${key}`, '参建单位已存在');
        commits.push(() => state.units.add(key));
        accept(data);
        break;
      }
      case 'Team.Add': {
        required(data, ['projectCode', 'corpCode', 'teamName'], '');
        state.project(text(data, 'projectCode'));
        if (!state.units.has(`${text(data, 'projectCode')}|${text(data, 'corpCode')}`)) {
          throw new Refusal('参建单位未上传,请先上传参建单位');
        }
        const nameKey = `${text(data, 'projectCode')}|${text(data, 'teamName')}`;
        if (state.teamNames.has(nameKey)) throw new Refusal('班组名称已存在');
        const teamSysNo = state.nextTeamSysNo;
        state.nextTeamSysNo += 1;
        const team: JsonObject = { ...data, teamSysNo };
        commits.push(() => {
          state.teams.set(teamSysNo, team);
          state.teamNames.set(nameKey, teamSysNo);
        });
        accept(team);
        result = { teamSysNo };
        break;
      }
      case 'ProjectWorker.Add': {
        required(data, ['projectCode', 'corpCode', 'teamSysNo'], '');
        const projectCode = text(data, 'projectCode');
        state.project(projectCode);
        const team = state.team(projectCode, text(data, 'teamSysNo'));
        if (text(team, 'corpCode') !== text(data, 'corpCode')) throw new Refusal('班组不属于该参建单位');
        list('workerList', 5).forEach((worker, index) => {
          const where = `workerList[${index}].`;
          required(worker, ['workerName', 'idCardType', 'idCardNumber', 'workType', 'workRole'], where);
          if (!['10', '20'].includes(text(worker, 'workRole')))
            throw new Refusal(`${where}workRole取值不正确`);
          checkImage(text(worker, 'headImage'), where, 'headImage', true);
          const key = `${projectCode}|${text(worker, 'idCardNumber')}`;
          unique(`worker|${key}`, `${where}人员已存在`);
          commits.push(() => state.workers.add(key));
          accept({ ...header, ...worker });
        });
        break;
      }
      case 'WorkerContract.Add': {
        required(data, ['projectCode'], '');
        const projectCode = text(data, 'projectCode');
        state.project(projectCode);
        list('contractList', 5).forEach((contract, index) => {
          const where = `contractList[${index}].`;
          required(
            contract,
            ['corpCode', 'idCardType', 'idCardNumber', 'contractPeriodType', 'startDate'],
            where,
          );
          state.worker(projectCode, text(contract, 'idCardNumber'), where);
          const key = [
            'contract',
            projectCode,
            text(contract, 'corpCode'),
            text(contract, 'idCardNumber'),
            text(contract, 'startDate'),
          ];
          unique(key.join('|'), `${where}合同已存在`);
          accept({ ...header, ...contract });
        });
        break;
      }
      case 'ProjectTraining.Add': {
        required(data, ['projectCode', 'trainingDate', 'trainingName', 'trainingTypeCode'], '');
        const projectCode = text(data, 'projectCode');
        state.project(projectCode);
        notFuture(text(data, 'trainingDate'), '', 'trainingDate', DAY);
        const workers = data['workers'];
        if (!Array.isArray(workers) || workers.length === 0) throw new Refusal('workers不能为空');
        workers.forEach((worker, index) => {
          if (worker === null || typeof worker !== 'object' || Array.isArray(worker))
            throw new Refusal(`workers[${index}]格式不正确`);
          state.worker(projectCode, text(worker, 'idCardNumber'), `workers[${index}].`);
        });
        unique(
          `training|${projectCode}|${text(data, 'trainingDate')}|${text(data, 'trainingName')}`,
          '培训记录已存在',
        );
        accept(data);
        break;
      }
      case 'WorkerEntryExit.Add': {
        required(data, ['projectCode', 'corpCode', 'teamSysNo'], '');
        const projectCode = text(data, 'projectCode');
        state.project(projectCode);
        state.team(projectCode, text(data, 'teamSysNo'));
        const lastInBatch = new Map<string, string>();
        list('workerList', 50).forEach((entry, index) => {
          const where = `workerList[${index}].`;
          required(entry, ['idCardType', 'idCardNumber', 'date', 'type'], where);
          const id = text(entry, 'idCardNumber');
          state.worker(projectCode, id, where);
          if (!['0', '1'].includes(text(entry, 'type'))) throw new Refusal(`${where}type取值不正确`);
          const date = text(entry, 'date');
          notFuture(date, where, 'date', DAY);
          const workerKey = `${projectCode}|${id}`;
          const last = lastInBatch.get(workerKey) ?? state.lastEntryExit.get(workerKey);
          if (last !== undefined && date < last)
            throw new Refusal(`${where}进退场日期不能早于上一次进退场日期`);
          unique(`entryexit|${workerKey}|${date}|${text(entry, 'type')}`, `${where}进退场记录已存在`);
          lastInBatch.set(workerKey, date);
          commits.push(() => state.lastEntryExit.set(workerKey, date));
          accept({ ...header, ...entry });
        });
        break;
      }
      case 'WorkerAttendance.Add': {
        required(data, ['projectCode', 'teamSysNo'], '');
        const projectCode = text(data, 'projectCode');
        state.project(projectCode);
        state.team(projectCode, text(data, 'teamSysNo'));
        list('dataList', 20).forEach((punch, index) => {
          const where = `dataList[${index}].`;
          required(punch, ['idCardType', 'idCardNumber', 'date', 'direction'], where);
          state.worker(projectCode, text(punch, 'idCardNumber'), where);
          notFuture(text(punch, 'date'), where, 'date', DATE_TIME);
          if (!['01', '02'].includes(text(punch, 'direction')))
            throw new Refusal(`${where}direction取值不正确`);
          checkImage(text(punch, 'image'), where, 'image', false);
          const key = [
            'attendance',
            projectCode,
            text(punch, 'idCardNumber'),
            text(punch, 'date'),
            text(punch, 'direction'),
          ];
          unique(key.join('|'), `${where}考勤记录已存在`);
          accept({ ...header, ...punch });
        });
        break;
      }
      case 'Payroll.Add': {
        required(data, ['projectCode', 'corpCode', 'teamSysNo', 'payMonth'], '');
        const projectCode = text(data, 'projectCode');
        state.project(projectCode);
        state.team(projectCode, text(data, 'teamSysNo'));
        notFuture(text(data, 'payMonth'), '', 'payMonth', MONTH);
        list('detailList', 20).forEach((line, index) => {
          const where = `detailList[${index}].`;
          required(line, ['idCardType', 'idCardNumber', 'totalPayAmount', 'actualAmount'], where);
          state.worker(projectCode, text(line, 'idCardNumber'), where);
          if (text(line, 'balanceDate') !== '')
            notFuture(text(line, 'balanceDate'), where, 'balanceDate', DAY);
          const key = [
            'payroll',
            projectCode,
            text(data, 'teamSysNo'),
            text(data, 'payMonth'),
            text(line, 'idCardNumber'),
          ];
          unique(key.join('|'), `${where}工资记录已存在`);
          accept({ ...header, ...line });
        });
        break;
      }
      default:
        throw new Error(`no write rule for ${method}`);
    }
    for (const commit of commits) commit();
    return result;
  };

  const query = (method: string, data: JsonObject, secret: string): JsonObject => {
    const source = QUERIES[method];
    const pageIndex = Math.max(0, Number(data['pageIndex'] ?? 0) || 0);
    // The reference gives no page-size cap; 50 rows per page is what clients ask for.
    const pageSize = Math.min(50, Math.max(1, Number(data['pageSize'] ?? 50) || 50));
    const filters = Object.entries(data).filter(
      ([key, value]) => key !== 'pageIndex' && key !== 'pageSize' && value !== null && value !== '',
    );
    if (method === 'WorkerAttendance.Query' && !DAY.test(text(data, 'date')))
      throw new Refusal('date不能为空,考勤按天查询');
    const rows = state.accepted
      .filter((entry) => entry.method === source)
      .map((entry) => entry.record)
      .filter((row) =>
        filters.every(([key, value]) =>
          // The attendance query is per day: its `date` filter matches the day of the punch time.
          method === 'WorkerAttendance.Query' && key === 'date'
            ? text(row, 'date').startsWith(String(value))
            : text(row, key) === String(value),
        ),
      );
    const page = rows.slice(pageIndex * pageSize, (pageIndex + 1) * pageSize);
    return { totalCount: rows.length, rows: page.map((row) => encryptSensitiveFields(row, secret)) };
  };

  const serialFor = (method: string): string => {
    serialSequence += 1;
    const prefix = method.toLowerCase().replace('.', '-');
    const random = String(Math.floor(Math.random() * 10000)).padStart(4, '0');
    return `${prefix}-${platformTimestamp(now()).slice(0, 10)}-${serialSequence}-${random}`;
  };

  const handle = (res: ServerResponse, body: string): void => {
    const form = new URLSearchParams(body);
    const method = form.get('method') ?? '';
    const appid = form.get('appid') ?? '';
    const send = (httpStatus: number, payload: JsonObject | string): void =>
      reply(res, method, httpStatus, payload);

    if (failing.calls > 0) {
      failing = { ...failing, calls: failing.calls - 1 };
      send(failing.status, 'Internal Server Error');
      return;
    }
    if (rateLimit) {
      const second = Math.floor(Date.now() / 1000);
      const window = callsInSecond.get(appid);
      const count = window && window.second === second ? window.count + 1 : 1;
      callsInSecond.set(appid, { second, count });
      if (count > rateLimit.callsPerSecond) {
        if (rateLimit.answer === 'http-429') send(429, 'Too Many Requests');
        else send(200, answer(NATIONAL_CODE.rateLimited, '请求过于频繁,请稍后再试'));
        return;
      }
    }

    const fields: Record<string, string> = {};
    for (const [key, value] of form) fields[key] = value;
    for (const field of ['appid', 'method', 'version', 'format', 'timestamp', 'nonce', 'data', 'sign']) {
      if (!fields[field]) return send(200, answer(NATIONAL_CODE.badParameters, `${field}不能为空`));
    }
    const secret = secrets.get(appid);
    // An unknown appid cannot be checked against any secret, so it reads as a parameter error.
    if (secret === undefined) return send(200, answer(NATIONAL_CODE.badParameters, 'appid无效'));
    const at = parsePlatformTimestamp(fields['timestamp']);
    if (!at || Math.abs(at.getTime() - now().getTime()) > clockWindowMs) {
      return send(200, answer(NATIONAL_CODE.badParameters, 'timestamp无效或超出允许的时间范围'));
    }
    const { sign, ...signed } = fields;
    if (nationalSignature(signed, secret) !== sign)
      return send(200, answer(NATIONAL_CODE.badSignature, '签名错误'));
    const known =
      method in WRITE_LIMITS ||
      method in QUERIES ||
      method === ASYNC_RESULT_METHOD ||
      method === CHECK_SIGN_METHOD;
    if (!known) return send(200, answer(NATIONAL_CODE.noPermission, `无权限调用接口${method}`));

    let data: JsonObject;
    try {
      const parsed: unknown = JSON.parse(fields['data']);
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
        throw new SyntaxError('not an object');
      data = decryptSensitiveFields(parsed as JsonObject, secret) as JsonObject;
    } catch (error) {
      const reason =
        error instanceof FieldCipherError
          ? `${error.message.split(':')[0]}解密失败`
          : 'data不是合法的JSON对象';
      return send(200, answer(NATIONAL_CODE.badParameters, reason));
    }

    if (method === CHECK_SIGN_METHOD) return send(200, answer(NATIONAL_CODE.ok, '签名验证通过', {}));
    if (method === ASYNC_RESULT_METHOD) {
      const pending = results.get(text(data, 'requestSerialCode'));
      if (!pending) return send(200, answer(NATIONAL_CODE.badParameters, 'requestSerialCode不存在'));
      const ready = Date.now() >= pending.readyAt;
      return send(
        200,
        answer(
          NATIONAL_CODE.ok,
          'success',
          ready ? { status: pending.status, result: pending.result } : { status: 0, result: null },
        ),
      );
    }
    if (method in QUERIES) {
      try {
        return send(200, answer(NATIONAL_CODE.ok, 'success', query(method, data, secret)));
      } catch (error) {
        if (error instanceof Refusal) return send(200, answer(NATIONAL_CODE.badParameters, error.message));
        throw error;
      }
    }

    // Shape and size are refused at once; business rules are decided when the queued write runs.
    const { listField, limit } = WRITE_LIMITS[method];
    if (listField && limit !== undefined) {
      const list = data[listField];
      if (Array.isArray(list) && list.length > limit) {
        return send(200, answer(NATIONAL_CODE.badParameters, `${listField}每次最多上传${limit}条`));
      }
    }
    const serial = serialFor(method);
    let outcome: PendingResult;
    try {
      // Writes run in arrival order, as the platform's queue does; only the result is revealed late.
      outcome = { readyAt: Date.now() + asyncDelayMs, status: 20, result: write(method, data) };
    } catch (error) {
      if (!(error instanceof Refusal)) throw error;
      outcome = { readyAt: Date.now() + asyncDelayMs, status: 10, result: error.message };
    }
    results.set(serial, outcome);
    return send(200, answer(NATIONAL_CODE.ok, 'success', { requestSerialCode: serial }));
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (down) {
      req.socket.destroy();
      return;
    }
    if (req.method !== 'POST' || !(req.url ?? '').startsWith('/open.api')) {
      reply(res, '', 404, 'Not Found');
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reply(res, '', 413, 'Payload Too Large');
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (res.headersSent) return;
      try {
        handle(res, Buffer.concat(chunks).toString('utf8'));
      } catch (error) {
        reply(res, '', 500, `simulator error: ${(error as Error).message}`);
      }
    });
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/open.api`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const socket of sockets) socket.destroy();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
    failNext: (calls, status = 500) => {
      failing = { calls, status };
    },
    setDown: (value) => {
      down = value;
    },
    addProject: (project) => {
      secrets.set(project.appid, project.secret);
    },
    setRateLimit: (limit) => {
      rateLimit = limit;
      callsInSecond.clear();
    },
    // Copies, so a test cannot change what the platform holds.
    accepted: (method) =>
      structuredClone(state.accepted.filter((entry) => method === undefined || entry.method === method)),
    acceptedCount: (method) =>
      method === undefined ? state.accepted.length : (state.acceptedPerMethod.get(method) ?? 0),
    calls: () => [...callLog],
    seed: (upstream) => {
      for (const corp of upstream.corps ?? []) state.corps.set(corp.corpCode, { ...corp });
      for (const project of upstream.projects ?? []) state.projects.set(project.projectCode, { ...project });
      for (const unit of upstream.units ?? []) state.units.add(`${unit.projectCode}|${unit.corpCode}`);
      const teamSysNos = (upstream.teams ?? []).map((team) => {
        const teamSysNo = state.nextTeamSysNo;
        state.nextTeamSysNo += 1;
        state.teams.set(teamSysNo, { ...team, teamSysNo });
        state.teamNames.set(`${team.projectCode}|${team.teamName}`, teamSysNo);
        return teamSysNo;
      });
      for (const worker of upstream.workers ?? [])
        state.workers.add(`${worker.projectCode}|${worker.idCardNumber}`);
      return teamSysNos;
    },
    snapshot: () =>
      structuredClone({
        version: 1 as const,
        secrets: [...secrets],
        corps: [...state.corps],
        projects: [...state.projects],
        units: [...state.units],
        teams: [...state.teams],
        teamNames: [...state.teamNames],
        workers: [...state.workers],
        keys: [...state.keys],
        lastEntryExit: [...state.lastEntryExit],
        accepted: state.accepted,
        nextTeamSysNo: state.nextTeamSysNo,
        results: [...results].map(([serial, r]) => [serial, { status: r.status, result: r.result }]),
        serialSequence,
      } satisfies NationalSnapshot),
    restore: (snapshot) => {
      if (snapshot.version !== 1) throw new Error(`unknown snapshot version ${String(snapshot.version)}`);
      const fill = <K, V>(map: Map<K, V>, entries: [K, V][]) => {
        map.clear();
        for (const [k, v] of entries) map.set(k, v);
      };
      const refill = <V>(set: Set<V>, values: V[]) => {
        set.clear();
        for (const v of values) set.add(v);
      };
      fill(secrets, snapshot.secrets);
      fill(state.corps, snapshot.corps);
      fill(state.projects, snapshot.projects);
      refill(state.units, snapshot.units);
      fill(state.teams, snapshot.teams);
      fill(state.teamNames, snapshot.teamNames);
      refill(state.workers, snapshot.workers);
      refill(state.keys, snapshot.keys);
      fill(state.lastEntryExit, snapshot.lastEntryExit);
      state.accepted.length = 0;
      state.acceptedPerMethod.clear();
      for (const entry of snapshot.accepted) state.accept(entry);
      state.nextTeamSysNo = snapshot.nextTeamSysNo;
      fill(
        results,
        snapshot.results.map(([serial, r]): [string, PendingResult] => [serial, { ...r, readyAt: 0 }]),
      );
      serialSequence = snapshot.serialSequence;
      callLog.length = 0;
    },
  };
}

/** The platform's calendar day now, for tests that build dated records. */
export function platformToday(at: Date = new Date()): string {
  return platformDateTime(at).slice(0, 10);
}
