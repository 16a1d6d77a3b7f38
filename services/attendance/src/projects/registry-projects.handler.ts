import { EventEnvelope, KeyPersonAppointed, parseEvent, ProjectSynced } from '@realname/contracts';
import type { Sql } from '@realname/eventstore';
import { ProjectsRepository } from './projects.repository';

/**
 * Keeps attendance's copy of the registry's projects and key-post holders (registry.projects.v1), which
 * the presence rate of key persons (到岗率) is computed from. Events of one project arrive in order (the
 * project's stream is the key). A database failure propagates, so the consumer retries the message.
 */
export class RegistryProjectsHandler {
  constructor(private readonly projects: ProjectsRepository) {}

  async handle(tx: Sql, raw: EventEnvelope): Promise<void> {
    switch (raw.type) {
      case ProjectSynced.type: {
        const d = parseEvent(ProjectSynced, raw).data;
        await this.projects.synced(tx, { projectId: d.projectId, region: d.region, name: d.name });
        return;
      }
      case KeyPersonAppointed.type: {
        const e = parseEvent(KeyPersonAppointed, raw);
        const { projectId, participantId, post, person, appointedOn } = e.data;
        // The day the post was taken starts at midnight in China; events without it count from their own time.
        const since = appointedOn ? `${appointedOn}T00:00:00+08:00` : e.time;
        if (person) await this.projects.appointed(tx, { projectId, participantId, post, ...person }, since);
        else await this.projects.vacated(tx, { projectId, participantId, post });
        return;
      }
      default:
        return; // participants, teams and mismatches are not attendance's concern
    }
  }
}
