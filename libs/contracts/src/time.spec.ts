import { formatLocalTime, isValidTimeZone, localDay, parseDeviceTime, zoneOffsetMinutes } from './time';

describe('device time', () => {
  it('reads a bare local time in the device zone', () => {
    expect(parseDeviceTime('2026-11-21 08:01:02', 'Asia/Shanghai')?.toISOString()).toBe(
      '2026-11-21T00:01:02.000Z',
    );
    expect(parseDeviceTime('2026-11-21T08:01:02', 'Asia/Urumqi')?.toISOString()).toBe(
      '2026-11-21T02:01:02.000Z',
    );
  });

  it('takes an RFC 3339 time with its own offset, whatever the device zone', () => {
    expect(parseDeviceTime('2026-11-21T08:01:02+08:00', 'UTC')?.toISOString()).toBe(
      '2026-11-21T00:01:02.000Z',
    );
    expect(parseDeviceTime('2026-11-21T00:01:02.5Z', 'Asia/Shanghai')?.toISOString()).toBe(
      '2026-11-21T00:01:02.500Z',
    );
  });

  it('refuses what is not a time', () => {
    for (const bad of [
      '',
      'yesterday',
      '2026-02-31 08:00:00',
      '2026-13-01 08:00:00',
      '2026-11-21 25:00:00',
      '1763683262',
    ]) {
      expect(parseDeviceTime(bad, 'Asia/Shanghai')).toBeUndefined();
    }
  });

  it('puts an early-morning Beijing punch on the Beijing day, not the UTC day', () => {
    const t = new Date('2026-11-20T23:30:00Z'); // 07:30 on the 21st in Beijing
    expect(localDay(t, 'Asia/Shanghai')).toBe('2026-11-21');
    expect(localDay(t, 'UTC')).toBe('2026-11-20');
    expect(zoneOffsetMinutes(t, 'Asia/Shanghai')).toBe(480);
  });

  it('writes an instant as the local wall clock of a zone, the form parseDeviceTime reads back', () => {
    const t = new Date('2026-11-20T23:41:02.999Z');
    expect(formatLocalTime(t, 'Asia/Shanghai')).toBe('2026-11-21 07:41:02');
    expect(formatLocalTime(t, 'UTC')).toBe('2026-11-20 23:41:02');
    expect(formatLocalTime(new Date('2026-11-21T16:00:00Z'), 'Asia/Shanghai')).toBe('2026-11-22 00:00:00');
    expect(formatLocalTime(new Date('2026-07-01T12:00:00Z'), 'America/New_York')).toBe('2026-07-01 08:00:00');
    expect(parseDeviceTime(formatLocalTime(t, 'Asia/Urumqi'), 'Asia/Urumqi')?.toISOString()).toBe(
      '2026-11-20T23:41:02.000Z',
    );
  });

  it('knows real zones from made-up ones', () => {
    expect(isValidTimeZone('Asia/Shanghai')).toBe(true);
    expect(isValidTimeZone('Mars/Olympus')).toBe(false);
  });
});
