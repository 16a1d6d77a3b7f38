import { jsonObject, tryJson } from './json';

describe('tryJson', () => {
  it('reads JSON text or bytes, and answers undefined for blank or broken text instead of throwing', () => {
    expect(tryJson('{"a":1}')).toEqual({ a: 1 });
    expect(tryJson(Buffer.from('[1,2]'))).toEqual([1, 2]);
    expect(tryJson('  ')).toBeUndefined();
    expect(tryJson('{"a":')).toBeUndefined();
  });

  it('jsonObject keeps objects only', () => {
    expect(jsonObject(tryJson('{"a":1}'))).toEqual({ a: 1 });
    expect(jsonObject(tryJson('[1]'))).toBeUndefined();
    expect(jsonObject(tryJson('null'))).toBeUndefined();
  });
});
