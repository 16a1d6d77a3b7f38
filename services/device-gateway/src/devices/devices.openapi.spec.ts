import { DeviceRegistration } from './device';
import { BACKFILL_RANGE_BODY, REGISTRATION_BODY, ROTATION_BODY, TIME_ZONES } from './devices.openapi';

describe('the request bodies of the admin API document', () => {
  it('offers only time zones a registration accepts', () => {
    const base = {
      deviceId: 'g-1',
      projectId: '330106202601010001',
      region: '330106',
      secret: 'x'.repeat(16),
    };
    for (const timeZone of TIME_ZONES)
      expect(DeviceRegistration.safeParse({ ...base, timeZone }).success).toBe(true);
  });

  it('states per family what a registration needs, and allows properties the parser ignores', () => {
    const variants = REGISTRATION_BODY.anyOf as { required: string[]; additionalProperties?: unknown }[];
    expect(variants.map((v) => v.required.sort())).toEqual([
      ['deviceId', 'projectId', 'region', 'secret'],
      ['deviceId', 'family', 'projectId', 'region', 'serial'],
      ['deviceId', 'family', 'projectId', 'region'],
    ]);
    for (const v of variants) expect(v.additionalProperties).toBeUndefined();
    expect(DeviceRegistration.safeParse(REGISTRATION_BODY.example).success).toBe(true);
  });

  it('states the strict bodies as strict', () => {
    expect(ROTATION_BODY.additionalProperties).toBe(false);
    expect(BACKFILL_RANGE_BODY.additionalProperties).toBe(false);
    expect(BACKFILL_RANGE_BODY.required).toEqual(['from', 'to']);
  });

  it('counts the characters of a project id as JSON Schema does, and refuses control characters', () => {
    const reg = (projectId: string) =>
      DeviceRegistration.safeParse({
        deviceId: 'g-1',
        projectId,
        region: '330106',
        family: 'hikvision-isapi',
      });
    expect(reg('😀'.repeat(64)).success).toBe(true);
    expect(reg('😀'.repeat(65)).success).toBe(false);
    expect(reg('a\u0000b').success).toBe(false);
    expect(reg('').success).toBe(false);
  });
});
