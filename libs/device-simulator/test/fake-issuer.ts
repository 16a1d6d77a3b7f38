/**
 * A tiny stand-in of an OpenID Connect issuer for this library's unit tests: a discovery document and a
 * token endpoint (password and client credentials grants) on 127.0.0.1 that hands out fixed tokens.
 */
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export class FakeIssuer {
  /** The token the next grant gives. */
  token = 'issued-token';
  expiresIn = 300;
  readonly users = new Map<string, string>();
  readonly clients = new Map<string, string>();
  /** The form of every token request, in order. */
  readonly grants: Record<string, string>[] = [];
  private server?: Server;

  get issuer(): string {
    const addr = this.server?.address() as AddressInfo;
    return `http://127.0.0.1:${addr.port}/realms/test`;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        const reply = (status: number, json: unknown) => {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(json));
        };
        if (req.method === 'GET' && req.url === '/realms/test/.well-known/openid-configuration')
          return reply(200, {
            issuer: this.issuer,
            token_endpoint: `${this.issuer}/protocol/openid-connect/token`,
          });
        if (req.method === 'POST' && req.url === '/realms/test/protocol/openid-connect/token') {
          const form = Object.fromEntries(new URLSearchParams(body));
          // A confidential client authenticates with HTTP Basic (RFC 6749 2.3.1), or in the form.
          const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '');
          if (basic) {
            const [id, secret] = Buffer.from(basic[1], 'base64').toString('utf8').split(':');
            form.client_id = decodeURIComponent(id);
            form.client_secret = decodeURIComponent(secret ?? '');
          }
          this.grants.push(form);
          const ok =
            form.grant_type === 'password'
              ? form.client_id === 'realname-cli' && this.users.get(form.username) === form.password
              : form.grant_type === 'client_credentials' &&
                form.client_id !== undefined &&
                this.clients.get(form.client_id) === form.client_secret;
          if (!ok)
            return reply(401, { error: 'invalid_grant', error_description: 'Invalid user credentials' });
          return reply(200, { access_token: this.token, expires_in: this.expiresIn, token_type: 'Bearer' });
        }
        reply(404, {});
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((r) => this.server?.close(() => r()) ?? r());
  }
}
