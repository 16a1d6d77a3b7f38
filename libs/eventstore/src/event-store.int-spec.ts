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

  it('applies its migrations once, even when two replicas start together', async () => {
    const again = await Promise.all([
      migrate(db, schema, eventStoreMigrations),
      migrate(db, schema, eventStoreMigrations),
    ]);
    expect(again).toEqual([[], []]);
  });
});
