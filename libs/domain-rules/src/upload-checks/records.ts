/**
 * Records as the national uplink sends them (the `data` payload of each write method, before field
 * encryption), with the exact, sometimes irregular, field names of NATIONAL-PLATFORM-API.md. Values
 * the uplink may hold wrongly are typed loosely (a code as text, a flag as a number) because catching
 * such values is the point of the checks. Optional means the platform does not require it.
 *
 * `Corp.Upload` and `Project.Add` are not spelt out field by field in the reference: their types hold
 * the fields it names (codes, encrypted numbers) plus the ones a check needs (`areaCode`, the credit
 * codes), whose names the adapter's mapping must confirm.
 */

/** `Corp.Upload`. */
export interface EnterpriseUpload {
  corpCode: string;
  corpName: string;
  /** Enterprise registration type (table `enterprise-registration-type`). */
  corpType: string;
  /** GB/T 2260 code of the place of registration. */
  areaCode: string;
  legalMan?: string;
  legalManIDCardType?: string;
  legalManIDCardNumber?: string;
}

export interface BuilderLicense {
  builderLicenseNum: string;
}

/** `Project.Add` / `Project.Update`. */
export interface ProjectUpload {
  name: string;
  /** Credit code of the general contractor. */
  contractorCorpCode: string;
  contractorCorpName: string;
  /** Credit code of the construction owner. */
  buildCorpCode?: string;
  buildCorpName?: string;
  areaCode: string;
  category: string;
  prjStatus: string;
  propertyNum?: string;
  approvalLevelNum?: string;
  prjSize?: string;
  builderLicenses?: readonly BuilderLicense[];
  buildPlanNum?: string;
  prjPlanNum?: string;
}

export interface BankInfo {
  bankCode: string;
  bankName: string;
  bankNumber: string;
  bankLinkNumber?: string;
}

/** `ProjectSubContractor.Add` / `.Update`. */
export interface ParticipatingUnitUpload {
  projectCode: string;
  corpCode: string;
  corpName: string;
  /** Participation type (table `corp-type`). */
  corpType: string;
  /** `yyyy-MM-dd HH:mm:ss` */
  entryTime?: string;
  /** `yyyy-MM-dd HH:mm:ss` */
  exitTime?: string;
  bankInfos?: readonly BankInfo[];
  pmName?: string;
  pmIDCardType?: string;
  pmIDCardNumber?: string;
  pmPhone?: string;
}

/** A file sent inline: a name and its Base64 content. */
export interface Attachment {
  name: string;
  data: string;
}

/** `Team.Add` (no `teamSysNo`) / `Team.Update` (with it). */
export interface TeamUpload {
  projectCode: string;
  corpCode: string;
  corpName: string;
  teamName: string;
  teamSysNo?: string;
  responsiblePersonName?: string;
  responsiblePersonPhone?: string;
  responsiblePersonIDCardType?: string;
  responsiblePersonIDNumber?: string;
  teamLeaderName?: string;
  teamLeaderPhone?: string;
  teamLeaderIdcardType?: string;
  teamLeaderIdNumber?: string;
  remark?: string;
  entryTime?: string;
  exitTime?: string;
  entryAttachments?: readonly Attachment[];
  exitAttachments?: readonly Attachment[];
}

export interface ProjectWorkerEntry {
  workerName: string;
  /** 1 yes, 0 no. */
  isTeamLeader: number;
  idCardType: string;
  idCardNumber: string;
  workType: string;
  /** 10 management staff, 20 construction worker. */
  workRole: number;
  issueCardDate?: string;
  issueCardPic?: string;
  cardNumber?: string;
  payRollBankCardNumber?: string;
  payRollBankName?: string;
  bankLinkNumber?: string;
  payRollTopBankCode?: string;
  hasBuyInsurance?: number;
  nation?: string;
  address?: string;
  /** Base64 JPEG or PNG, at most 50 KB. */
  headImage?: string;
  politicsType?: string;
  joinedTime?: string;
  cellPhone?: string;
  cultureLevelType?: string;
  Specialty?: string;
  hasBadMedicalHistory?: number;
  urgentLinkMan?: string;
  urgentLinkManPhone?: string;
  workDate?: string;
  maritalStatus?: string;
  grantOrg?: string;
  /** Base64, at most 500 KB. */
  positiveIDCardImage?: string;
  /** Base64, at most 500 KB. */
  negativeIDCardImage?: string;
  /** First day of the ID card's validity. */
  startDate?: string;
  /** Last day of the ID card's validity (may be a word such as 长期 on long-term cards). */
  expiryDate?: string;
}

/** `ProjectWorker.Add`: at most 5 workers per call. */
export interface ProjectWorkerUpload {
  projectCode: string;
  corpCode: string;
  corpName: string;
  teamSysNo: string;
  teamName?: string;
  workerList: readonly ProjectWorkerEntry[];
}

export interface WorkerContractEntry {
  corpCode: string;
  corpName: string;
  idCardType: string;
  idCardNumber: string;
  /** 0 fixed term, 1 until a task is completed. */
  contractPeriodType: number;
  startDate: string;
  endDate?: string;
  /** 80 metre, 81 square metre, 82 cubic metre. */
  unit?: number;
  unitPrice?: number;
  attachments?: readonly Attachment[];
}

/** `WorkerContract.Add`: at most 5 contracts per call. */
export interface WorkerContractUpload {
  projectCode: string;
  contractList: readonly WorkerContractEntry[];
}

export interface TrainingAttendee {
  idCardType: string;
  idCardNumber: string;
  /** 1 passed, 0 not. */
  isPass?: number;
  trainingScore?: number;
}

/** `ProjectTraining.Add`. */
export interface TrainingUpload {
  projectCode: string;
  trainingDate: string;
  trainingDuration?: number;
  trainingName: string;
  trainingTypeCode: string;
  trainer?: string;
  trainingOrg?: string;
  trainingAddress?: string;
  description?: string;
  attachments?: readonly Attachment[];
  workers: readonly TrainingAttendee[];
}

export interface EntryExitEntry {
  idCardType: string;
  idCardNumber: string;
  /** `yyyy-MM-dd` */
  date: string;
  /** 1 entry, 0 exit. */
  type: number;
  voucher?: string;
}

/** `WorkerEntryExit.Add`: at most 50 records per call. */
export interface EntryExitUpload {
  projectCode: string;
  corpCode: string;
  corpName: string;
  teamSysNo: string;
  workerList: readonly EntryExitEntry[];
}

export interface AttendanceEntry {
  idCardType: string;
  idCardNumber: string;
  /** `yyyy-MM-dd HH:mm:ss` */
  date: string;
  /** 01 in, 02 out. */
  direction: string;
  /** Base64 JPEG or PNG, at most 50 KB. */
  image?: string;
  channel?: string;
  attendType?: string;
  lng?: number;
  lat?: number;
}

/** `WorkerAttendance.Add`: at most 20 records per call. */
export interface AttendanceUpload {
  projectCode: string;
  teamSysNo: string;
  dataList: readonly AttendanceEntry[];
}

export interface PayrollDetail {
  idCardType: string;
  idCardNumber: string;
  days?: number;
  workHours?: number;
  payRollBankCardNumber?: string;
  payRollBankCode?: string;
  payRollBankName?: string;
  payBankCardNumber?: string;
  payBankCode?: string;
  payBankName?: string;
  totalPayAmount?: number;
  actualAmount?: number;
  /** 1 back pay, 0 not. */
  isBackPay?: number;
  /** `yyyy-MM` */
  backPayMonth?: string;
  /** The payment date, `yyyy-MM-dd`. */
  balanceDate?: string;
  thirdPayRollCode?: string;
}

/** `Payroll.Add`: at most 20 detail lines per call. */
export interface PayrollUpload {
  projectCode: string;
  corpCode: string;
  corpName: string;
  teamSysNo: string;
  /** `yyyy-MM` */
  payMonth: string;
  attachments?: readonly Attachment[];
  detailList: readonly PayrollDetail[];
}
