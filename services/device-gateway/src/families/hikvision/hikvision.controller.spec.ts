/**
 * The Hikvision controller over real HTTP, with the core (devices, ingestion, presence, backfills)
 * replaced by in-memory stand-ins that keep the core's contracts, driven by the Hikvision simulator.
 */
import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { Registry } from 'prom-client';
import { METRICS_REGISTRY } from '@realname/platform';
import { HikvisionTerminal } from '@realname/device-simulator';
import type { Device } from '../../devices/device';
import { CoreStandIns, serveController } from '../shared/core-stand-ins.spec-support';
import { HikvisionController } from './hikvision.controller';

const device: Device = {
  deviceId: 'hik-1',
  projectId: 'P1',
  region: '330106',
  family: 'hikvision-isapi',
  token: 'tok_0123456789abcdef',
  timeZone: 'Asia/Shanghai',
  defaultDirection: 'in',
  enabled: true,
  online: true,
};
const other: Device = { ...device, deviceId: 'uf-1', family: 'uface', serial: 'UF1' };
/** A terminal of its own for the serial-gap test (the tracker remembers each device's serials). */
const fresh: Device = { ...device, deviceId: 'hik-2' };

let fakes: CoreStandIns;
let app: INestApplication;
let base: string;
const registry = new Registry();

beforeAll(async () => {
  fakes = new CoreStandIns([device, other, fresh]);
  ({ app, base } = await serveController(HikvisionController, '/isapi', [
    ...fakes.providers(),
    { provide: METRICS_REGISTRY, useValue: registry },
  ]));
});
afterAll(async () => {
  await app?.close();
});
beforeEach(() => fakes.reset());

const terminal = (over: Partial<ConstructorParameters<typeof HikvisionTerminal>[0]> = {}) =>
  new HikvisionTerminal({ gatewayUrl: base, deviceId: device.deviceId, token: device.token, ...over });
const at = (m: number) => new Date(Date.UTC(2026, 10, 21, 0, m, 0));

async function eventually(check: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
}

describe('event push', () => {
  it('turns passes of every body form into punches keyed by serialNo, with the picture', async () => {
    const t = terminal();
    const a = await t.punch({ employeeNo: 'P1', at: at(1), attendanceStatus: 'checkOut' });
    expect(a.replies[0]).toMatchObject({ status: 200 });
    expect(JSON.parse(a.replies[0]!.text)).toMatchObject({
      statusCode: 1,
      statusString: 'OK',
      subStatusCode: 'ok',
    });
    await t.punch({ employeeNo: 'P2', at: at(2), form: 'json', minor: 38 });
    await t.punch({ employeeNo: 'P3', at: at(3), form: 'xml', minor: 1 });
    await t.punch({ employeeNo: 'P4', at: at(4), truncate: true });
    expect(
      fakes.punches.map((p) => [p.key, p.personId, p.verifyMode, p.direction ?? '-', Boolean(p.photo)]),
    ).toEqual([
      ['1', 'P1', 'face', 'out', true],
      ['2', 'P2', 'fingerprint', '-', false],
      ['3', 'P3', 'card', '-', false],
      ['4', 'P4', 'face', '-', false],
    ]);
    expect(fakes.punches[0]).toMatchObject({
      deviceTime: '2026-11-21T08:01:00+08:00',
      punchedAt: at(1),
      photo: { contentType: 'image/jpeg' },
    });
    expect(fakes.seen.every((s) => s.via === 'upload')).toBe(true);
    expect(fakes.backfills).toEqual([]);
  });

  it('a storm stores each record once; failures and door events are kept as ignored', async () => {
    const t = terminal({ behaviour: { resendTimes: 3, doorEvents: true } });
    await t.punch({ employeeNo: 'P1', at: at(1) });
    await t.punch({ employeeNo: 'P1', at: at(2), minor: 76 });
    expect(fakes.punches).toHaveLength(1);
    expect(fakes.kept.length).toBe(3 * (3 + 1)); // the 3 door events after the pass, and the face failure
    expect(fakes.kept.every((k) => k.outcome === 'ignored')).toBe(true);
  });

  it('heartbeats are signs of life with the device clock, and are not stored', async () => {
    const t = terminal({ behaviour: { clockSkewMs: 90_000 } });
    await t.heartbeat();
    expect(fakes.seen).toHaveLength(1);
    expect(fakes.seen[0].via).toBe('heartbeat');
    expect(Math.abs(fakes.seen[0].deviceClock!.getTime() - Date.now() - 90_000)).toBeLessThan(2000);
    expect(fakes.kept).toEqual([]);
  });

  it('requests a backfill of the time range of a serial gap, once', async () => {
    const t = terminal({ deviceId: fresh.deviceId });
    await t.punch({ employeeNo: 'P1', at: at(1) });
    t.behaviour.dropUpload = (e) => e.serialNo >= 2 && e.serialNo <= 4; // lost on the way, never retried
    await t.punch({ employeeNo: 'P2', at: at(2) });
    await t.event(5, 0x19, at(3));
    await t.punch({ employeeNo: 'P3', at: at(4) });
    t.behaviour.dropUpload = undefined;
    await t.punch({ employeeNo: 'P4', at: at(5), form: 'json' });
    await eventually(() => fakes.backfills.length > 0);
    expect(fakes.backfills).toEqual([{ from: at(1), to: at(5), reason: 'serial-gap' }]);
    await t.punch({ employeeNo: 'P5', at: at(6), form: 'json' });
    await t.punch({ employeeNo: 'P4', at: at(5), form: 'json' }); // a late copy of an older event: no gap
    await new Promise((r) => setTimeout(r, 50));
    expect(fakes.backfills).toHaveLength(1);
    const missed = await registry.getSingleMetric('gateway_hikvision_missed_events_total')!.get();
    expect(missed.values[0].value).toBe(3);
  });

  it('refuses unknown devices, wrong tokens and other families with 401, after keeping the request', async () => {
    const wrong = terminal({ token: 'tok_wrongwrongwrong' });
    const r = await wrong.sendRaw('{"eventType":"heartBeat"}', 'application/json');
    expect(r.status).toBe(401);
    expect(JSON.parse(r.text)).toMatchObject({ statusCode: 4, subStatusCode: 'unauthorized' });
    const unknown = await wrong.sendRaw(
      '{}',
      'application/json',
      `${base}/isapi/v1/nobody/${device.token}/events`,
    );
    expect(unknown.status).toBe(401);
    const uface = await wrong.sendRaw(
      '{}',
      'application/json',
      `${base}/isapi/v1/uf-1/${device.token}/events`,
    );
    expect(uface.status).toBe(401);
    expect(fakes.refused.map((x) => [x.deviceId, x.outcome, x.detail])).toEqual([
      ['hik-1', 'unauthenticated', 'wrong token'],
      ['nobody', 'unauthenticated', 'unknown device'],
      ['uf-1', 'unauthenticated', 'device is registered as uface, not hikvision-isapi'],
    ]);
    expect(fakes.seen).toEqual([]);
  });

  it('answers malformed bodies with 400 and a short reason, keeping them', async () => {
    const t = terminal();
    for (const [body, type, sub] of [
      ['garbage', 'text/plain', 'badJsonContent'],
      ['{"eventType":', 'application/json', 'badJsonContent'],
      ['<EventNotificationAlert><eventType>', 'application/xml', 'badXmlContent'],
      [
        JSON.stringify({
          eventType: 'AccessControllerEvent',
          dateTime: 'soon',
          AccessControllerEvent: { majorEventType: 5, subEventType: 75, employeeNoString: 'P1', serialNo: 9 },
        }),
        'application/json',
        'badParameters',
      ],
    ]) {
      const r = await t.sendRaw(body, type);
      expect(r.status).toBe(400);
      expect(JSON.parse(r.text)).toMatchObject({
        statusCode: 4,
        subStatusCode: sub,
        errorMsg: expect.any(String),
      });
    }
    expect(fakes.refused.map((x) => x.outcome)).toEqual(['malformed', 'malformed', 'malformed', 'malformed']);
    expect(fakes.refused[0].body.toString()).toBe('garbage');
    expect(fakes.refused[3].detail).toContain('AccessControllerEvent.dateTime');
  });

  it('does not acknowledge what it could not store: the device sends it again later', async () => {
    const t = terminal();
    fakes.failIngest = 1;
    const { replies, event } = await t.punch({ employeeNo: 'P1', at: at(1) });
    expect(replies[0]?.status).toBe(503);
    expect(event.delivered).toBe(false);
    expect(await t.uploadUndelivered()).toBe(1);
    expect(fakes.punches.map((p) => p.key)).toEqual(['1']);
  });
});
