import type { Sql } from '@realname/eventstore';
import { handOverIdentities, IdentityAnswer, IdentitySource } from './identity-source';
import type { WorkerIdentitiesRepository, WorkerIdentity } from './worker-identities.repository';

const sql = {} as Sql;
const identity = (n: number): WorkerIdentity => ({ idCardType: '01', idCardNumber: `id-${n}` });

function repository() {
  const stored = new Map<string, WorkerIdentity>();
  const repo = {
    put: (_sql: Sql, workerId: string, i: WorkerIdentity) => Promise.resolve(void stored.set(workerId, i)),
  } as unknown as WorkerIdentitiesRepository;
  return { repo, stored };
}

/** A source answering by worker, a little later, counting how many it is asked at once. */
function source(answer: (workerId: string) => IdentityAnswer) {
  const state = { inFlight: 0, most: 0, asked: [] as string[] };
  const s: IdentitySource = {
    identityOf: async (workerId) => {
      state.asked.push(workerId);
      state.inFlight += 1;
      state.most = Math.max(state.most, state.inFlight);
      await new Promise((r) => setTimeout(r, 5));
      state.inFlight -= 1;
      return answer(workerId);
    },
  };
  return { s, state };
}

const workers = Array.from({ length: 10 }, (_, i) => `w-${i}`);

describe('handing identities over from a source', () => {
  it('asks at most four at a time and stores every identity found', async () => {
    const { repo, stored } = repository();
    const { s, state } = source((w) => ({ outcome: 'found', identity: identity(Number(w.slice(2))) }));
    const handed = await handOverIdentities(sql, repo, s, workers, 4);
    expect(state.most).toBe(4);
    expect([...handed.found.keys()].sort()).toEqual([...workers].sort());
    expect(stored.get('w-3')).toEqual(identity(3));
    expect(handed.unknown.size).toBe(0);
    expect(handed.unavailable).toBeUndefined();
  });

  it('returns the workers the source does not know, and stores nothing for them', async () => {
    const { repo, stored } = repository();
    const { s } = source((w) =>
      w === 'w-2' ? { outcome: 'unknown' } : { outcome: 'found', identity: identity(0) },
    );
    const handed = await handOverIdentities(sql, repo, s, workers.slice(0, 4), 4);
    expect([...handed.unknown]).toEqual(['w-2']);
    expect(stored.has('w-2')).toBe(false);
    expect(stored.size).toBe(3);
  });

  it('stops asking once the source is unavailable (the in-flight answers still count)', async () => {
    const { repo } = repository();
    const { s, state } = source((w) =>
      w === 'w-0' ? { outcome: 'unavailable', detail: 'registry answered 503' } : { outcome: 'unknown' },
    );
    const handed = await handOverIdentities(sql, repo, s, workers, 2);
    expect(handed.unavailable).toBe('registry answered 503');
    expect(state.asked).toEqual(['w-0', 'w-1']);
  });

  it('asks no more workers once its time budget is spent (the rest are asked next time)', async () => {
    const { repo, stored } = repository();
    const { s, state } = source((w) => ({ outcome: 'found', identity: identity(Number(w.slice(2))) }));
    const handed = await handOverIdentities(sql, repo, s, workers, 1, 12);
    expect(state.asked.length).toBeGreaterThan(0);
    expect(state.asked.length).toBeLessThan(workers.length);
    expect(stored.size).toBe(state.asked.length);
    expect(handed.unavailable).toBeUndefined();
  });

  it('reads a source that throws as unavailable', async () => {
    const { repo } = repository();
    const s: IdentitySource = { identityOf: () => Promise.reject(new Error('boom')) };
    const handed = await handOverIdentities(sql, repo, s, ['w-1'], 4);
    expect(handed).toEqual({ found: new Map(), unknown: new Set(), unavailable: 'Error: boom' });
  });
});
