import { Counter, Histogram, Registry } from 'prom-client';
import type { PunchResult } from './punch';

export type RequestOutcome = 'accepted' | 'ignored' | 'unauthenticated' | 'malformed';

/** The ingestion's Prometheus metrics; without a registry, nothing is counted. */
export class IngestMetrics {
  private readonly punches?: Counter<'result' | 'protocol'>;
  private readonly requests?: Counter<'outcome' | 'protocol'>;
  private readonly photosDropped?: Counter<'protocol'>;
  private readonly batchSize?: Histogram;

  constructor(registry?: Registry) {
    if (!registry) return;
    this.punches = new Counter({
      name: 'gateway_punches_total',
      help: 'Punches received from devices, by result (accepted, duplicate, collapsed, rejected) and family',
      labelNames: ['result', 'protocol'],
      registers: [registry],
    });
    this.requests = new Counter({
      name: 'gateway_requests_total',
      help: 'Device requests by outcome (accepted, ignored, unauthenticated, malformed) and family',
      labelNames: ['outcome', 'protocol'],
      registers: [registry],
    });
    this.photosDropped = new Counter({
      name: 'gateway_photos_dropped_total',
      help: 'Photos not stored because they exceeded the size limit (the punch was kept)',
      labelNames: ['protocol'],
      registers: [registry],
    });
    this.batchSize = new Histogram({
      name: 'gateway_ingest_group_commit_requests',
      help: 'Device requests committed together in one transaction',
      buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500],
      registers: [registry],
    });
  }

  /** A request whose punches were stored. */
  stored(protocol: string, results: PunchResult[]): void {
    for (const st of ['accepted', 'duplicate', 'collapsed'] as const) {
      const n = results.filter((r) => r.status === st).length;
      if (n > 0) this.punches?.inc({ result: st, protocol }, n);
    }
    this.request(protocol, 'accepted');
  }

  request(protocol: string, outcome: RequestOutcome, rejectedPunches = 0): void {
    this.requests?.inc({ outcome, protocol });
    if (rejectedPunches > 0) this.punches?.inc({ result: 'rejected', protocol }, rejectedPunches);
  }

  photoDropped(protocol: string): void {
    this.photosDropped?.inc({ protocol });
  }

  groupCommit(requests: number): void {
    this.batchSize?.observe(requests);
  }
}
