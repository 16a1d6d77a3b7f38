import { ChangeFeed, CursorCodec, formatCst } from './feed';

describe('CursorCodec', () => {
  const codec = new CursorCodec(1);

  it('round-trips positions and refuses anything it did not make', () => {
    for (const seq of [0, 1, 17, 123_456]) expect(codec.decode(codec.encode(seq))).toBe(seq);
    expect(codec.decode('')).toBeUndefined();
    expect(codec.decode('17')).toBeUndefined();
    expect(codec.decode(new CursorCodec(2).encode(17))).toBeUndefined();
    const forged = Buffer.from(
      Buffer.from(codec.encode(17), 'base64url').toString().replace('v1.17.', 'v1.18.'),
    ).toString('base64url');
    expect(codec.decode(forged)).toBeUndefined();
  });
});

describe('ChangeFeed', () => {
  const enterprise = {
    creditCode: '91330106MA27XL0E2Y',
    name: '杭州测试建设有限公司',
    registrationType: '173',
    legalRepresentative: '张三',
    region: '330106',
  };

  it('numbers changes from 1, folds upserts and deletes, and keeps `at` from going back', () => {
    let now = Date.UTC(2026, 5, 1, 2, 0, 0);
    const feed = new ChangeFeed(() => now);
    expect(feed.append({ kind: 'enterprise', op: 'upsert', data: enterprise })).toMatchObject({
      seq: 1,
      at: '2026-06-01T10:00:00+08:00',
    });
    now -= 3_600_000; // the clock steps back: the next change keeps the last time
    const deleted = feed.append({
      kind: 'enterprise',
      op: 'delete',
      data: { ...enterprise } as unknown as { creditCode: string },
    });
    expect(deleted).toEqual({
      seq: 2,
      kind: 'enterprise',
      op: 'delete',
      at: '2026-06-01T10:00:00+08:00',
      data: { creditCode: enterprise.creditCode },
    });
    expect(feed.snapshot().enterprises).toEqual([]);
    // Deleting what does not exist is still a change in the feed.
    expect(feed.append({ kind: 'project', op: 'delete', data: { projectCode: 'P1' } }).seq).toBe(3);
    expect(feed.page(0, 2)).toMatchObject({ lastSeq: 2, hasMore: true });
    expect(feed.page(2, 2)).toMatchObject({ lastSeq: 3, hasMore: false });
    expect(feed.page(3, 2)).toEqual({ changes: [], lastSeq: 3, hasMore: false });
  });

  it('writes China Standard Time', () => {
    expect(formatCst(Date.UTC(2026, 0, 1, 16, 30, 5, 999))).toBe('2026-01-02T00:30:05+08:00');
  });
});
