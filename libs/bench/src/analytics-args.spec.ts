import { parseAnalyticsArgs } from './analytics-args';

describe('bench:analytics command line', () => {
  it('has a province-sized month by default', () => {
    expect(parseAnalyticsArgs([], 'out.md')).toEqual({
      kind: 'run',
      options: { punches: 100_000_000, month: '2026-11', runs: 7, keep: false, out: 'out.md', write: true },
    });
  });

  it('reads the size, the month and the switches', () => {
    const r = parseAnalyticsArgs(['--punches', '2_000_000', '--month=2027-02', '--keep', '--no-write'], 'o');
    expect(r).toMatchObject({
      kind: 'run',
      options: { punches: 2_000_000, month: '2027-02', keep: true, write: false },
    });
  });

  it('names the flag at fault', () => {
    expect(parseAnalyticsArgs(['--punches', '0'], 'o')).toEqual({
      kind: 'error',
      message: '--punches must be a positive whole number, got "0"',
    });
    expect(parseAnalyticsArgs(['--month', '2026-13'], 'o')).toMatchObject({ kind: 'error' });
    expect(parseAnalyticsArgs(['--help'], 'o')).toEqual({ kind: 'help' });
  });
});
