import { parseIngestArgs } from './ingest-args';

describe('parseIngestArgs', () => {
  it('has the documented defaults and reads both spellings', () => {
    const d = parseIngestArgs([], '/tmp/b.md');
    expect(d).toMatchObject({
      kind: 'run',
      options: {
        rate: 5000,
        durationS: 300,
        warmupS: 15,
        devices: 200,
        sampleEvery: 20,
        out: '/tmp/b.md',
        write: true,
      },
    });
    const r = parseIngestArgs(
      ['--rate=100', '--duration', '5', '--mix', 'uface:100', '--no-write'],
      '/tmp/b.md',
    );
    expect(r).toMatchObject({ kind: 'run', options: { rate: 100, durationS: 5, write: false } });
    expect(r.kind === 'run' && r.options.mix.uface).toBe(100);
  });

  it('names the flag at fault', () => {
    const error = (argv: string[]) => {
      const p = parseIngestArgs(argv, '/tmp/b.md');
      return p.kind === 'error' ? p.message : undefined;
    };
    expect(error(['--rate', '0'])).toMatch(/--rate must be a positive number, got "0"/);
    expect(error(['--mix', 'fax:10'])).toMatch(/--mix: "fax:10" is not family:percent/);
    expect(error(['--duration'])).toMatch(/--duration needs a value/);
    expect(error(['--rat', '5'])).toMatch(/unknown option --rat/);
    expect(parseIngestArgs(['--rate', 'x', '-h'], '/tmp/b.md')).toEqual({ kind: 'help' });
  });
});
