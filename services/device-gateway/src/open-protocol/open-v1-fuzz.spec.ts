/**
 * Property tests of the open-v1 parsers: whatever bytes or JSON a device sends, the parsers do not
 * throw; a refusal names fields that exist in the message (in the document's notation); and a refused
 * message yields nothing (no punch, no result is half-taken).
 */
import fc from 'fast-check';
import { parseCommandResults } from './commands';
import { parseHeartbeat } from './heartbeat';
import { parsePunchBatch } from './punch-batch';
import { parseJsonBody } from './wire';
import type { FieldProblem, Result } from '@realname/contracts';

const RUNS = { numRuns: 400 };
const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(64, 1)]).toString('base64');
const UUID = fc.uuid();

/** Mostly the valid value, sometimes anything at all, sometimes missing. */
function mostly<T>(valid: fc.Arbitrary<T>): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 8, arbitrary: valid },
    { weight: 1, arbitrary: fc.anything() },
    { weight: 1, arbitrary: fc.constant(undefined) },
  );
}

/** An object from a record of field arbitraries, undefined fields left out, sometimes a stray key. */
function object(fields: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<Record<string, unknown>> {
  return fc
    .tuple(
      fc.record(fields, { requiredKeys: [] }),
      fc.option(fc.tuple(fc.string({ minLength: 1, maxLength: 12 }), fc.anything()), { freq: 8 }),
    )
    .map(([o, extra]) => {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
      if (extra && !(extra[0] in fields)) out[extra[0]] = extra[1];
      return out;
    });
}

const nearPunch = object({
  recordId: mostly(fc.stringMatching(/^[0-9]{1,10}$/)),
  personId: mostly(fc.stringMatching(/^[0-9]{4,6}$/)),
  time: mostly(
    fc.oneof(
      fc.date({ min: new Date('2020-01-01'), max: new Date('2030-01-01') }).map((d) => d.toISOString()),
      fc.constant('2026-11-21 08:00:00'),
      fc.constant('2026-02-30 08:00:00'),
      fc.string(),
    ),
  ),
  direction: mostly(fc.constantFrom('in', 'out', 'unknown', 'sideways')),
  verifyMode: mostly(fc.constantFrom('face', 'card', 'other', 'palm')),
  photo: mostly(fc.constantFrom(JPEG, '', 'not base64!', Buffer.from('GIF89a').toString('base64'))),
});

const nearBatch = fc.oneof(
  {
    weight: 6,
    arbitrary: object({ punches: mostly(fc.array(nearPunch, { maxLength: 8 })), backfillId: mostly(UUID) }),
  },
  { weight: 1, arbitrary: fc.anything() },
  { weight: 1, arbitrary: fc.jsonValue() },
);

const nearHeartbeat = fc.oneof(
  {
    weight: 6,
    arbitrary: object({
      deviceTime: mostly(
        fc.oneof(
          fc.date({ min: new Date('2020-01-01'), max: new Date('2030-01-01') }).map((d) => d.toISOString()),
          fc.constant('2026-11-21T07:41:02+08:00'),
          fc.constant('2026-11-21 07:41:02'),
        ),
      ),
      firmware: mostly(fc.string({ maxLength: 80 })),
      personCount: mostly(fc.integer({ min: -5, max: 1_000_000 })),
      storedRecords: mostly(fc.oneof(fc.integer({ min: 0, max: 1000 }), fc.double())),
    }),
  },
  { weight: 1, arbitrary: fc.anything() },
);

const nearResults = fc.oneof(
  {
    weight: 6,
    arbitrary: object({
      results: mostly(
        fc.array(
          object({
            commandId: mostly(fc.oneof(UUID, fc.constant('00000000-0000-0000-0000-000000000000'))),
            ok: mostly(fc.boolean()),
            code: mostly(fc.constantFrom('photo-unusable', 'storage-full', 'bad code!')),
            message: mostly(fc.string({ maxLength: 40 })),
            count: mostly(fc.integer({ min: -1, max: 100 })),
          }),
          { maxLength: 6 },
        ),
      ),
    }),
  },
  { weight: 1, arbitrary: fc.anything() },
);

/** The bytes a device might send: the JSON of a near-valid message, cut anywhere, or any bytes. */
function bytesOf(message: fc.Arbitrary<unknown>): fc.Arbitrary<Buffer> {
  return fc.oneof(
    message.chain((m) => {
      const text = Buffer.from(JSON.stringify(m) ?? 'undefined', 'utf8');
      return fc.integer({ min: 0, max: text.length }).map((cut) => text.subarray(0, cut));
    }),
    message.map((m) => Buffer.from(JSON.stringify(m) ?? '', 'utf8')),
    fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)),
  );
}

/** A field name of the document's notation as a path: `punches[0]["a b"].time` -> ['punches', 0, 'a b', 'time']. */
function pathOf(field: string): (string | number)[] | undefined {
  const path: (string | number)[] = [];
  const token = /^(?:\.?([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\])/;
  let rest = field;
  while (rest.length > 0) {
    const m = token.exec(rest);
    if (!m) return undefined;
    path.push(m[1] ?? (m[2] !== undefined ? Number(m[2]) : (JSON.parse(m[3]) as string)));
    rest = rest.slice(m[0].length);
  }
  return path;
}

/**
 * Every problem names a field of the message unambiguously: `(body)`, or a path whose parent exists in
 * what was sent (the field itself may be the one missing).
 */
function namesRealFields(problems: FieldProblem[], message: unknown): void {
  expect(problems.length).toBeGreaterThan(0);
  for (const p of problems) {
    expect(typeof p.message).toBe('string');
    expect(p.message.length).toBeGreaterThan(0);
    if (p.field === '(body)') continue;
    const path = pathOf(p.field);
    expect(path).toBeDefined();
    let at: unknown = message;
    for (const part of path!.slice(0, -1)) {
      expect(at !== null && typeof at === 'object').toBe(true);
      at = (at as Record<string | number, unknown>)[part];
    }
    expect(at !== null && typeof at === 'object').toBe(true);
  }
}

function neverHalf<T>(r: Result<T> | { ok: boolean }): void {
  if (r.ok) expect('problems' in r).toBe(false);
  else expect(Object.keys(r).sort()).toEqual(['ok', 'problems']);
}

describe('open-v1 parsers under arbitrary input', () => {
  it('body bytes: never throw; a refusal is about the body', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (a) => {
        const r = parseJsonBody(Buffer.from(a));
        if (!r.ok) expect(r.problems.every((p) => p.field === '(body)')).toBe(true);
      }),
      RUNS,
    );
  });

  it('punch batch: all punches or none, refusals name real fields', () => {
    fc.assert(
      fc.property(nearBatch, (message) => {
        const r = parsePunchBatch(message, 'Asia/Shanghai', 6, { maxPhotoBytes: 1000 });
        neverHalf(r);
        if (r.ok) {
          const sent = (message as { punches: unknown[] }).punches;
          expect(r.punches).toHaveLength(sent.length);
          for (const p of r.punches) expect(Number.isFinite(p.punchedAt.getTime())).toBe(true);
        } else {
          expect('punches' in r).toBe(false);
          namesRealFields(r.problems, message);
        }
      }),
      RUNS,
    );
  });

  it('punch batch from bytes (cut anywhere): never throws', () => {
    fc.assert(
      fc.property(bytesOf(nearBatch), (bytes) => {
        const json = parseJsonBody(bytes);
        const r = json.ok ? parsePunchBatch(json.value, 'Asia/Shanghai', 6) : json;
        neverHalf(r);
        if (!r.ok && json.ok) namesRealFields(r.problems, json.value);
      }),
      RUNS,
    );
  });

  it('heartbeat: never throws; a device clock when taken, real fields when refused', () => {
    fc.assert(
      fc.property(fc.oneof(nearHeartbeat, bytesOf(nearHeartbeat)), (input) => {
        let message: unknown = input;
        if (Buffer.isBuffer(input)) {
          const json = parseJsonBody(input);
          if (!json.ok) return;
          message = json.value;
        }
        const r = parseHeartbeat(message);
        neverHalf(r);
        if (r.ok) expect(Number.isFinite(r.value.deviceClock.getTime())).toBe(true);
        else namesRealFields(r.problems, message);
      }),
      RUNS,
    );
  });

  it('command results: never throw; every result or none', () => {
    fc.assert(
      fc.property(fc.oneof(nearResults, bytesOf(nearResults)), (input) => {
        let message: unknown = input;
        if (Buffer.isBuffer(input)) {
          const json = parseJsonBody(input);
          if (!json.ok) return;
          message = json.value;
        }
        const r = parseCommandResults(message);
        neverHalf(r);
        if (r.ok) {
          expect(r.value).toHaveLength((message as { results: unknown[] }).results.length);
          expect(new Set(r.value.map((x) => x.commandId)).size).toBe(r.value.length);
          for (const x of r.value) if (!x.ok) expect(x.code).toBeDefined();
        } else namesRealFields(r.problems, message);
      }),
      RUNS,
    );
  });
});
