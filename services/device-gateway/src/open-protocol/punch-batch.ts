import { z } from 'zod';
import { FieldProblem, parseDeviceTime, PunchDirection, zodProblems } from '@realname/contracts';

/** One punch as a device sends it on the open protocol v1. */
export const OpenPunch = z
  .object({
    recordId: z.string().min(1).max(64, 'must be at most 64 characters'),
    personId: z.string().min(1).max(64, 'must be at most 64 characters'),
    time: z
      .string()
      .min(1, 'is required: RFC 3339 with offset, or local "YYYY-MM-DD HH:mm:ss" in the device zone'),
    direction: PunchDirection.optional(),
    verifyMode: z
      .enum(['face', 'card', 'fingerprint', 'password', 'qr', 'idcard', 'iris', 'other'])
      .default('other'),
  })
  .strict();
export type OpenPunch = z.infer<typeof OpenPunch>;

export interface ParsedPunch extends OpenPunch {
  punchedAt: Date;
}

export type BatchParse = { ok: true; punches: ParsedPunch[] } | { ok: false; problems: FieldProblem[] };

/** Validates a whole batch and reports every bad field (`punches[3].time`), not only the first. */
export function parsePunchBatch(body: unknown, timeZone: string, maxBatch: number): BatchParse {
  const schema = z
    .object({
      punches: z
        .array(OpenPunch)
        .min(1, 'must hold at least one punch')
        .max(maxBatch, `must hold at most ${maxBatch} punches`),
    })
    .strict();
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    return {
      ok: false,
      problems: zodProblems(parsed.error).map((p) => ({
        ...p,
        field: p.field.replace(/^punches\.(\d+)/, 'punches[$1]'),
      })),
    };
  }
  const problems: FieldProblem[] = [];
  const punches: ParsedPunch[] = [];
  parsed.data.punches.forEach((p, i) => {
    const punchedAt = parseDeviceTime(p.time, timeZone);
    if (!punchedAt) {
      problems.push({
        field: `punches[${i}].time`,
        message: `"${p.time.slice(0, 40)}" is not a time: send RFC 3339 with offset (2026-11-21T08:01:02+08:00) or local "2026-11-21 08:01:02"`,
      });
    } else punches.push({ ...p, punchedAt });
  });
  return problems.length ? { ok: false, problems } : { ok: true, punches };
}
