import { CATALOGUE } from './catalogue';
import { explainPlatformRejection, PLATFORM_CODES } from './platform';

describe('explaining the platform’s own rejections', () => {
  it.each([
    [PLATFORM_CODES.badSignature, 'platform-signature-rejected'],
    [PLATFORM_CODES.noPermission, 'platform-no-permission'],
    [PLATFORM_CODES.ipNotAllowed, 'platform-ip-not-allowed'],
    [PLATFORM_CODES.rateLimited, 'platform-rate-limited'],
  ])('Given reply code %i, when explained, then it is %s whatever the message', (code, expected) => {
    expect(explainPlatformRejection(code, '').code).toBe(expected);
    expect(explainPlatformRejection(code, '头像不能为空').code).toBe(expected);
  });

  it.each([
    ['头像不能为空', 'head-image-missing'],
    ['头像大小不能超过50K', 'head-image-too-large'],
    ['头像格式只支持jpg、png', 'head-image-not-jpg-png'],
    ['考勤时间不能大于当前时间', 'date-in-future'],
    ['进场日期不能早于上一次进退场日期', 'entry-exit-before-last'],
    ['班组不存在', 'team-not-uploaded'],
    ['班组teamSysNo=T-9不存在,请先上传班组', 'team-not-uploaded'],
    ['workerList[0].headImage大小不能超过50KB', 'head-image-too-large'],
    ['workerList[0].headImage格式必须为JPG或PNG', 'head-image-not-jpg-png'],
    ['workerList[1].positiveIDCardImage大小超过500KB', 'id-card-image-too-large'],
    ['dataList[3].image格式必须为JPG或PNG', 'attendance-image-not-jpg-png'],
    ['dataList[3].image大小不能超过50KB', 'attendance-image-too-large'],
    ['参建企业未上传,请先上传企业信息', 'enterprise-not-uploaded'],
    ['参建单位未上传,请先上传参建单位', 'unit-not-uploaded'],
    ['dataList[0].direction取值不正确', 'code-value-unknown'],
    ['payMonth格式不正确', 'date-invalid'],
    ['corpCode不能为空', 'field-missing'],
    ['workerList每次最多上传50条', 'batch-too-large'],
    ['dataList[2].date不能晚于当前日期', 'date-in-future'],
    ['工人不存在于该项目', 'worker-not-uploaded'],
    ['区域编码不存在', 'area-code-invalid'],
    ['身份证号码不正确', 'id-number-invalid'],
    ['统一社会信用代码错误', 'credit-code-invalid'],
    ['appid不存在', 'appid-invalid'],
    ['该工人已存在', 'platform-already-exists'],
    ['项目编码不能为空', 'field-missing'],
  ])('Given a failed result "%s", when explained, then it reads as %s', (message, expected) => {
    expect(explainPlatformRejection(PLATFORM_CODES.asyncFailed, message).code).toBe(expected);
    expect(explainPlatformRejection(PLATFORM_CODES.badParameters, message).code).toBe(expected);
  });

  it('Given a head-image rejection, when explained, then it reads like the local check and quotes the platform', () => {
    const p = explainPlatformRejection(10, '头像大小不能超过50K');
    expect(p).toEqual({
      code: 'head-image-too-large',
      path: '',
      zh: '工人头像超过 50 KB：请在实名制系统“工人信息”中重新上传不超过 50 KB 的 JPG 或 PNG 照片（上级平台原话：“头像大小不能超过50K”）。',
      en: 'The head photo is over 50 KB: upload a JPG or PNG of at most 50 KB again under Workers in the site system (the higher platform said: "头像大小不能超过50K").',
    });
    expect(p.zh.startsWith(CATALOGUE['head-image-too-large'].general.zh.slice(0, -1))).toBe(true);
  });

  it('Given a message nobody foresaw, when explained, then the platform is quoted with a generic sentence', () => {
    expect(explainPlatformRejection(-1, '  参数data解析失败 ')).toEqual({
      code: 'platform-rejected',
      path: '',
      zh: '上级平台退回了这条记录，原话是“参数data解析失败”：请按其说明在实名制系统中更正后，在“上报状态”中重新提交。',
      en: 'The higher platform rejected this record, saying "参数data解析失败": correct it in the site system as it says and resubmit it under Upload status.',
    });
    expect(explainPlatformRejection(10, '').zh).toContain('“（未说明原因）”');
  });

  it('Given a success code, when explained, then it is a programming error', () => {
    expect(() => explainPlatformRejection(0, 'ok')).toThrow(RangeError);
  });
});
