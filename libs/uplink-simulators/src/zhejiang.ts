/**
 * A Zhejiang V2.0 provincial platform simulator: a real HTTP server in front of the national simulator
 * (V2.0 derives from the national v1.1.2, so signature, encryption, limits, order and async answers are
 * the national simulator's), adding the provincial checks the references name: a worker upload must
 * carry `gender` consistent with a resident ID, `headImageSuffix` matching the image, `cardDate` as a
 * range, and well-formed `inDate` / `outDate`. Such a refusal comes at once with code -1, as the national
 * simulator refuses shape errors; everything else is forwarded unchanged. It also notes when each
 * accepted punch reached the province and whether that was at or after 24:00 (Asia/Shanghai) of its
 * day, the notice's deadline; the notice does not say a late punch is refused, so it is accepted.
 */
import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import { AddressInfo, Socket } from 'node:net';
import {
  attendanceDeadline,
  decryptSensitiveFields,
  JsonObject,
  NATIONAL_CODE,
  nationalSignature,
  ZHEJIANG_ATTENDANCE_DEADLINE,
} from '@realname/uplinks';
import { NationalSimulator, NationalSimulatorOptions, startNationalSimulator } from './national';

export interface ZhejiangSimulator extends NationalSimulator {
  /** The provincial refusals given so far (messages), in order. */
  provincialRefusals(): string[];
  /** Accepted punches with the time they reached the province and whether that was after their day's 24:00. */
  attendanceArrivals(): AttendanceArrival[];
}

export interface AttendanceArrival {
  readonly projectCode: string;
  readonly idCardNumber: string;
  /** The punch time, `yyyy-MM-dd HH:mm:ss` (Asia/Shanghai). */
  readonly date: string;
  readonly direction: string;
  /** ISO instant the call reached the province, on the simulator's clock. */
  readonly arrivedAt: string;
  /** Reached the province at or after 24:00 of the punch's day. */
  readonly late: boolean;
}

function isSubmitted(reply: string): boolean {
  try {
    const parsed: unknown = JSON.parse(reply);
    return parsed !== null && typeof parsed === 'object' && (parsed as { code?: unknown }).code === 0;
  } catch {
    return false;
  }
}

/** One punch of one project: the platform's own identity of an attendance record. */
function arrivalKey(punch: Readonly<Record<string, unknown>>): string {
  return ['projectCode', 'idCardNumber', 'date', 'direction']
    .map((name) => String(punch[name] ?? ''))
    .join('|');
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;
// The simulator accepts what our mapping sends plus the long-term validity printed on ID cards (长期).
const CARD_DATE = /^\d{4}-\d{2}-\d{2}~(\d{4}-\d{2}-\d{2}|长期)$/;

function text(object: JsonObject, field: string): string {
  const value = object[field];
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : '';
}

function suffixOf(base64: string): string {
  const bytes = Buffer.from(base64, 'base64');
  if (bytes.length > 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpg';
  if (bytes.length > 8 && bytes.readUInt32BE(0) === 0x89504e47) return 'png';
  return '';
}

/** The first V2.0 fault of a worker, or undefined when the worker is acceptable to the province. */
function workerFault(worker: JsonObject, where: string): string | undefined {
  const gender = text(worker, 'gender');
  if (!['1', '2'].includes(gender)) return `${where}gender不能为空或取值不正确`;
  const id = text(worker, 'idCardNumber');
  if (text(worker, 'idCardType') === '01' && /^\d{17}[\dXx]$/.test(id)) {
    const expected = Number(id[16]) % 2 === 1 ? '1' : '2';
    if (gender !== expected) return `${where}gender与身份证号码不一致`;
  }
  const suffix = text(worker, 'headImageSuffix');
  if (suffix === '') return `${where}headImageSuffix不能为空`;
  if (suffix !== suffixOf(text(worker, 'headImage'))) return `${where}headImageSuffix与头像格式不一致`;
  if (!CARD_DATE.test(text(worker, 'cardDate'))) return `${where}cardDate格式不正确`;
  for (const field of ['inDate', 'outDate']) {
    const value = text(worker, field);
    if (value !== '' && !DAY.test(value)) return `${where}${field}格式不正确`;
  }
  const inDate = text(worker, 'inDate');
  const outDate = text(worker, 'outDate');
  if (inDate !== '' && outDate !== '' && outDate < inDate) return `${where}outDate不能早于inDate`;
  return undefined;
}

export async function startZhejiangSimulator(options: NationalSimulatorOptions): Promise<ZhejiangSimulator> {
  const national = await startNationalSimulator(options);
  const secrets = new Map(options.projects.map((project) => [project.appid, project.secret]));
  const now = options.now ?? (() => new Date());
  const refusals: string[] = [];
  const arrivals: AttendanceArrival[] = [];
  const sockets = new Set<Socket>();
  let down = false;

  /** Method and decrypted data of a correctly signed call; undefined leaves it to the national checks. */
  const signedCall = (body: string): { method: string; data: JsonObject } | undefined => {
    const fields: Record<string, string> = {};
    for (const [key, value] of new URLSearchParams(body)) fields[key] = value;
    const secret = secrets.get(fields['appid'] ?? '');
    const { sign, ...signed } = fields;
    if (secret === undefined || sign === undefined || nationalSignature(signed, secret) !== sign)
      return undefined;
    try {
      const data: unknown = decryptSensitiveFields(JSON.parse(fields['data'] ?? '') as JsonObject, secret);
      if (data === null || typeof data !== 'object' || Array.isArray(data)) return undefined;
      return { method: fields['method'] ?? '', data: data as JsonObject };
    } catch {
      return undefined;
    }
  };

  /** The provincial refusal of a worker upload, if any. */
  const provincialFault = (call: { method: string; data: JsonObject } | undefined): string | undefined => {
    if (call?.method !== 'ProjectWorker.Add') return undefined;
    const list = call.data['workerList'];
    if (!Array.isArray(list)) return undefined;
    for (const [index, worker] of list.entries()) {
      if (worker === null || typeof worker !== 'object' || Array.isArray(worker)) return undefined;
      const fault = workerFault(worker, `workerList[${index}].`);
      if (fault) return fault;
    }
    return undefined;
  };

  /** Notes when each punch of a submitted attendance call reached the province, against its day's deadline. */
  const noteArrivals = (data: JsonObject): void => {
    const list = data['dataList'];
    if (!Array.isArray(list)) return;
    const arrivedAt = now();
    for (const punch of list) {
      if (punch === null || typeof punch !== 'object' || Array.isArray(punch)) continue;
      const date = text(punch, 'date');
      if (!DAY.test(date.slice(0, 10))) continue;
      const deadline = attendanceDeadline(date.slice(0, 10), ZHEJIANG_ATTENDANCE_DEADLINE);
      arrivals.push({
        projectCode: text(data, 'projectCode'),
        idCardNumber: text(punch, 'idCardNumber'),
        date,
        direction: text(punch, 'direction'),
        arrivedAt: arrivedAt.toISOString(),
        late: arrivedAt.getTime() >= deadline.getTime(),
      });
    }
  };

  const forward = async (res: ServerResponse, body: string, contentType: string): Promise<void> => {
    const call = signedCall(body);
    const fault = provincialFault(call);
    if (fault) {
      refusals.push(fault);
      res.writeHead(200, { 'content-type': 'application/json;charset=UTF-8' });
      res.end(JSON.stringify({ code: NATIONAL_CODE.badParameters, message: fault, data: null }));
      return;
    }
    try {
      const upstream = await fetch(national.url, {
        method: 'POST',
        headers: { 'content-type': contentType },
        body,
      });
      const reply = await upstream.text();
      if (call?.method === 'WorkerAttendance.Add' && upstream.status === 200 && isSubmitted(reply))
        noteArrivals(call.data);
      res.writeHead(upstream.status, {
        'content-type': upstream.headers.get('content-type') ?? 'text/plain;charset=UTF-8',
      });
      res.end(reply);
    } catch {
      // The national part being unreachable is the province being down, so the client sees a dropped line.
      res.socket?.destroy();
    }
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (down) {
      req.socket.destroy();
      return;
    }
    if (req.method !== 'POST' || !(req.url ?? '').startsWith('/open.api')) {
      res.writeHead(404, { 'content-type': 'text/plain;charset=UTF-8' });
      res.end('Not Found');
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      void forward(
        res,
        Buffer.concat(chunks).toString('utf8'),
        req.headers['content-type'] ?? 'application/x-www-form-urlencoded',
      );
    });
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/open.api`,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve, reject) =>
        server.close((error) => (error ? reject(error) : resolve())),
      );
      await national.close();
    },
    failNext: (calls, status) => national.failNext(calls, status),
    setDown: (value) => {
      down = value;
    },
    setRateLimit: (limit) => national.setRateLimit(limit),
    accepted: (method) => national.accepted(method),
    acceptedCount: (method) => national.acceptedCount(method),
    seed: (upstream) => national.seed(upstream),
    addProject: (project) => {
      secrets.set(project.appid, project.secret);
      national.addProject(project);
    },
    snapshot: () => national.snapshot(),
    restore: (snapshot) => {
      national.restore(snapshot);
      secrets.clear();
      for (const [appid, secret] of snapshot.secrets) secrets.set(appid, secret);
    },
    calls: () => national.calls(),
    provincialRefusals: () => [...refusals],
    // Only punches the platform went on to accept count as delivered; refused ones never arrived.
    attendanceArrivals: () => {
      const accepted = new Set(
        national.accepted('WorkerAttendance.Add').map(({ record }) => arrivalKey(record)),
      );
      return arrivals.filter((arrival) => accepted.has(arrivalKey({ ...arrival })));
    },
  };
}
