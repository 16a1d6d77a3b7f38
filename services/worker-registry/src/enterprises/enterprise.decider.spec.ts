import { creditCodeCheckChar } from '@realname/domain-rules';
import { createRng, fakeCreditCode } from '@realname/fixtures';
import { isRejection } from '@realname/eventstore';
import {
  decideEnterprise,
  EnterpriseCommand,
  EnterpriseEvent,
  evolveEnterprise,
  initialEnterpriseState,
} from './enterprise.decider';

const valid = fakeCreditCode(createRng('enterprise-spec'), '330106');
const failing = (() => {
  const code = fakeCreditCode(createRng('pilot'), '330106');
  const wrong = code[17] === '0' ? '1' : '0';
  return code.slice(0, 17) + (wrong === creditCodeCheckChar(code.slice(0, 17)) ? '2' : wrong);
})();
const register = (over: Partial<EnterpriseCommand> = {}): EnterpriseCommand => ({
  kind: 'RegisterLocally',
  details: { creditCode: valid, name: 'Local labour service Co.' },
  pilotCodes: [failing],
  caller: 'municipal-system',
  sharedByIntegrityPlatform: false,
  ...over,
});
function given(...commands: EnterpriseCommand[]) {
  let state = initialEnterpriseState();
  for (const c of commands) {
    const r = decideEnterprise(c, state);
    if (isRejection(r)) throw new Error(r.reasons.join());
    state = r.reduce(evolveEnterprise, state);
  }
  return { when: (c: EnterpriseCommand) => decideEnterprise(c, state) };
}
const types = (r: EnterpriseEvent[] | unknown) =>
  isRejection(r) ? r : (r as EnterpriseEvent[]).map((e) => e.type.split('.').pop());

describe('an enterprise registered locally', () => {
  it('is registered with a valid credit code', () => {
    expect(types(given().when(register()))).toEqual(['EnterpriseRegistered']);
  });

  it('is refused with a code that fails GB 32100, saying why', () => {
    const r = given().when(
      register({ details: { creditCode: valid.slice(0, 17) + (valid[17] === 'A' ? 'B' : 'A'), name: 'X' } }),
    );
    expect(r).toMatchObject({ rejected: true, code: 'invalid-credit-code' });
  });

  it('admits a known pilot code only with a reason, and records the admission', () => {
    const pilot = { details: { creditCode: failing, name: 'Pilot Co.' } };
    expect(given().when(register(pilot))).toMatchObject({ code: 'override-reason-required' });
    const r = given().when(register({ ...pilot, overrideReason: 'issued in the pilot' }));
    expect(types(r)).toEqual(['CreditCodeOverrideAdmitted', 'EnterpriseRegistered']);
    expect((r as EnterpriseEvent[])[0].data).toMatchObject({
      reason: 'issued in the pilot',
      caller: 'municipal-system',
    });
  });

  it('refuses a failing code that is not a known pilot code, reason or not', () => {
    expect(
      given().when(
        register({ pilotCodes: [], details: { creditCode: failing, name: 'P' }, overrideReason: 'trust me' }),
      ),
    ).toMatchObject({
      code: 'invalid-credit-code',
    });
  });

  it('refuses an enterprise the integrity platform shares', () => {
    expect(given().when(register({ sharedByIntegrityPlatform: true }))).toMatchObject({
      code: 'integrity-owned-field',
    });
  });

  it('records nothing when the same details arrive again', () => {
    expect(given(register()).when(register())).toEqual([]);
  });
});
