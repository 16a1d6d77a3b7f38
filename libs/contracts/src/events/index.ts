import { AttendanceRecorded } from './attendance';
import { PunchRecorded } from './device';

export * from './define';
export * from './device';
export * from './attendance';

/** Every event of the platform by type: a name maps to exactly one definition. */
export const EventCatalog = {
  [PunchRecorded.type]: PunchRecorded,
  [AttendanceRecorded.type]: AttendanceRecorded,
} as const;
export type EventType = keyof typeof EventCatalog;

/** The topic an event type is published on, or undefined if it stays inside its service. */
export function topicOf(type: string): string | undefined {
  return (EventCatalog as Record<string, { topic?: string }>)[type]?.topic;
}
