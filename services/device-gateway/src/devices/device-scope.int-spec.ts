/**
 * The admin API's scope, in SQL, against a real PostgreSQL schema: lists and reads hold only the
 * caller's devices, writes outside the scope are refused with nothing changed (and record their actor
 * inside it), and photos are found only through a device of the scope that took them.
 */
import { randomBytes } from 'node:crypto';
import { Database, migrate } from '@realname/eventstore';
import { actorOf, type Caller, type CallerScope, type Role } from '@realname/platform';
import { testInfrastructure, uniqueName } from '@realname/testing';
import { BackfillRepository } from '../backfill/backfill.repository';
import { gatewayMigrations } from '../migrations';
import { photoRef, PhotoStore } from '../photos/photo-store';
import { DeviceCredentials } from './device-credentials';
import { DeviceOutOfScope, DeviceRepository } from './device-repository';

jest.setTimeout(60_000);

const schema = `gw_${uniqueName('scope')}`;
let db: Database;
let devices: DeviceRepository;
let photos: PhotoStore;

const caller = (role: Role, kind: CallerScope['kind'], code: string): Caller => ({
  subject: `sub-${code}`,
  roles: [role],
  actingRole: role,
  scope: { kind, code },
  permissions: [],
  expiresAt: Math.floor(Date.now() / 1000) + 300,
});
const devHz = caller('device-administrator', 'city', '330100');
const xihu = caller('county-supervisor', 'county', '330106');
const ningbo = caller('city-supervisor', 'city', '330200');
const project = caller('project-manager', 'project', 'P-XIHU');
const enterprise = caller('enterprise-user', 'enterprise', '91330106MA2H4K7N15');

const reg = (deviceId: string, region: string, projectId: string) => ({
  deviceId,
  projectId,
  region,
  family: 'open-v1' as const,
  secret: 'a'.repeat(16),
  timeZone: 'Asia/Shanghai',
  defaultDirection: 'in' as const,
  enabled: true,
});

beforeAll(async () => {
  const infra = await testInfrastructure();
  db = await Database.connect({ url: infra.postgresUrl, poolSize: 4 });
  await migrate(db, schema, gatewayMigrations);
  const credentials = new DeviceCredentials({
    keys: `k1:${randomBytes(32).toString('base64')}`,
    activeKeyId: 'k1',
  });
  devices = new DeviceRepository(db, schema, credentials, 0);
  photos = new PhotoStore(db, schema, 100_000);
  await devices.upsert(reg('xihu-1', '330106', 'P-XIHU'), 'configuration');
  await devices.upsert(reg('xihu-2', '330106', 'P-OTHER'), 'configuration');
  await devices.upsert(reg('nb-1', '330203', 'P-NB'), 'configuration');
});

afterAll(async () => {
  await db?.execute(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await db?.close();
});

const ids = (list: { deviceId: string }[]) => list.map((d) => d.deviceId);

describe('devices in the caller’s scope', () => {
  it('lists only the devices of the region, the project, and none for an enterprise', async () => {
    expect(ids(await devices.list({}, devHz.scope))).toEqual(['xihu-1', 'xihu-2']);
    expect(ids(await devices.list({}, xihu.scope))).toEqual(['xihu-1', 'xihu-2']);
    expect(ids(await devices.list({}, ningbo.scope))).toEqual(['nb-1']);
    expect(ids(await devices.list({}, project.scope))).toEqual(['xihu-1']);
    expect(ids(await devices.list({ projectId: 'P-NB' }, devHz.scope))).toEqual([]);
    expect(await devices.list({}, enterprise.scope)).toEqual([]);
  });

  it('finds a device outside the scope exactly as a missing one: not at all', async () => {
    expect((await devices.findInScope('xihu-1', devHz.scope))?.deviceId).toBe('xihu-1');
    expect(await devices.findInScope('nb-1', devHz.scope)).toBeUndefined();
    expect(await devices.findInScope('xihu-2', project.scope)).toBeUndefined();
    expect(await devices.findInScope('nobody', devHz.scope)).toBeUndefined();
  });

  it('refuses writes outside the scope and changes nothing', async () => {
    await expect(devices.upsert(reg('hz-new', '330203', 'P-NB'), devHz)).rejects.toThrow(
      /region 330203 is outside your scope \(city 330100\)/,
    );
    await expect(devices.upsert(reg('nb-1', '330106', 'P-XIHU'), devHz)).rejects.toThrow(DeviceOutOfScope);
    await expect(devices.setEnabled('nb-1', false, devHz)).rejects.toThrow(DeviceOutOfScope);
    await expect(devices.rotateCredential('nb-1', devHz)).rejects.toThrow(DeviceOutOfScope);
    expect(await devices.upsert(reg('hz-new', '330203', 'P-NB'), devHz).catch(() => 'refused')).toBe(
      'refused',
    );
    const nb = await devices.find('nb-1', true);
    expect(nb).toMatchObject({ region: '330203', enabled: true });
    expect(await devices.find('hz-new', true)).toBeUndefined();
    expect(await devices.setEnabled('nobody', false, devHz)).toBeUndefined();
  });

  it('records who made a change inside the scope', async () => {
    await devices.setEnabled('xihu-2', false, devHz);
    const [row] = await db.query<{ updated_by: unknown }>(
      `SELECT updated_by FROM ${schema}.devices WHERE device_id = 'xihu-2'`,
    );
    expect(row.updated_by).toEqual({
      subject: 'sub-330100',
      role: 'device-administrator',
      scope: 'city:330100',
    });
  });

  it('records who asked for a backfill', async () => {
    const backfillId = '0193a000-0000-7000-8000-000000000001';
    await new BackfillRepository(db, schema).insert(
      {
        backfillId,
        deviceId: 'xihu-1',
        from: new Date(Date.now() - 3600_000),
        to: new Date(),
        reason: 'on-demand',
        status: 'requested',
      },
      actorOf(devHz),
    );
    const [row] = await db.query<{ requested_by: unknown }>(
      `SELECT requested_by FROM ${schema}.backfills WHERE backfill_id = $1`,
      [backfillId],
    );
    expect(row.requested_by).toEqual({
      subject: 'sub-330100',
      role: 'device-administrator',
      scope: 'city:330100',
    });
  });
});

describe('photos in the caller’s scope', () => {
  it('serves a photo only through a device of the scope that took it', async () => {
    const taken = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), randomBytes(200)]);
    const joined = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), randomBytes(200)]);
    const face = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), randomBytes(200)]);
    for (const b of [taken, joined, face]) await photos.put(b, 'image/jpeg');
    await db.execute(
      `INSERT INTO ${schema}.device_records (device_id, record_id, person_id, punched_at, photo_ref)
       VALUES ('xihu-1', 'r1', 'p1', now(), $1)`,
      [photoRef(taken)],
    );
    await db.execute(
      `INSERT INTO ${schema}.punch_photos (device_id, person_id, punched_at, photo_ref) VALUES ('nb-1', 'p2', now(), $1)`,
      [photoRef(joined)],
    );
    expect((await photos.getInScope(photoRef(taken), xihu.scope))?.bytes).toEqual(taken);
    expect(await photos.getInScope(photoRef(taken), ningbo.scope)).toBeUndefined();
    expect((await photos.getInScope(photoRef(joined), ningbo.scope))?.bytes).toEqual(joined);
    expect(await photos.getInScope(photoRef(joined), devHz.scope)).toBeUndefined();
    // A face kept for the gates, taken by no device: not served here.
    expect(await photos.getInScope(photoRef(face), xihu.scope)).toBeUndefined();
    expect(await photos.get(photoRef(face))).toBeDefined();
  });
});
