import type { CallerScope } from '@realname/platform';
import { ProjectNotFound } from '../punches/punch-queries';
import { buildTeamSheet, monthDays, type TeamSheet } from './month-sheet';
import { NotInScope } from './rest-support';
import { SheetsRepository } from './sheets.repository';

/** The monthly team sheet of a project's team, limited to what the caller's scope shows. */
export class TeamSheets {
  constructor(private readonly repository: SheetsRepository) {}

  async sheet(
    q: { projectId: string; teamId: string; month: string },
    scope: CallerScope,
  ): Promise<TeamSheet> {
    const project = await this.repository.visibleProject(q.projectId, scope);
    if (!project) throw new ProjectNotFound(q.projectId);
    const team = await this.repository.visibleTeam(q.projectId, q.teamId, scope);
    if (!team) throw new NotInScope(`no team ${q.teamId} on project ${q.projectId} within your scope`);
    const days = monthDays(q.month);
    const range = { projectId: q.projectId, teamId: q.teamId, from: days[0], to: days[days.length - 1] };
    const workers = await this.repository.teamWorkers(range, scope);
    const rows = await this.repository.teamDays({
      ...range,
      enrolmentIds: workers.map((w) => w.enrolmentId),
    });
    return buildTeamSheet({ project, team, month: q.month, workers, days: rows });
  }
}
