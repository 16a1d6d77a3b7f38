import { z } from 'zod';
import { attendanceDeadline, DailyDeadline, DeadlineError } from '@realname/uplinks';
import { DEFAULT_DAILY_DEADLINE } from './deadline.rules';

/**
 * `UPLOAD_DEADLINES`: comma-separated `target=HH:mm` pairs, e.g. `zhejiang=24:00,national=24:00`, in
 * Asia/Shanghai; `HH:mm@Zone` names another zone. A target not listed keeps its profile's deadline,
 * else 24:00.
 */
export const uploadDeadlines = () =>
  z
    .string()
    .default('')
    .transform((text, ctx) => {
      const deadlines = new Map<string, DailyDeadline>();
      for (const part of text
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean)) {
        const [target, value, ...rest] = part.split('=');
        const [localTime, timeZone = DEFAULT_DAILY_DEADLINE.timeZone, ...more] = (value ?? '').split('@');
        const deadline = { localTime, timeZone };
        try {
          if (!target || rest.length > 0 || more.length > 0) throw new DeadlineError('malformed');
          attendanceDeadline('2026-01-01', deadline);
        } catch (err) {
          ctx.addIssue({
            code: z.ZodIssueCode.custom,
            message: `"${part}" must be target=HH:mm (00:00-24:00), optionally @Area/City: ${err instanceof Error ? err.message : String(err)}`,
          });
          continue;
        }
        if (deadlines.has(target)) {
          ctx.addIssue({ code: z.ZodIssueCode.custom, message: `target "${target}" is listed twice` });
          continue;
        }
        deadlines.set(target, deadline);
      }
      return deadlines as ReadonlyMap<string, DailyDeadline>;
    });

/** The deadline tracker's variables, spread into the service's configuration. */
export const deadlineConfig = () => ({
  UPLOAD_DEADLINES: uploadDeadlines(),
  /** A day not yet all upstream this many minutes before its deadline is at risk. */
  DEADLINE_AT_RISK_MINUTES: z.coerce.number().int().min(1).max(1_440).default(60),
  /** A record of the day failing this many times in a row (retriable errors): the uplink is failing. */
  DEADLINE_FAILURES_AT_RISK: z.coerce.number().int().min(1).max(1_000).default(3),
  /** A record of the day waiting this long (minutes): at risk, whatever the time left. */
  DEADLINE_PENDING_AT_RISK_MINUTES: z.coerce.number().int().min(1).max(1_440).default(30),
  /** How often the tracker looks at the open project-days. */
  DEADLINE_INTERVAL_MS: z.coerce.number().int().min(50).max(600_000).default(30_000),
  /** How many days back the tracker still looks at days not yet settled. */
  DEADLINE_LOOKBACK_DAYS: z.coerce.number().int().min(1).max(62).default(3),
});
