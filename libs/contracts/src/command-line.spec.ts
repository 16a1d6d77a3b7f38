import { readCommandLine } from './command-line';

const OPTIONS = {
  workers: { type: 'string' },
  device: { type: 'string', multiple: true },
  once: { type: 'boolean' },
} as const;

describe('readCommandLine', () => {
  it('reads --flag value and --flag=value, repeated options in order, and switches', () => {
    expect(readCommandLine(['--workers', '4', '--device=a', '--device', 'b', '--once'], OPTIONS)).toEqual({
      kind: 'values',
      values: { workers: '4', device: ['a', 'b'], once: true },
    });
    expect(readCommandLine(['--workers='], OPTIONS)).toEqual({ kind: 'values', values: { workers: '' } });
  });

  it('answers help whatever else is given, even a mistake', () => {
    expect(readCommandLine(['--frobnicate', '--help'], OPTIONS)).toEqual({ kind: 'help' });
    expect(readCommandLine(['stray', '-h'], OPTIONS)).toEqual({ kind: 'help' });
  });

  it('names the flag at fault in one sentence', () => {
    const message = (argv: string[]) => {
      const r = readCommandLine(argv, OPTIONS);
      return r.kind === 'error' ? r.message : undefined;
    };
    expect(message(['--workers'])).toBe('--workers needs a value');
    expect(message(['--workers', '--once'])).toBe('--workers needs a value');
    expect(message(['--once=yes'])).toBe('--once takes no value');
    expect(message(['--frobnicate', '1'])).toBe('unknown option --frobnicate');
    expect(message(['-w', '1'])).toBe('unknown option -w');
    expect(message(['stray'])).toBe('unexpected argument "stray"');
    expect(message(['--', '--workers'])).toBe('unexpected argument "--workers"');
  });
});
