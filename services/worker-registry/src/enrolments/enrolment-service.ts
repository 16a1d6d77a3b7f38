import { v7 as uuidv7 } from 'uuid';
import {
  EnrolmentCredentialsChanged,
  WorkerEnrolled,
  WorkerEntered,
  WorkerExited,
} from '@realname/contracts';
import {
  checkBankCard,
  checkResidentId,
  codeTables,
  maskBankCard,
  maskPhone,
  maskResidentId,
  profileFor,
  todayIn,
} from '@realname/domain-rules';
import { Database, EventStore, isRejection, Rejection, runCommand, Sql } from '@realname/eventstore';
import { PersonalDataVault } from '@realname/personal-data';
import { ProjectRepository, REGISTRY_SOURCE } from '../projects/project-repository';
import {
  decideWorker,
  evolveWorker,
  initialWorkerState,
  WORKER_EVENTS,
  WorkerCommand,
  WorkerEvent,
} from '../workers/worker';
import {
  decideEnrolment,
  EnrolmentCommand,
  EnrolmentEvent,
  evolveEnrolment,
  initialEnrolmentState,
  WorkerFacts,
} from './enrolment';
import { CertificateAdded, ContractSigned, TrainingRecorded } from './internal-events';
import {
  decideEnterprise,
  ENTERPRISE_EVENTS,
  evolveEnterprise,
  initialEnterpriseState,
} from '../enterprises/enterprise';

const ENROLMENT_EVENTS = {
  [EnrolmentCredentialsChanged.type]: EnrolmentCredentialsChanged,
  [WorkerEnrolled.type]: WorkerEnrolled,
  [WorkerEntered.type]: WorkerEntered,
  [WorkerExited.type]: WorkerExited,
  [ContractSigned.type]: ContractSigned,
  [TrainingRecorded.type]: TrainingRecorded,
  [CertificateAdded.type]: CertificateAdded,
};

export class InputProblem extends Error {
  constructor(readonly errors: { field: string; message: string }[]) {
    super(errors.map((e) => `${e.field}: ${e.message}`).join('; '));
    this.name = 'InputProblem';
  }
}

export interface NewWorker {
  idCardNumber: string;
  name: string;
  nation: string;
  address: string;
  issuingAuthority: string;
  idValidFrom?: string;
  idValidTo?: string;
  phone?: string;
  education?: string;
  politics?: string;
  /** Base64 JPEG or PNG, at most 50 KB. */
  headPhoto?: string;
}

/** Workers and their enrolments: the application layer over the two deciders. */
export class EnrolmentService {
  private readonly store: EventStore;

  constructor(
    private readonly db: Database,
    private readonly schema: string,
    private readonly vault: PersonalDataVault,
    private readonly projects: ProjectRepository,
  ) {
    this.store = new EventStore(db, schema);
  }

  async registerWorker(input: NewWorker): Promise<{ workerId: string } | Rejection> {
    const problems: { field: string; message: string }[] = [];
    const id = checkResidentId(input.idCardNumber);
    if (!id.ok) problems.push(...id.reasons.map((message) => ({ field: 'idCardNumber', message })));
    let photo: Buffer | undefined;
    if (input.headPhoto) {
      photo = Buffer.from(input.headPhoto, 'base64');
      const isJpeg = photo[0] === 0xff && photo[1] === 0xd8;
      const isPng = photo.subarray(0, 4).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47]));
      if (!isJpeg && !isPng)
        problems.push({ field: 'headPhoto', message: 'must be a JPEG or PNG image, Base64-encoded' });
      if (photo.length > 50 * 1024)
        problems.push({
          field: 'headPhoto',
          message: `is ${Math.ceil(photo.length / 1024)} KB; at most 50 KB is accepted`,
        });
    }
    if (input.phone && !/^1[3-9]\d{9}$/.test(input.phone))
      problems.push({ field: 'phone', message: 'must be a mainland mobile number such as 13812345678' });
    if (problems.length || !id.ok) throw new InputProblem(problems);

    const idHash = this.vault.lookupHash('id-card', id.value);
    const [existing] = await this.db.query<{ worker_id: string }>(
      `SELECT worker_id FROM ${this.schema}.workers WHERE id_hash = $1`,
      [idHash],
    );
    if (existing)
      return {
        rejected: true,
        code: 'worker-exists',
        reasons: [`this ID card is registered already as worker ${existing.worker_id}`],
      };
    const workerId = uuidv7();
    return this.db.transaction(async (tx) => {
      const r = await this.worker(tx, workerId, {
        kind: 'Register',
        identity: {
          workerId,
          idHash,
          maskedIdNumber: maskResidentId(id.value),
          name: input.name,
          gender: id.gender,
          birthDate: id.birthDate,
          nation: input.nation,
        },
      });
      if (isRejection(r)) return r;
      await tx.execute(
        `INSERT INTO ${this.schema}.workers (worker_id, id_hash, id_encrypted, masked_id, name, gender, birth_date, nation, address,
           issuing_authority, id_valid_from, id_valid_to, phone_encrypted, masked_phone, education, politics, head_photo)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`,
        [
          workerId,
          idHash,
          this.vault.encrypt(id.value, `worker:${workerId}:idCardNumber`),
          maskResidentId(id.value),
          input.name,
          id.gender,
          id.birthDate,
          input.nation,
          input.address,
          input.issuingAuthority,
          input.idValidFrom ?? null,
          input.idValidTo ?? null,
          input.phone ? this.vault.encrypt(input.phone, `worker:${workerId}:phone`) : null,
          input.phone ? maskPhone(input.phone) : null,
          input.education ?? null,
          input.politics ?? null,
          photo ?? null,
        ],
      );
      return { workerId };
    });
  }

  async blacklist(workerId: string, reason: string): Promise<WorkerEvent[] | Rejection> {
    return this.db.transaction(async (tx) => {
      const r = await this.worker(tx, workerId, { kind: 'Blacklist', reason });
      if (!isRejection(r) && r.length) {
        await tx.execute(
          `UPDATE ${this.schema}.workers SET blacklisted = true, blacklist_reason = $2 WHERE worker_id = $1`,
          [workerId, reason],
        );
      }
      return r;
    });
  }

  async formTeam(projectId: string, name: string, participantId: string) {
    const teamId = uuidv7();
    const r = await this.db.transaction((tx) =>
      this.projects.handle(tx, projectId, { kind: 'FormTeam', teamId, name, participantId }, {}),
    );
    return isRejection(r) ? r : { teamId };
  }

  async enrol(
    projectId: string,
    input: {
      workerId: string;
      teamId: string;
      workType: string;
      workRole: '10' | '20';
      isTeamLeader: boolean;
      cardNumber?: string;
      wageCard?: { number: string; bankCode: string };
    },
  ) {
    let wageCard: { number: string; bankCode: string } | undefined;
    if (input.wageCard) {
      const card = checkBankCard(input.wageCard.number);
      const problems = card.ok ? [] : card.reasons.map((message) => ({ field: 'wageCard.number', message }));
      if (!codeTables.isValid('bank-code', input.wageCard.bankCode)) {
        problems.push({
          field: 'wageCard.bankCode',
          message: 'must be a bank head-office code from the national table, e.g. 102',
        });
      }
      if (problems.length || !card.ok) throw new InputProblem(problems);
      wageCard = { number: card.value, bankCode: input.wageCard.bankCode };
    }
    const s = this.schema;
    const [w] = await this.db.query<{ name: string; id_hash: string; masked_id: string }>(
      `SELECT name, id_hash, masked_id FROM ${s}.workers WHERE worker_id = $1`,
      [input.workerId],
    );
    if (!w)
      return { rejected: true as const, code: 'unknown-worker', reasons: [`no worker ${input.workerId}`] };
    const [team] = await this.db.query<{
      name: string;
      participant_id: string;
      corp_name: string;
      region: string;
    }>(
      `SELECT t.name, t.participant_id, p.corp_name, pr.region FROM ${s}.teams t JOIN ${s}.participants p ON p.project_id = t.project_id AND p.credit_code = t.participant_id
       JOIN ${s}.projects pr ON pr.project_id = t.project_id
       WHERE t.team_id = $1 AND t.project_id = $2`,
      [input.teamId, projectId],
    );
    if (!team)
      return {
        rejected: true as const,
        code: 'unknown-team',
        reasons: [`no team ${input.teamId} on project ${projectId}`],
      };
    const enrolmentId = uuidv7();
    return this.db.transaction(async (tx) => {
      const [taken] = await tx.query<{ enrolment_id: string }>(
        `SELECT enrolment_id FROM ${s}.enrolments WHERE project_id = $1 AND worker_id = $2`,
        [projectId, input.workerId],
      );
      if (taken)
        return {
          rejected: true as const,
          code: 'already-enrolled',
          reasons: [
            `one role per ID card per project: the worker is enrolled already (${taken.enrolment_id})`,
          ],
        };
      const [pin] = await tx.query<{ last_pin: number }>(
        `INSERT INTO ${s}.person_id_counters (project_id, last_pin) VALUES ($1, 10001)
         ON CONFLICT (project_id) DO UPDATE SET last_pin = person_id_counters.last_pin + 1 RETURNING last_pin`,
        [projectId],
      );
      const details = {
        enrolmentId,
        projectId,
        workerId: input.workerId,
        name: w.name,
        idHash: w.id_hash,
        maskedIdNumber: w.masked_id,
        teamId: input.teamId,
        teamName: team.name,
        participantId: team.participant_id,
        creditCode: team.participant_id,
        corpName: team.corp_name,
        workType: input.workType,
        workRole: input.workRole,
        isTeamLeader: input.isTeamLeader,
        credentials: {
          personId: String(pin.last_pin),
          ...(input.cardNumber ? { cardNumber: input.cardNumber } : {}),
        },
      };
      const r = await this.enrolment(tx, enrolmentId, { kind: 'Enrol', details }, team.region);
      if (isRejection(r)) return r;
      if (wageCard) {
        await tx.execute(
          `UPDATE ${s}.enrolments SET wage_card_encrypted = $2, wage_card_hash = $3, wage_card_masked = $4, wage_bank_code = $5 WHERE enrolment_id = $1`,
          [
            enrolmentId,
            this.vault.encrypt(wageCard.number, `enrolment:${enrolmentId}:wageCard`),
            this.vault.lookupHash('bank-card', wageCard.number),
            maskBankCard(wageCard.number),
            wageCard.bankCode,
          ],
        );
      }
      return { enrolmentId, personId: details.credentials.personId };
    });
  }

  /** Contract, training, certificate, entry and exit: everything else done to an enrolment. */
  async act(
    enrolmentId: string,
    build: (today: string, worker: WorkerFacts, region: string) => EnrolmentCommand,
  ) {
    const s = this.schema;
    const [row] = await this.db.query<Record<string, string | boolean | Date | null>>(
      `SELECT e.worker_id, w.gender, to_char(w.birth_date, 'YYYY-MM-DD') AS birth_date, w.head_photo IS NOT NULL AS has_photo, w.blacklisted,
              to_char(w.updated_on, 'YYYY-MM-DD') AS updated_on, p.region
       FROM ${s}.enrolments e JOIN ${s}.workers w ON w.worker_id = e.worker_id JOIN ${s}.projects p ON p.project_id = e.project_id
       WHERE e.enrolment_id = $1`,
      [enrolmentId],
    );
    if (!row)
      return { rejected: true as const, code: 'not-enrolled', reasons: [`no enrolment ${enrolmentId}`] };
    const worker: WorkerFacts = {
      birthDate: row.birth_date as string,
      gender: row.gender as 'male' | 'female',
      hasHeadPhoto: Boolean(row.has_photo),
      blacklisted: Boolean(row.blacklisted),
      lastUpdatedOn: row.updated_on as string,
    };
    const command = build(todayIn('Asia/Shanghai'), worker, row.region as string);
    return this.db.transaction((tx) => this.enrolment(tx, enrolmentId, command, row.region as string));
  }

  /**
   * A training session of a project with its attendees: one TrainingRecorded on each attendee's
   * enrolment, all in one transaction (a session is recorded whole or not at all).
   */
  async recordTrainingSession(
    projectId: string,
    session: { name: string; typeCode: string; date: string; durationHours?: number; trainer?: string },
    attendees: { enrolmentId: string; passed: boolean; score?: number }[],
  ): Promise<{ trainingId: string } | Rejection> {
    const s = this.schema;
    const [project] = await this.db.query<{ region: string }>(
      `SELECT region FROM ${s}.projects WHERE project_id = $1`,
      [projectId],
    );
    if (!project) return { rejected: true, code: 'unknown-project', reasons: [`no project ${projectId}`] };
    const ids = attendees.map((a) => a.enrolmentId);
    const known = new Set(
      (
        await this.db.query<{ enrolment_id: string }>(
          `SELECT enrolment_id FROM ${s}.enrolments WHERE project_id = $1 AND enrolment_id = ANY($2::text[])`,
          [projectId, ids],
        )
      ).map((r) => r.enrolment_id),
    );
    const strangers = ids.filter((id) => !known.has(id));
    if (strangers.length)
      throw new InputProblem(
        strangers.map((id) => ({
          field: 'attendees',
          message: `${id} is not an enrolment of project ${projectId}`,
        })),
      );
    const trainingId = uuidv7();
    const today = todayIn('Asia/Shanghai');
    return this.db.transaction(async (tx) => {
      await tx.execute(
        `INSERT INTO ${s}.trainings (training_id, project_id, name, type_code, training_date, duration_hours, trainer) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [
          trainingId,
          projectId,
          session.name,
          session.typeCode,
          session.date,
          session.durationHours ?? null,
          session.trainer ?? null,
        ],
      );
      for (const a of attendees) {
        const r = await this.enrolment(
          tx,
          a.enrolmentId,
          {
            kind: 'RecordTraining',
            today,
            training: {
              trainingId,
              typeCode: session.typeCode,
              date: session.date,
              passed: a.passed,
              ...(a.score !== undefined ? { score: a.score } : {}),
            },
          },
          project.region,
        );
        if (isRejection(r)) throw new InputProblem(r.reasons.map((message) => ({ field: 'date', message })));
        await tx.execute(
          `INSERT INTO ${s}.training_attendees (training_id, enrolment_id, passed, score) VALUES ($1, $2, $3, $4)`,
          [trainingId, a.enrolmentId, a.passed, a.score ?? null],
        );
      }
      return { trainingId };
    });
  }

  /**
   * An enterprise registered here because the integrity platform does not share it. Its credit code
   * must pass GB 32100, or be a known pilot code admitted with a reason, which is audited.
   */
  async registerEnterprise(
    input: {
      creditCode: string;
      name: string;
      registrationType?: string;
      legalRepresentative?: string;
      region?: string;
      overrideReason?: string;
    },
    pilotCodes: readonly string[],
    caller: string,
  ): Promise<{ creditCode: string; overridden: boolean } | Rejection> {
    const s = this.schema;
    const { overrideReason, ...details } = input;
    const code = details.creditCode.trim().toUpperCase();
    const r = await this.db.transaction(async (tx) => {
      const [existing] = await tx.query<{ source: string }>(
        `SELECT source FROM ${s}.enterprises WHERE credit_code = $1`,
        [code],
      );
      return runCommand({
        store: this.store,
        tx,
        streamId: `enterprise-${code}`,
        definitions: ENTERPRISE_EVENTS,
        initial: initialEnterpriseState,
        evolve: evolveEnterprise,
        decide: (state) =>
          decideEnterprise(
            {
              kind: 'RegisterLocally',
              details,
              pilotCodes,
              overrideReason,
              caller,
              sharedByIntegrityPlatform: existing?.source === 'integrity',
            },
            state,
          ),
        source: REGISTRY_SOURCE,
        region: () => (details.region && /^\d{6}$/.test(details.region) ? details.region : code.slice(2, 8)),
        project: async (t, e) => {
          if (e.type === 'realname.registry.EnterpriseRegistered') {
            const d = e.data;
            await t.execute(
              `INSERT INTO ${s}.enterprises (credit_code, name, registration_type, legal_representative, region, source) VALUES ($1, $2, $3, $4, $5, 'local')
               ON CONFLICT (credit_code) DO UPDATE SET name = EXCLUDED.name, registration_type = EXCLUDED.registration_type,
                 legal_representative = EXCLUDED.legal_representative, region = EXCLUDED.region`,
              [
                d.creditCode,
                d.name,
                d.registrationType ?? null,
                d.legalRepresentative ?? null,
                d.region ?? null,
              ],
            );
          } else {
            await t.execute(
              `INSERT INTO ${s}.credit_code_overrides (credit_code, reason, caller) VALUES ($1, $2, $3)
               ON CONFLICT (credit_code) DO UPDATE SET reason = EXCLUDED.reason, caller = EXCLUDED.caller, admitted_at = now()`,
              [e.data.creditCode, e.data.reason, e.data.caller],
            );
          }
        },
      });
    });
    if (isRejection(r)) {
      if (r.code === 'invalid-credit-code')
        throw new InputProblem(r.reasons.map((message) => ({ field: 'creditCode', message })));
      if (r.code === 'override-reason-required')
        throw new InputProblem(r.reasons.map((message) => ({ field: 'overrideReason', message })));
      return r;
    }
    return {
      creditCode: code,
      overridden: r.some((e) => e.type === 'realname.registry.CreditCodeOverrideAdmitted'),
    };
  }

  profileFor(region: string) {
    return profileFor(region);
  }

  private worker(tx: Sql, workerId: string, command: WorkerCommand) {
    return runCommand({
      store: this.store,
      tx,
      streamId: `worker-${workerId}`,
      definitions: WORKER_EVENTS,
      initial: initialWorkerState,
      evolve: evolveWorker,
      decide: (state) => decideWorker(command, state),
      source: REGISTRY_SOURCE,
      region: () => '000000',
    });
  }

  private enrolment(tx: Sql, enrolmentId: string, command: EnrolmentCommand, region: string) {
    return runCommand({
      store: this.store,
      tx,
      streamId: `enrolment-${enrolmentId}`,
      definitions: ENROLMENT_EVENTS,
      initial: initialEnrolmentState,
      evolve: evolveEnrolment,
      decide: (state) => decideEnrolment(command, state),
      source: REGISTRY_SOURCE,
      region: () => region,
      project: (t, e) => this.projectEnrolment(t, e),
    });
  }

  private async projectEnrolment(tx: Sql, e: EnrolmentEvent): Promise<void> {
    const s = this.schema;
    switch (e.type) {
      case 'realname.registry.WorkerEnrolled': {
        const d = e.data;
        await tx.execute(
          `INSERT INTO ${s}.enrolments (enrolment_id, project_id, worker_id, team_id, participant_id, work_type, work_role, is_team_leader, person_id, card_number, status)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'enrolled')`,
          [
            d.enrolmentId,
            d.projectId,
            d.workerId,
            d.teamId,
            d.participantId,
            d.workType,
            d.workRole,
            d.isTeamLeader,
            d.credentials.personId,
            d.credentials.cardNumber ?? null,
          ],
        );
        break;
      }
      case 'realname.registry.ContractSigned':
        await tx.execute(`UPDATE ${s}.enrolments SET contract_signed = true WHERE enrolment_id = $1`, [
          e.data.enrolmentId,
        ]);
        break;
      case 'realname.registry.TrainingRecorded':
        if (e.data.passed)
          await tx.execute(`UPDATE ${s}.enrolments SET safety_trained = true WHERE enrolment_id = $1`, [
            e.data.enrolmentId,
          ]);
        break;
      case 'realname.registry.WorkerEntered':
        await tx.execute(
          `UPDATE ${s}.enrolments SET status = 'entered', entered_on = $2, exited_on = NULL WHERE enrolment_id = $1`,
          [e.data.enrolmentId, e.data.date],
        );
        break;
      case 'realname.registry.WorkerExited':
        await tx.execute(
          `UPDATE ${s}.enrolments SET status = 'exited', exited_on = $2 WHERE enrolment_id = $1`,
          [e.data.enrolmentId, e.data.date],
        );
        break;
      case 'realname.registry.EnrolmentCredentialsChanged':
        await tx.execute(`UPDATE ${s}.enrolments SET card_number = $2 WHERE enrolment_id = $1`, [
          e.data.enrolmentId,
          e.data.credentials.cardNumber ?? null,
        ]);
        break;
      default:
        break;
    }
  }
}
