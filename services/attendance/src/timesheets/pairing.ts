/**
 * Pairing punches into in/out intervals, the rules a site office can check by hand:
 * - a punch belongs to the attendance day of its instant, except that an out after the boundary that
 *   closes the last in of the previous day (a night shift) belongs to that day, if it comes within
 *   maxShiftHours of the in with nothing in between;
 * - a gate's repeated read (same direction within duplicateWithinSeconds of the previous kept punch of
 *   that direction) counts once; on a device without direction, any punch within that window of the
 *   previous kept one is a repeated read, since alternation would turn it into an in/out pair;
 * - a device without direction alternates: out while an in is open, else in (marked inferred);
 * - an in while another is open leaves that one incomplete; an out with no open in has a missing in;
 * - approved corrections (added ins and outs) take part like punches, are never dropped as repeats,
 *   and a later real punch repeating one of them counts once.
 * No I/O and no clock.
 */
import type { DayStatus, IntervalEnd, WorkInterval } from '@realname/contracts';
import { attendanceDayOf, DayRules, shiftDay } from './attendance-day';

export interface TimesheetPunch {
  punchEventId: string;
  /** RFC 3339 instant in UTC. */
  at: string;
  /** From the gate; 'unknown' for a device that does not tell. */
  direction: 'in' | 'out' | 'unknown';
}

/** An approved add-in or add-out correction standing in for a missing punch. */
export interface AddedEnd {
  correctionId: string;
  at: string;
  direction: 'in' | 'out';
}

/** An added end with the attendance day it was made for. */
export type DayAddedEnd = AddedEnd & { day: string };

type Item =
  { kind: 'punch'; punch: TimesheetPunch; ms: number } | { kind: 'added'; added: AddedEnd; ms: number };

function ms(at: string): number {
  const t = Date.parse(at);
  if (Number.isNaN(t)) throw new RangeError(`not an instant: "${at}"`);
  return t;
}

function idOf(item: Item): string {
  return item.kind === 'punch' ? item.punch.punchEventId : item.added.correctionId;
}

function byTime(a: Item, b: Item): number {
  return a.ms - b.ms || (idOf(a) < idOf(b) ? -1 : idOf(a) > idOf(b) ? 1 : 0);
}

function items(punches: TimesheetPunch[], added: AddedEnd[]): Item[] {
  const seen = new Set<string>();
  const list: Item[] = [];
  for (const punch of punches) {
    if (seen.has(punch.punchEventId)) continue;
    seen.add(punch.punchEventId);
    list.push({ kind: 'punch', punch, ms: ms(punch.at) });
  }
  for (const a of added) list.push({ kind: 'added', added: a, ms: ms(a.at) });
  return list.sort(byTime);
}

/** Reads one day's punches in time order: drops repeated reads and infers directions by alternation. */
class DayReader {
  private last?: { end: IntervalEnd; ms: number };
  private lastByDirection: { in?: number; out?: number } = {};

  constructor(private readonly duplicateWithinMs: number) {}

  get openIn(): { end: IntervalEnd; ms: number } | undefined {
    return this.last?.end.direction === 'in' ? this.last : undefined;
  }

  /** The end this item makes, without taking it; undefined when it repeats a kept one. */
  peek(item: Item): IntervalEnd | undefined {
    if (item.kind === 'added') {
      const { correctionId, at, direction } = item.added;
      return { at, correctionId, direction, inferred: false };
    }
    const { punchEventId, at, direction } = item.punch;
    if (direction === 'unknown') {
      if (this.last && item.ms - this.last.ms <= this.duplicateWithinMs) return undefined;
      return { at, punchEventId, direction: this.openIn ? 'out' : 'in', inferred: true };
    }
    const previous = this.lastByDirection[direction];
    if (previous !== undefined && item.ms - previous <= this.duplicateWithinMs) return undefined;
    return { at, punchEventId, direction, inferred: false };
  }

  /** Takes the item into the day; returns its end, or undefined when it was a repeated read. */
  take(item: Item): IntervalEnd | undefined {
    const end = this.peek(item);
    if (end) {
      this.last = { end, ms: item.ms };
      this.lastByDirection[end.direction] = item.ms;
    }
    return end;
  }
}

/**
 * Groups punches by attendance day, night shifts carried over to the day they began (see the rules
 * above). Each day's punches are in time order (ties by punchEventId), each punchEventId once.
 * `added` corrections, with the day they were made for, only inform the carry-over (an added in can be
 * closed by the next morning's out); they are not returned.
 */
export function assignToDays(
  punches: TimesheetPunch[],
  rules: DayRules,
  added: DayAddedEnd[] = [],
): Map<string, TimesheetPunch[]> {
  const dayOfAdded = new Map(added.map((a) => [a.correctionId, a.day]));
  const readers = new Map<string, DayReader>();
  const reader = (day: string) => {
    let r = readers.get(day);
    if (!r) readers.set(day, (r = new DayReader(rules.duplicateWithinSeconds * 1000)));
    return r;
  };
  const days = new Map<string, TimesheetPunch[]>();
  let previousDay: string | undefined;
  for (const item of items(punches, added)) {
    let day =
      item.kind === 'added'
        ? dayOfAdded.get(item.added.correctionId)!
        : attendanceDayOf(item.punch.at, rules);
    if (item.kind === 'punch' && previousDay !== undefined && shiftDay(previousDay, 1) === day) {
      const before = reader(previousDay);
      const end = before.peek(item);
      const open = before.openIn;
      const repeat = end === undefined;
      const closesNightShift =
        end?.direction === 'out' &&
        open !== undefined &&
        item.ms - open.ms <= rules.maxShiftHours * 3_600_000;
      if (repeat || closesNightShift) day = previousDay;
    }
    reader(day).take(item);
    previousDay = day;
    if (item.kind === 'punch') days.set(day, [...(days.get(day) ?? []), item.punch]);
  }
  return days;
}

export interface PairedDay {
  intervals: WorkInterval[];
  /** The earliest in. */
  firstIn?: string;
  /** The latest out. */
  lastOut?: string;
  workedMinutes: number;
  /** Real punches kept after dropping repeated reads; corrections are not counted. */
  punches: number;
}

/** Pairs one attendance day's punches and approved added ends into intervals (see the rules above). */
export function pairDay(punches: TimesheetPunch[], added: AddedEnd[], rules: DayRules): PairedDay {
  const reader = new DayReader(rules.duplicateWithinSeconds * 1000);
  const intervals: { in?: IntervalEnd; out?: IntervalEnd }[] = [];
  let open: { in?: IntervalEnd; out?: IntervalEnd } | undefined;
  let kept = 0;
  for (const item of items(punches, added)) {
    const end = reader.take(item);
    if (!end) continue;
    if (item.kind === 'punch') kept += 1;
    if (end.direction === 'in') {
      open = { in: end };
      intervals.push(open);
    } else if (open) {
      open.out = end;
      open = undefined;
    } else {
      intervals.push({ out: end });
    }
  }
  const complete = intervals.map((i) => ({
    ...i,
    minutes: i.in && i.out ? Math.floor((ms(i.out.at) - ms(i.in.at)) / 60_000) : 0,
  }));
  const ins = intervals.flatMap((i) => (i.in ? [i.in] : []));
  const outs = intervals.flatMap((i) => (i.out ? [i.out] : []));
  return {
    intervals: complete,
    firstIn: ins[0]?.at,
    lastOut: outs[outs.length - 1]?.at,
    workedMinutes: complete.reduce((sum, i) => sum + i.minutes, 0),
    punches: kept,
  };
}

/**
 * A day's status: leave when on approved leave; otherwise incomplete when an interval lacks an end,
 * present when all are complete; without punches, absent on a working day while entered, else rest.
 */
export function dayStatus(x: {
  intervals: WorkInterval[];
  calendarWorking: boolean;
  onLeave: boolean;
  entered: boolean;
}): DayStatus {
  if (x.onLeave) return 'leave';
  if (x.intervals.length > 0) return x.intervals.some((i) => !i.in || !i.out) ? 'incomplete' : 'present';
  return x.calendarWorking && x.entered ? 'absent' : 'rest';
}
