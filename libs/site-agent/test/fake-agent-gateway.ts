/**
 * A stand-in of the gateway's site-agent routes for this library's unit tests: a real HTTP server on
 * 127.0.0.1 with an in-memory command queue, photo store and record uploads. It follows
 * docs/site-agent.md (bearer token per device, claim/result/records/photos); it is not the gateway.
 */
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash, randomUUID } from 'node:crypto';

export interface FakeCommand {
  commandId: string;
  seq: number;
  kind: string;
  payload: unknown;
  attempts: number;
  status: 'queued' | 'sent' | 'succeeded' | 'failed';
  createdAt: string;
  outcome?: { ok: boolean; code?: string; detail?: string; result?: Record<string, unknown> };
}

export interface FakeDevice {
  deviceId: string;
  token: string;
  family: string;
  timeZone: string;
}

export class FakeAgentGateway {
  readonly devices = new Map<string, FakeDevice>();
  readonly commands: (FakeCommand & { deviceId: string })[] = [];
  readonly photos = new Map<string, Buffer>();
  readonly uploads: { deviceId: string; backfillId: string; commandId?: string; records: unknown[] }[] = [];
  readonly requests: { method: string; path: string; status: number }[] = [];
  /** Answer the next N requests on this route suffix with this status. */
  private failures: { route: string; status: number }[] = [];
  private seq = 0;
  private server?: Server;

  get url(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  addDevice(d: FakeDevice): void {
    this.devices.set(d.deviceId, d);
  }

  enqueue(deviceId: string, kind: string, payload: unknown): FakeCommand {
    const c = {
      deviceId,
      commandId: randomUUID(),
      seq: ++this.seq,
      kind,
      payload,
      attempts: 0,
      status: 'queued' as const,
      createdAt: new Date().toISOString(),
    };
    this.commands.push(c);
    return c;
  }

  putPhoto(bytes: Buffer): string {
    const hex = createHash('sha256').update(bytes).digest('hex');
    this.photos.set(hex, bytes);
    return `sha256:${hex}`;
  }

  failNext(route: string, status: number, count = 1): void {
    for (let i = 0; i < count; i++) this.failures.push({ route, status });
  }

  start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const status = this.handle(req, Buffer.concat(chunks), res);
        this.requests.push({ method: req.method ?? '', path: (req.url ?? '').split('?')[0], status });
      });
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

  private handle(req: IncomingMessage, body: Buffer, res: ServerResponse): number {
    const url = new URL(req.url ?? '/', 'http://gw');
    const m = /^\/agent\/v1\/devices\/([^/]+)\/(.+)$/.exec(url.pathname);
    if (!m) return send(res, 404, { title: 'Not found' });
    const device = this.devices.get(decodeURIComponent(m[1]));
    const route = m[2];
    const failure = this.failures.findIndex((f) => route.endsWith(f.route));
    if (failure >= 0) {
      const f = this.failures.splice(failure, 1)[0];
      return send(res, f.status, { title: 'Injected failure', status: f.status });
    }
    const bearer =
      /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1] ?? url.searchParams.get('access_token');
    if (!device || bearer !== device.token) return send(res, 401, { title: 'Not authenticated' });
    let json: Record<string, unknown> = {};
    if (body.length > 0) {
      try {
        json = JSON.parse(body.toString('utf8'));
      } catch {
        return send(res, 400, {
          title: 'The request is not valid',
          errors: [{ field: '(body)', message: 'JSON' }],
        });
      }
    }
    if (req.method === 'POST' && route === 'commands/claim') {
      const limit = Number(json.limit ?? 10);
      const kinds = Array.isArray(json.kinds) ? (json.kinds as string[]) : undefined;
      const due = this.commands
        .filter(
          (c) =>
            c.deviceId === device.deviceId && c.status === 'queued' && (!kinds || kinds.includes(c.kind)),
        )
        .slice(0, limit);
      for (const c of due) {
        c.status = 'sent';
        c.attempts++;
      }
      return send(res, 200, {
        device: { deviceId: device.deviceId, family: device.family, timeZone: device.timeZone },
        commands: due.map(({ commandId, seq, kind, payload, attempts, createdAt }) => ({
          commandId,
          seq,
          kind,
          payload,
          attempts,
          createdAt,
        })),
        serverTime: new Date().toISOString(),
      });
    }
    const result = /^commands\/([^/]+)\/result$/.exec(route);
    if (req.method === 'POST' && result) {
      const c = this.commands.find((x) => x.commandId === result[1] && x.deviceId === device.deviceId);
      if (!c) return send(res, 404, { title: 'Not found' });
      if (c.status !== 'sent') return send(res, 409, { title: 'Conflict', detail: `command is ${c.status}` });
      c.outcome = json as FakeCommand['outcome'];
      c.status = json.ok ? 'succeeded' : c.attempts >= 3 ? 'failed' : 'queued';
      return send(res, 200, { commandId: c.commandId, kind: c.kind, status: c.status, attempts: c.attempts });
    }
    if (req.method === 'POST' && route === 'records') {
      const records = Array.isArray(json.records) ? json.records : [];
      this.uploads.push({
        deviceId: device.deviceId,
        backfillId: String(json.backfillId),
        ...(typeof json.commandId === 'string' ? { commandId: json.commandId } : {}),
        records,
      });
      // Passes: Hikvision major 5 with an employee number, Uface *_0 of a known person.
      const punches = records.filter((r) => {
        const o = r as Record<string, unknown>;
        return device.family === 'uface'
          ? /_0$/.test(String(o.type)) && o.personId !== 'STRANGERBABY'
          : o.major === 5 &&
              typeof o.employeeNoString === 'string' &&
              [1, 38, 75, 77].includes(Number(o.minor));
      }).length;
      return send(res, 200, {
        requestId: randomUUID(),
        received: records.length,
        punches,
        accepted: punches,
        duplicate: 0,
        collapsed: 0,
        ignored: records.length - punches,
        invalid: [],
      });
    }
    const photo = /^photos\/(?:sha256(?::|%3A))?([0-9a-f]{64})(?:\.jpg)?$/i.exec(route);
    if (req.method === 'GET' && photo) {
      const bytes = this.photos.get(photo[1]);
      if (!bytes) return send(res, 404, { title: 'Not found' });
      res.writeHead(200, { 'content-type': 'image/jpeg' });
      res.end(bytes);
      return 200;
    }
    return send(res, 404, { title: 'Not found' });
  }
}

function send(res: ServerResponse, status: number, body: unknown): number {
  res.writeHead(status, { 'content-type': status >= 400 ? 'application/problem+json' : 'application/json' });
  res.end(JSON.stringify(body));
  return status;
}
