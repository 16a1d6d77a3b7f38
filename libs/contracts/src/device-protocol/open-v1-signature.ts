import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Open device protocol v1 signature: lower-case hex HMAC-SHA256, under the device's secret, of
 * `<timestamp>\n<raw body bytes>`, sent as `X-Signature: v1=<hex>`. See docs/device-protocol.md.
 */
export function signRequest(secret: string, timestamp: string, body: Buffer | string): string {
  const mac = createHmac('sha256', secret);
  mac.update(`${timestamp}\n`);
  mac.update(body);
  return `v1=${mac.digest('hex')}`;
}

export type SignatureCheck =
  | { ok: true }
  | {
      ok: false;
      reason: 'missing-headers' | 'bad-timestamp' | 'stale-timestamp' | 'bad-signature';
      detail: string;
    };

export function verifyRequest(
  secret: string,
  headers: { timestamp?: string; signature?: string },
  body: Buffer,
  nowMs: number,
  windowSeconds: number,
): SignatureCheck {
  if (!headers.timestamp || !headers.signature) {
    return {
      ok: false,
      reason: 'missing-headers',
      detail: 'X-Timestamp and X-Signature headers are required',
    };
  }
  if (!/^\d{9,11}$/.test(headers.timestamp)) {
    return { ok: false, reason: 'bad-timestamp', detail: 'X-Timestamp must be Unix time in whole seconds' };
  }
  const skew = Math.abs(nowMs / 1000 - Number(headers.timestamp));
  if (skew > windowSeconds) {
    return {
      ok: false,
      reason: 'stale-timestamp',
      detail: `X-Timestamp is ${Math.round(skew)} s away from the server clock (allowed: ${windowSeconds} s); set the device clock (NTP) and resend`,
    };
  }
  const expected = Buffer.from(signRequest(secret, headers.timestamp, body));
  const given = Buffer.from(headers.signature.trim());
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
    return {
      ok: false,
      reason: 'bad-signature',
      detail: "X-Signature does not match the body under this device's secret",
    };
  }
  return { ok: true };
}

/** Header names of the open protocol v1. */
export const OPEN_V1_HEADERS = {
  deviceId: 'X-Device-Id',
  timestamp: 'X-Timestamp',
  signature: 'X-Signature',
} as const;
