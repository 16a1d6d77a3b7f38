import { checkBankCard, isLuhnValid, luhnCheckDigit } from './bank-card';
import { checkPhone, isMobilePhone, maskBankCard, maskPhone } from './phone';

describe('mobile phone', () => {
  it('accepts 11 digits starting with 13-19', () => {
    for (const p of ['13812345678', '19912345678', '15000000000']) expect(isMobilePhone(p)).toBe(true);
  });

  it('refuses other numbers', () => {
    for (const p of [
      '12812345678',
      '1381234567',
      '138123456789',
      '1381234567a',
      ' 13812345678',
      57112345678,
    ]) {
      expect(isMobilePhone(p)).toBe(false);
    }
  });

  it('normalises spaces, hyphens and the +86 prefix when checking', () => {
    expect(checkPhone('+86 138-1234-5678')).toEqual({ ok: true, value: '13812345678' });
    expect(checkPhone('008613812345678')).toEqual({ ok: true, value: '13812345678' });
    expect(checkPhone('8613812345678')).toEqual({ ok: true, value: '13812345678' });
  });

  it('says what is wrong', () => {
    expect(checkPhone('0571-8888888')).toEqual({
      ok: false,
      reasons: ['a mainland mobile number starts with 13-19, "0571-8888888" starts with 05'],
    });
    expect(checkPhone('1381234567')).toEqual({
      ok: false,
      reasons: ['a mainland mobile number has 11 digits, "1381234567" has 10'],
    });
    expect(checkPhone('12812345678')).toEqual({
      ok: false,
      reasons: ['a mainland mobile number starts with 13-19, "12812345678" starts with 12'],
    });
    expect(checkPhone('138abc')).toEqual({
      ok: false,
      reasons: ['"138abc" is not a phone number: it must be digits'],
    });
  });
});

describe('masks', () => {
  it('masks a phone number keeping the first 3 and last 4 digits', () => {
    expect(maskPhone('13812345678')).toBe('138****5678');
  });

  it('masks a bank card keeping the first 4 and last 4 digits', () => {
    expect(maskBankCard('6222021234567890123')).toBe('6222***********0123');
    expect(maskBankCard('6222 0212 3456 7890')).toBe('6222********7890');
    expect(maskBankCard('12345678')).toBe('********');
  });
});

describe('bank card', () => {
  it('computes the Luhn check digit by a hand-verified example', () => {
    // 7992739871 from the right, doubling every other digit starting with the last:
    //   1x2=2, 7, 8x2=16->7, 9, 3x2=6, 7, 2x2=4, 9, 9x2=18->9, 7 = 67; (10 - 7) mod 10 = 3
    expect(luhnCheckDigit('7992739871')).toBe('3');
    expect(isLuhnValid('79927398713')).toBe(true);
    expect(isLuhnValid('79927398710')).toBe(false);
  });

  it('accepts 16-19 digits with a valid check digit', () => {
    const card = '621234567890123456';
    const full = card + luhnCheckDigit(card);
    expect(checkBankCard(full)).toEqual({ ok: true, value: full });
    expect(checkBankCard(full.replace(/(\d{4})/g, '$1 '))).toEqual({ ok: true, value: full });
  });

  it('says what is wrong', () => {
    expect(checkBankCard('123456789012345')).toEqual({
      ok: false,
      reasons: ['a card number has 16 to 19 digits, got 15'],
    });
    const payload = '622202123456789012';
    const wrong = (Number(luhnCheckDigit(payload)) + 1) % 10;
    expect(checkBankCard(payload + wrong)).toEqual({
      ok: false,
      reasons: [`check digit should be ${luhnCheckDigit(payload)} but is ${wrong}`],
    });
    expect(checkBankCard('62220212345678a0')).toMatchObject({ ok: false });
  });
});
