/**
 * Property-based tests of the ZKTeco parsers: whatever bytes arrive, they never throw and answer with
 * records or typed line errors; a valid line is parsed wherever it sits among garbage lines; and what
 * the reference simulator writes parses back to the same records.
 */
import fc from 'fast-check';
import { formatLocalTime } from '@realname/contracts';
import {
  renderAttlogLine,
  renderAttphotoBody,
  renderCommandResult,
  renderOperlogBody,
  renderRtlogLine,
  renderUserLine,
  ZkAttRecord,
} from '@realname/device-simulator';
import { parseAttlog } from './attlog';
import { parseAttphoto } from './attphoto';
import { commandResultFromQuery, parseCommandResults } from './devicecmd';
import { parseOperlog } from './operlog';
import { parseRtlog } from './rtlog';
import { decodeDeviceText, LineError, LinesResult } from './zkteco-text';

const TZ = 'Asia/Shanghai';
const RUNS = { numRuns: 400 };

const pinArb = fc.stringMatching(/^[0-9A-Za-z]{1,24}$/);
/** Whole seconds between 2001 and 2099 (China has had no daylight saving since 1991). */
const instantArb = fc
  .integer({ min: Date.UTC(2001, 0, 1) / 1000, max: Date.UTC(2099, 0, 1) / 1000 })
  .map((s) => new Date(s * 1000));
const recordArb: fc.Arbitrary<ZkAttRecord> = fc.record({
  pin: pinArb,
  time: instantArb.map((d) => formatLocalTime(d, TZ)),
  status: fc.integer({ min: 0, max: 5 }),
  verify: fc.constantFrom(0, 1, 3, 4, 15, 25),
  index: fc.integer({ min: 1, max: 2_000_000_000 }),
});
/** Any text without a line feed: one line of garbage. */
const garbageLineArb = fc.string({ unit: 'binary', maxLength: 80 }).map((s) => s.replace(/\n/g, ' '));
const bytesArb = fc.uint8Array({ maxLength: 2000 }).map((a) => Buffer.from(a));
const languageArb = fc.constantFrom(undefined, '83', '69', 'x');

function wellTyped<T>(r: LinesResult<T>): void {
  expect(Array.isArray(r.records)).toBe(true);
  for (const e of r.errors as LineError[]) {
    expect(typeof e.field).toBe('string');
    expect(e.field.length).toBeGreaterThan(0);
    expect(typeof e.message).toBe('string');
    expect(Number.isInteger(e.line)).toBe(true);
  }
}

/** Valid lines interleaved with garbage; returns the body and the line number of each valid line. */
function interleave(valid: string[], garbage: string[][]): { body: string; lineOf: number[] } {
  const lines: string[] = [];
  const lineOf: number[] = [];
  valid.forEach((v, i) => {
    lines.push(...(garbage[i] ?? []));
    lines.push(v);
    lineOf.push(lines.length);
  });
  lines.push(...(garbage[valid.length] ?? []));
  return { body: lines.join('\n'), lineOf };
}

const garbageBlocksArb = (n: number) =>
  fc.array(fc.array(garbageLineArb, { maxLength: 3 }), { minLength: n + 1, maxLength: n + 1 });

describe('ZKTeco parsers never throw', () => {
  it('on arbitrary bytes, in any language', () => {
    fc.assert(
      fc.property(bytesArb, languageArb, (bytes, language) => {
        const text = decodeDeviceText(bytes, language);
        expect(typeof text).toBe('string');
        wellTyped(parseAttlog(text, TZ));
        wellTyped(parseOperlog(text));
        wellTyped(parseCommandResults(text));
        wellTyped(parseRtlog(text, TZ));
        wellTyped(parseAttphoto(bytes, TZ));
      }),
      RUNS,
    );
  });

  it('on arbitrary lines of arbitrary text', () => {
    fc.assert(
      fc.property(fc.array(garbageLineArb, { maxLength: 30 }), (lines) => {
        const text = lines.join('\n');
        wellTyped(parseAttlog(text, TZ));
        wellTyped(parseOperlog(text));
        wellTyped(parseCommandResults(text));
        wellTyped(parseRtlog(text, TZ));
      }),
      RUNS,
    );
  });

  it('on arbitrary ATTPHOTO-shaped bodies (header, NUL, anything)', () => {
    fc.assert(
      fc.property(
        fc.array(garbageLineArb, { maxLength: 6 }),
        bytesArb,
        fc.boolean(),
        (header, tail, withNul) => {
          const body = Buffer.concat([
            Buffer.from(header.join('\n'), 'latin1'),
            Buffer.from(withNul ? [0] : []),
            tail,
          ]);
          const r = parseAttphoto(body, TZ);
          wellTyped(r);
          for (const p of r.records) expect(p.bytes[0]).toBe(0xff);
        },
      ),
      RUNS,
    );
  });

  it('on arbitrary query strings given as command results', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ maxLength: 10 }), fc.string({ maxLength: 20 })), (query) => {
        const r = commandResultFromQuery(query);
        if (r && 'message' in r) expect(typeof r.field).toBe('string');
      }),
      RUNS,
    );
  });
});

describe('no accepted record is lost among garbage lines', () => {
  it('ATTLOG', () => {
    fc.assert(
      fc.property(
        fc
          .array(recordArb, { minLength: 1, maxLength: 12 })
          .chain((rs) => fc.tuple(fc.constant(rs), garbageBlocksArb(rs.length))),
        ([records, garbage]) => {
          const { body, lineOf } = interleave(records.map(renderAttlogLine), garbage);
          const parsed = parseAttlog(body, TZ);
          records.forEach((r, i) => {
            const got = parsed.records.find((x) => x.line === lineOf[i]);
            expect(got).toMatchObject({ pin: r.pin, time: r.time, status: r.status, verify: r.verify });
          });
          // Every line is either a record or an error: nothing disappears silently.
          const nonBlank = body.split('\n').filter((l) => l.replace(/\r$/, '').trim() !== '').length;
          expect(parsed.records.length + parsed.errors.length).toBe(nonBlank);
        },
      ),
      RUNS,
    );
  });

  it('rtlog', () => {
    fc.assert(
      fc.property(
        fc
          .array(recordArb, { minLength: 1, maxLength: 12 })
          .chain((rs) => fc.tuple(fc.constant(rs), garbageBlocksArb(rs.length))),
        ([records, garbage]) => {
          const { body, lineOf } = interleave(records.map(renderRtlogLine), garbage);
          const parsed = parseRtlog(body, TZ);
          records.forEach((r, i) => {
            const got = parsed.records.find((x) => x.line === lineOf[i]);
            expect(got).toMatchObject({ pin: r.pin, time: r.time, index: String(r.index), event: 0 });
          });
        },
      ),
      RUNS,
    );
  });

  it('devicecmd results', () => {
    const resultArb = fc.record({
      id: fc.integer({ min: 1, max: 1e12 }).map(String),
      returnCode: fc.integer({ min: -10_000, max: 10_000 }),
      cmd: fc.constantFrom('DATA', 'VERIFY', 'CHECK'),
      count: fc.option(fc.nat(), { nil: undefined }),
    });
    fc.assert(
      fc.property(
        fc
          .array(resultArb, { minLength: 1, maxLength: 10 })
          .chain((rs) => fc.tuple(fc.constant(rs), garbageBlocksArb(rs.length))),
        ([results, garbage]) => {
          const { body, lineOf } = interleave(results.map(renderCommandResult), garbage);
          const parsed = parseCommandResults(body);
          results.forEach((r, i) => {
            const got = parsed.records.find((x) => x.line === lineOf[i]);
            expect(got).toMatchObject({ seq: Number(r.id), returnCode: r.returnCode, cmd: r.cmd });
            expect(got?.count).toBe(r.count);
          });
        },
      ),
      RUNS,
    );
  });

  it('OPERLOG users, in GB2312', () => {
    const nameArb = fc.constantFrom('张三', '李四', '王小明', 'Chen Wei', '欧阳娜娜', '');
    const userArb = fc.record({
      pin: pinArb,
      name: nameArb,
      privilege: fc.constantFrom('0', '14'),
      card: fc.constantFrom('', '123456'),
    });
    fc.assert(
      fc.property(
        fc.array(userArb, { minLength: 1, maxLength: 8 }).chain((us) =>
          fc.tuple(
            fc.constant(us),
            garbageBlocksArb(us.length).map((g) => g.map((b) => b.map(asciiOnly))),
          ),
        ),
        ([users, garbage]) => {
          const { body, lineOf } = interleave(users.map(renderUserLine), garbage);
          const bytes = renderOperlogBody(body.split('\n'), '83');
          const parsed = parseOperlog(decodeDeviceText(bytes, '83'));
          users.forEach((u, i) => {
            const got = parsed.records.find((x) => x.line === lineOf[i]);
            expect(got).toMatchObject({ kind: 'USER', pin: u.pin, name: u.name });
          });
        },
      ),
      RUNS,
    );
  });
});

/** GB2312 cannot carry every character: garbage for the GB2312 body stays within printable ASCII. */
function asciiOnly(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, '?');
}

describe('what the simulator writes parses back to the same records', () => {
  it('ATTLOG bodies', () => {
    fc.assert(
      fc.property(fc.array(recordArb, { minLength: 1, maxLength: 40 }), (records) => {
        const parsed = parseAttlog(records.map(renderAttlogLine).join('\n') + '\n', TZ);
        expect(parsed.errors).toEqual([]);
        expect(parsed.records.map((r) => [r.pin, r.time, r.status, r.verify])).toEqual(
          records.map((r) => [r.pin, r.time, r.status, r.verify]),
        );
      }),
      RUNS,
    );
  });

  it('ATTPHOTO bodies', () => {
    fc.assert(
      fc.property(pinArb, recordArb, fc.uint8Array({ maxLength: 3000 }), (pin, r, tail) => {
        const jpeg = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), Buffer.from(tail)]);
        const parsed = parseAttphoto(renderAttphotoBody({ pin, time: r.time, sn: 'SIM1', bytes: jpeg }), TZ);
        expect(parsed.errors).toEqual([]);
        expect(parsed.records).toHaveLength(1);
        expect(parsed.records[0]).toMatchObject({ pin, time: r.time, sn: 'SIM1' });
        expect(parsed.records[0].bytes.equals(jpeg)).toBe(true);
      }),
      RUNS,
    );
  });

  it('ATTPHOTO bodies whose size= is smaller or larger than the JPEG sent', () => {
    const jpegArb = fc
      .uint8Array({ maxLength: 3000 })
      .map((a) =>
        Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), Buffer.from(a), Buffer.from([0xff, 0xd9])]),
      );
    const skewArb = fc.oneof(fc.integer({ min: -3000, max: -1 }), fc.integer({ min: 1, max: 3000 }));
    fc.assert(
      fc.property(
        fc.array(fc.tuple(pinArb, recordArb, jpegArb, skewArb), { minLength: 1, maxLength: 4 }),
        (photos) => {
          const body = Buffer.concat(
            photos.map(([pin, r, jpeg, sizeSkew]) =>
              renderAttphotoBody({ pin, time: r.time, sn: 'SIM1', bytes: jpeg, sizeSkew }),
            ),
          );
          const parsed = parseAttphoto(body, TZ);
          wellTyped(parsed);
          // Random image bytes may hold FF D9 + a header-like tail; every photo still starts with FF D8.
          for (const p of parsed.records)
            expect(p.bytes.subarray(0, 2).equals(Buffer.from([0xff, 0xd8]))).toBe(true);
          const [pin, r, jpeg, sizeSkew] = photos[0];
          const first = parsed.records[0];
          expect(first).toMatchObject({ pin, time: r.time, complete: true });
          if (!jpeg.subarray(0, -2).includes(Buffer.from([0xff, 0xd9]))) {
            expect(first.bytes.equals(jpeg)).toBe(true);
            expect(first.declaredSize).toBe(Math.max(0, jpeg.length + sizeSkew));
          }
          if (photos.every(([, , j]) => !j.subarray(0, -2).includes(Buffer.from([0xff, 0xd9])))) {
            expect(parsed.errors).toEqual([]);
            expect(parsed.records.map((p) => p.pin)).toEqual(photos.map(([p]) => p));
          }
        },
      ),
      RUNS,
    );
  });

  it('devicecmd bodies', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ id: fc.integer({ min: 1, max: 1e9 }), code: fc.integer({ min: -2000, max: 0 }) }),
          { maxLength: 20 },
        ),
        (rs) => {
          const body = rs
            .map((r) => renderCommandResult({ id: String(r.id), returnCode: r.code, cmd: 'DATA' }))
            .join('\n');
          expect(parseCommandResults(body).records.map((x) => [x.seq, x.returnCode])).toEqual(
            rs.map((r) => [r.id, r.code]),
          );
        },
      ),
      RUNS,
    );
  });
});
