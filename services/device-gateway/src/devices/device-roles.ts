import type { Role } from '@realname/platform';

/**
 * Who may call what on the gateway's admin API (docs/access.md, "Device gateway"), always within the
 * caller's scope: device administrators run the devices of their region; supervisors watch them and
 * see what they recorded; municipal systems, project managers and platform operators see the devices
 * themselves but nothing a device recorded about a person. Auditors get nothing here.
 */
export const SUPERVISORS: Role[] = ['province-supervisor', 'city-supervisor', 'county-supervisor'];

/** Registering, updating, enabling, rotating credentials, person sync, backfills. */
export const DEVICE_WRITERS: Role[] = ['device-administrator'];

/** The devices themselves: state, last seen, clock skew, URLs, backfills (no personal data). */
export const DEVICE_READERS: Role[] = [
  'device-administrator',
  ...SUPERVISORS,
  'municipal-integrator',
  'project-manager',
  'platform-operator',
];

/**
 * Refused and ignored requests: their samples are the first bytes of what a device sent, which may
 * name a person, so not for platform operators or project managers.
 */
export const REFUSED_READERS: Role[] = ['device-administrator', ...SUPERVISORS, 'municipal-integrator'];

/** Commands (person issuance: names, card numbers, faces) and records (person ids, punch times, photos). */
export const PERSONAL_DATA_READERS: Role[] = ['device-administrator', ...SUPERVISORS];

/** Punch snapshots and faces by content address: supervisors, for photos a device of their scope took. */
export const PHOTO_READERS: Role[] = [...SUPERVISORS];
