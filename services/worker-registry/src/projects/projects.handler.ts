import { v7 as uuidv7 } from 'uuid';
import { KeyPost } from '@realname/contracts';
import { maskResidentId } from '@realname/domain-rules';
import { Database, isRejection } from '@realname/eventstore';
import { PersonalDataVault } from '@realname/personal-data';
import { ProjectRepository } from './projects.repository';

/** What is done to a project here: teams formed, key persons assigned on site. */
export class ProjectCommands {
  constructor(
    private readonly db: Database,
    private readonly projects: ProjectRepository,
    private readonly vault: PersonalDataVault,
  ) {}

  async formTeam(projectId: string, name: string, participantId: string) {
    const teamId = uuidv7();
    const r = await this.db.transaction((tx) =>
      this.projects.handle(tx, projectId, { kind: 'FormTeam', teamId, name, participantId }, {}),
    );
    return isRejection(r) ? r : { teamId };
  }

  /** `idCardNumber` has passed the resident ID check. */
  assignKeyPerson(projectId: string, creditCode: string, post: KeyPost, name: string, idCardNumber: string) {
    const person = {
      name,
      idHash: this.vault.lookupHash('id-card', idCardNumber),
      maskedIdNumber: maskResidentId(idCardNumber),
    };
    return this.db.transaction(async (tx) => {
      const r = await this.projects.handle(
        tx,
        projectId,
        { kind: 'AssignKeyPerson', creditCode, post, person },
        {},
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
