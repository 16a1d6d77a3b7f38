import type { EventActor } from '@realname/contracts';
import { Database, EventStore, runCommand, Sql } from '@realname/eventstore';
import { REGISTRY_SOURCE } from '../projects/projects.repository';
import {
  EnterpriseCommand,
  decideEnterprise,
  ENTERPRISE_EVENTS,
  EnterpriseEvent,
  evolveEnterprise,
  initialEnterpriseState,
} from './enterprise.decider';

/** Enterprises' streams (one per credit code) and every SQL statement of locally registered ones. */
export class EnterprisesRepository {
  private readonly store: EventStore;

  constructor(
    private readonly db: Database,
    private readonly schema: string,
  ) {
    this.store = new EventStore(db, schema);
  }

  /** Where the enterprise's row came from ('integrity' or 'local'), if there is one. */
  async sourceOf(tx: Sql, creditCode: string): Promise<string | undefined> {
    const [existing] = await tx.query<{ source: string }>(
      `SELECT source FROM ${this.schema}.enterprises WHERE credit_code = $1`,
      [creditCode],
    );
    return existing?.source;
  }

  handle(tx: Sql, creditCode: string, command: EnterpriseCommand, region: string, actor?: EventActor) {
    return runCommand({
      store: this.store,
      actor: actor,
      tx,
      streamId: `enterprise-${creditCode}`,
      definitions: ENTERPRISE_EVENTS,
      initial: initialEnterpriseState,
      evolve: evolveEnterprise,
      decide: (state) => decideEnterprise(command, state),
      source: REGISTRY_SOURCE,
      region: () => region,
      project: (t, e) => this.project(t, e),
    });
  }

  private async project(tx: Sql, e: EnterpriseEvent): Promise<void> {
    const s = this.schema;
    if (e.type === 'realname.registry.EnterpriseRegistered') {
      const d = e.data;
      await tx.execute(
        `INSERT INTO ${s}.enterprises (credit_code, name, registration_type, legal_representative, region, source) VALUES ($1, $2, $3, $4, $5, 'local')
         ON CONFLICT (credit_code) DO UPDATE SET name = EXCLUDED.name, registration_type = EXCLUDED.registration_type,
           legal_representative = EXCLUDED.legal_representative, region = EXCLUDED.region`,
        [d.creditCode, d.name, d.registrationType ?? null, d.legalRepresentative ?? null, d.region ?? null],
      );
    } else {
      await tx.execute(
        `INSERT INTO ${s}.credit_code_overrides (credit_code, reason, caller) VALUES ($1, $2, $3)
         ON CONFLICT (credit_code) DO UPDATE SET reason = EXCLUDED.reason, caller = EXCLUDED.caller, admitted_at = now()`,
        [e.data.creditCode, e.data.reason, e.data.caller],
      );
    }
  }
}
