/**
 * `POST /iclock/cdata?SN=..&table=ATTPHOTO` (or `/iclock/fdata`): the photo taken at a punch. The body
 * is binary: text header lines (`PIN=<YYYYMMDDHHmmss>-<pin>.jpg`, `SN=..`, `size=<bytes>`,
 * `CMD=uploadphoto`), one NUL byte, then the raw JPEG. When `size` is given and more bytes follow the
 * image, another header-NUL-image part is read (firmware that batches photos).
 *
 * Some firmware declares a `size` that differs from the JPEG it sends (606 declared, 612 sent). The
 * photo is then the bytes the body holds for it: from the JPEG start marker (FF D8) to the end marker
 * (FF D9) that is followed by the next part's header or the end of the body. The photo keeps the
 * declared size (`declaredSize`), so the mismatch is reported rather than the tail read as a bad part.
 */
import { parseDeviceTime } from '@realname/contracts';
import { ZK_PIN } from './attlog';
import { lineError, LineError, LinesResult, parseKeyValues } from './zkteco-text';

export interface AttPhoto {
  /** 1-based position of the photo in the body. */
  part: number;
  /** Where its header starts and its image ends in the body (to keep one photo's bytes of several). */
  start: number;
  end: number;
  pin: string;
  /** `YYYY-MM-DD HH:mm:ss`, from the file name. */
  time: string;
  punchedAt: Date;
  fileName: string;
  bytes: Buffer;
  contentType: 'image/jpeg';
  sn?: string;
  /** The header's `size=`, only when it differs from `bytes.length` (the bytes the body held were taken). */
  declaredSize?: number;
  /** False when the image does not end with the JPEG end marker FF D9 (kept, but probably cut short). */
  complete: boolean;
}

const SOI = Buffer.from([0xff, 0xd8]);
const EOI = Buffer.from([0xff, 0xd9]);
/** A part's header starts with one of its keys (firmware sends PIN first, some SN or size first). */
const HEADER_START = /^(PIN|SN|size|CMD)=/i;

const FILE_NAME = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})-(.+)\.jpe?g$/i;
const MAX_HEADER = 4096;
const MAX_PARTS = 50;

/** Parses every photo in the body; a part that cannot be used is an error naming the field, and ends the parse. */
export function parseAttphoto(body: Buffer, timeZone: string): LinesResult<AttPhoto> {
  const out: LinesResult<AttPhoto> = { records: [], errors: [] };
  let offset = skipBlank(body, 0);
  for (let part = 1; offset < body.length && part <= MAX_PARTS; part++) {
    const step = readPart(body, offset, part, timeZone);
    if ('error' in step) {
      out.errors.push(step.error);
      if (step.next === undefined) break;
    } else out.records.push(step.photo);
    offset = skipBlank(body, step.next ?? body.length);
  }
  return out;
}

type Step = { photo: AttPhoto; next: number } | { error: LineError; next?: number };

function readPart(body: Buffer, offset: number, part: number, timeZone: string): Step {
  const nul = body.indexOf(0, offset);
  const headerEnd = nul < 0 ? Math.min(body.length, offset + MAX_HEADER) : nul;
  const headerText = body.subarray(offset, headerEnd).toString('latin1');
  if (nul < 0)
    return fail(
      part,
      '(body)',
      'has no NUL byte after the header: send the header lines, one NUL byte, then the JPEG bytes',
      headerText,
    );
  if (nul - offset > MAX_HEADER)
    return fail(
      part,
      '(header)',
      `is longer than ${MAX_HEADER} bytes: only PIN, SN, size and CMD lines belong there`,
      headerText,
    );
  const header = parseKeyValues(headerText, '\n');
  const start = nul + 1;
  const sized = imageBytes(body, start, header.get('size'), part, headerText);
  if ('error' in sized) return sized;
  const named = fromFileName(header.get('pin'), timeZone, part, headerText);
  if ('error' in named) return { error: named.error, next: sized.next };
  if (sized.bytes.length < 3 || sized.bytes[0] !== 0xff || sized.bytes[1] !== 0xd8)
    return fail(
      part,
      '(image)',
      'is not a JPEG (it must start with the bytes FF D8): upload the photo as a JPEG',
      headerText,
      sized.next,
    );
  const photo: AttPhoto = {
    part,
    start: offset,
    end: sized.next,
    ...named,
    bytes: Buffer.from(sized.bytes),
    contentType: 'image/jpeg',
    complete: endsWithEoi(sized.bytes),
  };
  const sn = header.get('sn');
  if (sn) photo.sn = sn;
  if (sized.declared !== undefined && sized.declared !== sized.bytes.length)
    photo.declaredSize = sized.declared;
  return { photo, next: sized.next };
}

/** What is irregular about a photo that was taken anyway (size mismatch, no end marker), for the logs. */
export function photoIrregularity(p: AttPhoto): string | undefined {
  const notes: string[] = [];
  if (p.declaredSize !== undefined)
    notes.push(
      `size=${p.declaredSize} but the JPEG sent is ${p.bytes.length} bytes (${p.bytes.length - p.declaredSize > 0 ? '+' : ''}${p.bytes.length - p.declaredSize}); the ${p.bytes.length} bytes were taken`,
    );
  if (!p.complete) notes.push('the image does not end with FF D9 (JPEG end marker): it may be cut short');
  return notes.length > 0 ? `part ${p.part}: ${notes.join('; ')}` : undefined;
}

function imageBytes(
  body: Buffer,
  start: number,
  size: string | undefined,
  part: number,
  headerText: string,
): { bytes: Buffer; next: number; declared?: number } | { error: LineError; next?: number } {
  if (size === undefined || size === '') return { bytes: body.subarray(start), next: body.length };
  if (!/^\d{1,9}$/.test(size))
    return fail(
      part,
      'size',
      `"${size.slice(0, 16)}" is not a byte count: send size=<number of JPEG bytes>`,
      headerText,
    );
  const n = Number(size);
  const declaredEnd = start + n;
  const fits = declaredEnd <= body.length;
  // The JPEG the body holds ends at its first end marker that is followed by the next part or the end.
  // A declared size is taken only when it lands exactly there: one that is too large could otherwise
  // reach the end marker of a later photo and swallow the parts in between.
  const end = jpegEnd(body, start);
  if (end !== undefined) return { bytes: body.subarray(start, end), next: end, declared: n };
  if (!fits)
    return fail(
      part,
      'size',
      `says ${n} bytes but only ${body.length - start} follow the header and they hold no complete JPEG (FF D8 ... FF D9): the upload was cut short, send it again`,
      headerText,
    );
  return { bytes: body.subarray(start, declaredEnd), next: declaredEnd, declared: n };
}

/**
 * The end of the JPEG that starts at `start`: just after the first end marker FF D9 that is followed by
 * the end of the body or the next part's header (an embedded thumbnail's end marker is followed by more
 * image data, so it is passed over).
 */
function jpegEnd(body: Buffer, start: number): number | undefined {
  if (!body.subarray(start, start + 2).equals(SOI)) return undefined;
  for (let i = body.indexOf(EOI, start + 2); i >= 0; i = body.indexOf(EOI, i + 1))
    if (partEndsAt(body, i + 2)) return i + 2;
  return undefined;
}

/** True when only blanks follow `offset`, or blanks then another part's header (key=..., then a NUL). */
function partEndsAt(body: Buffer, offset: number): boolean {
  const next = skipBlank(body, offset);
  if (next >= body.length) return true;
  const nul = body.indexOf(0, next);
  if (nul < 0 || nul - next > MAX_HEADER) return false;
  return HEADER_START.test(body.subarray(next, Math.min(nul, next + 8)).toString('latin1'));
}

function endsWithEoi(bytes: Buffer): boolean {
  return bytes.length >= 4 && bytes.subarray(bytes.length - 2).equals(EOI);
}

function fromFileName(
  fileName: string | undefined,
  timeZone: string,
  part: number,
  headerText: string,
): { pin: string; time: string; punchedAt: Date; fileName: string } | { error: LineError } {
  const m = FILE_NAME.exec(fileName ?? '');
  if (!m || !fileName)
    return fail(
      part,
      'PIN',
      'must name the photo <YYYYMMDDHHmmss>-<pin>.jpg, e.g. PIN=20261121074102-10001.jpg',
      headerText,
    );
  const [, y, mo, d, h, mi, s, pin] = m;
  if (!ZK_PIN.test(pin))
    return fail(
      part,
      'PIN',
      `"${pin.slice(0, 32)}" is not a user PIN: 1-24 letters or digits after the time`,
      headerText,
    );
  const time = `${y}-${mo}-${d} ${h}:${mi}:${s}`;
  const punchedAt = parseDeviceTime(time, timeZone);
  if (!punchedAt)
    return fail(
      part,
      'PIN',
      `the time ${m.slice(1, 7).join('')} in the file name is not a valid YYYYMMDDHHmmss`,
      headerText,
    );
  return { pin, time, punchedAt, fileName };
}

function fail(
  part: number,
  field: string,
  message: string,
  text: string,
  next?: number,
): { error: LineError; next?: number } {
  return next === undefined
    ? { error: lineError(part, field, message, text) }
    : { error: lineError(part, field, message, text), next };
}

/** Skips CR, LF and spaces between parts (some firmware ends the body with a line break). */
function skipBlank(body: Buffer, offset: number): number {
  let i = offset;
  while (i < body.length && (body[i] === 0x0a || body[i] === 0x0d || body[i] === 0x20)) i++;
  return i;
}
