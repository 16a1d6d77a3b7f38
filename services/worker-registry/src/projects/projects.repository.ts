import {
  EventDefinition,
  KeyPersonAppointed,
  KeyPersonMismatchDetected,
  KeyPersonMismatchResolved,
  ParticipantJoined,
  ProjectSynced,
  TeamFormed,
} from '@realname/contracts';
import type { EventActor } from '@realname/contracts';
import { EventStore, Rejection, runCommand, Sql } from '@realname/eventstore';
import type { CallerScope } from '@realname/platform';
import { Reach, ScopeSql } from '../access/scope-sql';
import type { z } from 'zod';
import { KeyPersonAssigned, KeyPersonRegistered, ParticipantUpdated } from './internal-events';
import {
  decideProject,
  evolveProject,
  initialProjectState,
  ProjectCommand,
  ProjectEvent,
} from './project.decider';

export const REGISTRY_SOURCE = '/realname/worker-registry';

const DEFINITIONS: Record<ProjectEvent['type'], EventDefinition<string, z.ZodTypeAny>> = {
  'realname.registry.ProjectSynced': ProjectSynced,
  'realname.registry.ParticipantJoined': ParticipantJoined,
  'realname.registry.ParticipantUpdated': ParticipantUpdated,
  'realname.registry.KeyPersonRegistered': KeyPersonRegistered,
  'realname.registry.KeyPersonAssigned': KeyPersonAssigned,
  'realname.registry.KeyPersonMismatchDetected': KeyPersonMismatchDetected,
  'realname.registry.KeyPersonMismatchResolved': KeyPersonMismatchResolved,
  'realname.registry.KeyPersonAppointed': KeyPersonAppointed,
  'realname.registry.TeamFormed': TeamFormed,
};

export const projectStreamId = (projectId: string) => `project-${projectId}`;

/** Reads a project's stream, decides, appends, and keeps the read models in the same transaction. */
export class ProjectRepository {
  private readonly scoped: ScopeSql;

  constructor(
    private readonly store: EventStore,
    private readonly schema: string,
  ) {
    this.scoped = new ScopeSql(schema);
  }

  /** Whether the project exists and is in the caller's scope (checked before a write). */
  reach(tx: Sql, projectId: string, scope: CallerScope): Promise<Reach> {
    return this.scoped.projectReach(tx, projectId, scope);
  }

  async handle(
    tx: Sql,
    projectId: string,
    command: ProjectCommand,
    meta: { region?: string; correlationId?: string; causationId?: string; actor?: EventActor },
  ): Promise<ProjectEvent[] | Rejection> {
    return runCommand({
      // Integrity-platform sync has no actor; a request's writes record who made them.
      store: this.store,
      actor: meta.actor,
      tx,
      streamId: projectStreamId(projectId),
      definitions: DEFINITIONS,
      initial: initialProjectState,
      evolve: evolveProject,
      decide: (state) => decideProject(command, state),
      source: REGISTRY_SOURCE,
      region: (state) =>
        (command.kind === 'SyncProject' ? command.info.region : state.info?.region) ??
        meta.region ??
        '000000',
      correlationId: meta.correlationId,
      causationId: meta.causationId,
      project: (t, e) => this.project(t, e),
    });
  }

  /** A key person assigned on site, their number encrypted (the event holds only hash and mask). */
  async storeLocalKeyPerson(
    tx: Sql,
    k: {
      projectId: string;
      creditCode: string;
      post: string;
      name: string;
      idHash: string;
      idEncrypted: string;
      maskedIdNumber: string;
    },
  ): Promise<void> {
    await tx.execute(
      `INSERT INTO ${this.schema}.key_persons (project_id, credit_code, post, source, name, id_hash, id_encrypted, masked_id)
       VALUES ($1, $2, $3, 'local', $4, $5, $6, $7)
       ON CONFLICT (project_id, credit_code, post, source) DO UPDATE SET name = EXCLUDED.name, id_hash = EXCLUDED.id_hash,
         id_encrypted = EXCLUDED.id_encrypted, masked_id = EXCLUDED.masked_id`,
      [k.projectId, k.creditCode, k.post, k.name, k.idHash, k.idEncrypted, k.maskedIdNumber],
    );
  }

  private async project(tx: Sql, e: ProjectEvent): Promise<void> {
    const s = this.schema;
    switch (e.type) {
      case 'realname.registry.ProjectSynced': {
        const d = e.data;
        await tx.execute(
          `INSERT INTO ${s}.projects (project_id, name, region, category, status, address, general_contractor_code, construction_owner_code, synced_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now())
           ON CONFLICT (project_id) DO UPDATE SET name = EXCLUDED.name, region = EXCLUDED.region, category = EXCLUDED.category,
             status = EXCLUDED.status, address = EXCLUDED.address, general_contractor_code = EXCLUDED.general_contractor_code,
             construction_owner_code = EXCLUDED.construction_owner_code, synced_at = now()`,
          [
            d.projectId,
            d.name,
            d.region,
            d.category,
            d.status,
            d.address,
            d.generalContractor.creditCode,
            d.constructionOwner.creditCode,
          ],
        );
        break;
      }
      case 'realname.registry.ParticipantJoined':
      case 'realname.registry.ParticipantUpdated': {
        const d = e.data;
        await tx.execute(
          `INSERT INTO ${s}.participants (project_id, credit_code, corp_name, unit_type, entry_date, exit_date)
           VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (project_id, credit_code) DO UPDATE SET corp_name = EXCLUDED.corp_name, unit_type = EXCLUDED.unit_type,
             entry_date = EXCLUDED.entry_date, exit_date = EXCLUDED.exit_date`,
          [d.projectId, d.creditCode, d.corpName, d.unitType, d.entryDate ?? null, d.exitDate ?? null],
        );
        break;
      }
      case 'realname.registry.KeyPersonMismatchDetected': {
        const d = e.data;
        await tx.execute(
          `INSERT INTO ${s}.key_person_mismatches (project_id, credit_code, post, reason, detail) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (project_id, credit_code, post) DO UPDATE SET reason = EXCLUDED.reason, detail = EXCLUDED.detail, since = now()`,
          [d.projectId, d.participantId, d.post, d.reason, d.detail],
        );
        break;
      }
      case 'realname.registry.KeyPersonMismatchResolved':
        await tx.execute(
          `DELETE FROM ${s}.key_person_mismatches WHERE project_id = $1 AND credit_code = $2 AND post = $3`,
          [e.data.projectId, e.data.participantId, e.data.post],
        );
        break;
      case 'realname.registry.TeamFormed':
        await tx.execute(
          `INSERT INTO ${s}.teams (team_id, project_id, name, participant_id) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
          [e.data.teamId, e.data.projectId, e.data.name, e.data.participantId],
        );
        break;
      default:
        // Key persons' rows hold the encrypted number, written by the caller that has it.
        break;
    }
  }
}
