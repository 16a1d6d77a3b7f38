import fc from 'fast-check';
import { buildMultipart, multipartBoundary, parseHeaderParams, parseMultipart } from './multipart';

const JPEG = Buffer.concat([
  Buffer.from([0xff, 0xd8, 0xff, 0xe0]),
  Buffer.from('JFIF fake image bytes \r\n-- not a boundary \r\n\r\n'),
  Buffer.alloc(300, 0x5a),
  Buffer.from([0xff, 0xd9]),
]);

function ok(r: ReturnType<typeof parseMultipart>) {
  if ('error' in r) throw new Error(r.error);
  return r;
}

describe('multipartBoundary', () => {
  it('reads plain, quoted and oddly cased boundaries', () => {
    expect(multipartBoundary('multipart/form-data; boundary=MIME_boundary')).toBe('MIME_boundary');
    expect(multipartBoundary('multipart/form-data; Boundary="a b;c"')).toBe('a b;c');
    expect(multipartBoundary('multipart/form-data;boundary=---x;charset=utf-8')).toBe('---x');
    expect(multipartBoundary('multipart/form-data')).toBeUndefined();
    expect(multipartBoundary('multipart/form-data; boundary=')).toBeUndefined();
    expect(multipartBoundary(undefined)).toBeUndefined();
  });

  it('reads Content-Disposition parameters, including RFC 5987 file names', () => {
    const p = parseHeaderParams(`form-data; name="Picture"; filename*=utf-8''%E4%BA%BA%E8%84%B8.jpg`);
    expect(p.get('name')).toBe('Picture');
    expect(p.get('filename')).toBe('人脸.jpg');
    expect(parseHeaderParams('form-data; name=event_log').get('name')).toBe('event_log');
  });
});

describe('parseMultipart', () => {
  const event = JSON.stringify({
    eventType: 'AccessControllerEvent',
    AccessControllerEvent: { serialNo: 7 },
  });

  it('splits a well-formed body into named parts with exact binary data', () => {
    const { body, contentType } = buildMultipart([
      { name: 'AccessControllerEvent', contentType: 'application/json', data: event },
      { name: 'Picture', filename: 'Picture.jpg', contentType: 'image/jpeg', data: JPEG },
    ]);
    const r = ok(parseMultipart(body, contentType));
    expect(r.truncated).toBe(false);
    expect(r.parts).toHaveLength(2);
    expect(r.parts[0]).toMatchObject({ name: 'AccessControllerEvent', contentType: 'application/json' });
    expect(r.parts[0].data.toString()).toBe(event);
    expect(r.parts[1]).toMatchObject({ name: 'Picture', filename: 'Picture.jpg', contentType: 'image/jpeg' });
    expect(r.parts[1].data.equals(JPEG)).toBe(true);
  });

  it('keeps the parts before a cut inside the picture and marks the body truncated', () => {
    const { body, contentType } = buildMultipart([
      { name: 'AccessControllerEvent', data: event },
      { name: 'Picture', filename: 'p.jpg', contentType: 'image/jpeg', data: JPEG },
    ]);
    const cut = body.indexOf(Buffer.from([0xff, 0xd8])) + 40;
    const r = ok(parseMultipart(body.subarray(0, cut), contentType));
    expect(r.truncated).toBe(true);
    expect(r.parts[0].data.toString()).toBe(event);
    expect(r.parts[1].name).toBe('Picture');
    expect(r.parts[1].data.length).toBe(40);
  });

  it('tolerates a missing final boundary, bare LF line ends, a preamble and transport padding', () => {
    const body = Buffer.from(
      'preamble text\n--xyz  \nContent-Disposition: form-data; name="a"\n\nhello\n--xyz\n' +
        'Content-Disposition: form-data; name="b"\n\nworld',
    );
    const r = ok(parseMultipart(body, 'multipart/form-data; boundary=xyz'));
    expect(r.parts.map((p) => [p.name, p.data.toString()])).toEqual([
      ['a', 'hello'],
      ['b', 'world'],
    ]);
    expect(r.truncated).toBe(true);
  });

  it('finds the boundary in the body when the Content-Type has none', () => {
    const { body } = buildMultipart([{ name: 'event_log', data: event }], 'abc123');
    const r = ok(parseMultipart(body, 'multipart/form-data'));
    expect(r.parts[0].name).toBe('event_log');
    expect(r.truncated).toBe(false);
  });

  it('drops a part cut inside its headers', () => {
    const body = Buffer.from(
      '--b\r\nContent-Disposition: form-data; name="a"\r\n\r\nA\r\n--b\r\nContent-Dispo',
    );
    const r = ok(parseMultipart(body, 'multipart/form-data; boundary=b'));
    expect(r.parts).toHaveLength(1);
    expect(r.truncated).toBe(true);
  });

  it('handles empty parts and parts without headers', () => {
    const body = Buffer.from(
      '--b\r\n\r\nno headers\r\n--b\r\nContent-Disposition: form-data; name="e"\r\n\r\n\r\n--b--',
    );
    const r = ok(parseMultipart(body, 'multipart/form-data; boundary=b'));
    expect(r.parts).toHaveLength(2);
    expect(r.parts[0].name).toBeUndefined();
    expect(r.parts[0].data.toString()).toBe('no headers');
    expect(r.parts[1].data.length).toBe(0);
    expect(r.truncated).toBe(false);
  });

  it('refuses what is not multipart with an error, never an exception', () => {
    expect(parseMultipart(Buffer.alloc(0), 'multipart/form-data; boundary=b')).toEqual({
      error: expect.stringContaining('empty'),
    });
    expect(parseMultipart(Buffer.from('{"a":1}'), 'application/json')).toHaveProperty('error');
    expect(
      parseMultipart(Buffer.from('no delimiter here'), 'multipart/form-data; boundary=b'),
    ).toHaveProperty('error');
  });

  describe('fuzzing', () => {
    const partArb = fc.record({
      name: fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,20}$/),
      data: fc.uint8Array({ maxLength: 400 }).map((a) => Buffer.from(a)),
      withFilename: fc.boolean(),
    });
    const boundaryArb = fc.stringMatching(/^[A-Za-z0-9'()+_,.\-]{1,40}$/);

    it('never throws on arbitrary bytes and content types', () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 2000 }), fc.string({ maxLength: 100 }), (bytes, ct) => {
          const r = parseMultipart(Buffer.from(bytes), ct);
          expect(r).toBeDefined();
          if (!('error' in r)) expect(Array.isArray(r.parts)).toBe(true);
        }),
        { numRuns: 500 },
      );
    });

    it('round-trips built bodies whose data does not contain the delimiter', () => {
      fc.assert(
        fc.property(fc.array(partArb, { minLength: 1, maxLength: 6 }), boundaryArb, (parts, boundary) => {
          const delimiter = Buffer.from('--' + boundary);
          fc.pre(parts.every((p) => p.data.indexOf(delimiter) < 0));
          const built = buildMultipart(
            parts.map((p) => ({
              name: p.name,
              filename: p.withFilename ? 'f.bin' : undefined,
              data: p.data,
            })),
            boundary,
          );
          const r = ok(parseMultipart(built.body, built.contentType));
          expect(r.truncated).toBe(false);
          expect(r.parts.map((p) => p.name)).toEqual(parts.map((p) => p.name));
          r.parts.forEach((p, i) => expect(p.data.equals(parts[i].data)).toBe(true));
        }),
        { numRuns: 300 },
      );
    });

    it('a body cut anywhere after the first part keeps the first part exactly', () => {
      fc.assert(
        fc.property(
          fc.uint8Array({ minLength: 1, maxLength: 600 }).map((a) => Buffer.from(a)),
          fc.double({ min: 0, max: 1, noNaN: true }),
          (picture, where) => {
            const boundary = 'MIME_boundary';
            fc.pre(picture.indexOf(Buffer.from('--' + boundary)) < 0);
            const built = buildMultipart(
              [
                { name: 'AccessControllerEvent', contentType: 'application/json', data: event },
                { name: 'Picture', contentType: 'image/jpeg', data: picture },
              ],
              boundary,
            );
            const firstEnd = built.body.indexOf('--' + boundary, 10);
            const cut = firstEnd - 2 + Math.floor(where * (built.body.length - firstEnd + 2));
            const r = ok(parseMultipart(built.body.subarray(0, cut), built.contentType));
            expect(r.parts[0].name).toBe('AccessControllerEvent');
            expect(r.parts[0].data.toString()).toBe(event);
            const closeEnd = built.body.lastIndexOf('--' + boundary + '--') + boundary.length + 4;
            expect(r.truncated).toBe(cut < closeEnd);
          },
        ),
        { numRuns: 300 },
      );
    });
  });
});
