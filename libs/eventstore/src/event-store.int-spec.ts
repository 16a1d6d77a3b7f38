import { testInfrastructure, uniqueName } from '@realname/testing';
import { Database } from './database';
import { ANY, ConcurrencyConflict, DuplicateEvent, EventStore, NO_STREAM } from './event-store';
import { migrate, eventStoreMigrations } from './migrations';
import { freshStore, noted } from './test-support';

describe('EventStore against PostgreSQL', () => {
  let db: Database;
  let store: EventStore;
  const schema = uniqueName('es');

  beforeAll(async () => {
    db = await freshStore((await testInfrastructure()).postgresUrl, schema);
    store = new EventStore(db, schema);
  });
  afterAll(async () => {
    await db.execute(`DROP SCHEMA ${schema} CASCADE`);
    await db.close();
  });

  it('appends and reads a stream in order, with envelope attributes intact', async () => {
    const events = [noted('s-1', 1), noted('s-1', 2), noted('s-1', 3)];
    const r = await store.append('s-1', events, NO_STREAM);
    expect(r.nextVersion).toBe(3n);
    const read = await store.readStream('s-1');
    expect(read.map((e) => (e.data as { n: number }).n)).toEqual([1, 2, 3]);
    expect(read.map((e) => e.streamPosition)).toEqual([1n, 2n, 3n]);
    expect(read[0].id).toBe(events[0].id);
    expect(read[0].correlationid).toBe(events[0].correlationid);
    expect(read[0].region).toBe('330106');
  });

  it('refuses an append at a stale expected version', async () => {
    await store.append('s-2', [noted('s-2', 1)], NO_STREAM);
    await expect(store.append('s-2', [noted('s-2', 2)], NO_STREAM)).rejects.toBeInstanceOf(
      ConcurrencyConflict,
    );
    await expect(store.append('s-2', [noted('s-2', 2)], 5)).rejects.toBeInstanceOf(ConcurrencyConflict);
    expect(await store.streamVersion('s-2')).toBe(1n);
  });

  it('lets exactly one of many concurrent writers at the same version win, and loses nothing', async () => {
    await store.append('s-3', [noted('s-3', 0)], NO_STREAM);
    const writers = Array.from({ length: 10 }, (_, i) => store.append('s-3', [noted('s-3', i + 1)], 1));
    const results = await Promise.allSettled(writers);
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r) => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(9);
    for (const l of lost) expect((l as PromiseRejectedResult).reason).toBeInstanceOf(ConcurrencyConflict);
    expect(await store.readStream('s-3')).toHaveLength(2);
  });

  it('with ANY, concurrent writers all land, gap-free and without duplicates', async () => {
    await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        store.append('s-4', [noted('s-4', i), noted('s-4', 100 + i)], ANY),
      ),
    );
    const read = await store.readStream('s-4');
    expect(read).toHaveLength(24);
    expect(read.map((e) => e.streamPosition)).toEqual(Array.from({ length: 24 }, (_, i) => BigInt(i + 1)));
    // Each writer's two events stay adjacent and in order.
    for (let i = 0; i < 24; i += 2) {
      expect((read[i + 1].data as { n: number }).n - (read[i].data as { n: number }).n).toBe(100);
    }
  });

  it('refuses the same event id twice', async () => {
    const e = noted('s-5', 1);
    await store.append('s-5', [e], NO_STREAM);
    await expect(store.append('s-5', [{ ...e }], 1)).rejects.toBeInstanceOf(DuplicateEvent);
  });

  it('rolls back the append with the caller transaction', async () => {
    await expect(
      db.transaction(async (tx) => {
        await store.append('s-6', [noted('s-6', 1)], NO_STREAM, tx);
        throw new Error('handler failed after appending');
      }),
    ).rejects.toThrow('handler failed');
    expect(await store.readStream('s-6')).toHaveLength(0);
  });

  describe('several streams at once, each at its expected version', () => {
    const ns = (events: { data: unknown }[]) => events.map((e) => (e.data as { n: number }).n);

    it('appends to new and existing streams in one statement and reads them back in one query', async () => {
      await store.append('m-1', [noted('m-1', 1)], NO_STREAM);
      const results = await db.transaction((tx) =>
        store.appendToStreams(
          [
            { streamId: 'm-1', events: [noted('m-1', 2), noted('m-1', 3)], expected: 1 },
            { streamId: 'm-2', events: [noted('m-2', 1)], expected: NO_STREAM },
            { streamId: 'm-3', events: [], expected: 7 }, // nothing to append: left alone
          ],
          tx,
        ),
      );
      expect(results.map((r) => r.nextVersion)).toEqual([3n, 1n, 7n]);
      expect(results.map((r) => r.globalPositions.length)).toEqual([2, 1, 0]);
      const streams = await store.readStreams(['m-2', 'm-1', 'm-none']);
      expect(ns(streams.get('m-1')!)).toEqual([1, 2, 3]);
      expect(streams.get('m-1')!.map((e) => e.streamPosition)).toEqual([1n, 2n, 3n]);
      expect(ns(streams.get('m-2')!)).toEqual([1]);
      expect(streams.get('m-none')).toEqual([]);
      // The global positions returned are those stored.
      expect(
        streams
          .get('m-1')!
          .slice(1)
          .map((e) => e.globalPosition),
      ).toEqual(results[0].globalPositions);
      expect(await store.streamVersions(['m-1', 'm-2', 'm-none'])).toEqual(
        new Map([
          ['m-1', 3n],
          ['m-2', 1n],
          ['m-none', 0n],
        ]),
      );
    });

    it('appends nothing when one stream moved, names it, and leaves the transaction usable', async () => {
      await store.append('m-4', [noted('m-4', 1)], NO_STREAM);
      await store.append('m-5', [noted('m-5', 1), noted('m-5', 2)], NO_STREAM);
      await db.transaction(async (tx) => {
        const conflict = await store
          .appendToStreams(
            [
              { streamId: 'm-4', events: [noted('m-4', 2)], expected: 1 },
              { streamId: 'm-5', events: [noted('m-5', 3)], expected: 1 }, // it is at 2
              { streamId: 'm-6', events: [noted('m-6', 1)], expected: NO_STREAM },
            ],
            tx,
          )
          .catch((e: unknown) => e);
        expect(conflict).toBeInstanceOf(ConcurrencyConflict);
        expect((conflict as ConcurrencyConflict).streamId).toBe('m-5');
        // Re-read and decide again, in the same transaction.
        await store.appendToStreams(
          [
            { streamId: 'm-4', events: [noted('m-4', 2)], expected: 1 },
            { streamId: 'm-5', events: [noted('m-5', 3)], expected: 2 },
          ],
          tx,
        );
      });
      const streams = await store.readStreams(['m-4', 'm-5', 'm-6']);
      expect(ns(streams.get('m-4')!)).toEqual([1, 2]);
      expect(ns(streams.get('m-5')!)).toEqual([1, 2, 3]);
      expect(streams.get('m-6')).toEqual([]);
    });

    it('lets one of two concurrent batches on a shared stream win; the other conflicts and appends nothing', async () => {
      const batch = (n: number) =>
        db.transaction((tx) =>
          store.appendToStreams(
            [
              { streamId: 'm-shared', events: [noted('m-shared', n)], expected: NO_STREAM },
              { streamId: `m-own-${n}`, events: [noted(`m-own-${n}`, n)], expected: NO_STREAM },
            ],
            tx,
          ),
        );
      const results = await Promise.allSettled([batch(1), batch(2)]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      expect(lost.reason).toBeInstanceOf(ConcurrencyConflict);
      const streams = await store.readStreams(['m-shared', 'm-own-1', 'm-own-2']);
      expect(streams.get('m-shared')).toHaveLength(1);
      const winner = (streams.get('m-shared')![0].data as { n: number }).n;
      expect(streams.get(`m-own-${winner}`)).toHaveLength(1);
      expect(streams.get(`m-own-${3 - winner}`)).toHaveLength(0);
    });

    it('refuses events whose subject is another stream, and a stream named twice', async () => {
      await expect(
        db.transaction((tx) =>
          store.appendToStreams([{ streamId: 'm-7', events: [noted('m-8', 1)], expected: NO_STREAM }], tx),
        ),
      ).rejects.toThrow('not stream m-7');
      await expect(
        db.transaction((tx) =>
          store.appendToStreams(
            [
              { streamId: 'm-7', events: [noted('m-7', 1)], expected: NO_STREAM },
              { streamId: 'm-7', events: [noted('m-7', 2)], expected: 1 },
            ],
            tx,
          ),
        ),
      ).rejects.toThrow('appears twice');
    });
  });

  it('applies its migrations once, even when two replicas start together', async () => {
    const again = await Promise.all([
      migrate(db, schema, eventStoreMigrations),
      migrate(db, schema, eventStoreMigrations),
    ]);
    expect(again).toEqual([[], []]);
  });
});
