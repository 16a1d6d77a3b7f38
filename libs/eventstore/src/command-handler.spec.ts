import { keyedStreamId, retryOnConflict } from './command-handler';
import { ConcurrencyConflict } from './event-store';

describe('retryOnConflict', () => {
  it('decides again after another writer appended first, and gives up after the last attempt', async () => {
    let n = 0;
    await expect(
      retryOnConflict(async () => {
        if (++n < 3) throw new ConcurrencyConflict('s-1', n);
        return n;
      }),
    ).resolves.toBe(3);
    await expect(
      retryOnConflict(async () => {
        throw new ConcurrencyConflict('s-1', 0);
      }, 2),
    ).rejects.toBeInstanceOf(ConcurrencyConflict);
  });

  it('does not retry any other error', async () => {
    let n = 0;
    await expect(
      retryOnConflict(async () => {
        n++;
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(n).toBe(1);
  });
});

describe('keyedStreamId', () => {
  it('names the same key by the same stream, and different keys or categories apart', () => {
    expect(keyedStreamId('enrolment', 'P1', 'w-1')).toBe(keyedStreamId('enrolment', 'P1', 'w-1'));
    expect(keyedStreamId('enrolment', 'P1', 'w-1')).not.toBe(keyedStreamId('enrolment', 'P1w', '-1'));
    expect(keyedStreamId('worker', 'h')).not.toBe(keyedStreamId('enrolment', 'h'));
    expect(keyedStreamId('worker', 'h')).toMatch(
      /^worker-[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  });
});
