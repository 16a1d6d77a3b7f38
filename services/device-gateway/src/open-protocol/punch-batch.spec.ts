import { parsePunchBatch } from './punch-batch';

describe('open protocol v1 punch batch', () => {
  it('parses local and offset times in the device zone', () => {
    const r = parsePunchBatch(
      {
        punches: [
          {
            recordId: '1',
            personId: '1001',
            time: '2026-11-21 08:00:00',
            direction: 'in',
            verifyMode: 'face',
          },
          { recordId: '2', personId: '1002', time: '2026-11-21T17:30:00+08:00' },
        ],
      },
      'Asia/Shanghai',
      500,
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.punches.map((p) => p.punchedAt.toISOString())).toEqual([
      '2026-11-21T00:00:00.000Z',
      '2026-11-21T09:30:00.000Z',
    ]);
    expect(r.punches[1].verifyMode).toBe('other');
  });

  it('names every bad field by its place in the batch', () => {
    const r = parsePunchBatch(
      {
        punches: [
          { recordId: '1', personId: '1001', time: '2026-11-21 08:00:00' },
          { recordId: '', personId: '1002', time: '2026-11-21 08:00:00' },
          { recordId: '3', personId: '1003', time: 'half past eight' },
          { recordId: '4', personId: '1004', time: '2026-11-21 08:00:00', direction: 'sideways' },
        ],
      },
      'Asia/Shanghai',
      500,
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const fields = r.problems.map((p) => p.field);
    expect(fields).toEqual(expect.arrayContaining(['punches[1].recordId', 'punches[3].direction']));
    // Times are checked once the shape is right; a second pass reports them.
    const second = parsePunchBatch(
      { punches: [{ recordId: '3', personId: '1003', time: 'half past eight' }] },
      'Asia/Shanghai',
      500,
    );
    expect(second.ok === false && second.problems[0]).toMatchObject({ field: 'punches[0].time' });
  });

  it('refuses an empty batch, an oversized batch and unknown fields', () => {
    const p = { recordId: '1', personId: '1', time: '2026-11-21 08:00:00' };
    expect(parsePunchBatch({ punches: [] }, 'UTC', 10)).toMatchObject({ ok: false });
    expect(parsePunchBatch({ punches: Array(11).fill(p) }, 'UTC', 10)).toMatchObject({
      ok: false,
      problems: [{ field: 'punches', message: 'must hold at most 10 punches' }],
    });
    expect(parsePunchBatch({ punches: [{ ...p, temperature: 36.6 }] }, 'UTC', 10)).toMatchObject({
      ok: false,
    });
    expect(parsePunchBatch('punches', 'UTC', 10)).toMatchObject({ ok: false });
  });
});
