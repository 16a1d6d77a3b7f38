import type { DayCounts, PunchPage, PunchView, RegionDays, UnresolvedPunchPage } from './attendance';

/*
 * Examples of the attendance REST answers for the OpenAPI document. The projects are one of Xihu
 * (Hangzhou, 330106) and one of Ningbo (330203), the ones the API fuzzing stage puts punches in.
 */

export const PROJECT_EXAMPLE = { projectId: ['330106202401150001', '330203202402010001'] };

const RESOLVED_PUNCH: PunchView = {
  eventId: '0193a8c4-8f6e-7cc1-a1b2-3c4d5e6f7a8b',
  projectId: '330106202401150001',
  personId: '1',
  day: '2026-11-20',
  punchedAt: '2026-11-20T00:00:01.000Z',
  direction: 'in',
  deviceId: 'gate-330106',
  deviceRecordId: '000001',
  verifyMode: 'face',
  receivedAt: '2026-11-20T00:00:01.000Z',
  sequence: '1042',
  resolutionStatus: 'resolved',
  unresolvedReason: null,
  enrolmentId: 'en-330106-1',
  workerId: 'w-1',
  workerName: '工人1',
  maskedIdNumber: '3301**********0001',
  teamId: 'team-91330106MA2H4K7N15',
  teamName: '钢筋班',
  participantId: 'pa-91330106MA2H4K7N15',
  corpName: '杭州某某劳务有限公司',
  workType: '钢筋工',
};

const UNRESOLVED_PUNCH: PunchView = {
  ...RESOLVED_PUNCH,
  eventId: '0193a8c4-8f6e-7cc1-a1b2-3c4d5e6f7a8c',
  personId: '9999',
  deviceRecordId: '000002',
  sequence: '1043',
  resolutionStatus: 'unresolved',
  unresolvedReason: 'unknown-person',
  enrolmentId: null,
  workerId: null,
  workerName: null,
  maskedIdNumber: null,
  teamId: null,
  teamName: null,
  participantId: null,
  corpName: null,
  workType: null,
};

export const PUNCH_PAGE_EXAMPLE: PunchPage = {
  punches: [RESOLVED_PUNCH, UNRESOLVED_PUNCH],
  nextPageToken: '',
  totalCount: 2,
};

export const UNRESOLVED_PAGE_EXAMPLE: UnresolvedPunchPage = {
  punches: [UNRESOLVED_PUNCH],
  nextPageToken: '',
  totalCount: 1,
  reasons: { 'unknown-person': 1, 'not-entered': 0, exited: 0, 'recorded-before-resolution': 0 },
};

export const DAY_COUNTS_EXAMPLE: DayCounts = { days: [{ day: '2026-11-20', punches: 5, persons: 4 }] };

export const REGION_DAYS_EXAMPLE: RegionDays = {
  rows: [{ region: '330106', day: '2026-11-20', punches: 5, projects: 1 }],
};
