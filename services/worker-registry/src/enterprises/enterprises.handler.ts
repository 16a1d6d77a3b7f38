import { Database, isRejection, Rejection } from '@realname/eventstore';
import { actorOf, Caller, inScope } from '@realname/platform';
import { outOfScope } from '../access/out-of-scope';
import { InputProblem } from '../refusals';
import { EnterprisesRepository } from './enterprises.repository';

export interface NewEnterprise {
  creditCode: string;
  name: string;
  registrationType?: string;
  legalRepresentative?: string;
  region?: string;
  overrideReason?: string;
}

/**
 * An enterprise registered here because the integrity platform does not share it. Its credit code
 * must pass GB 32100, or be a known pilot code admitted with a reason, which is audited.
 */
export class EnterpriseCommands {
  constructor(
    private readonly db: Database,
    private readonly enterprises: EnterprisesRepository,
  ) {}

  async registerEnterprise(
    input: NewEnterprise,
    pilotCodes: readonly string[],
    caller: Caller,
  ): Promise<{ creditCode: string; overridden: boolean } | Rejection> {
    const { overrideReason, ...details } = input;
    const code = details.creditCode.trim().toUpperCase();
    const region = details.region && /^\d{6}$/.test(details.region) ? details.region : code.slice(2, 8);
    // A new record, not yet in any table: its region decides whether it is the caller's to register.
    if (!inScope(caller, { region, creditCode: code }))
      return outOfScope(`an enterprise of region ${region}`, caller.scope);
    const r = await this.db.transaction(async (tx) =>
      this.enterprises.handle(
        tx,
        code,
        {
          kind: 'RegisterLocally',
          // The region the scope was checked against is the one recorded (the body's, or the one the
          // credit code was issued in): an enterprise its registrant cannot see again would be lost.
          details: { ...details, region },
          pilotCodes,
          overrideReason,
          caller: caller.subject,
          sharedByIntegrityPlatform: (await this.enterprises.sourceOf(tx, code)) === 'integrity',
        },
        region,
        actorOf(caller),
      ),
    );
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
}
