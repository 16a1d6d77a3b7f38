import type { AttendanceApi } from '@realname/contracts';

/*
 * Amounts due from wage terms and attendance, in fen with exact integer arithmetic (BigInt where a
 * product may pass 2^53): daily rate × days present; hourly rate × worked minutes / 60, half up to the
 * fen; piece rate × pieces (pieces in hundredths, half up to the fen).
 */

export type WageBasis = AttendanceApi.WageBasis;

export interface WageTermsRow {
  /** null: the team's terms; a worker's override the team's. */
  workerId: string | null;
  basis: WageBasis;
  rateFen: number;
  /** YYYY-MM */
  effectiveFrom: string;
}

/** n / d rounded half up, for n ≥ 0 and d > 0. */
export function divHalfUp(n: bigint, d: bigint): bigint {
  return (2n * n + d) / (2n * d);
}

/** The terms that apply to a worker in a month: the worker's latest from that month back, else the team's. */
export function termsFor(terms: WageTermsRow[], workerId: string, month: string): WageTermsRow | undefined {
  const latest = (rows: WageTermsRow[]) =>
    rows
      .filter((t) => t.effectiveFrom <= month)
      .reduce<WageTermsRow | undefined>(
        (a, t) => (!a || t.effectiveFrom > a.effectiveFrom ? t : a),
        undefined,
      );
  return (
    latest(terms.filter((t) => t.workerId === workerId)) ?? latest(terms.filter((t) => t.workerId === null))
  );
}

export interface Attended {
  daysPresent: number;
  workedMinutes: number;
  /** Piece rate only: the pieces entered for the month, in hundredths; undefined when none. */
  piecesHundredths?: number;
}

export type AmountDue = { amountDueFen: number; note: null } | { amountDueFen: null; note: string };

export function amountDue(terms: WageTermsRow | undefined, a: Attended): AmountDue {
  if (!terms)
    return { amountDueFen: null, note: 'no wage terms for this month: enter the team’s or the worker’s' };
  const rate = BigInt(terms.rateFen);
  switch (terms.basis) {
    case 'daily':
      return { amountDueFen: Number(rate * BigInt(a.daysPresent)), note: null };
    case 'hourly':
      return { amountDueFen: Number(divHalfUp(rate * BigInt(a.workedMinutes), 60n)), note: null };
    case 'piece':
      if (a.piecesHundredths === undefined)
        return {
          amountDueFen: null,
          note: 'piece rate: no pieces entered for this month, so the amount due is unknown',
        };
      return { amountDueFen: Number(divHalfUp(rate * BigInt(a.piecesHundredths), 100n)), note: null };
  }
}

const YUAN = /^(\d{1,9}|\d{1,3}(,\d{3}){1,2})(\.\d{1,2})?$/;

/** Yuan as typed (≤ 2 decimals, thousands commas allowed) to fen; undefined when it is not such an amount. */
export function yuanToFen(value: unknown): number | undefined {
  let text: string;
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) return undefined;
    // A number such as 6800.5 arrives as binary floating point: its shortest decimal form is what was typed.
    text = String(value);
  } else if (typeof value === 'string') text = value.trim().replace(/^[¥￥]/, '');
  else return undefined;
  if (!YUAN.test(text)) return undefined;
  const [whole, decimals = ''] = text.replace(/,/g, '').split('.');
  return Number(BigInt(whole) * 100n + BigInt(decimals.padEnd(2, '0')));
}

/** Fen as yuan with two decimals: 680050 → "6800.50". */
export function fenToYuan(fen: number): string {
  const sign = fen < 0 ? '-' : '';
  const abs = Math.abs(fen);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

/** Pieces (≤ 2 decimals) in hundredths. */
export function piecesToHundredths(pieces: number): number {
  return Math.round(pieces * 100);
}
