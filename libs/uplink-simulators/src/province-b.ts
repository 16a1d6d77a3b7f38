/**
 * A simulator of the representative "Province B" style (not a named province's API; see
 * province-b/signature.ts): a real HTTP server that issues session tokens and refuses expired ones,
 * checks the upper-case MD5 signature and the ±6-minute clock window, enforces its batch limits and
 * dependency order (unit → team → worker → contract → entry → attendance → payroll → exit), answers
 * writes synchronously, says "already exists" for duplicates, rate-limits and fails on demand.
 */
import { randomBytes } from 'node:crypto';
import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import { AddressInfo, Socket } from 'node:net';
import {
  JsonObject,
  JsonValue,
  platformDateTime,
  PROVINCE_B_CLOCK_WINDOW_SECONDS,
  PROVINCE_B_CODE,
  PROVINCE_B_LIST_FIELD,
  PROVINCE_B_LOGIN_PATH,
  PROVINCE_B_RESOURCES,
  provinceBSignature,
} from '@realname/uplinks';

export interface ProvinceBSimulatedProject {
  readonly appKey: string;
  readonly secret: string;
}

export interface ProvinceBSimulatorOptions {
  readonly projects: readonly ProvinceBSimulatedProject[];
  /** Lifetime of a token, on the simulator's clock; two hours by default, as such sessions commonly last. */
  readonly tokenLifetimeSeconds?: number;
  /** The platform clock (timestamps, token expiry, dates in the future); rate limiting uses real time. */
  readonly now?: () => Date;
}

export interface ProvinceBCall {
  readonly path: string;
  readonly httpStatus: number;
  readonly code?: string;
}

export interface ProvinceBSimulator {
  /** The base URL; resources are `<url>/<resource>/add|query`. */
  readonly url: string;
  close(): Promise<void>;
  failNext(calls: number, status?: number): void;
  setDown(down: boolean): void;
  setRateLimit(limit: { callsPerSecond: number; answer: 'http-429' | 'busy-code' } | undefined): void;
  /** Records accepted so far (header merged into each list element), optionally of one resource. */
  accepted(resource?: string): Array<{ resource: string; record: JsonObject }>;
  calls(): ProvinceBCall[];
}

class Refusal extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;
const MONTH = /^\d{4}-\d{2}$/;
const MAX_BODY_BYTES = 10 * 1024 * 1024;

function text(object: JsonObject, field: string): string {
  const value = object[field];
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : '';
}

function required(object: JsonObject, fields: readonly string[], where: string): void {
  for (const field of fields)
    if (text(object, field) === '')
      throw new Refusal(PROVINCE_B_CODE.badParameters, `${where}${field}不能为空`);
}

export async function startProvinceBSimulator(
  options: ProvinceBSimulatorOptions,
): Promise<ProvinceBSimulator> {
  const secrets = new Map(options.projects.map((project) => [project.appKey, project.secret]));
  const now = options.now ?? (() => new Date());
  const lifetimeMs = (options.tokenLifetimeSeconds ?? 7200) * 1000;
  const tokens = new Map<string, { appKey: string; expiresAt: number }>();
  const units = new Set<string>();
  const teams = new Map<string, JsonObject>();
  const teamByName = new Map<string, string>();
  const workers = new Set<string>();
  const entered = new Set<string>();
  const keys = new Set<string>();
  const stored: Array<{ resource: string; record: JsonObject }> = [];
  const callLog: ProvinceBCall[] = [];
  const sockets = new Set<Socket>();
  let nextTeam = 1;
  let failing = { calls: 0, status: 500 };
  let down = false;
  let rateLimit: { callsPerSecond: number; answer: 'http-429' | 'busy-code' } | undefined;
  const callsInSecond = new Map<string, { second: number; count: number }>();

  const notFuture = (value: string, format: RegExp, where: string): void => {
    if (!format.test(value)) throw new Refusal(PROVINCE_B_CODE.badParameters, `${where}格式不正确`);
    if (value > platformDateTime(now()).slice(0, value.length))
      throw new Refusal(PROVINCE_B_CODE.badParameters, `${where}不能晚于当前时间`);
  };

  const team = (data: JsonObject): JsonObject => {
    const found = teams.get(text(data, 'teamId'));
    if (!found || text(found, 'projectCode') !== text(data, 'projectCode'))
      throw new Refusal(
        PROVINCE_B_CODE.dependencyMissing,
        `班组teamId=${text(data, 'teamId')}不存在,请先上传班组`,
      );
    return found;
  };

  /** Applies one write atomically and returns the answer's data. */
  const write = (resource: string, data: JsonObject): JsonValue => {
    const spec = Object.values(PROVINCE_B_RESOURCES).find((candidate) => candidate?.resource === resource);
    if (!spec) throw new Refusal(PROVINCE_B_CODE.badParameters, `未知接口${resource}`);
    const commits: Array<() => void> = [];
    const inBatch = new Set<string>();
    const unique = (key: string, where: string): void => {
      if (keys.has(key) || inBatch.has(key))
        throw new Refusal(PROVINCE_B_CODE.alreadyExists, `${where}记录已存在`);
      inBatch.add(key);
      commits.push(() => keys.add(key));
    };
    const header = Object.fromEntries(Object.entries(data).filter(([key]) => key !== PROVINCE_B_LIST_FIELD));
    const records = (): JsonObject[] => {
      const list = data[PROVINCE_B_LIST_FIELD];
      if (!Array.isArray(list) || list.length === 0)
        throw new Refusal(PROVINCE_B_CODE.badParameters, 'records不能为空');
      if (list.length > spec.limit)
        throw new Refusal(PROVINCE_B_CODE.badParameters, `records每次最多${spec.limit}条`);
      return list.map((element, index) => {
        if (element === null || typeof element !== 'object' || Array.isArray(element))
          throw new Refusal(PROVINCE_B_CODE.badParameters, `records[${index}]格式不正确`);
        return element;
      });
    };
    const keep = (record: JsonObject): void => {
      commits.push(() => stored.push({ resource, record }));
    };
    const projectCode = text(data, 'projectCode');
    let answer: JsonValue = null;

    switch (resource) {
      case 'subcontractor':
        required(data, ['projectCode', 'corpCode', 'corpName'], '');
        unique(`unit|${projectCode}|${text(data, 'corpCode')}`, '');
        commits.push(() => units.add(`${projectCode}|${text(data, 'corpCode')}`));
        keep(data);
        break;
      case 'team': {
        required(data, ['projectCode', 'corpCode', 'teamName'], '');
        if (!units.has(`${projectCode}|${text(data, 'corpCode')}`))
          throw new Refusal(PROVINCE_B_CODE.dependencyMissing, '参建单位不存在,请先上传参建单位');
        const nameKey = `${projectCode}|${text(data, 'teamName')}`;
        if (teamByName.has(nameKey)) throw new Refusal(PROVINCE_B_CODE.alreadyExists, '班组已存在');
        const teamId = `T${String(nextTeam).padStart(6, '0')}`;
        nextTeam += 1;
        const record = { ...data, teamId };
        commits.push(() => {
          teams.set(teamId, record);
          teamByName.set(nameKey, teamId);
        });
        keep(record);
        answer = { teamId };
        break;
      }
      case 'worker':
        required(data, ['projectCode', 'teamId'], '');
        team(data);
        records().forEach((worker, index) => {
          const where = `records[${index}].`;
          required(worker, ['workerName', 'idCardType', 'idCardNumber'], where);
          const key = `${projectCode}|${text(worker, 'idCardNumber')}`;
          unique(`worker|${key}`, where);
          commits.push(() => workers.add(key));
          keep({ ...header, ...worker });
        });
        break;
      default: {
        required(data, ['projectCode'], '');
        if (resource !== 'contract') team(data);
        if (resource === 'payroll') notFuture(text(data, 'payMonth'), MONTH, 'payMonth');
        records().forEach((record, index) => {
          const where = `records[${index}].`;
          required(record, ['idCardNumber'], where);
          const workerKey = `${projectCode}|${text(record, 'idCardNumber')}`;
          if (!workers.has(workerKey))
            throw new Refusal(PROVINCE_B_CODE.dependencyMissing, `${where}人员未上传,请先上传人员`);
          let identity: string;
          if (resource === 'contract') {
            required(record, ['startDate'], where);
            identity = text(record, 'startDate');
          } else if (resource === 'entry' || resource === 'exit') {
            notFuture(text(record, 'date'), DAY, `${where}date`);
            if (resource === 'exit' && !entered.has(workerKey))
              throw new Refusal(PROVINCE_B_CODE.dependencyMissing, `${where}人员未进场,不能退场`);
            if (resource === 'entry') commits.push(() => entered.add(workerKey));
            identity = text(record, 'date');
          } else if (resource === 'attendance') {
            notFuture(text(record, 'checkTime'), DATE_TIME, `${where}checkTime`);
            if (!['IN', 'OUT'].includes(text(record, 'direction')))
              throw new Refusal(PROVINCE_B_CODE.badParameters, `${where}direction取值不正确`);
            identity = `${text(record, 'checkTime')}|${text(record, 'direction')}`;
          } else {
            required(record, ['actualAmount'], where);
            identity = text(data, 'payMonth');
          }
          unique(`${resource}|${workerKey}|${identity}`, where);
          keep({ ...header, ...record });
        });
      }
    }
    for (const commit of commits) commit();
    return answer;
  };

  const query = (resource: string, data: JsonObject): JsonObject => {
    const pageNo = Math.max(1, Number(data['pageNo'] ?? 1) || 1);
    const pageSize = Math.min(100, Math.max(1, Number(data['pageSize'] ?? 100) || 100));
    const filters = Object.entries(data).filter(
      ([key, value]) => key !== 'pageNo' && key !== 'pageSize' && value !== null && value !== '',
    );
    const rows = stored
      .filter((entry) => entry.resource === resource)
      .map((entry) => entry.record)
      .filter((row) => filters.every(([key, value]) => text(row, key) === String(value)));
    return { total: rows.length, list: rows.slice((pageNo - 1) * pageSize, pageNo * pageSize) };
  };

  const handle = (path: string, body: string): { status: number; reply: JsonObject | string } => {
    const answer = (code: string, message: string, data: JsonValue = null) => ({
      status: 200,
      reply: { resultCode: code, resultMsg: message, data },
    });
    let fields: Record<string, string>;
    try {
      const parsed: unknown = JSON.parse(body);
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
        throw new SyntaxError('not an object');
      fields = Object.fromEntries(
        Object.entries(parsed as Record<string, unknown>).map(([key, value]) => [
          key,
          typeof value === 'string' ? value : String(value),
        ]),
      );
    } catch {
      return answer(PROVINCE_B_CODE.badParameters, '请求体不是合法的JSON对象');
    }
    const appKey = fields['appKey'] ?? '';
    if (rateLimit) {
      const second = Math.floor(Date.now() / 1000);
      const window = callsInSecond.get(appKey);
      const count = window && window.second === second ? window.count + 1 : 1;
      callsInSecond.set(appKey, { second, count });
      if (count > rateLimit.callsPerSecond) {
        return rateLimit.answer === 'http-429'
          ? { status: 429, reply: 'Too Many Requests' }
          : answer(PROVINCE_B_CODE.rateLimited, '请求过于频繁');
      }
    }
    const isLogin = path === PROVINCE_B_LOGIN_PATH;
    for (const field of isLogin
      ? ['appKey', 'timestamp', 'nonce', 'sign']
      : ['appKey', 'token', 'timestamp', 'nonce', 'data', 'sign']) {
      if (!fields[field]) return answer(PROVINCE_B_CODE.badParameters, `${field}不能为空`);
    }
    const secret = secrets.get(appKey);
    if (secret === undefined) return answer(PROVINCE_B_CODE.loginFailed, 'appKey无效');
    const at = Number(fields['timestamp']);
    if (
      !/^\d+$/.test(fields['timestamp']) ||
      Math.abs(at - now().getTime()) > PROVINCE_B_CLOCK_WINDOW_SECONDS * 1000
    )
      return answer(PROVINCE_B_CODE.clockWindow, '时间戳超出允许范围(±6分钟)');
    const { sign, ...signed } = fields;
    if (provinceBSignature(signed, secret) !== sign) return answer(PROVINCE_B_CODE.badSignature, '签名错误');
    if (isLogin) {
      const token = randomBytes(16).toString('hex');
      tokens.set(token, { appKey, expiresAt: now().getTime() + lifetimeMs });
      return answer(PROVINCE_B_CODE.ok, '登录成功', { token, expiresIn: lifetimeMs / 1000 });
    }
    const session = tokens.get(fields['token']);
    if (!session || session.appKey !== appKey || now().getTime() >= session.expiresAt)
      return answer(PROVINCE_B_CODE.tokenInvalid, 'token无效或已过期,请重新登录');

    let data: JsonObject;
    try {
      const parsed: unknown = JSON.parse(fields['data']);
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
        throw new SyntaxError('not an object');
      data = parsed as JsonObject;
    } catch {
      return answer(PROVINCE_B_CODE.badParameters, 'data不是合法的JSON对象');
    }
    const match = /^([a-z]+)\/(add|query)$/.exec(path);
    if (!match) return { status: 404, reply: 'Not Found' };
    try {
      if (match[2] === 'query') return answer(PROVINCE_B_CODE.ok, '成功', query(match[1], data));
      return answer(PROVINCE_B_CODE.ok, '成功', write(match[1], data));
    } catch (error) {
      if (error instanceof Refusal) return answer(error.code, error.message);
      throw error;
    }
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (down) {
      req.socket.destroy();
      return;
    }
    const path = (req.url ?? '').replace(/^\/+/, '').split('?')[0];
    const send = (status: number, reply: JsonObject | string): void => {
      const isJson = typeof reply !== 'string';
      callLog.push({ path, httpStatus: status, code: isJson ? String(reply['resultCode']) : undefined });
      res.writeHead(status, {
        'content-type': isJson ? 'application/json;charset=UTF-8' : 'text/plain;charset=UTF-8',
      });
      res.end(isJson ? JSON.stringify(reply) : reply);
    };
    if (failing.calls > 0) {
      failing = { ...failing, calls: failing.calls - 1 };
      send(failing.status, 'Internal Server Error');
      return;
    }
    if (req.method !== 'POST') {
      send(405, 'Method Not Allowed');
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        send(413, 'Payload Too Large');
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (res.headersSent) return;
      try {
        const { status, reply } = handle(path, Buffer.concat(chunks).toString('utf8'));
        send(status, reply);
      } catch (error) {
        send(500, `simulator error: ${(error as Error).message}`);
      }
    });
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
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
    setRateLimit: (limit) => {
      rateLimit = limit;
      callsInSecond.clear();
    },
    accepted: (resource) =>
      structuredClone(stored.filter((entry) => resource === undefined || entry.resource === resource)),
    calls: () => [...callLog],
  };
}
