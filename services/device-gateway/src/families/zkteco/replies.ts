/**
 * The text replies of the ZKTeco PUSH protocol: the options block of the start-up exchange, the PUSH
 * 3.x registry and push configuration, the `rtdata` time answer and the short `OK` / `ERROR:` replies.
 */
import { createHash } from 'node:crypto';
import { zoneOffsetMinutes } from '@realname/contracts';

/** The protocol version this gateway implements (sent as ServerVer / PushProtVer). */
export const ZK_PUSH_VERSION = '2.4.1';
/** What an access-control terminal (PUSH 3.x) is told. */
export const ZK_PUSH3_VERSION = '3.1.2';

export interface OptionsInput {
  sn: string;
  /** Last stamps acknowledged per table; undefined -> `None` (the device sends what it has). */
  stamps: { ATTLOG?: string; OPERLOG?: string; ATTPHOTO?: string };
  /** Seconds between `getrequest` polls. */
  delay: number;
  /** Seconds to wait after a failed request. */
  errorDelay: number;
  timeZone: string;
  now: Date;
}

/**
 * The reply to `GET /iclock/cdata?SN=..&options=all`. `Realtime=1` with `TransInterval=1` makes the
 * device upload each punch as it happens; TransTimes are the fallback batch upload times.
 */
export function renderOptions(o: OptionsInput): string {
  return [
    `GET OPTION FROM: ${o.sn}`,
    `ATTLOGStamp=${o.stamps.ATTLOG ?? 'None'}`,
    `OPERLOGStamp=${o.stamps.OPERLOG ?? 'None'}`,
    `ATTPHOTOStamp=${o.stamps.ATTPHOTO ?? 'None'}`,
    `ErrorDelay=${o.errorDelay}`,
    `Delay=${o.delay}`,
    'TransTimes=00:00;14:05',
    'TransInterval=1',
    'TransFlag=TransData AttLog OpLog AttPhoto EnrollUser ChgUser EnrollFP ChgFP UserPic FACE BioPhoto',
    `TimeZone=${zkTimeZone(o.now, o.timeZone)}`,
    'Realtime=1',
    'Encrypt=None',
    `ServerVer=${ZK_PUSH_VERSION}`,
    `PushProtVer=${ZK_PUSH_VERSION}`,
    '',
  ].join('\n');
}

/**
 * The TimeZone option: the zone's offset in whole hours (8 for Asia/Shanghai). A zone that is not a whole
 * number of hours from UTC is sent in minutes (e.g. 330), which PUSH firmware reads as minutes when
 * the value is outside -12..14.
 */
export function zkTimeZone(now: Date, timeZone: string): number {
  const minutes = zoneOffsetMinutes(now, timeZone);
  return minutes % 60 === 0 ? minutes / 60 : minutes;
}

/** `RegistryCode=` for `/iclock/registry`: stable per device, so a re-registering terminal gets the same code. */
export function registryCode(deviceId: string, serial: string): string {
  return createHash('sha256').update(`zkteco-registry:${deviceId}:${serial}`).digest('hex').slice(0, 16);
}

export function renderRegistry(code: string): string {
  return `RegistryCode=${code}\n`;
}

/** The configuration an access-control terminal reads from `/iclock/push` after registering. */
export function renderPushConfig(o: {
  code: string;
  delay: number;
  errorDelay: number;
  timeZone: string;
  now: Date;
}): string {
  return [
    `ServerVersion=${ZK_PUSH3_VERSION}`,
    'ServerName=ADMS',
    `PushVersion=${ZK_PUSH3_VERSION}`,
    `ErrorDelay=${o.errorDelay}`,
    `RequestDelay=${o.delay}`,
    'TransTimes=00:00;14:00',
    'TransInterval=1',
    'TransTables=User Transaction',
    'Realtime=1',
    `SessionID=${o.code}`,
    'TimeoutSec=10',
    `TimeZone=${zkTimeZone(o.now, o.timeZone)}`,
    '',
  ].join('\n');
}

/**
 * ZKTeco's packed time (seconds of a calendar where every month has 31 days, from 2000-01-01), used by
 * `GET /iclock/rtdata?type=time`: `DateTime=<packed>,ServerTZ=+0800`. Computed from the device-local wall clock.
 */
export function zkPackedTime(localTime: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(localTime);
  if (!m) throw new RangeError(`zkPackedTime: "${localTime}" is not YYYY-MM-DD HH:mm:ss`);
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number);
  return ((y - 2000) * 12 * 31 + (mo - 1) * 31 + (d - 1)) * 86400 + (h * 60 + mi) * 60 + s;
}

/** `+0800` for 480 minutes. */
export function tzDesignator(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}${String(abs % 60).padStart(2, '0')}`;
}

export const OK = 'OK';

export function okCount(n: number): string {
  return `OK:${n}`;
}

/** `ERROR: <what is wrong and what to do>`, one line, as a device logs it. */
export function errorReply(message: string): string {
  return `ERROR: ${message.replace(/[\r\n]+/g, ' ').slice(0, 400)}`;
}
