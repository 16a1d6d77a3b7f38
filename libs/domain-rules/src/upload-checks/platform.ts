/**
 * The platform's own rejections in the same words as the local checks. A reply `code` of -2 to -5
 * says everything by itself; for -1 (bad parameters) and a failed asynchronous result (status 10) the
 * message decides. The reference quotes no message texts, so messages are recognised by the keywords
 * the rejections it lists must contain; anything else falls back to the platform's message, quoted.
 */
import { type Bilingual, CATALOGUE, fillTemplate, type UploadProblemCode } from './catalogue';
import type { UploadProblem } from './field-rules';

/** Reply codes of the reference, and the status of a failed asynchronous result. */
export const PLATFORM_CODES = {
  badParameters: -1,
  badSignature: -2,
  noPermission: -3,
  ipNotAllowed: -4,
  rateLimited: -5,
  asyncFailed: 10,
} as const;

const BY_REPLY_CODE: Readonly<Record<number, UploadProblemCode>> = {
  [PLATFORM_CODES.badSignature]: 'platform-signature-rejected',
  [PLATFORM_CODES.noPermission]: 'platform-no-permission',
  [PLATFORM_CODES.ipNotAllowed]: 'platform-ip-not-allowed',
  [PLATFORM_CODES.rateLimited]: 'platform-rate-limited',
};

/**
 * Message patterns, most specific first: the image and order rules before the generic "empty",
 * "value" and "format" ones, and those before the identifiers whose field names they may mention.
 * Platforms word a problem as a field name (often the JSON one) plus a predicate, so both are matched.
 */
const SIZE = '(大小|超过|过大|\\d+\\s*KB?|size|large|exceed)';
const FORMAT = '(格式|jpg|png|类型|format|type)';
const MISSING = '(为空|不能为空|缺失|缺少|未上传|empty|missing|required)';
const pattern = (source: string) => new RegExp(source, 'i');

export const MESSAGE_PATTERNS: readonly (readonly [RegExp, UploadProblemCode])[] = [
  [pattern('已存在|已经存在|already exists?'), 'platform-already-exists'],
  [pattern('appid'), 'appid-invalid'],
  [pattern(`(头像|head ?image).*${MISSING}`), 'head-image-missing'],
  [pattern(`(头像|head ?image).*${SIZE}`), 'head-image-too-large'],
  [pattern(`(头像|head ?image).*${FORMAT}`), 'head-image-not-jpg-png'],
  [pattern(`(身份证(正|反)面|IDCardImage).*${SIZE}`), 'id-card-image-too-large'],
  [pattern(`(身份证(正|反)面|IDCardImage).*${FORMAT}`), 'id-card-image-not-jpg-png'],
  [pattern(`(考勤照片|抓拍|\\bimage).*${SIZE}`), 'attendance-image-too-large'],
  [pattern(`(考勤照片|抓拍|\\bimage).*${FORMAT}`), 'attendance-image-not-jpg-png'],
  [
    pattern('(进场|退场|进退场|entry|exit).*(早于|小于|不能早|之前|earlier|before)'),
    'entry-exit-before-last',
  ],
  [pattern('(大于|晚于|超过)(当前|今天|今日|系统)|future|after today'), 'date-in-future'],
  [pattern('(企业|corp).*(未上传|不存在|未登记|not (uploaded|found|exist))'), 'enterprise-not-uploaded'],
  [
    pattern('(参建单位|subcontractor).*(未上传|不存在|未登记|not (uploaded|found|exist))'),
    'unit-not-uploaded',
  ],
  [
    pattern('(班组|teamSysNo|team).*(未上传|不存在|未找到|未登记|not (uploaded|found|exist))'),
    'team-not-uploaded',
  ],
  [
    pattern('(工人|人员|worker).*(未上传|不存在|未找到|未登记|不在|not (uploaded|found|exist))'),
    'worker-not-uploaded',
  ],
  [pattern('不能为空|必填|is required|cannot be empty'), 'field-missing'],
  [pattern('每次最多|超过.*条|too many records|batch'), 'batch-too-large'],
  [pattern('取值不正确|取值.*(不在|无效)|不在.*范围|字典|代码表|code table'), 'code-value-unknown'],
  [pattern('(日期|时间|月份|date|time|month)\\S*格式|date format'), 'date-invalid'],
  [pattern('(区域|地区|区划).*(编码|代码)|area ?code'), 'area-code-invalid'],
  [pattern('信用代码|corpCode|credit code'), 'credit-code-invalid'],
  [pattern('身份证|证件号|idCardNumber|id ?card'), 'id-number-invalid'],
];

const QUOTE = {
  zh: (m: string) => `（上级平台原话：“${m}”）`,
  en: (m: string) => ` (the higher platform said: "${m}")`,
};

/** Puts the platform's words before the sentence's closing full stop. */
function withQuote(sentence: string, message: string, lang: keyof Bilingual): string {
  const stop = lang === 'zh' ? '。' : '.';
  const body = sentence.endsWith(stop) ? sentence.slice(0, -stop.length) : sentence;
  return `${body}${QUOTE[lang](message)}${stop}`;
}

/**
 * The problem for a platform rejection, in the shape of the local checks (path empty: the platform
 * names no field). `code` is the reply's `code`, or 10 for a failed asynchronous result whose
 * `result` is the message.
 */
export function explainPlatformRejection(code: number, message: string): UploadProblem {
  if (code === 0) throw new RangeError('reply code 0 is a success, not a rejection');
  const text = (message ?? '').trim();
  const matched =
    BY_REPLY_CODE[code] ?? (text ? MESSAGE_PATTERNS.find(([pattern]) => pattern.test(text))?.[1] : undefined);
  if (matched === undefined) {
    const said: Bilingual = text ? { zh: text, en: text } : { zh: '（未说明原因）', en: '(no reason given)' };
    const t = CATALOGUE['platform-rejected'].general;
    return {
      code: 'platform-rejected',
      path: '',
      zh: fillTemplate(t.zh, { message: said }, 'zh'),
      en: fillTemplate(t.en, { message: said }, 'en'),
    };
  }
  const t: Bilingual = CATALOGUE[matched].general;
  return {
    code: matched,
    path: '',
    zh: text ? withQuote(t.zh, text, 'zh') : t.zh,
    en: text ? withQuote(t.en, text, 'en') : t.en,
  };
}
