import fc from 'fast-check';
import { SerialGapTracker } from './serial-gaps';

const t = (s: number) => new Date(Date.UTC(2026, 10, 21, 0, 0, s));

describe('SerialGapTracker', () => {
  it('reports nothing for consecutive events and resends', () => {
    const g = new SerialGapTracker();
    expect(g.observe('d', { serialNo: 10, frontSerialNo: 9, at: t(0) })).toBeUndefined();
    expect(g.observe('d', { serialNo: 11, frontSerialNo: 10, at: t(1) })).toBeUndefined();
    expect(g.observe('d', { serialNo: 11, frontSerialNo: 10, at: t(1) })).toBeUndefined();
    expect(g.observe('d', { serialNo: 10, frontSerialNo: 9, at: t(0) })).toBeUndefined();
    expect(g.observe('d', { serialNo: 12, frontSerialNo: 11, at: t(2) })).toBeUndefined();
  });

  it('reports a gap once, with the serials and the time range to fetch again', () => {
    const g = new SerialGapTracker();
    g.observe('d', { serialNo: 10, frontSerialNo: 9, at: t(0) });
    expect(g.observe('d', { serialNo: 14, frontSerialNo: 13, at: t(30) })).toEqual({
      fromSerial: 11,
      toSerial: 13,
      from: t(0),
      to: t(30),
    });
    // The same event again, then the missing ones arriving late: no new gap.
    expect(g.observe('d', { serialNo: 14, frontSerialNo: 13, at: t(30) })).toBeUndefined();
    expect(
      g.observe('d', { serialNo: 12, frontSerialNo: 11, currentEvent: false, at: t(10) }),
    ).toBeUndefined();
    expect(g.observe('d', { serialNo: 15, frontSerialNo: 14, at: t(31) })).toBeUndefined();
  });

  it('keeps devices apart and takes the first event as the baseline', () => {
    const g = new SerialGapTracker();
    expect(g.observe('a', { serialNo: 500, frontSerialNo: 400, at: t(0) })).toBeUndefined();
    expect(g.observe('b', { serialNo: 1, frontSerialNo: 0, at: t(0) })).toBeUndefined();
    expect(g.observe('a', { serialNo: 501, frontSerialNo: 500, at: t(1) })).toBeUndefined();
  });

  it('starts a new baseline when the device numbering restarts', () => {
    const g = new SerialGapTracker(10, 16);
    g.observe('d', { serialNo: 9000, frontSerialNo: 8999, at: t(0) });
    expect(g.observe('d', { serialNo: 1, frontSerialNo: 0, at: t(5) })).toBeUndefined();
    expect(g.observe('d', { serialNo: 2, frontSerialNo: 1, at: t(6) })).toBeUndefined();
    expect(g.observe('d', { serialNo: 5, frontSerialNo: 4, at: t(9) })).toMatchObject({
      fromSerial: 3,
      toSerial: 4,
    });
  });

  it('ignores events without serial numbers and bounds its memory', () => {
    const g = new SerialGapTracker(2, 4);
    expect(g.observe('d', { at: t(0) })).toBeUndefined();
    g.observe('a', { serialNo: 1, at: t(0) });
    g.observe('b', { serialNo: 1, at: t(0) });
    g.observe('c', { serialNo: 1, at: t(0) });
    // 'a' was evicted: its next event is a new baseline, not a gap.
    expect(g.observe('a', { serialNo: 50, frontSerialNo: 49, at: t(1) })).toBeUndefined();
  });

  it('fuzz: the reported gaps cover exactly the serials that were never delivered', () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { minLength: 2, maxLength: 200 }), (delivered) => {
        const g = new SerialGapTracker();
        const missing = new Set<number>();
        delivered[0] = true;
        delivered[delivered.length - 1] = true;
        const reported = new Set<number>();
        delivered.forEach((d, i) => {
          const serial = 100 + i;
          if (!d) return missing.add(serial);
          const gap = g.observe('d', { serialNo: serial, frontSerialNo: serial - 1, at: t(i) });
          if (gap) {
            expect(gap.from.getTime()).toBeLessThanOrEqual(gap.to.getTime());
            for (let s = gap.fromSerial; s <= gap.toSerial; s++) reported.add(s);
          }
        });
        expect([...reported].sort()).toEqual([...missing].sort());
      }),
    );
  });
});
