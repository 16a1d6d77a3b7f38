import type { Caller, CallerScope, ScopeKind } from './caller';

/** What a record says about where it belongs; a field that is absent cannot put it in scope. */
export interface ScopedRecord {
  /** The six-digit GB/T 2260 code of the record's region (a county, a city or a province). */
  region?: string;
  projectId?: string;
  /** The unified social credit code of the enterprise the record belongs to. */
  creditCode?: string;
}

const REGION = /^\d{6}$/;

/** The level of a six-digit region code: `330000` province, `330100` city, anything else county. */
export function regionLevel(code: string): 'province' | 'city' | 'county' {
  if (code.endsWith('0000')) return 'province';
  if (code.endsWith('00')) return 'city';
  return 'county';
}

/**
 * Whether region `scope` covers region `code`: a province covers its cities and counties (`33xxxx`), a
 * city its counties (`3301xx`), a county only itself. Both must be six-digit codes.
 */
export function regionCovers(scope: string, code: string): boolean {
  if (!REGION.test(scope) || !REGION.test(code)) return false;
  switch (regionLevel(scope)) {
    case 'province':
      return code.slice(0, 2) === scope.slice(0, 2);
    case 'city':
      return code.slice(0, 4) === scope.slice(0, 4);
    case 'county':
      return code === scope;
  }
}

/** The scope kind a region code is at (what a token's `kind` must say for that code). */
export function regionScopeKind(code: string): ScopeKind {
  return regionLevel(code);
}

/**
 * Whether `record` is within the caller's scope. Region scopes (province, city, county) cover records
 * by region hierarchy; a project scope covers the records of that project only; an enterprise scope
 * the records of that credit code only. A record that lacks the field the scope is about is out of
 * scope (a project manager never sees a record that names no project).
 */
export function inScope(caller: Pick<Caller, 'scope'>, record: ScopedRecord): boolean {
  return scopeCovers(caller.scope, record);
}

export function scopeCovers(scope: CallerScope, record: ScopedRecord): boolean {
  switch (scope.kind) {
    case 'province':
    case 'city':
    case 'county':
      return record.region !== undefined && regionCovers(scope.code, record.region);
    case 'project':
      return record.projectId !== undefined && record.projectId === scope.code;
    case 'enterprise':
      return record.creditCode !== undefined && record.creditCode.toUpperCase() === scope.code.toUpperCase();
  }
}

/**
 * The SQL `LIKE` prefix of the region codes a region scope covers (`33%`, `3301%`, `330106`), for a
 * repository filtering in SQL; `undefined` for project and enterprise scopes.
 */
export function regionPrefix(scope: CallerScope): string | undefined {
  switch (scope.kind) {
    case 'province':
      return `${scope.code.slice(0, 2)}%`;
    case 'city':
      return `${scope.code.slice(0, 4)}%`;
    case 'county':
      return scope.code;
    default:
      return undefined;
  }
}

/** Whether `code` is a valid scope code for `kind` (region codes at the right level). */
export function validScopeCode(kind: ScopeKind, code: string): boolean {
  switch (kind) {
    case 'province':
    case 'city':
    case 'county':
      return REGION.test(code) && regionLevel(code) === kind;
    case 'project':
      return /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(code);
    case 'enterprise':
      return /^[0-9A-HJ-NPQRTUWXY]{18}$/i.test(code);
  }
}
