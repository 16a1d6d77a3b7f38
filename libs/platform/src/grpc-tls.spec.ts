/**
 * gRPC servers speak TLS, and mutual TLS, by configuration. Certificates are made at test time with
 * openssl (a CA, a server certificate for 127.0.0.1, a client certificate); no key is committed.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import { ConfigurationError } from './config';
import { grpcDeadline, grpcServerCredentials, grpcServerOptions } from './grpc';
import {
  grpcServerTlsOf,
  kafkaSecurityOf,
  transportSecurityConfig,
  TransportSecurityConfig,
} from './transport-security';
import { z } from 'zod';

jest.setTimeout(30_000);

let dir: string;
const file = (name: string) => join(dir, name);
const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });

function makeCertificates() {
  openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=test CA',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
  );
  writeFileSync(file('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  for (const who of ['server', 'client']) {
    openssl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      `/CN=${who}`,
      '-keyout',
      `${who}.key`,
      '-out',
      `${who}.csr`,
    );
    openssl(
      'x509',
      '-req',
      '-in',
      `${who}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '1',
      '-out',
      `${who}.pem`,
      ...(who === 'server' ? ['-extfile', 'server.ext'] : []),
    );
  }
}

const config = (over: Record<string, string>): TransportSecurityConfig =>
  z.object(transportSecurityConfig()).parse(over);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'grpc-tls-'));
  makeCertificates();
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A server with the health service on the credentials of this configuration. */
async function serve(c: TransportSecurityConfig): Promise<{ server: grpc.Server; port: number }> {
  const server = new grpc.Server();
  new HealthImplementation({ '': 'SERVING' }).addToServer(server);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpcServerCredentials(grpcServerTlsOf(c)), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  return { server, port };
}

/** grpc.health.v1.Health/Check with an empty request; resolves the serving status or rejects. */
function check(port: number, credentials: grpc.ChannelCredentials): Promise<number> {
  // The server certificate names localhost and 127.0.0.1; TLS checks the name, not the address.
  const client = new grpc.Client(`127.0.0.1:${port}`, credentials, {
    'grpc.ssl_target_name_override': 'localhost',
  });
  return new Promise<number>((resolve, reject) =>
    client.makeUnaryRequest(
      '/grpc.health.v1.Health/Check',
      (b: Buffer) => b,
      (b: Buffer) => b,
      Buffer.alloc(0),
      { deadline: grpcDeadline(5_000) },
      (err, res) => {
        client.close();
        // HealthCheckResponse: field 1 (status), varint; SERVING = 1.
        if (err) reject(err);
        else resolve(res && res.length >= 2 ? res[1] : 0);
      },
    ),
  );
}

const pem = (name: string) => readFileSync(file(name));

describe('gRPC server TLS', () => {
  it('plain text stays the default', async () => {
    expect(grpcServerTlsOf(config({}))).toBeUndefined();
    const { server, port } = await serve(config({}));
    try {
      expect(await check(port, grpc.credentials.createInsecure())).toBe(1);
    } finally {
      server.forceShutdown();
    }
  });

  it('with a certificate and key, answers a TLS client that trusts it, and no plain-text client', async () => {
    const c = config({ GRPC_TLS_CERT_FILE: file('server.pem'), GRPC_TLS_KEY_FILE: file('server.key') });
    expect(
      grpcServerOptions({
        url: 'x:1',
        packages: [],
        protoPaths: [],
        includeDir: '.',
        services: [],
        tls: grpcServerTlsOf(c),
      }).options.options?.credentials,
    ).toBeDefined();
    const { server, port } = await serve(c);
    try {
      expect(await check(port, grpc.credentials.createSsl(pem('ca.pem')))).toBe(1);
      await expect(check(port, grpc.credentials.createInsecure())).rejects.toMatchObject({
        code: grpc.status.UNAVAILABLE,
      });
    } finally {
      server.forceShutdown();
    }
  });

  it('with a client CA, requires a client certificate it signed (mutual TLS)', async () => {
    const c = config({
      GRPC_TLS_CERT_FILE: file('server.pem'),
      GRPC_TLS_KEY_FILE: file('server.key'),
      GRPC_TLS_CLIENT_CA_FILE: file('ca.pem'),
    });
    const { server, port } = await serve(c);
    try {
      const withCert = grpc.credentials.createSsl(pem('ca.pem'), pem('client.key'), pem('client.pem'));
      expect(await check(port, withCert)).toBe(1);
      await expect(check(port, grpc.credentials.createSsl(pem('ca.pem')))).rejects.toMatchObject({
        code: grpc.status.UNAVAILABLE,
      });
    } finally {
      server.forceShutdown();
    }
  });

  it('refuses half a configuration or a file that is not PEM', () => {
    expect(() => grpcServerTlsOf(config({ GRPC_TLS_CERT_FILE: file('server.pem') }))).toThrow(
      /GRPC_TLS_KEY_FILE: is required/,
    );
    expect(() => grpcServerTlsOf(config({ GRPC_TLS_CLIENT_CA_FILE: file('ca.pem') }))).toThrow(
      ConfigurationError,
    );
    expect(() =>
      grpcServerTlsOf(
        config({ GRPC_TLS_CERT_FILE: file('server.ext'), GRPC_TLS_KEY_FILE: file('nope.key') }),
      ),
    ).toThrow(/not a PEM file[\s\S]*cannot be read/);
  });
});

describe('Kafka SASL/TLS settings', () => {
  it('plain text by default', () => {
    expect(kafkaSecurityOf(config({}))).toEqual({});
  });

  it('TLS, with the CA given, and SASL with user and password', () => {
    expect(
      kafkaSecurityOf(
        config({
          KAFKA_SSL: 'true',
          KAFKA_SSL_CA_FILE: file('ca.pem'),
          KAFKA_SASL_MECHANISM: 'scram-sha-512',
          KAFKA_SASL_USERNAME: 'gateway',
          KAFKA_SASL_PASSWORD: 'pw-0123',
        }),
      ),
    ).toEqual({
      ssl: { ca: [pem('ca.pem').toString('utf8')] },
      sasl: { mechanism: 'scram-sha-512', username: 'gateway', password: 'pw-0123' },
    });
    expect(kafkaSecurityOf(config({ KAFKA_SSL: '1' }))).toEqual({ ssl: true });
  });

  it('names every missing piece', () => {
    expect(() => kafkaSecurityOf(config({ KAFKA_SASL_MECHANISM: 'plain' }))).toThrow(
      /KAFKA_SASL_USERNAME[\s\S]*KAFKA_SASL_PASSWORD/,
    );
    expect(() => kafkaSecurityOf(config({ KAFKA_SASL_USERNAME: 'u' }))).toThrow(/KAFKA_SASL_MECHANISM/);
    expect(() => kafkaSecurityOf(config({ KAFKA_SSL_CA_FILE: file('ca.pem') }))).toThrow(/KAFKA_SSL/);
  });

  it('defaults the statement timeouts: 30 s for the pool, 10 min for migrations', () => {
    const c = config({});
    expect([c.DATABASE_STATEMENT_TIMEOUT_MS, c.DATABASE_MIGRATION_STATEMENT_TIMEOUT_MS]).toEqual([
      30_000, 600_000,
    ]);
    expect(config({ DATABASE_STATEMENT_TIMEOUT_MS: '5000' }).DATABASE_STATEMENT_TIMEOUT_MS).toBe(5000);
  });
});
