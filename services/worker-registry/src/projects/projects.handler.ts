import { v7 as uuidv7 } from 'uuid';
import { KeyPost } from '@realname/contracts';
import { maskResidentId } from '@realname/domain-rules';
import { Database, isRejection } from '@realname/eventstore';
import { PersonalDataVault } from '@realname/personal-data';
import { actorOf, Caller } from '@realname/platform';
import { outOfScope } from '../access/out-of-scope';
import { ProjectRepository } from './projects.repository';

/** What is done to a project here: teams formed, key persons assigned on site. */
export class ProjectCommands {
  constructor(
    private readonly db: Database,
    private readonly projects: ProjectRepository,
    private readonly vault: PersonalDataVault,
  ) {}

  /** A project outside the caller's scope is refused (403); an unknown one is left to the decider (404). */
  async formTeam(projectId: string, name: string, participantId: string, caller: Caller) {
    const teamId = uuidv7();
    const r = await this.db.transaction(async (tx) => {
      if ((await this.projects.reach(tx, projectId, caller.scope)) === 'out-of-scope')
        return outOfScope(`project ${projectId}`, caller.scope);
      return this.projects.handle(
        tx,
        projectId,
        { kind: 'FormTeam', teamId, name, participantId },
        { actor: actorOf(caller) },
      );
    });
    return isRejection(r) ? r : { teamId };
  }

  /** `idCardNumber` has passed the resident ID check; `appointedOn` (YYYY-MM-DD) defaults to today. */
  assignKeyPerson(
    projectId: string,
    creditCode: string,
    post: KeyPost,
    name: string,
    idCardNumber: string,
    caller: Caller,
    appointedOn?: string,
  ) {
    const person = {
      name,
      idHash: this.vault.lookupHash('id-card', idCardNumber),
      maskedIdNumber: maskResidentId(idCardNumber),
    };
    return this.db.transaction(async (tx) => {
      if ((await this.projects.reach(tx, projectId, caller.scope)) === 'out-of-scope')
        return outOfScope(`project ${projectId}`, caller.scope);
      const r = await this.projects.handle(
        tx,
        projectId,
        { kind: 'AssignKeyPerson', creditCode, post, person, appointedOn },
        { actor: actorOf(caller) },
      );
      if (isRejection(r)) return r;
      await this.projects.storeLocalKeyPerson(tx, {
        projectId,
        creditCode,
        post,
        ...person,
        idEncrypted: this.vault.encrypt(idCardNumber, `key-person:${projectId}:${creditCode}:${post}:local`),
      });
      return r;
    });
  }
}
