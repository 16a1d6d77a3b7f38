import { z } from 'zod';
import { defineEvent } from '@realname/contracts';
import { checkCreditCode, creditCodeOverrides } from '@realname/domain-rules';
import { reject, Rejection } from '@realname/eventstore';

/**
 * An enterprise registered here (the integrity platform does not share it). Its unified social credit
 * code must pass GB 32100; a known pilot code that fails the check is admitted only with a reason, and
 * the admission is itself an event (the audit).
 */
export interface EnterpriseDetails {
  creditCode: string;
  name: string;
  registrationType?: string;
  legalRepresentative?: string;
  region?: string;
}
export interface EnterpriseState {
  details?: EnterpriseDetails;
  sharedByIntegrityPlatform: boolean;
}
export type EnterpriseCommand = {
  kind: 'RegisterLocally';
  details: EnterpriseDetails;
  pilotCodes: readonly string[];
  overrideReason?: string;
  caller: string;
  sharedByIntegrityPlatform: boolean;
};
export type EnterpriseEvent =
  | { type: 'realname.registry.EnterpriseRegistered'; data: EnterpriseDetails }
  | {
      type: 'realname.registry.CreditCodeOverrideAdmitted';
      data: { creditCode: string; reason: string; caller: string };
    };

export const EnterpriseRegistered = defineEvent({
  type: 'realname.registry.EnterpriseRegistered',
  version: 1,
  schema: z.object({
    creditCode: z.string(),
    name: z.string(),
    registrationType: z.string().optional(),
    legalRepresentative: z.string().optional(),
    region: z.string().optional(),
  }),
});
export const CreditCodeOverrideAdmitted = defineEvent({
  type: 'realname.registry.CreditCodeOverrideAdmitted',
  version: 1,
  schema: z.object({ creditCode: z.string(), reason: z.string(), caller: z.string() }),
});
export const ENTERPRISE_EVENTS = {
  [EnterpriseRegistered.type]: EnterpriseRegistered,
  [CreditCodeOverrideAdmitted.type]: CreditCodeOverrideAdmitted,
};

export const initialEnterpriseState = (): EnterpriseState => ({ sharedByIntegrityPlatform: false });

export function evolveEnterprise(state: EnterpriseState, e: EnterpriseEvent): EnterpriseState {
  return e.type === 'realname.registry.EnterpriseRegistered' ? { ...state, details: e.data } : state;
}

export type EnterpriseRejection = Rejection<
  'invalid-credit-code' | 'override-reason-required' | 'integrity-owned-field'
>;

export function decideEnterprise(
  c: EnterpriseCommand,
  s: EnterpriseState,
): EnterpriseEvent[] | EnterpriseRejection {
  if (c.sharedByIntegrityPlatform) {
    return reject(
      'integrity-owned-field',
      'this enterprise is shared by the integrity platform and cannot be changed here; correct it on the integrity platform',
    );
  }
  const check = checkCreditCode(c.details.creditCode, { overrides: creditCodeOverrides(c.pilotCodes) });
  if (!check.ok) return reject('invalid-credit-code', ...check.reasons);
  if (check.overridden && !c.overrideReason) {
    return reject(
      'override-reason-required',
      'this credit code fails the GB 32100 check; it is a known pilot code, so give the reason to admit it (audited)',
    );
  }
  const details = { ...c.details, creditCode: check.value };
  const events: EnterpriseEvent[] = [];
  if (check.overridden) {
    events.push({
      type: 'realname.registry.CreditCodeOverrideAdmitted',
      data: { creditCode: check.value, reason: c.overrideReason!, caller: c.caller },
    });
  }
  if (JSON.stringify(s.details) !== JSON.stringify(details))
    events.push({ type: 'realname.registry.EnterpriseRegistered', data: details });
  return events;
}
