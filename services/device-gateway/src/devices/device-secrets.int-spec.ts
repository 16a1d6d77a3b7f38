/**
 * Device credentials and refused requests against a real PostgreSQL schema: secrets encrypted at rest
 * and tokens kept as hashes (also for rows of an older version, migrated), rotation invalidating the old
 * credential at once, refused requests counted by reason with a capped body sample, and the pool's
 * statement timeout.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Registry } from 'prom-client';
import { Database, migrate, pgErrorCode } from '@realname/eventstore';
import { testInfrastructure, uniqueName } from '@realname/testing';
import { PunchIngestion, RawRequest } from '../ingest/punch-ingestion';
import { RefusedRequests, UNKNOWN_DEVICE } from '../ingest/refused-requests';
import { gatewayMigrations } from '../migrations';
import { PhotoStore } from '../photos/photo-store';
import { DeviceCredentials } from './device-credentials';
import { DeviceRepository } from './device-repository';

jest.setTimeout(60_000);

const schema = `gw_${uniqueName('secrets')}`;
const legacySchema = `gw_${uniqueName('legacy')}`;
const keys = `k1:${randomBytes(32).toString('base64')}`;
const credentials = () => new DeviceCredentials({ keys, activeKeyId: 'k1' });
const sha256 = (t: string) => createHash('sha256').update(t).digest('hex');
let db: Database;
let devices: DeviceRepository;

const base = {
  projectId: 'P1',
  region: '330106',
  timeZone: 'Asia/Shanghai',
  defaultDirection: 'in' as const,
  enabled: true,
};

beforeAll(async () => {
  const infra = await testInfrastructure();
  db = await Database.connect({ url: infra.postgresUrl, poolSize: 4 });
  await migrate(db, schema, gatewayMigrations);
  devices = new DeviceRepository(db, schema, credentials(), 0);
});

afterAll(async () => {
  await db?.execute(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await db?.execute(`DROP SCHEMA IF EXISTS ${legacySchema} CASCADE`);
  await db?.close();
});

async function stored(deviceId: string, s = schema) {
  const [row] = await db.query<{ secret_encrypted: string | null; token_hash: string | null }>(
    `SELECT secret_encrypted, token_hash FROM ${s}.devices WHERE device_id = $1`,
    [deviceId],
  );
  return row;
}

describe('device credentials at rest', () => {
  it('keeps an HMAC secret encrypted and gives it back decrypted only in memory', async () => {
    const secret = 'open-v1-secret-0123456789';
    const { device, issued } = await devices.upsert(
      { ...base, deviceId: 'ov-1', family: 'open-v1', secret },
      'configuration',
    );
    expect(issued).toEqual({});
    const row = await stored('ov-1');
    expect(row.secret_encrypted).toMatch(/^pd1\.k1\./);
    expect(row.secret_encrypted).not.toContain(secret);
    expect(device.secret).toBe(secret);
    expect((await devices.find('ov-1'))?.secret).toBe(secret);
  });

  it('keeps only the SHA-256 of a generated path token, shows the token once, and matches it', async () => {
    const { device, issued } = await devices.upsert(
      {
        ...base,
        deviceId: 'hik-1',
        family: 'hikvision-isapi',
      },
      'configuration',
    );
    expect(issued.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await stored('hik-1')).token_hash).toBe(sha256(issued.token!));
    expect(JSON.stringify(device)).not.toContain(issued.token!);
    expect(devices.tokenMatches(device, issued.token!)).toBe(true);
    expect(devices.tokenMatches(device, issued.token!.slice(0, -1) + 'x')).toBe(false);
    // A plain update keeps the token and does not issue it again.
    const again = await devices.upsert(
      {
        ...base,
        deviceId: 'hik-1',
        family: 'hikvision-isapi',
        gate: 'North',
      },
      'configuration',
    );
    expect(again.issued).toEqual({});
    expect(devices.tokenMatches(again.device, issued.token!)).toBe(true);
  });

  it('rotation replaces the credential: the old one stops working at once', async () => {
    const first = await devices.upsert(
      { ...base, deviceId: 'uf-1', family: 'uface', serial: 'UF1' },
      'configuration',
    );
    const oldToken = first.issued.token!;
    const rotated = await devices.rotateCredential('uf-1', 'configuration');
    const newToken = rotated!.issued.token!;
    expect(newToken).not.toBe(oldToken);
    const now = (await devices.find('uf-1'))!;
    expect(devices.tokenMatches(now, oldToken)).toBe(false);
    expect(devices.tokenMatches(now, newToken)).toBe(true);

    const secretRotation = await devices.rotateCredential('ov-1', 'configuration');
    expect(secretRotation!.issued.secret).toBeDefined();
    expect((await devices.find('ov-1'))!.secret).toBe(secretRotation!.issued.secret);
    expect((await stored('ov-1')).secret_encrypted).not.toContain(secretRotation!.issued.secret!);

    await expect(
      devices.upsert({ ...base, deviceId: 'zk-1', family: 'zkteco-push', serial: 'ZK1' }, 'configuration'),
    ).resolves.toBeDefined();
    await expect(devices.rotateCredential('zk-1', 'configuration')).rejects.toThrow(/serial/);
    expect(await devices.rotateCredential('nobody', 'configuration')).toBeUndefined();
  });

  it('a ciphertext copied to another device does not decrypt there', async () => {
    await devices.upsert(
      { ...base, deviceId: 'ov-2', family: 'open-v1', secret: 'x'.repeat(20) },
      'configuration',
    );
    await db.execute(
      `UPDATE ${schema}.devices SET secret_encrypted = (SELECT secret_encrypted FROM ${schema}.devices WHERE device_id = 'ov-1') WHERE device_id = 'ov-2'`,
    );
    expect((await devices.find('ov-2', true))?.secret).toBeUndefined();
  });

  it('migrates the rows of an older version: tokens hashed by the migration, secrets encrypted at start', async () => {
    const older = gatewayMigrations.filter((m) => m.id < '0103');
    await migrate(db, legacySchema, older);
    await db.execute(
      `INSERT INTO ${legacySchema}.devices (device_id, project_id, region, family, secret, token)
       VALUES ('old-ov', 'P1', '330106', 'open-v1', 'legacy-secret-0123456', NULL),
              ('old-hik', 'P1', '330106', 'hikvision-isapi', NULL, 'legacy_token_0123456789')`,
    );
    await migrate(db, legacySchema, gatewayMigrations);
    expect((await stored('old-hik', legacySchema)).token_hash).toBe(sha256('legacy_token_0123456789'));
    const legacy = new DeviceRepository(db, legacySchema, credentials(), 0);
    expect(await legacy.upgradeStoredSecrets()).toBe(1);
    expect(await legacy.upgradeStoredSecrets()).toBe(0);
    expect((await stored('old-ov', legacySchema)).secret_encrypted).toMatch(/^pd1\.k1\./);
    expect((await legacy.find('old-ov'))?.secret).toBe('legacy-secret-0123456');
    expect(legacy.tokenMatches((await legacy.find('old-hik'))!, 'legacy_token_0123456789')).toBe(true);

    // A new active key: secrets are re-encrypted under it at the next start; the old key still reads.
    const k2 = `${keys},k2:${randomBytes(32).toString('base64')}`;
    const rotated = new DeviceRepository(
      db,
      legacySchema,
      new DeviceCredentials({ keys: k2, activeKeyId: 'k2' }),
      0,
    );
    expect(await rotated.upgradeStoredSecrets()).toBe(1);
    expect((await stored('old-ov', legacySchema)).secret_encrypted).toMatch(/^pd1\.k2\./);
    expect((await rotated.find('old-ov'))?.secret).toBe('legacy-secret-0123456');
  });
});

describe('refused and ignored requests', () => {
  const raw = (body: Buffer): RawRequest => ({
    protocol: 'hikvision-isapi',
    headers: { 'content-type': 'application/xml' },
    body,
    receivedAt: new Date(),
  });

  it('counts them by device and reason and keeps only the first bytes of a few', async () => {
    const registry = new Registry();
    const refused = new RefusedRequests(
      db,
      schema,
      async (id) => (await devices.find(id)) !== undefined,
      { sampleBytes: 4096, samplesPerMinute: 3 },
      registry,
    );
    const ingestion = new PunchIngestion(
      db,
      schema,
      new PhotoStore(db, schema, 4096),
      0,
      undefined,
      undefined,
      refused,
    );
    const big = Buffer.alloc(1024 * 1024, 0x41);
    for (let i = 0; i < 5; i++) await ingestion.refuse('hik-1', raw(big), 'unauthenticated', 'wrong token');
    await ingestion.refuse(
      `random-${randomBytes(4).toString('hex')}`,
      raw(big),
      'unauthenticated',
      'unknown device',
    );
    await ingestion.refuse(
      `random-${randomBytes(4).toString('hex')}`,
      raw(big),
      'unauthenticated',
      'no token',
    );
    await ingestion.keep(
      'hik-1',
      raw(Buffer.from('<x/>')),
      'ignored',
      'a pass that names no person (no employeeNoString)',
    );
    await ingestion.keep('hik-1', raw(Buffer.from('<y/>')), 'ignored', 'sub event type 21 is not a pass');
    await ingestion.refuse('hik-1', raw(Buffer.from('<<<')), 'malformed', 'not XML');

    const metric = await registry.getSingleMetric('gateway_device_requests_refused_total')!.get();
    const value = (device: string, reason: string) =>
      metric.values.find((v) => v.labels.device === device && v.labels.reason === reason)?.value;
    expect(value('hik-1', 'bad-credentials')).toBe(5);
    expect(value(UNKNOWN_DEVICE, 'unknown-device')).toBe(2);
    expect(value('hik-1', 'stranger')).toBe(1);
    expect(value('hik-1', 'not-a-punch')).toBe(1);
    expect(value('hik-1', 'malformed')).toBe(1);
    expect(new Set(metric.values.map((v) => v.labels.device))).toEqual(new Set(['hik-1', UNKNOWN_DEVICE]));

    const [size] = await db.query<{ n: string; max: number; total: string }>(
      `SELECT count(*) AS n, max(length(body)) AS max, sum(body_size) AS total
         FROM ${schema}.raw_requests WHERE outcome = 'unauthenticated' AND device_id = 'hik-1'`,
    );
    expect(Number(size.n)).toBe(3); // 3 a minute per device and reason; the other 2 only counted
    expect(size.max).toBe(4096);
    expect(Number(size.total)).toBe(3 * big.length);

    const summary = await refused.summary('hik-1', 7, 10);
    expect(summary.counts).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ reason: 'bad-credentials', count: 5 }),
        expect.objectContaining({ reason: 'stranger', count: 1 }),
      ]),
    );
    expect(summary.samples.length).toBe(6);
    const sample = summary.samples.find((x) => x.reason === 'bad-credentials')!;
    expect(sample).toMatchObject({ bodySize: big.length, truncated: true, bodyEncoding: 'utf8' });
    expect(sample.bodySample.length).toBe(4096);
    const unknown = await refused.summary(UNKNOWN_DEVICE, 7, 10);
    expect(unknown.counts).toEqual([expect.objectContaining({ reason: 'unknown-device', count: 2 })]);
    expect(unknown.samples.map((x) => x.deviceId).every((id) => id.startsWith('random-'))).toBe(true);

    // Retention: samples older than the retention go; accepted requests are not touched by it.
    await db.execute(
      `UPDATE ${schema}.raw_requests SET received_at = now() - interval '8 days' WHERE outcome <> 'accepted'`,
    );
    expect(await refused.purge(7)).toBe(8); // 3 + 2 unknown + 2 ignored + 1 malformed
  });
});

describe('statement timeout', () => {
  it('cancels a statement running longer than the pool allows', async () => {
    const infra = await testInfrastructure();
    const short = await Database.connect({ url: infra.postgresUrl, poolSize: 1, statementTimeoutMs: 300 });
    try {
      const started = Date.now();
      const err = await short.query('SELECT pg_sleep(5)').catch((e: unknown) => e);
      expect(pgErrorCode(err)).toBe('57014');
      expect(Date.now() - started).toBeLessThan(3000);
      expect(await short.query<{ ok: number }>('SELECT 1 AS ok')).toEqual([{ ok: 1 }]);
      const [setting] = await short.query<{ statement_timeout: string }>('SHOW statement_timeout');
      expect(setting.statement_timeout).toBe('300ms');
    } finally {
      await short.close();
    }
    const [byDefault] = await db.query<{ statement_timeout: string }>('SHOW statement_timeout');
    expect(byDefault.statement_timeout).toBe('30s');
  });
});
