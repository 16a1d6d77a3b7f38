import type { UplinkRecord } from '@realname/uplinks';
import type { WorkerIdentity } from '../identities/worker-identities.repository';

/**
 * What differs per target when the sender turns a ledger row into calls; everything else (order,
 * limits, answers) comes from the adapter's profile. The targets' own values live in
 * `uplinks/targets.ts`.
 */
export interface TargetSendMapping {
  /** The key the target issues for a team (national `teamSysNo`), put into what names the team. */
  readonly teamKey: string;
  /**
   * The record as the target takes it once the ID number, head image and the dependencies' keys are
   * filled in (Zhejiang's worker additions read the ID number). Throws when the worker's identity
   * lacks what the target needs; the row then waits for the identity, with the message.
   */
  complete(record: UplinkRecord, identity: WorkerIdentity | undefined): UplinkRecord;
  /** The record in the national field names, which the local pre-checks read. */
  nationalView(record: UplinkRecord): UplinkRecord;
}

/** The national platform: the ledger's shape is its shape. */
export const NATIONAL_SEND_MAPPING: TargetSendMapping = {
  teamKey: 'teamSysNo',
  complete: (record) => record,
  nationalView: (record) => record,
};
