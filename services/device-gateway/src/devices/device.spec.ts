import { DeviceRegistration } from './device';
import { deviceEndpoints } from './devices.controller';

const base = { deviceId: 'gate-01', projectId: 'P1', region: '330106' };

describe('device registration', () => {
  it('asks each family for what identifies its devices, naming the field', () => {
    const problems = (input: Record<string, unknown>) =>
      DeviceRegistration.safeParse({ ...base, ...input }).error?.issues.map((i) => [
        i.path.join('.'),
        i.message,
      ]) ?? [];
    expect(problems({})).toEqual([['secret', expect.stringMatching(/required for the open-v1 family/)]]);
    expect(problems({ family: 'zkteco-push' })).toEqual([
      ['serial', expect.stringMatching(/serial number \(SN\)/)],
    ]);
    expect(problems({ family: 'uface' })).toEqual([['serial', expect.stringMatching(/deviceKey/)]]);
    expect(problems({ family: 'hikvision-isapi' })).toEqual([]);
    expect(problems({ family: 'httpv2', serial: 'bad serial!' })).toEqual([
      ['serial', expect.stringMatching(/letters, digits/)],
    ]);
    expect(problems({ family: 'brand-x', secret: 'x'.repeat(16) })).toEqual([['family', expect.any(String)]]);
    // 13 characters to a person, 16 UTF-16 units to JavaScript: a key a device page cannot take.
    expect(problems({ secret: 'D×3uÍ񗢒iÔi¶񻥬𳝘x' })).toEqual([
      ['secret', expect.stringMatching(/printable ASCII/)],
    ]);
    expect(problems({ secret: 'with a space inside' })).toEqual([
      ['secret', expect.stringMatching(/without spaces/)],
    ]);
    expect(problems({ family: 'hikvision-isapi', token: 'short' })).toEqual([
      ['token', expect.stringMatching(/16-128/)],
    ]);
  });

  it('defaults to the open protocol, Shanghai time, unknown direction and enabled', () => {
    expect(DeviceRegistration.parse({ ...base, secret: 's'.repeat(16) })).toMatchObject({
      family: 'open-v1',
      timeZone: 'Asia/Shanghai',
      defaultDirection: 'unknown',
      enabled: true,
    });
  });

  it('tells the installer which URL to configure on each family', () => {
    const d = {
      ...base,
      timeZone: 'Asia/Shanghai',
      defaultDirection: 'in' as const,
      enabled: true,
      online: false,
    };
    expect(deviceEndpoints('http://gw', { ...d, family: 'hikvision-isapi' }, 'T0K3N')).toEqual({
      httpHost: 'http://gw/isapi/v1/gate-01/T0K3N/events',
      siteAgent: 'http://gw/agent/v1/devices/gate-01',
    });
    expect(deviceEndpoints('http://gw', { ...d, family: 'httpv2' })).toEqual({
      base: 'http://gw/httpv2/<token>',
    });
    expect(deviceEndpoints('http://gw', { ...d, family: 'zkteco-push', serial: 'SN1' }).cdata).toBe(
      'http://gw/iclock/cdata?SN=SN1',
    );
  });
});
