import { decideSignOfLife, decideSilence, DeviceRef, needsWrite, PresenceRules } from './presence.decider';

const device: DeviceRef = {
  deviceId: 'gate-1',
  projectId: 'P1',
  region: '330106',
  family: 'uface',
  gate: 'North',
};
const rules: PresenceRules = { offlineAfterMs: 300_000, skewToleranceMs: 60_000, backfillMarginMs: 60_000 };
const now = new Date('2026-11-21T08:00:00Z');
const ago = (ms: number) => new Date(now.getTime() - ms);

describe('presence', () => {
  describe('the passing of time', () => {
    it('given an online device silent longer than the limit, when time is checked, then DeviceWentOffline', () => {
      const events = decideSilence(device, { online: true, lastSeenAt: ago(300_001) }, now, rules);
      expect(events).toEqual([
        {
          type: 'DeviceWentOffline',
          data: expect.objectContaining({
            deviceId: 'gate-1',
            lastSeenAt: ago(300_001).toISOString(),
            offlineAfterS: 300,
          }),
        },
      ]);
    });

    it('given a device seen within the limit, or already offline, when time is checked, then nothing', () => {
      expect(decideSilence(device, { online: true, lastSeenAt: ago(300_000) }, now, rules)).toEqual([]);
      expect(decideSilence(device, { online: false, lastSeenAt: ago(900_000) }, now, rules)).toEqual([]);
    });
  });

  describe('a sign of life', () => {
    it('given an offline device, when it is seen, then DeviceCameOnline and a backfill of the gap with the margin', () => {
      const d = decideSignOfLife(
        device,
        { online: false, lastSeenAt: ago(600_000), skewBeyondTolerance: false },
        { now, via: 'poll' },
        rules,
      );
      expect(d.events.map((e) => e.type)).toEqual(['DeviceCameOnline']);
      expect(d.events[0].data).toMatchObject({
        lastSeenAt: ago(600_000).toISOString(),
        seenAt: now.toISOString(),
      });
      expect(d.backfill).toEqual({ from: ago(660_000), to: now });
    });

    it('given a device never seen, when it is seen, then it comes online with no gap to fill', () => {
      const d = decideSignOfLife(
        device,
        { online: false, skewBeyondTolerance: false },
        { now, via: 'poll' },
        rules,
      );
      expect(d.events.map((e) => e.type)).toEqual(['DeviceCameOnline']);
      expect(d.backfill).toBeUndefined();
    });

    it('given an online device within tolerance, when its clock is 61 s ahead, then DeviceClockSkewChanged beyond tolerance', () => {
      const d = decideSignOfLife(
        device,
        { online: true, lastSeenAt: ago(1000), skewBeyondTolerance: false },
        { now, via: 'heartbeat', deviceClock: new Date(now.getTime() + 61_000) },
        rules,
      );
      expect(d).toMatchObject({ skewMs: 61_000, skewBeyondTolerance: true });
      expect(d.events).toEqual([
        {
          type: 'DeviceClockSkewChanged',
          data: expect.objectContaining({
            skewMs: 61_000,
            withinTolerance: false,
            toleranceMs: 60_000,
            source: 'heartbeat',
          }),
        },
      ]);
    });

    it('given a skew beyond tolerance, when the clock is back within it, then the change is reported; when still beyond, nothing', () => {
      const before = { online: true, lastSeenAt: ago(1000), skewBeyondTolerance: true };
      const back = decideSignOfLife(
        device,
        before,
        { now, via: 'heartbeat', deviceClock: ago(5_000) },
        rules,
      );
      expect(back.events[0].data).toMatchObject({ withinTolerance: true, skewMs: -5000 });
      const still = decideSignOfLife(
        device,
        before,
        { now, via: 'heartbeat', deviceClock: ago(120_000) },
        rules,
      );
      expect(still.events).toEqual([]);
      const noClock = decideSignOfLife(device, before, { now, via: 'upload' }, rules);
      expect(noClock).toEqual({ events: [], skewBeyondTolerance: true });
    });
  });

  it('writes a sign of life once per interval unless the device was not known online or its skew crossed', () => {
    const sign = { now, via: 'poll' as const };
    expect(needsWrite(undefined, sign, 60_000, 5000)).toBe(true);
    expect(needsWrite({ writtenAt: now.getTime() - 1000, online: true }, sign, 60_000, 5000)).toBe(false);
    expect(needsWrite({ writtenAt: now.getTime() - 5000, online: true }, sign, 60_000, 5000)).toBe(true);
    const skewed = { ...sign, deviceClock: new Date(now.getTime() + 90_000) };
    expect(needsWrite({ writtenAt: now.getTime() - 1000, online: true }, skewed, 60_000, 5000)).toBe(true);
  });
});
