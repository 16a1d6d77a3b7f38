/**
 * Every sentence the site sees about an upload problem, in Chinese and English, by stable code. The
 * local pre-checks fill the `detail` templates with the record's particulars; the platform's own
 * rejections (see platform.ts) use the `general` templates of the same code, so a problem reads the
 * same whether it was caught here or upstream.
 *
 * A template names its parameters as `{name}`; a parameter is plain text (the same in both languages,
 * e.g. a name or a date) or a `{ zh, en }` pair.
 */

export interface Bilingual {
  zh: string;
  en: string;
}

export type MessageParam = string | number | Bilingual;
export type MessageParams = Readonly<Record<string, MessageParam>>;

export interface CatalogueEntry {
  /** With the record's particulars, for problems found before sending; absent for upstream-only codes. */
  detail?: Bilingual;
  /** Without particulars, for the same problem reported by the platform. */
  general: Bilingual;
}

/** Where in the systems a problem is corrected; filled into `{where}` (a phrase in each language). */
export const PLACES = {
  workers: { zh: '实名制系统“工人信息”', en: 'under Workers in the site system' },
  teams: { zh: '实名制系统“班组管理”', en: 'under Teams in the site system' },
  units: { zh: '实名制系统“参建单位”', en: 'under Participating units in the site system' },
  contracts: { zh: '实名制系统“劳动合同”', en: 'under Labour contracts in the site system' },
  training: { zh: '实名制系统“培训记录”', en: 'under Training in the site system' },
  entryExit: { zh: '实名制系统“进退场”', en: 'under Entry and exit in the site system' },
  attendance: { zh: '实名制系统“考勤记录”', en: 'under Attendance in the site system' },
  payroll: { zh: '实名制系统“工资发放”', en: 'under Payroll in the site system' },
  // Project and enterprise data are shared from the integrity platform and must not be changed locally.
  integrity: {
    zh: '建筑市场监管与诚信信息平台（该数据由其共享，不能在本系统修改）',
    en: 'on the integrity platform (the data is shared from there and cannot be changed here)',
  },
} as const satisfies Record<string, Bilingual>;

export type Place = keyof typeof PLACES;

export const CATALOGUE = {
  'field-missing': {
    detail: {
      zh: '{subject}的{what}为空：请在{where}中补填。',
      en: 'The {what} of {subject} is empty: fill it in {where}.',
    },
    general: {
      zh: '记录缺少必填项：请按“上报状态”中指出的字段补填后重新提交。',
      en: 'A required field is empty: fill in the field named under Upload status and resubmit.',
    },
  },
  'date-invalid': {
    detail: {
      zh: '{subject}的{what}“{value}”不是 {format} 格式的有效日期：请在{where}中更正。',
      en: 'The {what} of {subject}, "{value}", is not a real date written {format}: correct it {where}.',
    },
    general: {
      zh: '记录中的日期格式不对：请按 yyyy-MM-dd（带时间为 yyyy-MM-dd HH:mm:ss）更正后重新提交。',
      en: 'A date is not written as the platform expects: correct it to yyyy-MM-dd (yyyy-MM-dd HH:mm:ss with a time) and resubmit.',
    },
  },
  'date-in-future': {
    detail: {
      zh: '{subject}的{what}为 {value}，晚于今天（{today}）：请在{where}中改为今天或更早的日期。',
      en: 'The {what} of {subject} is {value}, after today ({today}): change it {where} to today or an earlier date.',
    },
    general: {
      zh: '记录中的日期晚于今天：请把进退场、考勤、工资月份或发放日期改为今天或更早的日期后重新提交。',
      en: 'A date in the record is after today: change the entry/exit, attendance, pay month or payment date to today or earlier and resubmit.',
    },
  },
  'date-range-reversed': {
    detail: {
      zh: '{subject}的{to}（{toValue}）早于{from}（{fromValue}）：请在{where}中更正其中一个日期。',
      en: 'The {to} of {subject} ({toValue}) is before its {from} ({fromValue}): correct one of them {where}.',
    },
    general: {
      zh: '记录中的结束日期早于开始日期：请更正后重新提交。',
      en: 'An end date in the record is before its start date: correct it and resubmit.',
    },
  },
  'entry-exit-before-last': {
    detail: {
      zh: '工人 {who} 的{kind}日期 {date} 早于上次已上报的进退场日期 {last}：请在实名制系统“进退场”中按时间先后更正日期。',
      en: 'The {kind} date {date} of worker {who} is before the last entry or exit already reported ({last}): correct the dates in time order under Entry and exit in the site system.',
    },
    general: {
      zh: '进退场日期早于该工人上次的进退场日期：请在实名制系统“进退场”中按时间先后更正后重新提交。',
      en: "An entry or exit is dated before the worker's last one: correct the dates in time order under Entry and exit in the site system and resubmit.",
    },
  },
  'code-value-unknown': {
    detail: {
      zh: '{subject}的{what}“{value}”不在代码表中：请在{where}中从列表重新选择。',
      en: 'The {what} of {subject}, "{value}", is not in the code table: choose it again from the list {where}.',
    },
    general: {
      zh: '记录中有取值不在平台代码表中：请从列表重新选择后重新提交。',
      en: "A value in the record is not in the platform's code tables: choose it again from the list and resubmit.",
    },
  },
  'code-value-retired': {
    detail: {
      zh: '{subject}的{what}“{value}”已停用：请在{where}中改选现行的代码。',
      en: 'The {what} of {subject}, "{value}", has been retired: choose a current value {where}.',
    },
    general: {
      zh: '记录中使用了已停用的代码：请改选现行的代码后重新提交。',
      en: 'The record uses a retired code: choose a current value and resubmit.',
    },
  },
  'id-number-invalid': {
    detail: {
      zh: '{subject}的证件号码 {masked} 不是有效的居民身份证号（{reason}）：请对照身份证在{where}中更正。',
      en: 'The ID number {masked} of {subject} is not a valid resident ID number ({reason}): correct it from the ID card {where}.',
    },
    general: {
      zh: '身份证号码无效：请对照身份证更正后重新提交。',
      en: 'A resident ID number is invalid: correct it from the ID card and resubmit.',
    },
  },
  'credit-code-invalid': {
    detail: {
      zh: '{subject}的统一社会信用代码 {value} 无效（{reason}）：请对照营业执照在{where}中更正。',
      en: 'The unified social credit code {value} of {subject} is invalid ({reason}): correct it from the business licence {where}.',
    },
    general: {
      zh: '统一社会信用代码无效：请对照营业执照更正后重新提交。',
      en: 'A unified social credit code is invalid: correct it from the business licence and resubmit.',
    },
  },
  'area-code-invalid': {
    detail: {
      zh: '{subject}的地区编码 {value} 不是 GB/T 2260 行政区划代码（{reason}）：请在{where}中更正。',
      en: 'The area code {value} of {subject} is not a GB/T 2260 division code ({reason}): correct it {where}.',
    },
    general: {
      zh: '地区编码不在 GB/T 2260 行政区划代码中：请在建筑市场监管与诚信信息平台核对项目或企业的所在地区后重新提交。',
      en: "An area code is not a GB/T 2260 division code: check the project's or company's area on the integrity platform and resubmit.",
    },
  },
  'head-image-missing': {
    detail: {
      zh: '工人 {who} 没有头像：请在实名制系统“工人信息”中上传不超过 {maxKb} KB 的 JPG 或 PNG 照片。',
      en: 'Worker {who} has no head photo: upload a JPG or PNG of at most {maxKb} KB under Workers in the site system.',
    },
    general: {
      zh: '工人没有头像：请在实名制系统“工人信息”中上传不超过 50 KB 的 JPG 或 PNG 照片。',
      en: 'The worker has no head photo: upload a JPG or PNG of at most 50 KB under Workers in the site system.',
    },
  },
  'head-image-too-large': {
    detail: {
      zh: '工人 {who} 的头像为 {kb} KB，超过 {maxKb} KB：请在实名制系统“工人信息”中重新上传不超过 {maxKb} KB 的 JPG 或 PNG 照片。',
      en: 'The head photo of worker {who} is {kb} KB, over {maxKb} KB: upload a JPG or PNG of at most {maxKb} KB again under Workers in the site system.',
    },
    general: {
      zh: '工人头像超过 50 KB：请在实名制系统“工人信息”中重新上传不超过 50 KB 的 JPG 或 PNG 照片。',
      en: 'The head photo is over 50 KB: upload a JPG or PNG of at most 50 KB again under Workers in the site system.',
    },
  },
  'head-image-not-jpg-png': {
    detail: {
      zh: '工人 {who} 的头像不是 JPG 或 PNG 图片：请在实名制系统“工人信息”中重新上传不超过 {maxKb} KB 的 JPG 或 PNG 照片。',
      en: 'The head photo of worker {who} is not a JPG or PNG image: upload a JPG or PNG of at most {maxKb} KB again under Workers in the site system.',
    },
    general: {
      zh: '工人头像不是 JPG 或 PNG 图片：请在实名制系统“工人信息”中重新上传不超过 50 KB 的 JPG 或 PNG 照片。',
      en: 'The head photo is not a JPG or PNG image: upload a JPG or PNG of at most 50 KB again under Workers in the site system.',
    },
  },
  'id-card-image-too-large': {
    detail: {
      zh: '工人 {who} 的身份证{side}照片为 {kb} KB，超过 {maxKb} KB：请在实名制系统“工人信息”中重新上传不超过 {maxKb} KB 的 JPG 或 PNG 图片。',
      en: 'The ID card {side} image of worker {who} is {kb} KB, over {maxKb} KB: upload a JPG or PNG of at most {maxKb} KB again under Workers in the site system.',
    },
    general: {
      zh: '身份证照片超过 500 KB：请在实名制系统“工人信息”中重新上传不超过 500 KB 的 JPG 或 PNG 图片。',
      en: 'An ID card image is over 500 KB: upload a JPG or PNG of at most 500 KB again under Workers in the site system.',
    },
  },
  'id-card-image-not-jpg-png': {
    detail: {
      zh: '工人 {who} 的身份证{side}照片不是 JPG 或 PNG 图片：请在实名制系统“工人信息”中重新上传 JPG 或 PNG 图片。',
      en: 'The ID card {side} image of worker {who} is not a JPG or PNG image: upload a JPG or PNG again under Workers in the site system.',
    },
    general: {
      zh: '身份证照片不是 JPG 或 PNG 图片：请在实名制系统“工人信息”中重新上传 JPG 或 PNG 图片。',
      en: 'An ID card image is not a JPG or PNG image: upload a JPG or PNG again under Workers in the site system.',
    },
  },
  'attendance-image-too-large': {
    detail: {
      zh: '工人 {who} 在 {time} 的考勤照片为 {kb} KB，超过 {maxKb} KB：请在实名制系统“考勤设备”中把抓拍照片设为不超过 {maxKb} KB，并在“考勤记录”中重新提交这条考勤。',
      en: 'The attendance photo of worker {who} at {time} is {kb} KB, over {maxKb} KB: set the device photos to at most {maxKb} KB under Attendance devices in the site system and resubmit this punch under Attendance.',
    },
    general: {
      zh: '考勤照片超过 50 KB：请在实名制系统“考勤设备”中把抓拍照片设为不超过 50 KB，并在“考勤记录”中重新提交。',
      en: 'An attendance photo is over 50 KB: set the device photos to at most 50 KB under Attendance devices in the site system and resubmit under Attendance.',
    },
  },
  'attendance-image-not-jpg-png': {
    detail: {
      zh: '工人 {who} 在 {time} 的考勤照片不是 JPG 或 PNG 图片：请在实名制系统“考勤设备”中把抓拍照片设为 JPG 或 PNG，并在“考勤记录”中重新提交这条考勤。',
      en: 'The attendance photo of worker {who} at {time} is not a JPG or PNG image: set the device photos to JPG or PNG under Attendance devices in the site system and resubmit this punch under Attendance.',
    },
    general: {
      zh: '考勤照片不是 JPG 或 PNG 图片：请在实名制系统“考勤设备”中把抓拍照片设为 JPG 或 PNG，并在“考勤记录”中重新提交。',
      en: 'An attendance photo is not a JPG or PNG image: set the device photos to JPG or PNG under Attendance devices in the site system and resubmit under Attendance.',
    },
  },
  'attachments-too-many': {
    detail: {
      zh: '{subject}的{what}有 {count} 个，最多 {max} 个：请在{where}中删去多余的附件。',
      en: 'The {what} of {subject} number {count}, more than {max}: remove the extra files {where}.',
    },
    general: {
      zh: '附件个数超过平台上限：请删去多余的附件后重新提交。',
      en: 'The record has more attachments than the platform allows: remove the extra files and resubmit.',
    },
  },
  'attachment-too-large': {
    detail: {
      zh: '{subject}的附件“{name}”为 {kb} KB，超过 {maxKb} KB：请在{where}中换成不超过 {maxKb} KB 的文件。',
      en: 'The attachment "{name}" of {subject} is {kb} KB, over {maxKb} KB: replace it {where} with a file of at most {maxKb} KB.',
    },
    general: {
      zh: '附件超过平台大小上限：请换成更小的文件后重新提交。',
      en: 'An attachment is larger than the platform allows: replace it with a smaller file and resubmit.',
    },
  },
  'batch-empty': {
    detail: {
      zh: '{what}列表为空：请在{where}中至少添加一条后再上报。',
      en: 'The list of {what} is empty: add at least one {where} before it is sent.',
    },
    general: {
      zh: '上报的列表为空：请至少添加一条后再上报。',
      en: 'The list sent was empty: add at least one entry before it is sent.',
    },
  },
  'batch-too-large': {
    detail: {
      zh: '一次上报了 {count} 条{what}，平台每次最多接受 {max} 条：请分批上报（系统通常自动分批，如仍出现请联系平台运维）。',
      en: '{count} {what} are in one call but the platform accepts at most {max} per call: send them in batches (the system normally does this; if you still see this, contact the platform operators).',
    },
    general: {
      zh: '一次上报的条数超过平台上限：请分批上报（系统通常自动分批，如仍出现请联系平台运维）。',
      en: 'One call held more records than the platform accepts: send them in batches (the system normally does this; if you still see this, contact the platform operators).',
    },
  },
  'enterprise-not-uploaded': {
    detail: {
      zh: '企业 {corp} 尚未被上级平台接收：请在实名制系统“上报状态”中查看并处理该企业的上报，成功后再提交本参建单位。',
      en: 'Company {corp} has not been accepted by the higher platform yet: check and resolve its upload under Upload status in the site system, then submit this participating unit again.',
    },
    general: {
      zh: '企业尚未在上级平台登记：请在实名制系统“上报状态”中先处理该企业的上报后重新提交。',
      en: 'The company is not registered on the higher platform yet: resolve its upload under Upload status in the site system first, then resubmit.',
    },
  },
  'unit-not-uploaded': {
    detail: {
      zh: '参建单位 {corp} 尚未被上级平台接收：请在实名制系统“上报状态”中查看并处理该参建单位的上报，成功后再提交本班组。',
      en: 'Participating unit {corp} has not been accepted by the higher platform yet: check and resolve its upload under Upload status in the site system, then submit this team again.',
    },
    general: {
      zh: '参建单位尚未在上级平台登记：请在实名制系统“上报状态”中先处理该参建单位的上报后重新提交。',
      en: 'The participating unit is not registered on the higher platform yet: resolve its upload under Upload status in the site system first, then resubmit.',
    },
  },
  'team-not-uploaded': {
    detail: {
      zh: '班组 {team} 尚未被上级平台接收（没有平台班组编号）：请在实名制系统“上报状态”中查看并处理该班组的上报，成功后再提交本{record}。',
      en: 'Team {team} has not been accepted by the higher platform yet (it has no platform team number): check and resolve its upload under Upload status in the site system, then submit this {record} again.',
    },
    general: {
      zh: '班组尚未在上级平台登记：请在实名制系统“上报状态”中先处理该班组的上报后重新提交。',
      en: 'The team is not registered on the higher platform yet: resolve its upload under Upload status in the site system first, then resubmit.',
    },
  },
  'worker-not-uploaded': {
    detail: {
      zh: '工人 {who} 尚未作为项目工人被上级平台接收：请在实名制系统“上报状态”中查看并处理该工人的上报，成功后再提交本{record}。',
      en: "Worker {who} has not been accepted by the higher platform as a project worker yet: check and resolve the worker's upload under Upload status in the site system, then submit this {record} again.",
    },
    general: {
      zh: '工人尚未在上级平台登记为项目工人：请在实名制系统“上报状态”中先处理该工人的上报后重新提交。',
      en: "The worker is not registered on the higher platform as a project worker yet: resolve the worker's upload under Upload status in the site system first, then resubmit.",
    },
  },
  'team-name-taken': {
    detail: {
      zh: '班组名称“{name}”已被本项目的另一个班组使用：请在实名制系统“班组管理”中换一个在本项目内不重复的名称。',
      en: 'The team name "{name}" is already used by another team of this project: choose a name not used in the project under Teams in the site system.',
    },
    general: {
      zh: '班组名称在本项目内重复：请在实名制系统“班组管理”中换一个不重复的名称后重新提交。',
      en: 'The team name is already used in this project: choose another name under Teams in the site system and resubmit.',
    },
  },
  // The codes below only come from the platform: the site cannot cause or foresee them locally.
  'appid-invalid': {
    general: {
      zh: '上级平台不认可本项目的接入编号（appid）：请联系平台运维核对本项目在该平台的接入编号和密钥。',
      en: "The higher platform does not recognise this project's access id (appid): ask the platform operators to check the project's access id and secret for that platform.",
    },
  },
  'platform-signature-rejected': {
    general: {
      zh: '上级平台认为签名不对：请联系平台运维核对本项目的接入密钥，数据本身无需修改。',
      en: "The higher platform says the signature is wrong: ask the platform operators to check the project's secret; the data itself needs no change.",
    },
  },
  'platform-no-permission': {
    general: {
      zh: '上级平台未授权本项目调用该接口：请联系平台运维向上级平台申请开通。',
      en: 'The higher platform has not granted this project that method: ask the platform operators to have it enabled there.',
    },
  },
  'platform-ip-not-allowed': {
    general: {
      zh: '上级平台不接受来自本系统地址的请求：请联系平台运维向上级平台登记出口 IP。',
      en: "The higher platform does not accept calls from this system's address: ask the platform operators to register the outgoing IP there.",
    },
  },
  'platform-rate-limited': {
    general: {
      zh: '上级平台暂时限流：系统会稍后自动重试，无需操作。',
      en: 'The higher platform is limiting the call rate for now: the system retries later by itself, nothing to do.',
    },
  },
  'platform-already-exists': {
    general: {
      zh: '该记录在上级平台已存在：系统会自动查询并采用平台上的记录，无需操作。',
      en: 'The record already exists on the higher platform: the system looks it up and adopts it by itself, nothing to do.',
    },
  },
  'platform-rejected': {
    general: {
      zh: '上级平台退回了这条记录，原话是“{message}”：请按其说明在实名制系统中更正后，在“上报状态”中重新提交。',
      en: 'The higher platform rejected this record, saying "{message}": correct it in the site system as it says and resubmit it under Upload status.',
    },
  },
} as const satisfies Record<string, CatalogueEntry>;

export type UploadProblemCode = keyof typeof CATALOGUE;

/** Codes a local pre-check can raise (those with a `detail` template). */
export type LocalProblemCode = {
  [K in UploadProblemCode]: (typeof CATALOGUE)[K] extends { detail: Bilingual } ? K : never;
}[UploadProblemCode];

const PLACEHOLDER = /\{([a-zA-Z]+)\}/g;

/** The `{name}`s a template uses, in order of first appearance. */
export function placeholdersOf(template: string): string[] {
  return [...new Set([...template.matchAll(PLACEHOLDER)].map((m) => m[1]))];
}

/** Fills a template in one language; a missing parameter is a programming error, so it throws. */
export function fillTemplate(template: string, params: MessageParams, lang: keyof Bilingual): string {
  return template.replace(PLACEHOLDER, (_, name: string) => {
    const p = params[name];
    if (p === undefined) throw new RangeError(`message parameter {${name}} not given`);
    return typeof p === 'object' ? p[lang] : String(p);
  });
}

/** Names of the fields a problem is about, filled into `{what}`, `{from}` and `{to}`. */
export const FIELDS = {
  projectCode: { zh: '项目编码', en: 'project code' },
  projectName: { zh: '项目名称', en: 'project name' },
  corpCode: { zh: '统一社会信用代码', en: 'unified social credit code' },
  corpName: { zh: '企业名称', en: 'company name' },
  registrationType: { zh: '企业登记注册类型', en: 'registration type' },
  participationType: { zh: '参建类型', en: 'participation type' },
  areaCode: { zh: '所在地区编码', en: 'area code' },
  contractorCorpName: { zh: '总承包单位名称', en: 'general contractor name' },
  category: { zh: '项目类别', en: 'project category' },
  prjStatus: { zh: '项目状态', en: 'project status' },
  propertyNum: { zh: '建设性质', en: 'construction nature' },
  approvalLevelNum: { zh: '立项级别', en: 'approval level' },
  prjSize: { zh: '建设规模', en: 'project scale' },
  bankCode: { zh: '银行代码', en: 'bank code' },
  entryTime: { zh: '进场时间', en: 'entry time' },
  exitTime: { zh: '退场时间', en: 'exit time' },
  teamName: { zh: '班组名称', en: 'team name' },
  teamSysNo: { zh: '平台班组编号', en: 'platform team number' },
  entryAttachments: { zh: '进场附件', en: 'entry attachments' },
  exitAttachments: { zh: '退场附件', en: 'exit attachments' },
  attachments: { zh: '附件', en: 'attachments' },
  workerName: { zh: '姓名', en: 'name' },
  idCardType: { zh: '证件类型', en: 'ID type' },
  idCardNumber: { zh: '证件号码', en: 'ID number' },
  workType: { zh: '工种', en: 'work type' },
  workRole: { zh: '工人类型', en: 'worker role' },
  isTeamLeader: { zh: '是否班组长', en: 'team-leader flag' },
  politicsType: { zh: '政治面貌', en: 'political status' },
  cultureLevelType: { zh: '文化程度', en: 'education' },
  maritalStatus: { zh: '婚姻状况', en: 'marital status' },
  payRollTopBankCode: { zh: '工资卡开户行', en: 'wage card bank' },
  hasBuyInsurance: { zh: '是否购买保险', en: 'insurance flag' },
  hasBadMedicalHistory: { zh: '是否有重大病史', en: 'medical history flag' },
  idValidFrom: { zh: '身份证有效期开始日期', en: 'ID card validity start' },
  idValidTo: { zh: '身份证有效期结束日期', en: 'ID card validity end' },
  contractPeriodType: { zh: '合同期限类型', en: 'contract period type' },
  contractStart: { zh: '合同开始日期', en: 'contract start date' },
  contractEnd: { zh: '合同结束日期', en: 'contract end date' },
  measureUnit: { zh: '计量单位', en: 'unit of measure' },
  trainingName: { zh: '培训名称', en: 'training name' },
  trainingDate: { zh: '培训日期', en: 'training date' },
  trainingTypeCode: { zh: '培训类型', en: 'training type' },
  isPass: { zh: '是否合格', en: 'pass flag' },
  entryExitDate: { zh: '进退场日期', en: 'entry/exit date' },
  entryExitType: { zh: '进退场类型', en: 'entry/exit type' },
  attendanceTime: { zh: '考勤时间', en: 'punch time' },
  direction: { zh: '进出方向', en: 'direction' },
  attendType: { zh: '通行方式', en: 'pass method' },
  payMonth: { zh: '工资月份', en: 'pay month' },
  balanceDate: { zh: '发放日期', en: 'payment date' },
  backPayMonth: { zh: '补发月份', en: 'back-pay month' },
  isBackPay: { zh: '是否补发', en: 'back-pay flag' },
  payRollBankCode: { zh: '工资卡银行代码', en: 'wage card bank code' },
  payBankCode: { zh: '付款账户银行代码', en: 'paying account bank code' },
  // Lists, for batch problems.
  workers: { zh: '工人', en: 'workers' },
  contracts: { zh: '劳动合同', en: 'contracts' },
  trainees: { zh: '参训工人', en: 'trainees' },
  entryExits: { zh: '进退场记录', en: 'entry/exit records' },
  punches: { zh: '考勤记录', en: 'attendance records' },
  payLines: { zh: '工资明细', en: 'payroll lines' },
} as const satisfies Record<string, Bilingual>;

export type FieldName = keyof typeof FIELDS;

/** Who or what a record is about, filled into `{subject}` (a name or code follows the word). */
export const SUBJECTS = {
  enterprise: { zh: '企业', en: 'company' },
  project: { zh: '项目', en: 'project' },
  unit: { zh: '参建单位', en: 'participating unit' },
  team: { zh: '班组', en: 'team' },
  worker: { zh: '工人', en: 'worker' },
  legalMan: { zh: '法定代表人', en: 'legal representative' },
  pm: { zh: '项目经理', en: 'project manager' },
  responsiblePerson: { zh: '班组责任人', en: 'team responsible person' },
  teamLeader: { zh: '班组长', en: 'team leader' },
  training: { zh: '培训', en: 'training' },
  payroll: { zh: '工资表', en: 'payroll' },
} as const satisfies Record<string, Bilingual>;

export type SubjectKind = keyof typeof SUBJECTS;

/** What kind of record waits for a team or worker, filled into `{record}`. */
export const RECORDS = {
  team: { zh: '班组', en: 'team' },
  worker: { zh: '工人', en: 'worker' },
  contract: { zh: '劳动合同', en: 'contract' },
  training: { zh: '培训记录', en: 'training record' },
  entryExit: { zh: '进退场记录', en: 'entry/exit record' },
  attendance: { zh: '考勤记录', en: 'attendance record' },
  payroll: { zh: '工资记录', en: 'payroll record' },
} as const satisfies Record<string, Bilingual>;

export const ENTRY_EXIT_KINDS = {
  entry: { zh: '进场', en: 'entry' },
  exit: { zh: '退场', en: 'exit' },
} as const satisfies Record<string, Bilingual>;

export const ID_CARD_SIDES = {
  front: { zh: '正面', en: 'front' },
  back: { zh: '反面', en: 'back' },
} as const satisfies Record<string, Bilingual>;

/** Why an identifier failed, filled into `{reason}`. */
export const REASONS = {
  idLength: { zh: '应为 18 位', en: 'it must have 18 characters' },
  idCharacters: { zh: '含有不允许的字符', en: 'it has characters that are not allowed' },
  idArea: { zh: '前 6 位地区码不对', en: 'the area code in its first 6 digits is wrong' },
  idBirthDate: { zh: '其中的出生日期不对', en: 'the birth date in it is wrong' },
  checkCharacter: { zh: '最后一位校验码不对', en: 'its last (check) character is wrong' },
  malformed: { zh: '格式不对', en: 'it is malformed' },
  creditLength: { zh: '应为 18 位', en: 'it must have 18 characters' },
  creditCharacters: {
    zh: '只能含数字和除 I、O、S、V、Z 外的大写字母',
    en: 'only digits and capital letters other than I, O, S, V and Z are allowed',
  },
  areaFormat: { zh: '应为 6 位数字', en: 'it must be 6 digits' },
  areaProvince: { zh: '前两位不是省级代码', en: 'its first two digits name no province' },
  areaUnknown: { zh: '不在行政区划代码表中', en: 'it is not in the division table' },
} as const satisfies Record<string, Bilingual>;

/** A worker with neither name nor ID number, filled into `{who}`. */
export const UNNAMED_WORKER: Bilingual = { zh: '（未填姓名和证件号）', en: '(no name or ID number)' };

/** The text shown instead of an empty value. */
export const EMPTY_VALUE: Bilingual = { zh: '（空）', en: '(empty)' };
