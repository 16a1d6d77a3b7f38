import { inspect } from 'node:util';
import { ProvinceBCredentials } from './credentials';
import { provinceBSignature, provinceBSigningString } from './signature';

// Expected values computed outside this code: printf '%s' '<signing string>' | md5sum, then upper-cased.
describe('Province B style signature (upper-case MD5)', () => {
  it('signs a business call: keys sorted, raw values, &key=secret, MD5 upper-case', () => {
    const fields = {
      token: 't0k',
      timestamp: '1700000000000',
      appKey: 'demo',
      nonce: 'abc',
      data: '{"a":1}',
    };
    expect(provinceBSigningString(fields, 'S3cr3t')).toBe(
      'appKey=demo&data={"a":1}&nonce=abc&timestamp=1700000000000&token=t0k&key=S3cr3t',
    );
    expect(provinceBSignature(fields, 'S3cr3t')).toBe('AC0127B8081C9A4037FEC89719058913');
  });

  it('leaves out sign and empty values, as the login call has no token', () => {
    const fields = { appKey: 'demo', timestamp: '1700000000000', nonce: 'abc', token: '', sign: 'OLD' };
    expect(provinceBSignature(fields, 'S3cr3t')).toBe('0857378AEC400C67C1AFF78A529298EF');
  });

  it('hashes the UTF-8 bytes of non-ASCII text', () => {
    expect(provinceBSignature({ appKey: 'demo', nonce: 'n', timestamp: '1' }, '密钥')).toBe(
      'EA90173F807F12F72A96968788BC5224',
    );
  });

  it('keeps the secret out of JSON and inspection', () => {
    const credentials = new ProvinceBCredentials({ appKey: 'demo', secret: 'S3cr3t' });
    expect(JSON.stringify(credentials)).not.toContain('S3cr3t');
    expect(inspect(credentials)).not.toContain('S3cr3t');
    expect(credentials.sign({ appKey: 'demo', nonce: 'n', timestamp: '1' })).toMatch(/^[0-9A-F]{32}$/);
    expect(() => new ProvinceBCredentials({ appKey: 'demo', secret: '' })).toThrow(/secret/);
  });
});
