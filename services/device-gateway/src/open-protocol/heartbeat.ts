import { z } from 'zod';
import type { OpenV1Heartbeat, OpenV1HeartbeatReply, OpenV1PendingWork, Result } from '@realname/contracts';
import { parseOffsetTime, wireProblems } from './wire';

const count = z
  .number()
  .int('must be a whole number')
  .min(0, 'must not be negative')
  .max(100_000_000, 'must be at most 100000000');

export const HeartbeatBody = z
  .object({
    deviceTime: z.string().min(1).max(40, 'must be at most 40 characters'),
    firmware: z.string().min(1).max(64, 'must be at most 64 characters').optional(),
    personCount: count.optional(),
    storedRecords: count.optional(),
  })
  .strict();

export interface ParsedHeartbeat extends OpenV1Heartbeat {
  /** `deviceTime` as an instant: the device's reading of "now". */
  deviceClock: Date;
}

/** `POST /open/v1/heartbeat`: every bad field named; never throws. */
export function parseHeartbeat(body: unknown): Result<ParsedHeartbeat> {
  const parsed = HeartbeatBody.safeParse(body);
  if (!parsed.success) return { ok: false, problems: wireProblems(parsed.error) };
  const deviceClock = parseOffsetTime(parsed.data.deviceTime);
  if (!deviceClock) {
    return {
      ok: false,
      problems: [
        {
          field: 'deviceTime',
          message: `"${parsed.data.deviceTime}" is not RFC 3339 with an offset: send the device clock as 2026-11-21T07:41:02+08:00`,
        },
      ],
    };
  }
  return { ok: true, value: { ...parsed.data, deviceClock } };
}

/** The heartbeat reply from the queue's pending counts (records.verify is never sent to open-v1 devices). */
export function heartbeatReply(
  counts: Partial<Record<string, number>>,
  serverTime: Date,
  pollAfterS: number,
): OpenV1HeartbeatReply {
  const pending: OpenV1PendingWork = {
    personUpserts: counts['person.upsert'] ?? 0,
    personDeletes: counts['person.delete'] ?? 0,
    recordQueries: counts['records.query'] ?? 0,
  };
  return { serverTime: serverTime.toISOString(), pending, pollAfterS };
}
