import { attendanceDeadline, DeadlineError, timeLeftBeforeDeadline } from './deadline';
import { ZHEJIANG_ATTENDANCE_DEADLINE } from './zhejiang/mapping';

describe('daily attendance deadline', () => {
  it('puts Zhejiang 24:00 of a day at 16:00 UTC the same day (China Standard Time, UTC+8)', () => {
    expect(attendanceDeadline('2026-12-03', ZHEJIANG_ATTENDANCE_DEADLINE).toISOString()).toBe(
      '2026-12-03T16:00:00.000Z',
    );
    // The last day of a month rolls into the next month's first midnight.
    expect(attendanceDeadline('2026-12-31', ZHEJIANG_ATTENDANCE_DEADLINE).toISOString()).toBe(
      '2026-12-31T16:00:00.000Z',
    );
  });

  it('counts the time left, negative once the deadline has passed', () => {
    const tenToMidnight = new Date('2026-12-03T15:50:00.000Z');
    expect(timeLeftBeforeDeadline('2026-12-03', ZHEJIANG_ATTENDANCE_DEADLINE, tenToMidnight)).toBe(600_000);
    expect(timeLeftBeforeDeadline('2026-12-02', ZHEJIANG_ATTENDANCE_DEADLINE, tenToMidnight)).toBe(
      -85_800_000,
    );
  });

  it('follows a zone with daylight saving on the day it changes', () => {
    // Berlin moves to UTC+2 on 2026-03-29, so that day's midnight close is 22:00 UTC.
    expect(
      attendanceDeadline('2026-03-29', { localTime: '24:00', timeZone: 'Europe/Berlin' }).toISOString(),
    ).toBe('2026-03-29T22:00:00.000Z');
    expect(
      attendanceDeadline('2026-03-28', { localTime: '22:30', timeZone: 'Europe/Berlin' }).toISOString(),
    ).toBe('2026-03-28T21:30:00.000Z');
  });

  it('refuses days and times that do not exist', () => {
    expect(() => attendanceDeadline('2026-02-30', ZHEJIANG_ATTENDANCE_DEADLINE)).toThrow(DeadlineError);
    expect(() => attendanceDeadline('20261203', ZHEJIANG_ATTENDANCE_DEADLINE)).toThrow(DeadlineError);
    expect(() => attendanceDeadline('2026-12-03', { localTime: '24:30', timeZone: 'Asia/Shanghai' })).toThrow(
      DeadlineError,
    );
    expect(() => attendanceDeadline('2026-12-03', { localTime: '7:00', timeZone: 'Asia/Shanghai' })).toThrow(
      DeadlineError,
    );
  });
});
