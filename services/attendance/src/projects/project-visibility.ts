import type { Database, Sql } from '@realname/eventstore';
import { CallerScope, regionPrefix } from '@realname/platform';

export interface VisibleProject {
  projectId: string;
  name: string | null;
  region: string;
}

/**
 * The project as attendance knows it, when the caller's scope covers it: its region is the registry's
 * (projects), or, before the registry's project has arrived, that of its timesheet days or punches. A
 * region scope covers it by that region, a project scope when it is that project, an enterprise scope
 * when one of the project's enrolments is through that enterprise. Undefined otherwise: one answer for
 * a project outside the scope and one that does not exist.
 */
export async function visibleProject(
  db: Database | Sql,
  schema: string,
  projectId: string,
  scope: CallerScope,
): Promise<VisibleProject | undefined> {
  const [row] = await db.query<{ name: string | null; region: string | null; visible: boolean }>(
    `WITH p AS (
       SELECT (SELECT name FROM ${schema}.projects WHERE project_id = $1) AS name,
         COALESCE((SELECT region FROM ${schema}.projects WHERE project_id = $1),
                  (SELECT region FROM ${schema}.timesheet_days WHERE project_id = $1 LIMIT 1),
                  (SELECT region FROM ${schema}.punches WHERE project_id = $1 LIMIT 1)) AS region)
     SELECT name, region,
       COALESCE(region LIKE $2, false) OR COALESCE($1 = $3, false)
         OR ($4::text IS NOT NULL AND EXISTS (SELECT 1 FROM ${schema}.enrolments
               WHERE project_id = $1 AND upper(credit_code) = $4)) AS visible
     FROM p`,
    [
      projectId,
      regionPrefix(scope) ?? null,
      scope.kind === 'project' ? scope.code : null,
      scope.kind === 'enterprise' ? scope.code.toUpperCase() : null,
    ],
  );
  return row?.region && row.visible ? { projectId, name: row.name, region: row.region } : undefined;
}
