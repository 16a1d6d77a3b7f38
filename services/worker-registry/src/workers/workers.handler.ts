import { v7 as uuidv7 } from 'uuid';
import { checkResidentId, isMobilePhone, maskResidentId } from '@realname/domain-rules';
import { Database, isRejection, Rejection } from '@realname/eventstore';
import { PersonalDataVault } from '@realname/personal-data';
import { actorOf, Caller } from '@realname/platform';
import { outOfScope } from '../access/out-of-scope';
import { InputProblem } from '../refusals';
import { WorkerEvent, workerStreamId } from './worker.decider';
import { NewWorker, WorkersRepository } from './workers.repository';

export type { NewWorker };

/** Registering, blacklisting and lifting blacklistings of workers: validate, then the worker decider on the card's own stream. */
export class WorkerCommands {
  constructor(
    private readonly db: Database,
    private readonly workers: WorkersRepository,
    private readonly vault: PersonalDataVault,
  ) {}

  /** The worker is in the registering caller's scope from now on (and in their projects' once enrolled). */
  async registerWorker(input: NewWorker, caller: Caller): Promise<{ workerId: string } | Rejection> {
    const problems: { field: string; message: string }[] = [];
    const id = checkResidentId(input.idCardNumber);
    if (!id.ok) problems.push(...id.reasons.map((message) => ({ field: 'idCardNumber', message })));
    const photo = input.headPhoto ? Buffer.from(input.headPhoto, 'base64') : undefined;
    if (photo) problems.push(...headPhotoProblems(photo));
    if (input.phone && !isMobilePhone(input.phone))
      problems.push({ field: 'phone', message: 'must be a mainland mobile number such as 13812345678' });
    if (problems.length || !id.ok) throw new InputProblem(problems);

    const idHash = this.vault.lookupHash('id-card', id.value);
    const workerId = uuidv7();
    return this.db.transaction(async (tx) => {
      // A second registration of the card reads the first one's stream: the decider refuses it.
      const r = await this.workers.handle(
        tx,
        workerStreamId(idHash),
        {
          kind: 'Register',
          identity: {
            workerId,
            idHash,
            maskedIdNumber: maskResidentId(id.value),
            name: input.name,
            gender: id.gender,
            nation: input.nation,
          },
        },
        actorOf(caller),
      );
      if (isRejection(r)) return r;
      await this.workers.insert(tx, {
        ...input,
        workerId,
        idHash,
        idCardNumber: id.value,
        gender: id.gender,
        birthDate: id.birthDate,
        headPhoto: photo,
        registeredBy: { scope: caller.scope, region: await this.workers.regionOfScope(tx, caller.scope) },
      });
      return { workerId };
    });
  }

  /**
   * Puts a worker of the caller's scope on the blacklist; the actor is the token's subject (the
   * events' envelopes carry its role and scope too).
   */
  async blacklist(workerId: string, reason: string, caller: Caller): Promise<WorkerEvent[] | Rejection> {
    const actor = caller.subject;
    return this.db.transaction(async (tx) => {
      if ((await this.workers.reach(tx, workerId, caller.scope)) === 'out-of-scope')
        return outOfScope(`worker ${workerId}`, caller.scope);
      const r = await this.workers.handle(
        tx,
        await this.workers.streamIdOf(workerId, tx),
        { kind: 'Blacklist', reason, actor },
        actorOf(caller),
      );
      if (!isRejection(r) && r.length) await this.workers.markBlacklisted(tx, workerId, reason, actor);
      return r;
    });
  }

  /** Lifts a blacklisting, with a reason, by someone in scope other than the one who blacklisted. */
  async liftBlacklist(workerId: string, reason: string, caller: Caller): Promise<WorkerEvent[] | Rejection> {
    return this.db.transaction(async (tx) => {
      if ((await this.workers.reach(tx, workerId, caller.scope)) === 'out-of-scope')
        return outOfScope(`worker ${workerId}`, caller.scope);
      const r = await this.workers.handle(
        tx,
        await this.workers.streamIdOf(workerId, tx),
        { kind: 'LiftBlacklist', reason, actor: caller.subject },
        actorOf(caller),
      );
      if (!isRejection(r) && r.length) await this.workers.markBlacklistLifted(tx, workerId);
      return r;
    });
  }
}

function headPhotoProblems(photo: Buffer): { field: string; message: string }[] {
  const problems: { field: string; message: string }[] = [];
  const isJpeg = photo[0] === 0xff && photo[1] === 0xd8;
  const isPng = photo.subarray(0, 4).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47]));
  if (!isJpeg && !isPng)
    problems.push({ field: 'headPhoto', message: 'must be a JPEG or PNG image, Base64-encoded' });
  if (photo.length > 50 * 1024)
    problems.push({
      field: 'headPhoto',
      message: `is ${Math.ceil(photo.length / 1024)} KB; at most 50 KB is accepted`,
    });
  return problems;
}
