import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ProjectionDefinition } from '@realname/eventstore';
import { OpsError } from './errors';

/** The repository root (this file is in libs/ops/src or libs/ops/dist). */
export const REPO_ROOT = resolve(__dirname, '..', '..', '..');

/**
 * Where the projections are declared: each service's build output `dist/projections.js` (from its
 * `src/projections.ts`, exporting `projections`), plus any module named in OPS_PROJECTION_MODULES
 * (comma-separated paths, for layouts other than this repository's). Loaded by path at run time, so the
 * services never depend on this tool and the tool has no compile-time dependency on any service.
 */
export function projectionModulePaths(
  root = REPO_ROOT,
  extra = process.env.OPS_PROJECTION_MODULES,
): string[] {
  return serviceModulePaths('projections.js', root, extra);
}

/**
 * The compiled module `file` of every service that has one (`services/<service>/dist/<file>`), in name
 * order, then the comma-separated paths in `extra`. Used for the declarations each service owns and the
 * CLI loads by path (projections, encrypted columns).
 */
export function serviceModulePaths(file: string, root: string, extra: string | undefined): string[] {
  const services = join(root, 'services');
  const found = existsSync(services)
    ? readdirSync(services)
        .sort()
        .map((s) => join(services, s, 'dist', file))
        .filter((p) => existsSync(p))
    : [];
  const more = (extra ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)
    .map((p) => resolve(p));
  return [...found, ...more];
}

/** The projections the modules declare, each name once. */
export function loadProjections(paths: string[]): ProjectionDefinition[] {
  const all: ProjectionDefinition[] = [];
  for (const path of paths) {
    let mod: { projections?: unknown };
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      mod = require(path);
    } catch (err) {
      throw new OpsError(
        `cannot load projections from ${path}: ${err instanceof Error ? err.message : String(err)} (build first: npm run build)`,
      );
    }
    if (!Array.isArray(mod.projections))
      throw new OpsError(`${path} does not export \`projections\` (an array of ProjectionDefinition)`);
    for (const p of mod.projections as ProjectionDefinition[]) {
      if (typeof p?.name !== 'string' || typeof p.apply !== 'function' || !Array.isArray(p.tables))
        throw new OpsError(`${path}: a projection needs name, tables, eventTypes and apply()`);
      if (all.some((q) => q.name === p.name))
        throw new OpsError(`projection ${p.name} is declared twice (${path})`);
      all.push(p);
    }
  }
  return all;
}

export function findProjection(all: ProjectionDefinition[], name: string): ProjectionDefinition {
  const p = all.find((q) => q.name === name);
  if (!p)
    throw new OpsError(
      all.length === 0
        ? `no projections found: build the services first (npm run build) so that services/*/dist/projections.js exist`
        : `there is no projection "${name}"; there are: ${all.map((q) => q.name).join(', ')} (\`ops projection list\`)`,
    );
  return p;
}
