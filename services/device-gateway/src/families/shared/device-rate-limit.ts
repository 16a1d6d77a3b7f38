import type { Request } from 'express';
import { Counter, Registry } from 'prom-client';
import { RateLimited, remoteAddress, TokenBuckets } from '@realname/platform';

/** Family label of the rate-limit metric (the device families, the open protocol, the site agent). */
export type LimitedFamily = 'zkteco-push' | 'hikvision-isapi' | 'uface' | 'httpv2' | 'open-v1' | 'site-agent';

/**
 * The per-device request limit of the device routes: one token bucket per authenticated device id, and
 * per remote address for requests that do not authenticate (so that claiming a device's id does not
 * use up that device's budget). Over the limit it throws {@link RateLimited}: each family renders it as
 * its own "later" reply with 429 and `Retry-After` (DeviceBusyFilter, the ZKTeco text reply, the
 * open-v1 and site-agent problem details).
 */
export class DeviceRateLimiter {
  private readonly buckets: TokenBuckets;
  private readonly limited: Counter<string>;

  constructor(options: { ratePerS: number; burst: number }, registry: Registry) {
    this.buckets = new TokenBuckets({ ...options, maxKeys: 200_000 });
    const name = 'gateway_device_requests_rate_limited_total';
    this.limited =
      (registry.getSingleMetric(name) as Counter<string> | undefined) ??
      new Counter({
        name,
        help: 'Device requests answered "later" (429) because the device (or address) was over its request rate',
        labelNames: ['family'],
        registers: [registry],
      });
  }

  /** Takes a request of `deviceId` (authenticated), or of the request's address when undefined; throws when over. */
  admit(req: Request, family: LimitedFamily, deviceId: string | undefined): void {
    const taken = this.buckets.take(deviceId ? `device:${deviceId}` : `ip:${remoteAddress(req)}`);
    if (taken.ok) return;
    this.limited.inc({ family });
    throw new RateLimited(
      taken.retryAfterS,
      `Too many requests from this device: send again after ${taken.retryAfterS} second(s).`,
    );
  }
}
