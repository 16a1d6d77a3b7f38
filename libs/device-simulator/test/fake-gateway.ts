/**
 * A tiny stand-in of the device gateway for this library's unit tests: a real HTTP server on 127.0.0.1
 * that checks signatures with the shared contracts code, deduplicates record ids per device like the
 * real gateway, and can be told to fail. Not a replacement for the gateway in integration tests.
 */
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash, randomUUID } from 'node:crypto';
import {
  OPEN_V1_PATHS,
  OPEN_V1_PUNCHES_PATH,
  OpenV1Command,
  OpenV1WirePunch,
  verifyRequest,
} from '@realname/contracts';

/** A command as queued by a test (the id is generated when absent). */
type CommandWithoutId = OpenV1Command extends infer C
  ? C extends unknown
    ? Omit<C, 'commandId'>
    : never
  : never;

/** A command queued in the fake gateway, with its state. */
export type FakeCommand = OpenV1Command & {
  status: 'queued' | 'sent' | 'succeeded' | 'failed';
  result?: { ok: boolean; code?: string; message?: string; count?: number };
};

export interface ReceivedRequest {
  path: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
  status: number;
}

export class FakeGateway {
  readonly requests: ReceivedRequest[] = [];
  readonly secrets = new Map<string, string>();
  readonly stored = new Map<
    string,
    Map<string, { eventId: string; punch: OpenV1WirePunch; backfillId?: string }>
  >();
  /** Commands per device, in the order queued. */
  readonly commands = new Map<string, FakeCommand[]>();
  /** Photos for issuance, by hex SHA-256. */
  readonly photos = new Map<string, Buffer>();
  /** Heartbeats received, per device, in order. */
  readonly heartbeats: { deviceId: string; body: Record<string, unknown> }[] = [];
  /** Largest photo taken in a punch. */
  maxPhotoBytes = 200 * 1024;
  /** Seconds the heartbeat reply asks for. */
  pollAfterS = 30;
  adminToken = 'admin-token-for-tests-only';
  /** Answer the next N punch uploads with this status (then behave). */
  private failures: { status: number; body?: unknown }[] = [];
  /** Hold punch uploads without answering (to test timeouts). */
  hang = false;
  private server?: Server;

  get url(): string {
    const addr = this.server?.address() as AddressInfo;
    return `http://127.0.0.1:${addr.port}`;
  }

  failNext(count: number, status: number, body?: unknown): void {
    for (let i = 0; i < count; i++) this.failures.push({ status, body });
  }

  /** Queues a command for a device; returns its id. */
  queue(deviceId: string, command: CommandWithoutId & { commandId?: string }): string {
    const commandId = command.commandId ?? randomUUID();
    let list = this.commands.get(deviceId);
    if (!list) this.commands.set(deviceId, (list = []));
    list.push({ ...(command as OpenV1Command), commandId, status: 'queued' });
    return commandId;
  }

  /** Stores a photo for issuance; returns its hex SHA-256. */
  addPhoto(bytes: Buffer): string {
    const sha = createHash('sha256').update(bytes).digest('hex');
    this.photos.set(sha, bytes);
    return sha;
  }

  storedCount(deviceId?: string): number {
    if (deviceId) return this.stored.get(deviceId)?.size ?? 0;
    let n = 0;
    for (const m of this.stored.values()) n += m.size;
    return n;
  }

  start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => this.handle(req, Buffer.concat(chunks), res));
    });
    return new Promise((resolve) => this.server!.listen(0, '127.0.0.1', () => resolve(this)));
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.server) return resolve();
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }

  private handle(req: IncomingMessage, body: Buffer, res: ServerResponse): void {
    const path = req.url ?? '';
    const reply = (status: number, json: unknown, type = 'application/json') => {
      this.requests.push({ path, headers: req.headers, body, status });
      res.writeHead(status, { 'content-type': type });
      res.end(JSON.stringify(json));
    };
    const problem = (
      status: number,
      slug: string,
      detail: string,
      errors?: { field: string; message: string }[],
    ) =>
      reply(
        status,
        {
          type: `urn:realname:problem:${slug}`,
          title: status === 400 ? 'The request is not valid' : 'Not authenticated',
          status,
          detail,
          ...(errors ? { errors } : {}),
        },
        'application/problem+json',
      );

    if (req.method === 'POST' && path === '/api/v1/devices') {
      if (req.headers.authorization !== `Bearer ${this.adminToken}`)
        return problem(401, 'admin-token-required', 'Send the admin token');
      const reg = JSON.parse(body.toString('utf8')) as {
        deviceId: string;
        secret: string;
        projectId: string;
        region: string;
      };
      if (!/^\d{6}$/.test(reg.region) || !reg.secret || reg.secret.length < 16) {
        return problem(400, 'invalid-request', 'The device registration is not valid');
      }
      this.secrets.set(reg.deviceId, reg.secret);
      const { secret: _secret, ...view } = reg;
      return reply(201, view);
    }
    const isPhoto = req.method === 'GET' && path.startsWith(OPEN_V1_PATHS.photos + '/');
    const route = Object.values(OPEN_V1_PATHS).includes(path as never) && req.method === 'POST';
    if (!route && !isPhoto) return problem(404, 'not-found', 'Not found');
    if (this.hang) {
      this.requests.push({ path, headers: req.headers, body, status: 0 });
      return; // never answers
    }
    const failure = path === OPEN_V1_PUNCHES_PATH ? this.failures.shift() : undefined;
    if (failure)
      return reply(failure.status, failure.body ?? { status: failure.status, title: 'Unavailable' });

    const deviceId = String(req.headers['x-device-id'] ?? '');
    const secret = this.secrets.get(deviceId);
    if (!secret) return problem(401, 'unknown-device', `Device "${deviceId}" is not registered`);
    const check = verifyRequest(
      secret,
      {
        timestamp: req.headers['x-timestamp'] as string | undefined,
        signature: req.headers['x-signature'] as string | undefined,
      },
      body,
      Date.now(),
      300,
    );
    if (!check.ok) return problem(401, check.reason, check.detail);
    if (isPhoto) {
      const photo = this.photos.get(path.slice(OPEN_V1_PATHS.photos.length + 1));
      if (!photo) return problem(404, 'photo-not-found', 'No such photo');
      this.requests.push({ path, headers: req.headers, body, status: 200 });
      res.writeHead(200, { 'content-type': 'image/jpeg' });
      res.end(photo);
      return;
    }
    let message: Record<string, unknown>;
    try {
      message = JSON.parse(body.toString('utf8'));
    } catch {
      return problem(400, 'invalid-request', 'The body is not valid JSON', [
        { field: '(body)', message: 'must be JSON' },
      ]);
    }
    const queue = this.commands.get(deviceId) ?? [];
    if (path === OPEN_V1_PATHS.heartbeat) {
      if (typeof message.deviceTime !== 'string' || !/[Zz]|[+-]\d{2}:\d{2}$/.test(message.deviceTime))
        return problem(400, 'invalid-request', 'bad heartbeat', [
          { field: 'deviceTime', message: 'RFC 3339 with offset' },
        ]);
      this.heartbeats.push({ deviceId, body: message });
      const queued = (kind: string) => queue.filter((c) => c.status === 'queued' && c.kind === kind).length;
      return reply(200, {
        serverTime: new Date().toISOString(),
        pending: {
          personUpserts: queued('person.upsert'),
          personDeletes: queued('person.delete'),
          recordQueries: queued('records.query'),
        },
        pollAfterS: this.pollAfterS,
      });
    }
    if (path === OPEN_V1_PATHS.claim) {
      const limit = typeof message.limit === 'number' ? message.limit : 10;
      const due = queue.filter((c) => c.status === 'queued').slice(0, limit);
      for (const c of due) c.status = 'sent';
      return reply(200, {
        commands: due.map(({ status: _s, result: _r, ...c }) => c),
      });
    }
    if (path === OPEN_V1_PATHS.results) {
      const results = Array.isArray(message.results) ? (message.results as FakeCommand['result'][]) : [];
      return reply(200, {
        results: results.map((r) => {
          const id = (r as unknown as { commandId: string }).commandId;
          const c = queue.find((x) => x.commandId === id && x.status === 'sent');
          if (!c || !r) return { commandId: id, status: 'unknown' };
          c.status = r.ok ? 'succeeded' : 'failed';
          c.result = r;
          return { commandId: id, status: 'recorded', commandStatus: c.status };
        }),
      });
    }
    const json = message as { punches?: OpenV1WirePunch[]; backfillId?: string };
    if (!Array.isArray(json.punches) || json.punches.length === 0 || json.punches.length > 500) {
      return problem(400, 'invalid-request', 'bad batch', [
        { field: 'punches', message: 'must hold 1 to 500 punches' },
      ]);
    }
    const errors: { field: string; message: string }[] = [];
    json.punches.forEach((p, i) => {
      if (!/^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}/.test(String(p.time)))
        errors.push({ field: `punches[${i}].time`, message: 'is not a time' });
      if (p.photo !== undefined && Buffer.from(p.photo, 'base64').length > this.maxPhotoBytes)
        errors.push({ field: `punches[${i}].photo`, message: 'is too large' });
    });
    if (errors.length)
      return problem(400, 'invalid-request', `${errors.length} field(s) are not valid`, errors);

    let records = this.stored.get(deviceId);
    if (!records) this.stored.set(deviceId, (records = new Map()));
    const results = json.punches.map((p) => {
      const known = records!.get(p.recordId);
      if (known) return { recordId: p.recordId, status: 'duplicate', eventId: known.eventId };
      const eventId = randomUUID();
      records!.set(p.recordId, {
        eventId,
        punch: p,
        ...(json.backfillId ? { backfillId: json.backfillId } : {}),
      });
      return { recordId: p.recordId, status: 'accepted', eventId };
    });
    return reply(200, { requestId: randomUUID(), serverTime: new Date().toISOString(), results });
  }
}
