import { imageFormatOf, inspectBase64, kilobytes } from './image';
import { judgeImage } from './field-rules';
import { gif, jpeg, png } from './fixtures.spec-support';

describe('reading a Base64 image by its bytes', () => {
  it('Given JPEG and PNG signatures, when inspected, then the format comes from the bytes', () => {
    expect(inspectBase64(jpeg(100))).toEqual({ ok: true, bytes: 100, format: 'jpeg' });
    expect(inspectBase64(png(100))).toEqual({ ok: true, bytes: 100, format: 'png' });
    expect(inspectBase64(gif(100))).toEqual({ ok: true, bytes: 100, format: undefined });
  });

  it('Given a truncated signature, when inspected, then it is no image', () => {
    expect(imageFormatOf(new Uint8Array([0xff, 0xd8]))).toBeUndefined();
    expect(imageFormatOf(new Uint8Array([0x89, 0x50, 0x4e, 0x47]))).toBeUndefined();
  });

  it('Given MIME line breaks, when inspected, then they are ignored; other text is not Base64', () => {
    const b64 = jpeg(200);
    expect(inspectBase64(`${b64.slice(0, 76)}\r\n${b64.slice(76)}`)).toMatchObject({ ok: true, bytes: 200 });
    expect(inspectBase64('')).toEqual({ ok: false });
    expect(inspectBase64('abc')).toEqual({ ok: false });
    expect(inspectBase64('photo.jpg')).toEqual({ ok: false });
  });

  it('Given sizes around a kilobyte, when shown, then they round up', () => {
    expect([kilobytes(1), kilobytes(1024), kilobytes(1025), kilobytes(51_201)]).toEqual([1, 1, 2, 51]);
  });

  it('Given a PNG named like a JPEG is still a PNG, when judged, then only size and signature matter', () => {
    expect(judgeImage(png(51_200), 51_200)).toEqual({ ok: true });
    expect(judgeImage(png(51_201), 51_200)).toEqual({ ok: false, problem: 'too-large', kb: 51 });
    expect(judgeImage(gif(10), 51_200)).toEqual({ ok: false, problem: 'not-jpg-png' });
  });
});
