/**
 * What every ZKTeco route works with: the identified device, the kept raw request, the query string,
 * and the reply it sends back (text, with the family's own status codes).
 */
import type { Device } from '../../devices/device';
import type { RawRequest } from '../../ingest/punch-ingestion';

export const ZK_PROTOCOL = 'zkteco-push';

export interface ZkRequest {
  device: Device;
  /** The SN the device called with (its registered serial). */
  sn: string;
  raw: RawRequest;
  /** Query parameters, keys lower-cased, first value of each. */
  query: Record<string, string>;
}

export interface ZkReply {
  status: number;
  text: string;
  /** The device language the text is encoded for (GB2312 when 83). */
  language?: string;
}

export function reply(status: number, text: string, language?: string): ZkReply {
  return language === undefined ? { status, text } : { status, text, language };
}

/** The raw request with only some of its body (the lines that were refused, one photo of several). */
export function withBody(raw: RawRequest, body: Buffer): RawRequest {
  return { ...raw, body };
}
