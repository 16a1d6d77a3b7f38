import { z } from 'zod';
import { Topics } from '../topics';
import { PunchDirection } from './device';
import { defineEvent, EventData } from './define';

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/**
 * Attendance accepted a punch into a person's day on a project.
 * Stream: the person-day (`attendance-<projectId>-<personId>-<day>`).
 */
export const AttendanceRecorded = defineEvent({
  type: 'realname.attendance.AttendanceRecorded',
  version: 1,
  topic: Topics.attendanceRecords.name,
  schema: z.object({
    /** The id of the PunchRecorded event this came from. */
    punchEventId: z.string().uuid(),
    projectId: z.string().min(1),
    personId: z.string().min(1),
    /** Local calendar day (Asia/Shanghai unless the device says otherwise), YYYY-MM-DD. */
    day: z.string().regex(DAY),
    punchedAt: z.string().datetime(),
    direction: PunchDirection,
    deviceId: z.string().min(1),
    deviceRecordId: z.string().min(1),
    verifyMode: z.string().min(1),
    receivedAt: z.string().datetime(),
  }),
});
export type AttendanceRecordedData = EventData<typeof AttendanceRecorded>;
