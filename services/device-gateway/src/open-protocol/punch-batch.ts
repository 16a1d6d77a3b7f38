import { z } from 'zod';
import {
  FieldProblem,
  OPEN_V1_LIMITS,
  OPEN_V1_VERIFY_MODES,
  parseDeviceTime,
  PunchDirection,
} from '@realname/contracts';
import { wireProblems } from './wire';

/** A backfill id as the gateway hands it out in a records.query command. */
export const BACKFILL_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/** One punch as a device sends it on the open protocol v1. */
export const OpenPunch = z
  .object({
    recordId: z.string().min(1).max(64, 'must be at most 64 characters'),
    personId: z.string().min(1).max(64, 'must be at most 64 characters'),
    time: z
      .string()
      .min(1, 'is required: RFC 3339 with offset, or local "YYYY-MM-DD HH:mm:ss" in the device zone'),
    direction: PunchDirection.optional(),
    verifyMode: z.enum(OPEN_V1_VERIFY_MODES).default('other'),
    /** Base64 JPEG; checked (alphabet, size, JPEG signature) once the shape of the batch is right. */
    photo: z.string().optional(),
  })
  .strict();
export type OpenPunch = z.infer<typeof OpenPunch>;

export interface PunchPhoto {
  bytes: Buffer;
  contentType: 'image/jpeg';
}

export interface ParsedPunch extends Omit<OpenPunch, 'photo'> {
  punchedAt: Date;
  photo?: PunchPhoto;
}

export type BatchParse =
  { ok: true; punches: ParsedPunch[]; backfillId?: string } | { ok: false; problems: FieldProblem[] };

export interface BatchOptions {
  /** Largest photo in bytes after base64 decoding (default OPEN_V1_LIMITS.maxPhotoBytes). */
  maxPhotoBytes?: number;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Validates a whole batch and reports every bad field (`punches[3].time`), not only the first. Either
 * every punch is returned, parsed, or none is: a refused batch is refused as a whole. Never throws.
 */
export function parsePunchBatch(
  body: unknown,
  timeZone: string,
  maxBatch: number,
  options: BatchOptions = {},
): BatchParse {
  const maxPhotoBytes = options.maxPhotoBytes ?? OPEN_V1_LIMITS.maxPhotoBytes;
  const schema = z
    .object({
      punches: z
        .array(OpenPunch)
        .min(1, 'must hold at least one punch')
        .max(maxBatch, `must hold at most ${maxBatch} punches`),
      backfillId: z
        .string()
        .regex(BACKFILL_ID, 'must be the backfillId of the records.query command this upload answers')
        .optional(),
    })
    .strict();
  const parsed = schema.safeParse(body);
  if (!parsed.success) return { ok: false, problems: wireProblems(parsed.error) };

  const problems: FieldProblem[] = [];
  const punches: ParsedPunch[] = [];
  parsed.data.punches.forEach((p, i) => {
    const punchedAt = parseDeviceTime(p.time, timeZone);
    if (!punchedAt) {
      problems.push({
        field: `punches[${i}].time`,
        message: `"${p.time.slice(0, 40)}" is not a time: send RFC 3339 with offset (2026-11-21T08:01:02+08:00) or local "2026-11-21 08:01:02"`,
      });
    }
    let photo: PunchPhoto | undefined;
    if (p.photo !== undefined) {
      const checked = decodePhoto(p.photo, maxPhotoBytes);
      if (typeof checked === 'string') problems.push({ field: `punches[${i}].photo`, message: checked });
      else photo = checked;
    }
    if (punchedAt) {
      const { photo: _text, ...rest } = p;
      punches.push({ ...rest, punchedAt, ...(photo ? { photo } : {}) });
    }
  });
  if (problems.length) return { ok: false, problems };
  return parsed.data.backfillId !== undefined
    ? { ok: true, punches, backfillId: parsed.data.backfillId }
    : { ok: true, punches };
}

/** The JPEG bytes of a base64 photo, or why they are not acceptable. */
export function decodePhoto(text: string, maxBytes: number): PunchPhoto | string {
  if (text.length === 0) return 'is empty: leave the field out when there is no photo';
  // Size first, from the length alone, so that an oversized photo is never decoded.
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const size = Math.floor((text.length * 3) / 4) - padding;
  if (size > maxBytes) {
    return `is ${size} bytes; this gateway takes photos of at most ${maxBytes} bytes: send a smaller JPEG, or the punch without its photo`;
  }
  if (text.length % 4 !== 0 || !BASE64.test(text)) {
    return 'is not standard base64 (RFC 4648 section 4, with padding, no line breaks, no data: prefix)';
  }
  const bytes = Buffer.from(text, 'base64');
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8 || bytes[2] !== 0xff) {
    return 'is not a JPEG (it must start with the bytes FF D8 FF)';
  }
  return { bytes, contentType: 'image/jpeg' };
}
