import {
  AcceptedPunch,
  BatchRequest,
  decideIngest,
  IngestFacts,
  photoJoinKey,
  punchResults,
  recordIdentity,
  recordsOfBatch,
  settleClaims,
  collapseScope,
  backfillProgress,
  personsToLock,
} from './ingest-batch.decider';
import type { NormalisedPunch } from './punch';

const at = (s: string) => new Date(`2026-11-21T07:00:${s}+08:00`);
const punch = (personId: string, s: string, recordId?: string, photo = false): NormalisedPunch => ({
  ...(recordId ? { recordId } : {}),
  personId,
  deviceTime: `2026-11-21 07:00:${s}`,
  punchedAt: at(s),
  verifyMode: 'face',
  ...(photo ? { photo: { bytes: Buffer.from('jpeg'), contentType: 'image/jpeg' } } : {}),
});
const request = (punches: NormalisedPunch[], family: BatchRequest['family'] = 'uface', deviceId = 'd1') => ({
  deviceId,
  family,
  punches,
});
const nothingHeld = (): IngestFacts => ({ held: new Map(), acceptedNearby: [], waitingPhotos: new Map() });

/** Given the facts, when the batch is decided: the status of each punch of each request. */
function when(requests: BatchRequest[], facts: IngestFacts = nothingHeld(), collapseWindowMs = 10_000) {
  let n = 0;
  const { punches, records } = recordsOfBatch(requests);
  const decisions = decideIngest(records, facts, { collapseWindowMs, newEventId: () => `e${++n}` });
  return { decisions, results: punchResults(punches, decisions) };
}
const statuses = (r: ReturnType<typeof when>) => r.results.map((rs) => rs.map((x) => x.status));

describe('what an ingest batch decides', () => {
  it('given nothing held, when a batch repeats a key, then the first is new and the rest are resends of it', () => {
    const r = when([
      request([punch('1', '00', '41'), punch('1', '05', '41')]),
      request([punch('1', '00', '41')]),
    ]);
    expect(statuses(r)).toEqual([['accepted', 'duplicate'], ['duplicate']]);
    expect(r.results[1][0].eventId).toBe(r.results[0][0].eventId);
  });

  it('given a key held, when it comes again, then it is a resend carrying the first event id', () => {
    const held = new Map([[recordIdentity({ deviceId: 'd1', key: '41' }), { eventId: 'first' }]]);
    const r = when([request([punch('1', '00', '41')], 'hikvision-isapi')], { ...nothingHeld(), held });
    expect(r.results).toEqual([[{ key: '41', status: 'duplicate', eventId: 'first' }]]);
  });

  it('given no record id, when the same person and instant come again, then it is a resend', () => {
    const key = `1@${at('00').toISOString()}`;
    const held = new Map([[recordIdentity({ deviceId: 'd1', key }), { eventId: 'first' }]]);
    expect(statuses(when([request([punch('1', '00')])], { ...nothingHeld(), held }))).toEqual([
      ['duplicate'],
    ]);
  });

  it('given an accepted punch held, when the same person comes within the window without a key, then it collapses', () => {
    const near: AcceptedPunch = { deviceId: 'd1', personId: '1', key: 'k', punchedAt: at('00') };
    const r = when([request([punch('1', '09'), punch('1', '10'), punch('2', '05')])], {
      ...nothingHeld(),
      acceptedNearby: [near],
    });
    expect(statuses(r)).toEqual([['collapsed', 'accepted', 'accepted']]);
    expect(r.results[0][0].eventId).toBeUndefined();
  });

  it('given nothing held, when one person repeats within the batch, then the later ones collapse into the first kept', () => {
    const r = when([
      request([punch('1', '05'), punch('1', '00')]),
      request([punch('1', '12'), punch('1', '20')]),
    ]);
    expect(statuses(r)).toEqual([
      ['collapsed', 'accepted'],
      ['accepted', 'collapsed'],
    ]);
  });

  it('given punches with record ids, when they are close together, then none collapses (the device counted them)', () => {
    const near: AcceptedPunch = { deviceId: 'd1', personId: '1', key: '40', punchedAt: at('00') };
    const r = when([request([punch('1', '01', '41'), punch('1', '02', '42')], 'hikvision-isapi')], {
      ...nothingHeld(),
      acceptedNearby: [near],
    });
    expect(statuses(r)).toEqual([['accepted', 'accepted']]);
  });

  it('given a window of 0, when the same person repeats, then nothing collapses and nothing is locked', () => {
    const requests = [request([punch('1', '00'), punch('1', '01')])];
    expect(statuses(when(requests, nothingHeld(), 0))).toEqual([['accepted', 'accepted']]);
    expect(collapseScope(recordsOfBatch(requests).records, 0)).toEqual([]);
  });

  it('locks the persons whose decision another transaction could change: keyless ones, and ZKTeco punches awaiting a photo', () => {
    const { records } = recordsOfBatch([
      request([punch('1', '00'), punch('2', '00', '7')], 'uface'),
      request([punch('3', '00', '8'), punch('4', '00', '9', true)], 'zkteco-push', 'd2'),
    ]);
    expect(personsToLock(records, 10_000)).toEqual([
      { deviceId: 'd1', personId: '1' },
      { deviceId: 'd2', personId: '3' },
    ]);
    expect(personsToLock(records, 0)).toEqual([{ deviceId: 'd2', personId: '3' }]);
  });

  it('given a photo waiting for a ZKTeco punch, when the punch comes, then it gets the photo; others do not look', () => {
    const waitingPhotos = new Map([[photoJoinKey('d1', '1', at('00')), 'sha256:abc']]);
    const zk = when([request([punch('1', '00')], 'zkteco-push')], { ...nothingHeld(), waitingPhotos });
    expect(zk.decisions[0]).toMatchObject({ outcome: 'accepted', photoRef: 'sha256:abc' });
    const uface = when([request([punch('1', '00')], 'uface')], { ...nothingHeld(), waitingPhotos });
    expect(uface.decisions[0]).not.toHaveProperty('photoRef');
    const own = when([request([punch('1', '00', undefined, true)], 'zkteco-push')], {
      ...nothingHeld(),
      waitingPhotos,
    });
    expect(own.decisions[0]).toMatchObject({ photo: expect.anything() });
    expect(own.decisions[0]).not.toHaveProperty('photoRef');
  });

  it('given a concurrent transaction claimed a key first, when claims settle, then that punch is a resend of theirs', () => {
    const requests = [request([punch('1', '00', '41'), punch('1', '00', '41')], 'httpv2')];
    const { punches, records } = recordsOfBatch(requests);
    const decided = decideIngest(records, nothingHeld(), { collapseWindowMs: 0, newEventId: () => 'ours' });
    const theirs = new Map([[recordIdentity({ deviceId: 'd1', key: '41' }), { eventId: 'theirs' }]]);
    expect(punchResults(punches, settleClaims(decided, new Set(), theirs))).toEqual([
      [
        { key: '41', status: 'duplicate', eventId: 'theirs' },
        { key: '41', status: 'duplicate', eventId: 'theirs' },
      ],
    ]);
    const won = new Set([recordIdentity({ deviceId: 'd1', key: '41' })]);
    expect(punchResults(punches, settleClaims(decided, won, new Map()))[0][0]).toEqual({
      key: '41',
      status: 'accepted',
      eventId: 'ours',
    });
  });

  it('counts per request what was received and what was new, for the backfill it answers', () => {
    const held = new Map([[recordIdentity({ deviceId: 'd1', key: '41' }), { eventId: 'first' }]]);
    const requests = [request([punch('1', '00', '41'), punch('1', '01', '42')], 'zkteco-push'), request([])];
    const { records } = recordsOfBatch(requests);
    const decisions = decideIngest(
      records,
      { ...nothingHeld(), held },
      { collapseWindowMs: 0, newEventId: () => 'e' },
    );
    expect(backfillProgress(requests, decisions)).toEqual([
      { request: 0, received: 2, recovered: 1 },
      { request: 1, received: 0, recovered: 0 },
    ]);
  });
});
