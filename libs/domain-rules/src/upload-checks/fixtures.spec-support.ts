/**
 * Valid records of every kind and what is known upstream about them, built from generated (never
 * real) identifiers, so that each spec changes one thing and expects exactly one problem.
 */
import { creditCodeCheckChar } from '../identity/credit-code';
import { residentIdCheckChar } from '../identity/resident-id';
import type {
  AttendanceUpload,
  EnterpriseUpload,
  EntryExitUpload,
  ParticipatingUnitUpload,
  PayrollUpload,
  ProjectUpload,
  ProjectWorkerEntry,
  ProjectWorkerUpload,
  TeamUpload,
  TrainingUpload,
  WorkerContractUpload,
} from './records';
import type { EntryExitContext, TeamContext, UnitContext } from './checks';

export const TODAY = '2026-12-03';

export function residentId(area: string, birth: string, seq: string): string {
  const first17 = `${area}${birth}${seq}`;
  return first17 + residentIdCheckChar(first17);
}

export function creditCode(first17: string): string {
  return first17 + creditCodeCheckChar(first17);
}

export const ZHANG = residentId('330106', '19900101', '123');
export const LI = residentId('110105', '19851231', '246');
export const WANG = residentId('420106', '19920615', '357');
/** The first generated ID whose check character is X, to test the lower-case `x` form. */
export const WITH_X = (() => {
  for (let seq = 100; seq < 1000; seq++) {
    const id = residentId('330106', '19880808', String(seq));
    if (id.endsWith('X')) return id;
  }
  throw new Error('no sequence gives the check character X');
})();
export const GENERAL_CONTRACTOR = creditCode('91330106MA2B3C4D5');
export const SUBCONTRACTOR = creditCode('91330100MA27XY1A2');
export const TEAM_NO = 'T-0001';

const JPEG_HEAD = [0xff, 0xd8, 0xff, 0xe0];
const PNG_HEAD = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function bytesOf(head: number[], size: number): string {
  const b = Buffer.alloc(size, 0x11);
  Buffer.from(head).copy(b);
  return b.toString('base64');
}

export const jpeg = (size: number) => bytesOf(JPEG_HEAD, size);
export const png = (size: number) => bytesOf(PNG_HEAD, size);
/** A GIF: a real image, but not one the platform takes. */
export const gif = (size: number) => bytesOf([...Buffer.from('GIF89a')], size);

export const enterprise = (): EnterpriseUpload => ({
  corpCode: GENERAL_CONTRACTOR,
  corpName: '杭州示例建设有限公司',
  corpType: '150',
  areaCode: '330106',
  legalMan: '赵六',
  legalManIDCardType: '01',
  legalManIDCardNumber: WANG,
});

export const project = (): ProjectUpload => ({
  name: '西湖区示例安置房项目',
  contractorCorpCode: GENERAL_CONTRACTOR,
  contractorCorpName: '杭州示例建设有限公司',
  buildCorpCode: SUBCONTRACTOR,
  buildCorpName: '杭州示例置业有限公司',
  areaCode: '330106',
  category: '01',
  prjStatus: '003',
  propertyNum: '001',
  approvalLevelNum: '003',
  prjSize: '02',
});

export const unit = (): ParticipatingUnitUpload => ({
  projectCode: 'P330106001',
  corpCode: SUBCONTRACTOR,
  corpName: '杭州示例劳务有限公司',
  corpType: '006',
  entryTime: '2026-03-01 08:00:00',
  bankInfos: [{ bankCode: '102', bankName: '中国工商银行', bankNumber: '6222020000000000000' }],
  pmName: '钱七',
  pmIDCardType: '01',
  pmIDCardNumber: LI,
});

export const unitContext = (): UnitContext => ({
  today: TODAY,
  acceptedEnterprises: new Set([SUBCONTRACTOR]),
});

export const team = (): TeamUpload => ({
  projectCode: 'P330106001',
  corpCode: SUBCONTRACTOR,
  corpName: '杭州示例劳务有限公司',
  teamName: '木工一班',
  teamLeaderName: '张三',
  teamLeaderIdcardType: '01',
  teamLeaderIdNumber: ZHANG,
  entryTime: '2026-03-02',
  entryAttachments: [{ name: '进场确认.pdf', data: Buffer.alloc(2000, 1).toString('base64') }],
});

export const teamContext = (): TeamContext => ({
  today: TODAY,
  acceptedUnits: new Set([SUBCONTRACTOR]),
  acceptedTeams: new Set([TEAM_NO]),
  teamNames: new Map([['木工一班', TEAM_NO]]),
});

export const projectWorkerEntry = (): ProjectWorkerEntry => ({
  workerName: '张三',
  isTeamLeader: 1,
  idCardType: '01',
  idCardNumber: ZHANG,
  workType: '240',
  workRole: 20,
  nation: '汉',
  headImage: jpeg(30 * 1024),
  politicsType: '13',
  cultureLevelType: '02',
  maritalStatus: '02',
  payRollTopBankCode: '102',
  hasBuyInsurance: 1,
  startDate: '2016-05-01',
  expiryDate: '2036-05-01',
});

export const projectWorkers = (): ProjectWorkerUpload => ({
  projectCode: 'P330106001',
  corpCode: SUBCONTRACTOR,
  corpName: '杭州示例劳务有限公司',
  teamSysNo: TEAM_NO,
  teamName: '木工一班',
  workerList: [projectWorkerEntry()],
});

export const teamOnly = () => ({ today: TODAY, acceptedTeams: new Set([TEAM_NO]) });

export const workersKnown = () => ({
  today: TODAY,
  acceptedTeams: new Set([TEAM_NO]),
  acceptedWorkers: new Set([ZHANG, LI, WITH_X]),
  workerNames: new Map([
    [ZHANG, '张三'],
    [LI, '李四'],
  ]),
});

export const contracts = (): WorkerContractUpload => ({
  projectCode: 'P330106001',
  contractList: [
    {
      corpCode: SUBCONTRACTOR,
      corpName: '杭州示例劳务有限公司',
      idCardType: '01',
      idCardNumber: ZHANG,
      contractPeriodType: 0,
      startDate: '2026-03-01',
      endDate: '2027-02-28',
    },
  ],
});

export const training = (): TrainingUpload => ({
  projectCode: 'P330106001',
  trainingDate: '2026-03-01',
  trainingName: '三级安全教育',
  trainingTypeCode: '003001',
  workers: [{ idCardType: '01', idCardNumber: ZHANG, isPass: 1 }],
});

export const entryExits = (): EntryExitUpload => ({
  projectCode: 'P330106001',
  corpCode: SUBCONTRACTOR,
  corpName: '杭州示例劳务有限公司',
  teamSysNo: TEAM_NO,
  workerList: [{ idCardType: '01', idCardNumber: ZHANG, date: '2026-03-02', type: 1 }],
});

export const entryExitContext = (): EntryExitContext => ({
  ...workersKnown(),
  lastEntryExit: new Map([[LI, '2026-05-10']]),
});

export const attendance = (): AttendanceUpload => ({
  projectCode: 'P330106001',
  teamSysNo: TEAM_NO,
  dataList: [
    {
      idCardType: '01',
      idCardNumber: ZHANG,
      date: '2026-12-03 07:58:12',
      direction: '01',
      image: jpeg(20 * 1024),
      attendType: '001',
    },
  ],
});

export const payroll = (): PayrollUpload => ({
  projectCode: 'P330106001',
  corpCode: SUBCONTRACTOR,
  corpName: '杭州示例劳务有限公司',
  teamSysNo: TEAM_NO,
  payMonth: '2026-11',
  detailList: [
    {
      idCardType: '01',
      idCardNumber: ZHANG,
      days: 22,
      workHours: 176,
      payRollBankCode: '102',
      totalPayAmount: 8800,
      actualAmount: 8800,
      isBackPay: 0,
      balanceDate: '2026-12-02',
    },
  ],
});
