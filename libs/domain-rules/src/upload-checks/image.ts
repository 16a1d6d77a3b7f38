/**
 * What a Base64 payload really holds: its decoded size and, for images, its format read from the
 * first bytes (a file name or a data-URI label can lie; the bytes cannot).
 */

export type ImageFormat = 'jpeg' | 'png';

export type InspectedBase64 = { ok: true; bytes: number; format: ImageFormat | undefined } | { ok: false };

// Standard Base64 alphabet with up to two padding characters; line breaks are tolerated (MIME style).
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export function imageFormatOf(bytes: Uint8Array): ImageFormat | undefined {
  // JPEG: SOI marker FF D8 followed by the FF of the next marker.
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (bytes.length >= 8 && PNG_SIGNATURE.every((b, i) => bytes[i] === b)) return 'png';
  return undefined;
}

/** Decodes standard Base64 (not a data URI); `ok: false` when the text is not Base64 at all. */
export function inspectBase64(text: string): InspectedBase64 {
  const compact = text.replace(/[\r\n]/g, '');
  if (compact.length === 0 || !BASE64.test(compact)) return { ok: false };
  const bytes = Buffer.from(compact, 'base64');
  return { ok: true, bytes: bytes.length, format: imageFormatOf(bytes) };
}

/** Sizes are shown in whole kilobytes rounded up, so 51,201 bytes reads "51 KB, over 50 KB". */
export function kilobytes(bytes: number): number {
  return Math.ceil(bytes / 1024);
}
