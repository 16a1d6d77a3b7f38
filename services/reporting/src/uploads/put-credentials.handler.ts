import { ReportingApi } from '@realname/contracts';
import type { Database } from '@realname/eventstore';
import { actorOf, type Caller } from '@realname/platform';
import { KNOWN_UPLINK_TARGETS } from '../config';
import type { TargetCredentialsInput, UplinkCredentialsRepository } from '../uplinks/credentials.repository';
import { uplinkTarget } from '../uplinks/targets';
import { parseUploadInput, UploadInputRefused, UploadNotFound } from './upload-errors';
import { UploadsRepository } from './uploads.repository';

/** The body a target's credentials take, by the shape the target declares. */
function credentialsOf(target: string, body: unknown): TargetCredentialsInput {
  const shape = uplinkTarget(target).credentials;
  const has = (key: string) => typeof body === 'object' && body !== null && key in body;
  if (shape === 'app-key-secret') {
    if (has('appid') && !has('appKey'))
      throw new UploadInputRefused('The credentials are not valid', [
        { field: 'appKey', message: `${target} issues an app key and a secret, not an appid: send appKey` },
      ]);
    return parseUploadInput(ReportingApi.AppKeyCredentialsBody, body, 'credentials');
  }
  if (has('appKey') && !has('appid'))
    throw new UploadInputRefused('The credentials are not valid', [
      { field: 'appid', message: `${target} issues an appid and a secret, not an app key: send appid` },
    ]);
  return parseUploadInput(ReportingApi.NationalCredentialsBody, body, 'credentials');
}

/**
 * Puts a project's credentials for a target, or replaces them (a rotation: the version goes up by
 * one), within the caller's scope; the secrets are encrypted at rest by the credentials repository
 * and never answered. Audited with the actor and the new version.
 */
export class PutCredentialsHandler {
  constructor(
    private readonly db: Database,
    private readonly uploads: UploadsRepository,
    private readonly credentials: UplinkCredentialsRepository,
  ) {}

  async put(
    q: { projectId: string; target: string },
    body: unknown,
    caller: Caller,
  ): Promise<ReportingApi.CredentialsState> {
    if (!(KNOWN_UPLINK_TARGETS as readonly string[]).includes(q.target))
      throw new UploadNotFound(
        `no uplink target "${q.target}": this service knows ${KNOWN_UPLINK_TARGETS.join(', ')}`,
      );
    const input = credentialsOf(q.target, body);
    return this.db.transaction(async (tx) => {
      if (!(await this.uploads.visibleProject(tx, q.projectId, caller.scope)))
        throw new UploadNotFound(`no project ${q.projectId} within your scope`);
      await this.credentials.put(tx, q.target, q.projectId, input);
      const state = await this.credentials.state(tx, q.target, q.projectId);
      if (!state) throw new Error(`the credentials of ${q.projectId} for ${q.target} were not stored`);
      await this.uploads.wakeCredentialWaiters(tx, q.target, q.projectId);
      await this.uploads.audit(tx, {
        action: 'credentials-put',
        target: q.target,
        projectId: q.projectId,
        actor: actorOf(caller),
        detail: { version: state.version, appid: state.appid, hasCorpKey: state.hasCorpKey },
      });
      return {
        target: q.target,
        projectId: q.projectId,
        appid: state.appid,
        hasCorpKey: state.hasCorpKey,
        version: state.version,
        updatedAt: state.updatedAt.toISOString(),
      };
    });
  }
}
