// Helpers for this library's own integration tests (not exported from the package).
import { z } from 'zod';
import { createEvent, defineEvent } from '@realname/contracts';
import { Database } from './database';
import { eventStoreMigrations, migrate } from './migrations';

export const Noted = defineEvent({
  type: 'realname.test.Noted',
  version: 1,
  topic: 'test.noted.v1',
  schema: z.object({ n: z.number().int() }),
});

export function noted(streamId: string, n: number) {
  return createEvent(Noted, { n }, { source: '/test', subject: streamId, region: '330106' });
}

export async function freshStore(url: string, schema: string): Promise<Database> {
  const db = await Database.connect({ url, poolSize: 12 });
  await migrate(db, schema, eventStoreMigrations);
  return db;
}
