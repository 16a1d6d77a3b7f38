import { AttendanceRecorded, PunchResolved } from './attendance';
import {
  AttendanceDayFinalised,
  AttendanceDayRevised,
  PayrollFindingCleared,
  PayrollFindingRaised,
} from './timesheets';
import {
  UploadDeadlineAtRisk,
  UploadDeadlineMet,
  UploadDeadlineMissed,
  UploadDeadlineRecovered,
} from './reporting';
import { DeviceCameOnline, DeviceClockSkewChanged, DeviceWentOffline, PunchRecorded } from './device';
import {
  EnrolmentCredentialsChanged,
  KeyPersonAppointed,
  KeyPersonMismatchDetected,
  KeyPersonMismatchResolved,
  ParticipantJoined,
  ProjectSynced,
  TeamFormed,
  WorkerBlacklisted,
  WorkerBlacklistLifted,
  WorkerEnrolled,
  WorkerEntered,
  WorkerExited,
} from './registry';

export * from './define';
export * from './device';
export * from './attendance';
export * from './timesheets';
export * from './registry';
export * from './reporting';

/** Every event of the platform by type: a name maps to exactly one definition. */
export const EventCatalog = {
  [PunchRecorded.type]: PunchRecorded,
  [DeviceWentOffline.type]: DeviceWentOffline,
  [DeviceCameOnline.type]: DeviceCameOnline,
  [DeviceClockSkewChanged.type]: DeviceClockSkewChanged,
  [AttendanceRecorded.type]: AttendanceRecorded,
  [PunchResolved.type]: PunchResolved,
  [AttendanceDayFinalised.type]: AttendanceDayFinalised,
  [AttendanceDayRevised.type]: AttendanceDayRevised,
  [PayrollFindingRaised.type]: PayrollFindingRaised,
  [PayrollFindingCleared.type]: PayrollFindingCleared,
  [ProjectSynced.type]: ProjectSynced,
  [ParticipantJoined.type]: ParticipantJoined,
  [TeamFormed.type]: TeamFormed,
  [KeyPersonMismatchDetected.type]: KeyPersonMismatchDetected,
  [KeyPersonMismatchResolved.type]: KeyPersonMismatchResolved,
  [KeyPersonAppointed.type]: KeyPersonAppointed,
  [WorkerEnrolled.type]: WorkerEnrolled,
  [WorkerEntered.type]: WorkerEntered,
  [WorkerExited.type]: WorkerExited,
  [EnrolmentCredentialsChanged.type]: EnrolmentCredentialsChanged,
  [WorkerBlacklisted.type]: WorkerBlacklisted,
  [WorkerBlacklistLifted.type]: WorkerBlacklistLifted,
  [UploadDeadlineAtRisk.type]: UploadDeadlineAtRisk,
  [UploadDeadlineRecovered.type]: UploadDeadlineRecovered,
  [UploadDeadlineMissed.type]: UploadDeadlineMissed,
  [UploadDeadlineMet.type]: UploadDeadlineMet,
} as const;
export type EventType = keyof typeof EventCatalog;

/** The topic an event type is published on, or undefined if it stays inside its service. */
export function topicOf(type: string): string | undefined {
  return (EventCatalog as Record<string, { topic?: string }>)[type]?.topic;
}
