/**
 * Who is calling: the roles, the permission and the scope (a region, a project or an enterprise) the
 * platform knows, as carried by the caller's access token. See docs/access.md.
 */
export const ROLES = [
  'province-supervisor',
  'city-supervisor',
  'county-supervisor',
  'project-manager',
  'enterprise-user',
  'municipal-integrator',
  'device-administrator',
  'auditor',
  'platform-operator',
  'internal-service',
] as const;
export type Role = (typeof ROLES)[number];

/** Permissions granted on top of a role (a token claim of their own). */
export const PERMISSIONS = ['reveal-identity'] as const;
export type Permission = (typeof PERMISSIONS)[number];

export const SCOPE_KINDS = ['province', 'city', 'county', 'project', 'enterprise'] as const;
export type ScopeKind = (typeof SCOPE_KINDS)[number];

/**
 * What the caller may see and touch: a GB/T 2260 region code (`330000` a province, `330100` a city,
 * `330106` a county), a project id, or a unified social credit code (an enterprise).
 */
export interface CallerScope {
  kind: ScopeKind;
  code: string;
}

export interface Caller {
  /** The token's `sub`: a person, or the service account of a machine client. */
  subject: string;
  /** The OAuth client the token was issued to (`azp`, or `client_id`), when the token says. */
  clientId?: string;
  /** The platform roles the token carries (roles it does not know are left out). */
  roles: Role[];
  scope: CallerScope;
  permissions: Permission[];
  /** The token's `exp`, seconds since the epoch. */
  expiresAt: number;
  /**
   * The role this request acts in: the first of the route's roles the caller holds (the guard sets
   * it); recorded as the actor of the writes the request causes.
   */
  actingRole?: Role;
}

/** The actor of a write as events record it: subject, role acted in, scope `kind:code`. */
export function actorOf(caller: Caller): { subject: string; role: string; scope: string } {
  return {
    subject: caller.subject,
    role: caller.actingRole ?? caller.roles[0] ?? 'unknown',
    scope: `${caller.scope.kind}:${caller.scope.code}`,
  };
}

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

export function isPermission(value: unknown): value is Permission {
  return typeof value === 'string' && (PERMISSIONS as readonly string[]).includes(value);
}

export function hasRole(caller: Caller, ...roles: Role[]): boolean {
  return roles.some((r) => caller.roles.includes(r));
}

export function hasPermission(caller: Caller, permission: Permission): boolean {
  return caller.permissions.includes(permission);
}
