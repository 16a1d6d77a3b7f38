import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Sql } from '@realname/eventstore';
import type { ClientCredentials, JsonLogger } from '@realname/platform';
import type { PhotoStore } from '../photos/photo-store';
import { RegistryFaces } from './registry-faces';

/** A registry that takes one access token only, and remembers what it was sent. */
let server: Server;
let url: string;
let accepted = 'token-2';
const seen: (string | undefined)[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(req.headers.authorization);
    if (req.headers.authorization !== `Bearer ${accepted}`) {
      res.writeHead(401).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'image/jpeg' }).end(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2]));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));
beforeEach(() => (seen.length = 0));

/** Client credentials handing out token-1, token-2, ... : a new one after each invalidate. */
function credentials() {
  let n = 1;
  const invalidated: number[] = [];
  const cc = {
    authorization: () => Promise.resolve(`Bearer token-${n}`),
    invalidate: () => invalidated.push(n++),
  };
  return { cc: cc as unknown as ClientCredentials, invalidated };
}

const photos = {
  put: () => Promise.resolve({ ref: 'sha256:abc' }),
} as unknown as PhotoStore;
const logger = { event: () => undefined } as unknown as JsonLogger;
const sql = {} as Sql;

describe('faces from the registry', () => {
  it('sends the gateway’s access token, and after a 401 a new one, once', async () => {
    accepted = 'token-2';
    const { cc, invalidated } = credentials();
    const faces = new RegistryFaces(photos, { url, credentials: cc }, logger);
    expect(await faces.faceOf('w-1', sql)).toBe('sha256:abc');
    expect(seen).toEqual(['Bearer token-1', 'Bearer token-2']);
    expect(invalidated).toEqual([1]);
  });

  it('pushes the person without a face when the registry refuses the new token too', async () => {
    accepted = 'never';
    const { cc, invalidated } = credentials();
    const faces = new RegistryFaces(photos, { url, credentials: cc }, logger);
    expect(await faces.faceOf('w-1', sql)).toBeUndefined();
    expect(seen).toHaveLength(2);
    expect(invalidated).toEqual([1]);
  });

  it('asks nobody without a registry or credentials', async () => {
    expect(await new RegistryFaces(photos, { url }, logger).faceOf('w-1', sql)).toBeUndefined();
    expect(seen).toEqual([]);
  });
});
