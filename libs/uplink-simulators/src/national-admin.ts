/**
 * A small admin HTTP API beside a running national simulator, for the demo (and anyone poking at it by
 * hand): register a project's keys and what the integrity platform would already have put upstream,
 * and read how many records the platform accepted. Loopback only by default; no authentication (a tool).
 *
 * - `POST /projects` `{appid, secret, projectCode, name, contractor: {corpCode, corpName}, corps: [...]}`:
 *   the project's appid and secret become valid, and its enterprises and the project itself are held
 *   upstream (as the integrity platform registers them). Units, teams and workers are not: reporting
 *   uploads those. Answers 201 `{appid, secret, projectCode, corps, known}` with the secret in force: an
 *   appid registered before keeps its secret (`known: true`; the platform issues keys once), unless the
 *   body says `"rotate": true`.
 * - `GET /accepted[?projectCode=P]`: `{total, methods: {"WorkerAttendance.Add": n, ...}, calls}`, the
 *   accepted records per write method (of one project when asked) and the calls the platform answered.
 */
import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import { AddressInfo, Socket } from 'node:net';
import type { NationalSimulator } from './national';

/** The write methods whose accepted records `GET /accepted` counts. */
export const NATIONAL_WRITE_METHODS = [
  'Corp.Upload',
  'Project.Add',
  'ProjectSubContractor.Add',
  'Team.Add',
  'ProjectWorker.Add',
  'WorkerContract.Add',
  'ProjectTraining.Add',
  'WorkerEntryExit.Add',
  'WorkerAttendance.Add',
  'Payroll.Add',
] as const;

export interface NationalAdminOptions {
  readonly port?: number;
  readonly host?: string;
}

export interface NationalAdmin {
  /** The admin API's base URL, without a trailing slash. */
  readonly url: string;
  close(): Promise<void>;
}

export interface RegisteredProject {
  readonly appid: string;
  readonly secret: string;
  readonly projectCode: string;
  readonly name: string;
  readonly contractor: Corp;
  readonly corps: readonly Corp[];
  /** Replace the secret of an appid registered before (otherwise it stays). */
  readonly rotate?: boolean;
}

interface Corp {
  readonly corpCode: string;
  readonly corpName: string;
}

export interface AcceptedCounts {
  readonly total: number;
  readonly methods: Record<string, number>;
  readonly calls: number;
}

class BadRequest extends Error {}

const MAX_BODY_BYTES = 1024 * 1024;

function field(body: Record<string, unknown>, name: string, where = ''): string {
  const value = body[name];
  if (typeof value !== 'string' || value.trim() === '')
    throw new BadRequest(`${where}${name} is required: a non-empty string`);
  return value;
}

function corp(value: unknown, where: string): Corp {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new BadRequest(`${where} must be an object {corpCode, corpName}`);
  const o = value as Record<string, unknown>;
  return { corpCode: field(o, 'corpCode', `${where}.`), corpName: field(o, 'corpName', `${where}.`) };
}

/** Reads and checks a `POST /projects` body; errors name the field at fault. */
export function readRegisteredProject(body: unknown): RegisteredProject {
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    throw new BadRequest(
      'the body must be a JSON object {appid, secret, projectCode, name, contractor, corps}',
    );
  const o = body as Record<string, unknown>;
  const corps = o['corps'] ?? [];
  if (!Array.isArray(corps)) throw new BadRequest('corps must be a list of {corpCode, corpName}');
  return {
    appid: field(o, 'appid'),
    secret: field(o, 'secret'),
    projectCode: field(o, 'projectCode'),
    name: field(o, 'name'),
    contractor: corp(o['contractor'], 'contractor'),
    corps: corps.map((c, i) => corp(c, `corps[${i}]`)),
    ...(o['rotate'] === true ? { rotate: true } : {}),
  };
}

/** Starts the admin API of `simulator`; it lives until `close()` (the simulator is closed separately). */
export async function startNationalAdmin(
  simulator: NationalSimulator,
  options: NationalAdminOptions = {},
): Promise<NationalAdmin> {
  const sockets = new Set<Socket>();
  // The keys in force, from a restored state on (a later demo run must not break the keys reporting holds).
  const secrets = new Map(simulator.snapshot().secrets);

  const send = (res: ServerResponse, status: number, body: unknown): void => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify(body));
  };

  const register = (project: RegisteredProject) => {
    const known = secrets.get(project.appid);
    const secret = known !== undefined && !project.rotate ? known : project.secret;
    secrets.set(project.appid, secret);
    simulator.addProject({ appid: project.appid, secret });
    const corps = new Map<string, Corp>();
    for (const c of [project.contractor, ...project.corps]) corps.set(c.corpCode, c);
    simulator.seed({
      corps: [...corps.values()],
      projects: [
        {
          projectCode: project.projectCode,
          name: project.name,
          contractorCorpCode: project.contractor.corpCode,
        },
      ],
    });
    return {
      appid: project.appid,
      secret,
      projectCode: project.projectCode,
      corps: corps.size,
      known: known !== undefined,
    };
  };

  const counts = (projectCode: string | null): AcceptedCounts => {
    const methods: Record<string, number> = {};
    for (const method of NATIONAL_WRITE_METHODS) {
      methods[method] =
        projectCode === null
          ? simulator.acceptedCount(method)
          : simulator.accepted(method).filter((e) => String(e.record['projectCode'] ?? '') === projectCode)
              .length;
    }
    const total = Object.values(methods).reduce((a, n) => a + n, 0);
    return { total, methods, calls: simulator.calls().length };
  };

  const handle = (req: IncomingMessage, res: ServerResponse, raw: string): void => {
    const url = new URL(req.url ?? '/', 'http://admin');
    if (url.pathname === '/projects' && req.method === 'POST') {
      let body: unknown;
      try {
        body = JSON.parse(raw);
      } catch {
        return send(res, 400, { error: 'the body is not JSON' });
      }
      try {
        return send(res, 201, register(readRegisteredProject(body)));
      } catch (error) {
        if (error instanceof BadRequest) return send(res, 400, { error: error.message });
        throw error;
      }
    }
    if (url.pathname === '/accepted' && req.method === 'GET')
      return send(res, 200, counts(url.searchParams.get('projectCode')));
    send(res, 404, { error: `no ${req.method} ${url.pathname}: POST /projects, GET /accepted` });
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        send(res, 413, { error: 'the body is larger than 1 MiB' });
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (res.headersSent) return;
      try {
        handle(req, res, Buffer.concat(chunks).toString('utf8'));
      } catch (error) {
        send(res, 500, { error: (error as Error).message });
      }
    });
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const socket of sockets) socket.destroy();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
