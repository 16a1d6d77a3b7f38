import { createEvent, parseEvent, topicOf, Topics, toKafkaRecord } from '../index';
import {
  UploadDeadlineAtRisk,
  UploadDeadlineMet,
  UploadDeadlineMissed,
  UploadDeadlineRecovered,
} from './reporting';

const data = {
  target: 'zhejiang',
  projectId: '330106202401150001',
  region: '330106',
  day: '2026-12-03',
  deadline: '2026-12-03T16:00:00Z',
  minutesLeft: 45,
  counts: { expected: 12, accepted: 9, pending: 3, rejected: 0 },
  reason: 'deadline-near' as const,
};
const opts = {
  source: '/realname/reporting',
  subject: 'upload-deadline-zhejiang-330106202401150001-2026-12-03',
  region: '330106',
};

describe('reporting deadline events', () => {
  it('are published on reporting.deadlines.v1, keyed by the project-day stream', () => {
    for (const def of [
      UploadDeadlineAtRisk,
      UploadDeadlineRecovered,
      UploadDeadlineMissed,
      UploadDeadlineMet,
    ]) {
      expect(topicOf(def.type)).toBe('reporting.deadlines.v1');
    }
    expect(Topics.reportingDeadlines).toEqual({ name: 'reporting.deadlines.v1', partitions: 3 });
    const record = toKafkaRecord(createEvent(UploadDeadlineAtRisk, data, opts));
    expect(String(record.key)).toBe(opts.subject);
  });

  it('round-trip through the envelope', () => {
    const event = createEvent(
      UploadDeadlineMissed,
      { ...data, minutesLeft: -1, reason: 'records-not-accepted' },
      opts,
    );
    expect(parseEvent(UploadDeadlineMissed, JSON.parse(JSON.stringify(event))).data).toEqual({
      ...data,
      minutesLeft: -1,
      reason: 'records-not-accepted',
    });
  });

  it('refuse a field the contract does not declare, so no ID number or name can ride along', () => {
    expect(() =>
      createEvent(UploadDeadlineAtRisk, { ...data, idCardNumber: '330106199001012018' } as never, opts),
    ).toThrow(/idCardNumber|unrecognized/i);
    expect(() =>
      createEvent(
        UploadDeadlineAtRisk,
        { ...data, counts: { ...data.counts, workerName: 'x' } } as never,
        opts,
      ),
    ).toThrow();
  });

  it('refuse an unknown reason and a region that is no division code', () => {
    expect(() => createEvent(UploadDeadlineAtRisk, { ...data, reason: 'bad-luck' } as never, opts)).toThrow();
    expect(() => createEvent(UploadDeadlineAtRisk, { ...data, region: 'zj' }, opts)).toThrow();
  });
});
