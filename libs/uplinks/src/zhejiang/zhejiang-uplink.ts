/**
 * The Zhejiang V2.0 adapter: the national transport (signature, field encryption, async polling,
 * reconciliation) composed with the provincial profile of `mapping.ts`. Records reach it already mapped
 * by `toZhejiangV2`; a worker record without the V2.0 additions is a mapping bug, refused before sending.
 */
import { UplinkPlanError } from '../planning';
import {
  PollOutcome,
  ReconcileOutcome,
  SendOutcome,
  UplinkAdapter,
  UplinkBatch,
  UplinkFailure,
  UplinkRecord,
} from '../uplink';
import { TargetProfile } from '../deadline';
import { AwaitOptions, NationalPlatformUplink, NationalUplinkOptions } from '../national/national-uplink';
import { missingZhejiangAdditions, ZHEJIANG_V2_PROFILE } from './mapping';

/** The national options but the profile, which is the provincial one. */
export type ZhejiangUplinkOptions = Omit<NationalUplinkOptions, 'profile'>;

export class ZhejiangV2Uplink implements UplinkAdapter {
  readonly profile: TargetProfile = ZHEJIANG_V2_PROFILE;
  readonly #transport: NationalPlatformUplink;

  constructor(options: ZhejiangUplinkOptions) {
    // The provincial version field is not in the references, so the national default stays.
    this.#transport = new NationalPlatformUplink({ ...options, profile: ZHEJIANG_V2_PROFILE });
  }

  checkSign(): Promise<{ outcome: 'accepted' } | UplinkFailure> {
    return this.#transport.checkSign();
  }

  /** Async like the national send, so a mapping bug arrives as a rejected promise whichever adapter it is. */
  async send(batch: UplinkBatch): Promise<SendOutcome> {
    if (batch.kind === 'project-worker') {
      for (const record of batch.records) {
        const missing = missingZhejiangAdditions(record.item);
        if (missing.length > 0) {
          throw new UplinkPlanError(
            `worker record "${record.key}" lacks the Zhejiang V2.0 field(s) ${missing.join(', ')}: map it with toZhejiangV2`,
          );
        }
      }
    }
    return this.#transport.send(batch);
  }

  poll(ticket: string): Promise<PollOutcome> {
    return this.#transport.poll(ticket);
  }

  awaitResult(ticket: string, options?: AwaitOptions): Promise<PollOutcome> {
    return this.#transport.awaitResult(ticket, options);
  }

  reconcile(record: UplinkRecord): Promise<ReconcileOutcome> {
    return this.#transport.reconcile(record);
  }
}
