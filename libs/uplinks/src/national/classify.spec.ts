import { classifyHttpStatus, classifyNationalCode, classifyTransportError, NATIONAL_CODE } from './classify';

describe('national failure classification', () => {
  it('maps reply codes onto the uplink classes', () => {
    expect(classifyNationalCode(NATIONAL_CODE.ok, 'success')).toBeUndefined();
    expect(classifyNationalCode(-5, '请求过于频繁')).toMatchObject({
      outcome: 'retriable',
      reason: 'rate-limited',
      code: -5,
    });
    expect(classifyNationalCode(-2, '签名错误')).toMatchObject({
      outcome: 'rejected',
      scope: 'credentials',
      code: -2,
    });
    expect(classifyNationalCode(-3, '无权限')).toMatchObject({ outcome: 'rejected', scope: 'credentials' });
    expect(classifyNationalCode(-4, 'IP不允许')).toMatchObject({ outcome: 'rejected', scope: 'credentials' });
    expect(classifyNationalCode(-1, 'workerList[0].headImage不能为空')).toEqual({
      outcome: 'rejected',
      scope: 'record',
      code: -1,
      message: 'workerList[0].headImage不能为空',
    });
    expect(classifyNationalCode(-1, '班组名称已存在')).toMatchObject({ outcome: 'already-exists', code: -1 });
  });

  it('treats a clone’s own busy codes as retriable only when told', () => {
    expect(classifyNationalCode(-9, '系统繁忙')).toMatchObject({ outcome: 'rejected', scope: 'record' });
    expect(classifyNationalCode(-9, '系统繁忙', [-9])).toMatchObject({
      outcome: 'retriable',
      reason: 'busy',
    });
  });

  it('maps HTTP statuses: 429 and 5xx retriable, other errors blame the credentials or endpoint', () => {
    expect(classifyHttpStatus(429, '')).toMatchObject({ outcome: 'retriable', reason: 'rate-limited' });
    expect(classifyHttpStatus(503, 'down')).toMatchObject({
      outcome: 'retriable',
      reason: 'server-error',
      code: 503,
    });
    expect(classifyHttpStatus(403, 'forbidden')).toMatchObject({ outcome: 'rejected', scope: 'credentials' });
  });

  it('maps a timeout and a refused connection to retriable', () => {
    const timeout = new DOMException('The operation was aborted due to timeout', 'TimeoutError');
    expect(classifyTransportError(timeout)).toMatchObject({ outcome: 'retriable', reason: 'timeout' });
    const refused = new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED') });
    expect(classifyTransportError(refused)).toMatchObject({ outcome: 'retriable', reason: 'network' });
    expect(classifyTransportError(refused).detail).toContain('ECONNREFUSED');
  });
});
