import type { Request } from 'express';
import { JsonLogger } from '@realname/platform';
import type { Device } from '../../devices/device';
import type { RawRequest } from '../../ingest/punch-ingestion';
import {
  authenticateDevice,
  markSeen,
  rawRequest,
  refusalOf,
  refuseMalformed,
  refuseUnauthenticated,
} from './device-request';

const device: Device = {
  deviceId: 'uf-1',
  projectId: 'P1',
  region: '330106',
  family: 'uface',
  serial: 'UF1',
  token: 'tok_0123456789abcdef',
  timeZone: 'Asia/Shanghai',
  defaultDirection: 'in',
  enabled: true,
  online: true,
};
const devices = {
  find: async (id: string) => (id === device.deviceId ? device : undefined),
  tokenMatches: (d: Device, t: string) => d.token === t,
};

function request(headers: Record<string, string>, body?: unknown): Request {
  return { header: (name: string) => headers[name.toLowerCase()], body } as unknown as Request;
}

function recordingIngestion(fail = false) {
  const refused: unknown[][] = [];
  return {
    refused,
    refuse: async (...args: unknown[]) => {
      if (fail) throw new Error('database unavailable');
      refused.push(args);
    },
  };
}

const raw: RawRequest = { protocol: 'uface', headers: {}, body: Buffer.from('x'), receivedAt: new Date() };

describe('rawRequest', () => {
  it('keeps the listed headers (cut to 512 characters), then the family headers, and the exact body', () => {
    const body = Buffer.from([0xff, 0x00, 0x7b]);
    const r = rawRequest(
      request({ 'content-type': 'text/plain', 'user-agent': 'u'.repeat(600), cookie: 'no' }, body),
      'uface',
      { 'x-query': 'a=1' },
    );
    expect(r.protocol).toBe('uface');
    expect(r.headers).toEqual({
      'content-type': 'text/plain',
      'user-agent': 'u'.repeat(512),
      'x-query': 'a=1',
    });
    expect(r.body).toBe(body);
    expect(r.receivedAt).toBeInstanceOf(Date);
  });

  it('takes an empty body when the request has none, and another header list when given', () => {
    const r = rawRequest(request({ 'x-device-id': 'd1', 'content-type': 'a/b' }), 'open-v1', {}, [
      'x-device-id',
    ]);
    expect(r.headers).toEqual({ 'x-device-id': 'd1' });
    expect(r.body.length).toBe(0);
  });
});

describe('refusalOf', () => {
  it('says why a device may not be served, in order: token, device, family, enabled, token match', () => {
    expect(refusalOf(devices, device, undefined)).toBe('no token');
    expect(refusalOf(devices, undefined, 't')).toBe('unknown device');
    expect(refusalOf(devices, { ...device, enabled: false }, 't', 'hikvision-isapi')).toBe(
      'device is registered as uface, not hikvision-isapi',
    );
    expect(refusalOf(devices, { ...device, enabled: false }, device.token)).toBe('device is disabled');
    expect(refusalOf(devices, device, 'tok_wrong', 'uface')).toBe('wrong token');
    expect(refusalOf(devices, device, device.token, 'uface')).toBeUndefined();
  });
});

describe('authenticateDevice', () => {
  it('returns the device, or keeps the refusal under the claimed id and returns undefined', async () => {
    const ingestion = recordingIngestion();
    const claim = { deviceId: 'uf-1', token: device.token, family: 'uface' as const };
    expect(await authenticateDevice(devices, ingestion, raw, claim)).toBe(device);
    expect(ingestion.refused).toEqual([]);
    expect(
      await authenticateDevice(devices, ingestion, raw, { ...claim, token: 'x', context: 'site agent' }),
    ).toBeUndefined();
    expect(await authenticateDevice(devices, ingestion, raw, { ...claim, deviceId: 'n'.repeat(200) })).toBe(
      undefined,
    );
    expect(ingestion.refused).toEqual([
      ['uf-1', raw, 'unauthenticated', 'site agent: wrong token'],
      ['n'.repeat(128), raw, 'unauthenticated', 'unknown device'],
    ]);
  });

  it('throws a refusal it cannot keep, unless best effort', async () => {
    const down = recordingIngestion(true);
    const claim = { deviceId: 'nobody', token: 't' };
    await expect(authenticateDevice(devices, down, raw, claim)).rejects.toThrow('database unavailable');
    expect(
      await authenticateDevice(devices, down, raw, { ...claim, bestEffortRefusal: true }),
    ).toBeUndefined();
  });
});

describe('refusals', () => {
  it('keeps an empty claimed id as (none), and malformed problems as JSON with the punches', async () => {
    const ingestion = recordingIngestion();
    await refuseUnauthenticated(ingestion, '', raw, 'no token');
    await refuseMalformed(ingestion, 'uf-1', raw, [{ field: 'SN', message: 'is required' }], 2);
    expect(ingestion.refused).toEqual([
      ['(none)', raw, 'unauthenticated', 'no token'],
      ['uf-1', raw, 'malformed', '[{"field":"SN","message":"is required"}]', 2],
    ]);
    await expect(
      refuseMalformed(recordingIngestion(true), 'uf-1', raw, [], 0, true),
    ).resolves.toBeUndefined();
  });
});

describe('markSeen', () => {
  it('records presence, and logs instead of throwing when it cannot', async () => {
    const lines: string[] = [];
    const logger = new JsonLogger('test', 'debug', (line) => void lines.push(line));
    const seen: unknown[] = [];
    await markSeen({ seen: async (_d, o) => void seen.push(o) }, logger, device, 'poll');
    const clock = new Date();
    await markSeen({ seen: async (_d, o) => void seen.push(o) }, logger, device, 'heartbeat', clock);
    expect(seen).toEqual([{ via: 'poll' }, { via: 'heartbeat', deviceClock: clock }]);
    await markSeen(
      {
        seen: async () => {
          throw new Error('redis down');
        },
      },
      logger,
      device,
      'upload',
    );
    expect(lines.join('\n')).toContain('uface: presence not recorded');
    expect(lines.join('\n')).toContain('redis down');
  });
});
