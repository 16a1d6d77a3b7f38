/**
 * Every Kafka topic of the platform, created by the services with these partition counts
 * (broker auto-creation is off). Names follow `<domain>.<stream>.v<N>`; the key is the stream id.
 */
export interface TopicSpec {
  name: string;
  partitions: number;
  /** Retention in milliseconds; undefined keeps the broker default. */
  retentionMs?: number;
}

export const Topics = {
  devicePunches: { name: 'device.punches.v1', partitions: 6 },
  deviceStatus: { name: 'device.status.v1', partitions: 3 },
  attendanceRecords: { name: 'attendance.records.v1', partitions: 6 },
  attendanceDays: { name: 'attendance.days.v1', partitions: 6 },
  attendancePayroll: { name: 'attendance.payroll.v1', partitions: 3 },
  registryProjects: { name: 'registry.projects.v1', partitions: 3 },
  registryEnrolments: { name: 'registry.enrolments.v1', partitions: 6 },
  reportingDeadlines: { name: 'reporting.deadlines.v1', partitions: 3 },
} as const satisfies Record<string, TopicSpec>;

/** Messages a consumer gave up on, with the reason in headers; one topic per consuming service. */
export function deadLetterTopic(consumerGroup: string): TopicSpec {
  return { name: `dlq.${consumerGroup}.v1`, partitions: 1, retentionMs: 30 * 24 * 3600 * 1000 };
}

/**
 * Environments that share one Kafka cluster (staging beside production, or one test run beside
 * another) keep apart by a topic prefix; the empty prefix gives the names above.
 */
export function withTopicPrefix(prefix: string, spec: TopicSpec): TopicSpec {
  return { ...spec, name: `${prefix}${spec.name}` };
}

/** Event type -> topic name under a prefix, for the outbox relay of a service. */
export function prefixedTopicRouter(prefix: string, topicOfType: (type: string) => string | undefined) {
  return (type: string): string | undefined => {
    const topic = topicOfType(type);
    return topic && prefix + topic;
  };
}
