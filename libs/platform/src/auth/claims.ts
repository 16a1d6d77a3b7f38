import type { JWTPayload } from 'jose';
import { Caller, isPermission, isRole, Permission, Role, SCOPE_KINDS, ScopeKind } from './caller';
import { validScopeCode } from './scope';

/**
 * Where the token carries roles, permissions and scope. Names may be dotted paths into nested claims
 * (`realm_access.roles` for a Keycloak realm's default role claim, `resource_access.realname-api.roles`).
 */
export interface ClaimNames {
  roles: string;
  permissions: string;
  scopeKind: string;
  scope: string;
}

export const DEFAULT_CLAIM_NAMES: ClaimNames = {
  roles: 'realname_roles',
  permissions: 'realname_permissions',
  scopeKind: 'realname_scope_kind',
  scope: 'realname_scope',
};

export type ClaimMapping = { ok: true; caller: Caller } | { ok: false; reason: string };

/** Reads a claim by a dotted path; a claim whose own name has dots is found first. */
export function claimAt(payload: Record<string, unknown>, path: string): unknown {
  if (path in payload) return payload[path];
  let node: unknown = payload;
  for (const part of path.split('.')) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

/** A claim that is a list of strings, a single string, or a space-separated string. */
function stringList(value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  if (typeof value === 'string') return value.split(/[\s,]+/).filter(Boolean);
  return [];
}

function single(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && value.length === 1 && typeof value[0] === 'string') return value[0];
  return undefined;
}

/**
 * Maps a verified token's claims to the {@link Caller}. A token without a subject, without any role
 * the platform knows, or without a valid scope is refused (the reason says which claim is at fault):
 * the platform never guesses a scope.
 */
export function callerFromClaims(payload: JWTPayload, names: ClaimNames = DEFAULT_CLAIM_NAMES): ClaimMapping {
  const claims = payload as Record<string, unknown>;
  if (typeof payload.sub !== 'string' || payload.sub === '') {
    return { ok: false, reason: 'the token has no subject (sub)' };
  }
  const roles = [...new Set(stringList(claimAt(claims, names.roles)).filter(isRole))] as Role[];
  if (roles.length === 0) {
    return { ok: false, reason: `the token carries no role of this platform (claim ${names.roles})` };
  }
  const kind = single(claimAt(claims, names.scopeKind));
  if (kind === undefined || !(SCOPE_KINDS as readonly string[]).includes(kind)) {
    return {
      ok: false,
      reason: `the token carries no scope kind (claim ${names.scopeKind}: one of ${SCOPE_KINDS.join(', ')})`,
    };
  }
  const code = single(claimAt(claims, names.scope));
  if (code === undefined || !validScopeCode(kind as ScopeKind, code)) {
    return {
      ok: false,
      reason: `the token's scope (claim ${names.scope}) is missing or not a valid ${kind} code`,
    };
  }
  const permissions = [
    ...new Set(stringList(claimAt(claims, names.permissions)).filter(isPermission)),
  ] as Permission[];
  const clientId =
    typeof claims.azp === 'string'
      ? claims.azp
      : typeof claims.client_id === 'string'
        ? claims.client_id
        : undefined;
  return {
    ok: true,
    caller: {
      subject: payload.sub,
      ...(clientId !== undefined ? { clientId } : {}),
      roles,
      scope: { kind: kind as ScopeKind, code },
      permissions,
      expiresAt: typeof payload.exp === 'number' ? payload.exp : 0,
    },
  };
}
