/**
 * The simulator as a real HTTP server: the read API of the integrity platform (`/api/v1/...`, behind an
 * API key, subject to injected faults) and an admin API for tests and the demo (`/__admin/...`, no key,
 * loopback clients only).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { ChangeFeed, CursorCodec, FeedCounts } from './feed';
import { Fault, FaultController, FaultSpec, FaultState } from './faults';
import { generateIntegrityData, GeneratedData, IntegrityFixtures } from './generate';
import { ChangeInput, FieldError, IntegritySnapshot, parseChangeInput } from './model';

export interface IntegritySimulatorOptions {
  /** Port to listen on; 0 (default) = a free port. */
  port?: number;
  /** Address to listen on (default `127.0.0.1`). */
  host?: string;
  /** The key clients must send in `X-Api-Key`. */
  apiKey: string;
  /** Seed of the generated data (default 1): the same seed and options give the same data and feed. */
  seed?: number;
  /** Number of projects to generate (default 3). */
  projects?: number;
  /** Six-digit region code of the generated projects (default `330106`). */
  region?: string;
  /** Largest page the server returns, whatever `limit` asks for (1..500, default 500). */
  pageSizeMax?: number;
  /** Share of key persons registered with a category their post does not allow (default 0.05). */
  wrongCategoryRate?: number;
  /** Share of key posts left empty (default 0.05). */
  emptyPostRate?: number;
  /** Generate months of history after the initial load (default true). */
  history?: boolean;
  /** Clock for changes appended without `at` (default `Date.now`). */
  now?: () => number;
  /** Called with one line per request (method, path, status, time, fault); default: silent. */
  log?: (line: string) => void;
}

export interface SimulatorState extends FeedCounts {
  seed: number;
  region: string;
  fault: FaultState;
  requests: {
    /** Requests to `/api/...` (faulted ones included). */
    api: number;
    /** API requests a fault was injected into. */
    faulted: number;
    /** API requests refused for a missing or wrong key. */
    unauthorized: number;
    admin: number;
  };
}

export interface IntegritySimulator {
  /** Base URL, e.g. `http://127.0.0.1:41234` (no trailing slash). */
  readonly url: string;
  readonly port: number;
  readonly apiKey: string;
  /** What the generated feed folds into (independent of changes appended later). */
  readonly fixtures: IntegrityFixtures;
  /** Stops listening, ends every connection (including held ones) and clears all timers. */
  close(): Promise<void>;
  /** Switches a fault on (or off with `{ mode: 'none' }`); replaces the previous fault. */
  injectFault(fault: FaultSpec): void;
  /** Appends a change to the feed; returns its seq. Throws a `RangeError` when the change is invalid. */
  appendChange(change: ChangeInput): number;
  /** Counts, last seq, the current fault and request counters. */
  state(): SimulatorState;
  /** The current state of every record (after appended changes), sorted by key. */
  snapshot(): IntegritySnapshot;
  /** Back to the generated feed: appended changes dropped, faults off, counters zero. */
  reset(): void;
}

const MAX_BODY_BYTES = 1 << 20;
const MAX_PAGE = 500;
const DEFAULT_LIMIT = 100;

interface Reply {
  status: number;
  body: string;
  headers?: Record<string, string>;
}

const json = (status: number, value: unknown, headers?: Record<string, string>): Reply => ({
  status,
  body: JSON.stringify(value),
  headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
});
const problem = (status: number, message: string, errors?: FieldError[]) =>
  json(status, { code: status, message, ...(errors ? { errors } : {}) });

const NGINX_502 =
  '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n' +
  '<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n';

function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}

const digest = (s: string) => createHash('sha256').update(s).digest();

class Simulator implements IntegritySimulator {
  readonly apiKey: string;
  readonly fixtures: IntegrityFixtures;
  private readonly generated: GeneratedData;
  private feed!: ChangeFeed;
  private readonly cursors: CursorCodec;
  private readonly faults = new FaultController();
  private readonly pageSizeMax: number;
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly held = new Set<Socket>();
  private readonly keyDigest: Buffer;
  private counters = { api: 0, faulted: 0, unauthorized: 0, admin: 0 };
  private address?: AddressInfo;
  private readonly seed: number;
  readonly server: Server;

  constructor(private readonly options: IntegritySimulatorOptions) {
    if (!options.apiKey) throw new RangeError('apiKey must not be empty');
    const pageSizeMax = options.pageSizeMax ?? MAX_PAGE;
    if (!Number.isInteger(pageSizeMax) || pageSizeMax < 1 || pageSizeMax > MAX_PAGE)
      throw new RangeError(`pageSizeMax must be a whole number from 1 to ${MAX_PAGE} (got ${pageSizeMax})`);
    this.pageSizeMax = pageSizeMax;
    this.apiKey = options.apiKey;
    this.keyDigest = digest(options.apiKey);
    this.seed = options.seed ?? 1;
    this.generated = generateIntegrityData({
      seed: this.seed,
      projects: options.projects ?? 3,
      region: options.region,
      wrongCategoryRate: options.wrongCategoryRate,
      emptyPostRate: options.emptyPostRate,
      history: options.history,
    });
    this.fixtures = this.generated.fixtures;
    this.cursors = new CursorCodec(this.seed);
    this.loadFeed();
    this.server = createServer((req, res) => this.handle(req, res));
    this.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => {
        this.sockets.delete(socket);
        this.held.delete(socket);
      });
    });
  }

  private loadFeed(): void {
    this.feed = new ChangeFeed(this.options.now);
    for (const c of this.generated.changes) this.feed.append(c);
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port ?? 0, this.options.host ?? '127.0.0.1', () => {
        this.server.off('error', reject);
        this.address = this.server.address() as AddressInfo;
        resolve();
      });
    });
  }

  get port(): number {
    return this.address?.port ?? 0;
  }

  get url(): string {
    const host = this.address?.address ?? '127.0.0.1';
    const shown =
      host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '[::1]' : host.includes(':') ? `[${host}]` : host;
    return `http://${shown}:${this.port}`;
  }

  // -------------------------------------------------------------------------------------------------
  // Library API

  injectFault(fault: FaultSpec): void {
    this.faults.set(FaultSpec.parse(fault));
  }

  appendChange(change: ChangeInput): number {
    const parsed = parseChangeInput(change);
    if (!parsed.ok)
      throw new RangeError(
        `invalid change: ${parsed.errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`,
      );
    return this.feed.append(parsed.value).seq;
  }

  state(): SimulatorState {
    return {
      seed: this.seed,
      region: this.fixtures.region,
      ...this.feed.counts(),
      fault: this.faults.state(),
      requests: { ...this.counters },
    };
  }

  snapshot(): IntegritySnapshot {
    return this.feed.snapshot();
  }

  reset(): void {
    this.loadFeed();
    this.faults.reset();
    this.counters = { api: 0, faulted: 0, unauthorized: 0, admin: 0 };
    for (const socket of this.held) socket.destroy();
    this.held.clear();
  }

  close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    return new Promise((resolve) => {
      if (!this.server.listening) {
        for (const s of this.sockets) s.destroy();
        return resolve();
      }
      this.server.close(() => resolve());
      this.server.closeAllConnections();
      for (const s of this.sockets) s.destroy();
    });
  }

  // -------------------------------------------------------------------------------------------------
  // HTTP

  private later(ms: number, fn: () => void): NodeJS.Timeout {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
    return t;
  }

  private forget(t: NodeJS.Timeout): void {
    clearTimeout(t);
    this.timers.delete(t);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const started = Date.now();
    const url = new URL(req.url ?? '/', 'http://simulator');
    const path = url.pathname;
    const log = (status: number | string, note = '') =>
      this.options.log?.(
        `${req.method} ${path}${url.search} -> ${status} in ${Date.now() - started} ms${note ? ` (${note})` : ''}`,
      );

    if (path.startsWith('/__admin/')) {
      this.counters.admin++;
      if (!isLoopback(req.socket.remoteAddress)) {
        this.send(res, problem(403, 'the admin API answers loopback clients only'));
        return log(403);
      }
      this.readBody(req, res, (body) => {
        const reply = this.admin(req.method ?? 'GET', path, body);
        this.send(res, reply);
        log(reply.status);
      });
      return;
    }

    if (!path.startsWith('/api/')) {
      this.send(res, problem(404, `no such resource: ${path}`));
      return log(404);
    }

    this.counters.api++;
    const fault = this.faults.next();
    if (fault) this.counters.faulted++;
    req.resume(); // the API reads nothing from request bodies
    this.serveApi(req, res, url, fault, log);
  }

  private serveApi(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    fault: Fault | undefined,
    log: (status: number | string, note?: string) => void,
  ): void {
    if (fault?.mode === 'timeout') {
      // Accept the request and never answer; close the connection after a long time.
      const socket = req.socket;
      this.held.add(socket);
      const t = this.later(fault.holdMs, () => {
        this.held.delete(socket);
        socket.destroy();
        log('no answer', `timeout fault, closed after ${fault.holdMs} ms`);
      });
      res.on('close', () => this.forget(t));
      return;
    }
    if (fault?.mode === 'error') {
      const reply =
        fault.status === 502
          ? { status: 502, body: NGINX_502, headers: { 'content-type': 'text/html', server: 'nginx' } }
          : fault.status === 503
            ? problem(503, 'service temporarily unavailable, try again later')
            : problem(500, 'internal server error');
      if (fault.status === 503) reply.headers = { ...reply.headers, 'retry-after': '1' };
      this.send(res, reply);
      return log(reply.status, `error fault`);
    }

    const reply = this.api(req, url);
    if (fault?.mode === 'slow') {
      const t = this.later(fault.delayMs, () => {
        this.send(res, reply);
        log(reply.status, `slow fault, ${fault.delayMs} ms`);
      });
      res.on('close', () => this.forget(t));
      return;
    }
    if (fault?.mode === 'truncate') {
      const body = Buffer.from(reply.body);
      res.writeHead(reply.status, { ...reply.headers, connection: 'close' });
      res.end(body.subarray(0, Math.floor(body.length / 2)));
      return log(reply.status, `truncate fault, ${Math.floor(body.length / 2)} of ${body.length} bytes`);
    }
    this.send(res, reply);
    log(reply.status);
  }

  private send(res: ServerResponse, reply: Reply): void {
    if (res.writableEnded || res.destroyed) return;
    const body = Buffer.from(reply.body);
    res.writeHead(reply.status, { ...reply.headers, 'content-length': String(body.length) });
    res.end(body);
  }

  private readBody(req: IncomingMessage, res: ServerResponse, then: (body: unknown) => void): void {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) tooLarge = true;
      else chunks.push(c);
    });
    req.on('end', () => {
      if (tooLarge) return this.send(res, problem(413, `the body must not exceed ${MAX_BODY_BYTES} bytes`));
      const text = Buffer.concat(chunks).toString('utf8').trim();
      if (text === '') return then(undefined);
      try {
        then(JSON.parse(text));
      } catch {
        this.send(res, problem(400, 'the body is not valid JSON'));
      }
    });
  }

  private authorised(req: IncomingMessage): boolean {
    const given = req.headers['x-api-key'];
    if (typeof given !== 'string' || given === '') return false;
    return timingSafeEqual(digest(given), this.keyDigest);
  }

  private api(req: IncomingMessage, url: URL): Reply {
    if (!this.authorised(req)) {
      this.counters.unauthorized++;
      return problem(
        401,
        req.headers['x-api-key'] === undefined ? 'missing X-Api-Key header' : 'invalid API key',
      );
    }
    const path = url.pathname;
    const route =
      path === '/api/v1/changes'
        ? 'changes'
        : /^\/api\/v1\/projects\/[^/]+$/.test(path)
          ? 'project'
          : /^\/api\/v1\/enterprises\/[^/]+$/.test(path)
            ? 'enterprise'
            : undefined;
    if (!route) return problem(404, `no such resource: ${path}`);
    if (req.method !== 'GET')
      return {
        ...problem(405, `${req.method} is not allowed here`),
        headers: { allow: 'GET', 'content-type': 'application/json; charset=utf-8' },
      };

    if (route === 'changes') return this.changes(url);
    let id: string;
    try {
      id = decodeURIComponent(path.slice(path.lastIndexOf('/') + 1));
    } catch {
      return problem(400, 'the identifier in the path is not valid percent-encoding');
    }
    if (route === 'project') {
      const project = this.feed.project(id);
      if (!project) return problem(404, `no project with code ${id}`);
      return json(200, { project, ...this.feed.projectMembers(id), asOfSeq: this.feed.lastSeq });
    }
    const enterprise = this.feed.enterprise(id);
    if (!enterprise) return problem(404, `no enterprise with credit code ${id}`);
    return json(200, { enterprise, asOfSeq: this.feed.lastSeq });
  }

  private changes(url: URL): Reply {
    const cursor = url.searchParams.get('cursor') ?? '';
    const limitText = url.searchParams.get('limit');
    let limit = DEFAULT_LIMIT;
    if (limitText !== null) {
      if (!/^\d{1,4}$/.test(limitText) || Number(limitText) < 1 || Number(limitText) > MAX_PAGE)
        return problem(400, `limit must be a whole number from 1 to ${MAX_PAGE} (got "${limitText}")`);
      limit = Number(limitText);
    }
    let after = 0;
    if (cursor !== '') {
      const seq = this.cursors.decode(cursor);
      if (seq === undefined) return problem(400, 'cursor is not valid');
      if (seq > this.feed.lastSeq)
        return problem(400, 'cursor is beyond the end of the feed (was the platform reset?)');
      after = seq;
    }
    const page = this.feed.page(after, Math.min(limit, this.pageSizeMax));
    return json(200, {
      changes: page.changes,
      nextCursor: this.cursors.encode(page.lastSeq),
      hasMore: page.hasMore,
    });
  }

  private admin(method: string, path: string, body: unknown): Reply {
    const route = `${method} ${path}`;
    switch (route) {
      case 'GET /__admin/state':
        return json(200, this.state());
      case 'GET /__admin/fixtures':
        return json(200, this.fixtures);
      case 'GET /__admin/snapshot':
        return json(200, this.snapshot());
      case 'GET /__admin/faults':
        return json(200, { fault: this.faults.state() });
      case 'POST /__admin/faults': {
        const parsed = FaultSpec.safeParse(body);
        if (!parsed.success)
          return problem(
            400,
            'the fault is not valid',
            parsed.error.issues.map((i) => ({ field: i.path.join('.') || '(body)', message: i.message })),
          );
        this.faults.set(parsed.data);
        return json(200, { fault: this.faults.state() });
      }
      case 'POST /__admin/changes': {
        const parsed = parseChangeInput(body);
        if (!parsed.ok) return problem(400, 'the change is not valid', parsed.errors);
        const change = this.feed.append(parsed.value);
        return json(201, { seq: change.seq, at: change.at });
      }
      case 'POST /__admin/reset':
        this.reset();
        return json(200, this.state());
    }
    const known = [
      '/__admin/state',
      '/__admin/fixtures',
      '/__admin/snapshot',
      '/__admin/faults',
      '/__admin/changes',
      '/__admin/reset',
    ];
    return known.includes(path)
      ? problem(405, `${method} is not allowed on ${path}`)
      : problem(404, `no such resource: ${path}`);
  }
}

/** Generates the data for the seed and starts the simulator; resolves once it listens. */
export async function startIntegritySimulator(
  options: IntegritySimulatorOptions,
): Promise<IntegritySimulator> {
  const simulator = new Simulator(options);
  await simulator.listen();
  return simulator;
}
