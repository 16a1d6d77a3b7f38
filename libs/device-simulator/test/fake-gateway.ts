/**
 * A tiny stand-in of the device gateway for this library's unit tests: a real HTTP server on 127.0.0.1
 * that checks signatures with the shared contracts code, deduplicates record ids per device like the
 * real gateway, and can be told to fail. Not a replacement for the gateway in integration tests.
 */
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { OPEN_V1_PUNCHES_PATH, OpenV1Punch, verifyRequest } from '@realname/contracts';

export interface ReceivedRequest {
  path: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
  status: number;
}

export class FakeGateway {
  readonly requests: ReceivedRequest[] = [];
  readonly secrets = new Map<string, string>();
  readonly stored = new Map<string, Map<string, { eventId: string; punch: OpenV1Punch }>>();
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
    if (req.method !== 'POST' || path !== OPEN_V1_PUNCHES_PATH) return problem(404, 'not-found', 'Not found');
    if (this.hang) {
      this.requests.push({ path, headers: req.headers, body, status: 0 });
      return; // never answers
    }
    const failure = this.failures.shift();
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
    let json: { punches?: OpenV1Punch[] };
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch {
      return problem(400, 'invalid-request', 'The body is not valid JSON', [
        { field: '(body)', message: 'must be JSON' },
      ]);
    }
    if (!Array.isArray(json.punches) || json.punches.length === 0 || json.punches.length > 500) {
      return problem(400, 'invalid-request', 'bad batch', [
        { field: 'punches', message: 'must hold 1 to 500 punches' },
      ]);
    }
    const errors: { field: string; message: string }[] = [];
    json.punches.forEach((p, i) => {
      if (!/^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}/.test(String(p.time)))
        errors.push({ field: `punches[${i}].time`, message: 'is not a time' });
    });
    if (errors.length)
      return problem(400, 'invalid-request', `${errors.length} field(s) are not valid`, errors);

    let records = this.stored.get(deviceId);
    if (!records) this.stored.set(deviceId, (records = new Map()));
    const results = json.punches.map((p) => {
      const known = records!.get(p.recordId);
      if (known) return { recordId: p.recordId, status: 'duplicate', eventId: known.eventId };
      const eventId = randomUUID();
      records!.set(p.recordId, { eventId, punch: p });
      return { recordId: p.recordId, status: 'accepted', eventId };
    });
    return reply(200, { requestId: randomUUID(), serverTime: new Date().toISOString(), results });
  }
}
