/**
 * Per-target properties the reporting service needs beyond the adapter interface, kept beside it in a
 * new module: the daily attendance deadline (Zhejiang: the day's attendance upstream before 24:00 of
 * that day, Asia/Shanghai) and how to turn it into an instant for a given day.
 */
import { UplinkProfile } from './uplink';

/** A local wall-clock time in an IANA zone by which the day's attendance must be upstream. */
export interface DailyDeadline {
  /** `HH:mm`; `24:00` means the end of the day itself (midnight that closes it). */
  readonly localTime: string;
  readonly timeZone: string;
}

/** A profile with the target's deadline; undefined when the target publishes none (it wants real time). */
export interface TargetProfile extends UplinkProfile {
  readonly dailyAttendanceDeadline?: DailyDeadline;
}

export class DeadlineError extends Error {
  override readonly name = 'DeadlineError';
}

/** Milliseconds the zone is ahead of UTC at `instant`, read from the platform's time-zone database. */
function zoneOffsetMs(instant: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(instant));
  const part = (type: string): number => Number(parts.find((p) => p.type === type)?.value);
  const asUtc = Date.UTC(
    part('year'),
    part('month') - 1,
    part('day'),
    part('hour'),
    part('minute'),
    part('second'),
  );
  return asUtc - Math.floor(instant / 1000) * 1000;
}

/** The instant of the deadline of attendance day `day` (`yyyy-MM-dd`, the target's local calendar). */
export function attendanceDeadline(day: string, deadline: DailyDeadline): Date {
  const date = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  const time = /^(\d{2}):(\d{2})$/.exec(deadline.localTime);
  if (!date) throw new DeadlineError(`"${day}" is not a yyyy-MM-dd day`);
  if (!time || Number(time[1]) > 24 || Number(time[2]) > 59 || (time[1] === '24' && time[2] !== '00'))
    throw new DeadlineError(`"${deadline.localTime}" is not an HH:mm time up to 24:00`);
  const [year, month, dayOfMonth] = date.slice(1).map(Number);
  // Date.UTC rolls hour 24 over into the next day, which is exactly what "24:00" means.
  const wall = Date.UTC(year, month - 1, dayOfMonth, Number(time[1]), Number(time[2]));
  if (new Date(Date.UTC(year, month - 1, dayOfMonth)).toISOString().slice(0, 10) !== day)
    throw new DeadlineError(`"${day}" is not a real day`);
  // Two passes: the offset at the first guess may differ across a daylight-saving change.
  let instant = wall - zoneOffsetMs(wall, deadline.timeZone);
  instant = wall - zoneOffsetMs(instant, deadline.timeZone);
  return new Date(instant);
}

/** Milliseconds left before the deadline of `day` at `now`; negative once it has passed. */
export function timeLeftBeforeDeadline(day: string, deadline: DailyDeadline, now: Date): number {
  return attendanceDeadline(day, deadline).getTime() - now.getTime();
}
