import type { Role } from '@realname/platform';

/**
 * Who may call what on the registry (docs/access.md, "Worker registry"). Supervisors read everything
 * in their region and blacklist; project managers and municipal systems do the site's writes; an
 * enterprise reads its own units, teams and workers; auditors read audit trails only. Device
 * administrators, auditors and platform operators never get personal data from these lists.
 */
export const SUPERVISORS: Role[] = ['province-supervisor', 'city-supervisor', 'county-supervisor'];

/** Reads of projects, enterprises, workers (masked), enrolments and trainings. */
export const READERS: Role[] = [...SUPERVISORS, 'project-manager', 'enterprise-user', 'municipal-integrator'];

/** Registering workers, enrolling, contracts, trainings, entry and exit, teams, key persons, local project details. */
export const SITE_WRITERS: Role[] = ['project-manager', 'municipal-integrator'];

/** Resolving a credential (PIN, card, ID number) to an enrolment: not for enterprises (an ID-number lookup). */
export const CREDENTIAL_RESOLVERS: Role[] = [...SUPERVISORS, 'project-manager', 'municipal-integrator'];

/**
 * Revealing an identity needs the `reveal-identity` permission on top of one of these; internal-service
 * is reporting (its client holds the permission; the gateway's does not), which uploads the numbers.
 */
export const REVEALERS: Role[] = [...SUPERVISORS, 'municipal-integrator', 'internal-service'];

/** Head photos (biometric): the device gateway (client credentials) and supervisors. */
export const HEAD_PHOTO_READERS: Role[] = ['internal-service', ...SUPERVISORS];

/** Pulling the integrity platform's change feed now. */
export const SYNC_TRIGGERS: Role[] = ['platform-operator', 'province-supervisor'];

/** Where the integrity sync stands (no personal data). */
export const SYNC_READERS: Role[] = ['platform-operator', ...SUPERVISORS];
