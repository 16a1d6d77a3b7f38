import { amountDue, divHalfUp, fenToYuan, termsFor, yuanToFen, type WageTermsRow } from './amount-due';

describe('amount due', () => {
  const daily: WageTermsRow = { workerId: null, basis: 'daily', rateFen: 35000, effectiveFrom: '2026-10' };

  it('daily: rate × days present', () => {
    expect(amountDue(daily, { daysPresent: 22, workedMinutes: 0 })).toEqual({
      amountDueFen: 770000,
      note: null,
    });
  });

  it('hourly: rate × minutes / 60, half up to the fen', () => {
    const hourly: WageTermsRow = { ...daily, basis: 'hourly', rateFen: 2501 };
    // 2501 × 61 / 60 = 2542.683… → 2543; 2501 × 30 / 60 = 1250.5 → 1251
    expect(amountDue(hourly, { daysPresent: 1, workedMinutes: 61 }).amountDueFen).toBe(2543);
    expect(amountDue(hourly, { daysPresent: 1, workedMinutes: 30 }).amountDueFen).toBe(1251);
    expect(amountDue(hourly, { daysPresent: 1, workedMinutes: 29 }).amountDueFen).toBe(1209);
  });

  it('piece: rate × pieces (2 decimals); unknown without pieces', () => {
    const piece: WageTermsRow = { ...daily, basis: 'piece', rateFen: 1999 };
    expect(amountDue(piece, { daysPresent: 3, workedMinutes: 0, piecesHundredths: 12050 }).amountDueFen).toBe(
      240880, // 1999 × 120.50 = 240879.5 → 240880
    );
    const unknown = amountDue(piece, { daysPresent: 3, workedMinutes: 0 });
    expect(unknown.amountDueFen).toBeNull();
    expect(unknown.note).toMatch(/no pieces entered/);
    expect(amountDue(undefined, { daysPresent: 3, workedMinutes: 0 }).note).toMatch(/no wage terms/);
  });

  it('stays exact beyond 2^53', () => {
    expect(divHalfUp(2n ** 60n + 1n, 2n)).toBe(2n ** 59n + 1n);
  });

  it("takes the worker's latest terms from the month back, else the team's", () => {
    const terms: WageTermsRow[] = [
      daily,
      { workerId: null, basis: 'daily', rateFen: 36000, effectiveFrom: '2026-12' },
      { workerId: 'w-2', basis: 'hourly', rateFen: 5000, effectiveFrom: '2026-11' },
    ];
    expect(termsFor(terms, 'w-1', '2026-11')?.rateFen).toBe(35000);
    expect(termsFor(terms, 'w-1', '2027-01')?.rateFen).toBe(36000);
    expect(termsFor(terms, 'w-2', '2026-11')?.basis).toBe('hourly');
    expect(termsFor(terms, 'w-2', '2026-10')?.basis).toBe('daily');
    expect(termsFor(terms, 'w-1', '2026-09')).toBeUndefined();
  });

  it('reads yuan as typed into fen, refusing what is not an amount', () => {
    expect(yuanToFen('6800.50')).toBe(680050);
    expect(yuanToFen(6800.5)).toBe(680050);
    expect(yuanToFen(0.1 + 0.2)).toBeUndefined();
    expect(yuanToFen('1,234.5')).toBe(123450);
    expect(yuanToFen('¥88')).toBe(8800);
    expect(yuanToFen('12.345')).toBeUndefined();
    expect(yuanToFen('-5')).toBeUndefined();
    expect(yuanToFen('1e3')).toBeUndefined();
    expect(yuanToFen(null)).toBeUndefined();
    expect(fenToYuan(680050)).toBe('6800.50');
    expect(fenToYuan(-5)).toBe('-0.05');
  });
});
