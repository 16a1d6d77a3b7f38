/**
 * Local pre-checks, one pure function per record kind: what the national platform would reject
 * (NATIONAL-PLATFORM-API.md, "Rejections to catch locally"), the batch limits and code tables of the
 * reference, and the dependency order (a record sent before what it depends on is rejected).
 *
 * Each takes the record as the uplink will send it and what is known upstream for the record's project
 * (accepted enterprises, units, teams and workers, the last entry/exit per worker, and today's date
 * in Asia/Shanghai: no clock is read here). Each returns every problem found, empty when none.
 */
import { isValidDay } from '../dates';
import { codeTables as nationalCodeTables, type CodeTableRegistry } from '../code-tables';
import { normaliseCreditCode } from '../identity/credit-code';
import { type Bilingual, ENTRY_EXIT_KINDS, ID_CARD_SIDES, RECORDS } from './catalogue';
import {
  checkAreaCode,
  checkAttachments,
  checkBatch,
  checkCode,
  checkCorpCode,
  checkDate,
  checkDateOrder,
  checkIdNumber,
  type CodeRule,
  type FieldContext,
  Findings,
  isBlank,
  judgeImage,
  LIMITS,
  requireField,
  shown,
  subject,
  type UploadProblem,
  workerKey,
  whoParam,
  workerLabel,
} from './field-rules';
import type {
  AttendanceUpload,
  EnterpriseUpload,
  EntryExitUpload,
  ParticipatingUnitUpload,
  PayrollUpload,
  ProjectUpload,
  ProjectWorkerUpload,
  TeamUpload,
  TrainingUpload,
  WorkerContractUpload,
} from './records';

export interface UpstreamContext {
  /** Today in Asia/Shanghai, `yyyy-MM-dd`: passed in so that the checks stay pure. */
  today: string;
  /** The code tables of the target (a region's overrides applied); the national ones by default. */
  codeTables?: CodeTableRegistry;
  /** Early pilot credit codes admitted despite a wrong check character (an audited list). */
  creditCodeOverrides?: ReadonlySet<string>;
  /** Workers' names by normalised ID number, for messages; a masked ID number is shown otherwise. */
  workerNames?: ReadonlyMap<string, string>;
}

export interface AreaContext extends UpstreamContext {
  /** A full GB/T 2260 table, when the caller has one; otherwise format and province are checked. */
  areaCodes?: ReadonlySet<string>;
}

export interface UnitContext extends UpstreamContext {
  /** Credit codes (upper-case) of enterprises the platform has accepted (`Corp.Upload`). */
  acceptedEnterprises: ReadonlySet<string>;
}

export interface TeamContext extends UpstreamContext {
  /** Credit codes (upper-case) of the project's participating units the platform has accepted. */
  acceptedUnits: ReadonlySet<string>;
  /** `teamSysNo`s the platform has issued for the project. */
  acceptedTeams: ReadonlySet<string>;
  /** Team names already used upstream in the project, with the `teamSysNo` that holds each. */
  teamNames: ReadonlyMap<string, string>;
}

export interface ProjectWorkerContext extends UpstreamContext {
  acceptedTeams: ReadonlySet<string>;
}

export interface WorkerDependentContext extends UpstreamContext {
  /** ID numbers (normalised, `X` upper-case) of the project's workers the platform has accepted. */
  acceptedWorkers: ReadonlySet<string>;
}

export interface TeamWorkerContext extends WorkerDependentContext {
  acceptedTeams: ReadonlySet<string>;
}

export interface EntryExitContext extends TeamWorkerContext {
  /** The date (`yyyy-MM-dd`) of each worker's last entry or exit the platform has accepted, by normalised ID number. */
  lastEntryExit: ReadonlyMap<string, string>;
}

/** `name（code）` in Chinese, `name (code)` in English; the code alone without a name. */
function named(name: string | undefined, code: string): Bilingual | string {
  const n = name?.trim();
  return n ? { zh: `${n}（${code}）`, en: `${n} (${code})` } : code;
}

function assertToday(today: string): void {
  if (!isValidDay(today))
    throw new RangeError(`today must be a real date written yyyy-MM-dd, got "${today}"`);
}

function codeRule(ctx: UpstreamContext, field: FieldContext): Omit<CodeRule, 'what' | 'table'> {
  return { ...field, codeTables: ctx.codeTables ?? nationalCodeTables };
}

/** A record naming a team needs the team's `teamSysNo` issued upstream first. */
function checkTeamRef(
  f: Findings,
  teamSysNo: string,
  teamName: string | undefined,
  accepted: ReadonlySet<string>,
  record: keyof typeof RECORDS,
): void {
  if (isBlank(teamSysNo) || accepted.has(teamSysNo)) return;
  f.add('team-not-uploaded', 'teamSysNo', { team: named(teamName, teamSysNo), record: RECORDS[record] });
}

function checkWorkerAccepted(
  f: Findings,
  path: string,
  idCardNumber: string,
  ctx: WorkerDependentContext,
  record: keyof typeof RECORDS,
): void {
  if (ctx.acceptedWorkers.has(workerKey(idCardNumber))) return;
  f.add('worker-not-uploaded', path, {
    who: whoParam(workerLabel(idCardNumber, ctx.workerNames)),
    record: RECORDS[record],
  });
}

/** The ID fields every worker-level entry carries; true when a number is present to look up. */
function checkPersonId(
  f: Findings,
  path: string,
  entry: { idCardType: string; idCardNumber: string },
  ctx: UpstreamContext,
  field: FieldContext,
): boolean {
  const typed = requireField(f, `${path}.idCardType`, entry.idCardType, 'idCardType', field);
  if (typed) {
    checkCode(f, `${path}.idCardType`, entry.idCardType, {
      ...codeRule(ctx, field),
      what: 'idCardType',
      table: 'id-card-type',
    });
  }
  if (!requireField(f, `${path}.idCardNumber`, entry.idCardNumber, 'idCardNumber', field)) return false;
  checkIdNumber(f, `${path}.idCardNumber`, entry.idCardType, entry.idCardNumber, ctx.today, field);
  return true;
}

function checkCorpHeader(
  f: Findings,
  r: { corpCode: string; corpName: string },
  ctx: UpstreamContext,
  field: FieldContext,
): boolean {
  requireField(f, 'corpName', r.corpName, 'corpName', field);
  if (!requireField(f, 'corpCode', r.corpCode, 'corpCode', field)) return false;
  const before = f.list.length;
  checkCorpCode(f, 'corpCode', r.corpCode, ctx.creditCodeOverrides, field);
  return f.list.length === before;
}

/** `Corp.Upload`: enterprise data is shared from the integrity platform and corrected there. */
export function checkEnterpriseUpload(r: EnterpriseUpload, ctx: AreaContext): UploadProblem[] {
  assertToday(ctx.today);
  const f = new Findings();
  const field: FieldContext = { subject: subject('enterprise', r.corpName), where: 'integrity' };
  checkCorpHeader(f, r, ctx, field);
  if (requireField(f, 'corpType', r.corpType, 'registrationType', field)) {
    checkCode(f, 'corpType', r.corpType, {
      ...codeRule(ctx, field),
      what: 'registrationType',
      table: 'enterprise-registration-type',
    });
  }
  if (requireField(f, 'areaCode', r.areaCode, 'areaCode', field)) {
    checkAreaCode(f, 'areaCode', r.areaCode, ctx.areaCodes, field);
  }
  if (!isBlank(r.legalManIDCardNumber)) {
    const legal: FieldContext = { subject: subject('legalMan', r.legalMan), where: 'integrity' };
    checkIdNumber(
      f,
      'legalManIDCardNumber',
      r.legalManIDCardType,
      r.legalManIDCardNumber ?? '',
      ctx.today,
      legal,
    );
  }
  return f.list;
}

/** `Project.Add` / `Project.Update`: project data is shared from the integrity platform. */
export function checkProjectUpload(r: ProjectUpload, ctx: AreaContext): UploadProblem[] {
  assertToday(ctx.today);
  const f = new Findings();
  const field: FieldContext = { subject: subject('project', r.name), where: 'integrity' };
  const rule = codeRule(ctx, field);
  requireField(f, 'name', r.name, 'projectName', field);
  const contractor: FieldContext = {
    subject: subject('enterprise', r.contractorCorpName),
    where: 'integrity',
  };
  requireField(f, 'contractorCorpName', r.contractorCorpName, 'contractorCorpName', field);
  if (requireField(f, 'contractorCorpCode', r.contractorCorpCode, 'corpCode', contractor)) {
    checkCorpCode(f, 'contractorCorpCode', r.contractorCorpCode, ctx.creditCodeOverrides, contractor);
  }
  if (!isBlank(r.buildCorpCode)) {
    const owner: FieldContext = { subject: subject('enterprise', r.buildCorpName), where: 'integrity' };
    checkCorpCode(f, 'buildCorpCode', r.buildCorpCode ?? '', ctx.creditCodeOverrides, owner);
  }
  if (requireField(f, 'areaCode', r.areaCode, 'areaCode', field))
    checkAreaCode(f, 'areaCode', r.areaCode, ctx.areaCodes, field);
  if (requireField(f, 'category', r.category, 'category', field)) {
    checkCode(f, 'category', r.category, { ...rule, what: 'category', table: 'project-category' });
  }
  if (requireField(f, 'prjStatus', r.prjStatus, 'prjStatus', field)) {
    checkCode(f, 'prjStatus', r.prjStatus, { ...rule, what: 'prjStatus', table: 'project-status' });
  }
  if (!isBlank(r.propertyNum)) {
    checkCode(f, 'propertyNum', r.propertyNum ?? '', {
      ...rule,
      what: 'propertyNum',
      table: 'construction-nature',
    });
  }
  if (!isBlank(r.approvalLevelNum)) {
    checkCode(f, 'approvalLevelNum', r.approvalLevelNum ?? '', {
      ...rule,
      what: 'approvalLevelNum',
      table: { protocol: 'approval-level' },
    });
  }
  if (!isBlank(r.prjSize)) {
    checkCode(f, 'prjSize', r.prjSize ?? '', {
      ...rule,
      what: 'prjSize',
      table: { protocol: 'project-size' },
    });
  }
  return f.list;
}

/** `ProjectSubContractor.Add` / `.Update`: needs its enterprise accepted first. */
export function checkParticipatingUnitUpload(r: ParticipatingUnitUpload, ctx: UnitContext): UploadProblem[] {
  assertToday(ctx.today);
  const f = new Findings();
  const field: FieldContext = { subject: subject('unit', r.corpName), where: 'units' };
  const rule = codeRule(ctx, field);
  requireField(f, 'projectCode', r.projectCode, 'projectCode', field);
  if (checkCorpHeader(f, r, ctx, field) && !ctx.acceptedEnterprises.has(normaliseCreditCode(r.corpCode))) {
    f.add('enterprise-not-uploaded', 'corpCode', { corp: named(r.corpName, r.corpCode) });
  }
  if (requireField(f, 'corpType', r.corpType, 'participationType', field)) {
    checkCode(f, 'corpType', r.corpType, { ...rule, what: 'participationType', table: 'corp-type' });
  }
  const stay = { ...field, format: 'yyyy-MM-dd HH:mm:ss', notAfter: ctx.today } as const;
  const entry = isBlank(r.entryTime)
    ? undefined
    : checkDate(f, 'entryTime', r.entryTime ?? '', { ...stay, what: 'entryTime' });
  const exit = isBlank(r.exitTime)
    ? undefined
    : checkDate(f, 'exitTime', r.exitTime ?? '', { ...stay, what: 'exitTime' });
  checkDateOrder(
    f,
    'exitTime',
    { what: 'entryTime', value: entry },
    { what: 'exitTime', value: exit },
    field,
  );
  (r.bankInfos ?? []).forEach((b, i) => {
    const path = `bankInfos[${i}].bankCode`;
    if (requireField(f, path, b.bankCode, 'bankCode', field))
      checkCode(f, path, b.bankCode, { ...rule, what: 'bankCode', table: 'bank-code' });
  });
  if (!isBlank(r.pmIDCardNumber)) {
    const pm: FieldContext = { subject: subject('pm', r.pmName), where: 'units' };
    checkIdNumber(f, 'pmIDCardNumber', r.pmIDCardType, r.pmIDCardNumber ?? '', ctx.today, pm);
  }
  return f.list;
}

/** `Team.Add` (needs its unit accepted) / `Team.Update` (needs its `teamSysNo` issued). */
export function checkTeamUpload(r: TeamUpload, ctx: TeamContext): UploadProblem[] {
  assertToday(ctx.today);
  const f = new Findings();
  const field: FieldContext = { subject: subject('team', r.teamName), where: 'teams' };
  requireField(f, 'projectCode', r.projectCode, 'projectCode', field);
  if (checkCorpHeader(f, r, ctx, field) && !ctx.acceptedUnits.has(normaliseCreditCode(r.corpCode))) {
    f.add('unit-not-uploaded', 'corpCode', { corp: named(r.corpName, r.corpCode) });
  }
  const hasName = requireField(f, 'teamName', r.teamName, 'teamName', field);
  if (!isBlank(r.teamSysNo)) {
    const sysNo = r.teamSysNo ?? '';
    checkTeamRef(f, sysNo, r.teamName, ctx.acceptedTeams, 'team');
    // On Add a name already upstream is the same team ("already exists", reconciled); on Update it
    // can only belong to another team.
    const holder = hasName ? ctx.teamNames.get(r.teamName.trim()) : undefined;
    if (holder !== undefined && holder !== sysNo)
      f.add('team-name-taken', 'teamName', { name: r.teamName.trim() });
  }
  const people: [
    string,
    string | undefined,
    string | undefined,
    string | undefined,
    'responsiblePerson' | 'teamLeader',
  ][] = [
    [
      'responsiblePersonIDNumber',
      r.responsiblePersonIDCardType,
      r.responsiblePersonIDNumber,
      r.responsiblePersonName,
      'responsiblePerson',
    ],
    ['teamLeaderIdNumber', r.teamLeaderIdcardType, r.teamLeaderIdNumber, r.teamLeaderName, 'teamLeader'],
  ];
  for (const [path, type, number, name, role] of people) {
    if (!isBlank(number))
      checkIdNumber(f, path, type, number ?? '', ctx.today, { subject: subject(role, name), where: 'teams' });
  }
  const stay = { ...field, format: 'yyyy-MM-dd[ HH:mm:ss]', notAfter: ctx.today } as const;
  const entry = isBlank(r.entryTime)
    ? undefined
    : checkDate(f, 'entryTime', r.entryTime ?? '', { ...stay, what: 'entryTime' });
  const exit = isBlank(r.exitTime)
    ? undefined
    : checkDate(f, 'exitTime', r.exitTime ?? '', { ...stay, what: 'exitTime' });
  checkDateOrder(
    f,
    'exitTime',
    { what: 'entryTime', value: entry },
    { what: 'exitTime', value: exit },
    field,
  );
  const limits = { max: LIMITS.teamAttachments, maxBytes: LIMITS.teamAttachmentBytes };
  checkAttachments(f, 'entryAttachments', r.entryAttachments, limits, 'entryAttachments', field);
  checkAttachments(f, 'exitAttachments', r.exitAttachments, limits, 'exitAttachments', field);
  return f.list;
}

/** `ProjectWorker.Add`: at most 5 workers, into a team the platform has issued a `teamSysNo` for. */
export function checkProjectWorkerUpload(r: ProjectWorkerUpload, ctx: ProjectWorkerContext): UploadProblem[] {
  assertToday(ctx.today);
  const f = new Findings();
  const header: FieldContext = { subject: subject('team', r.teamName), where: 'workers' };
  requireField(f, 'projectCode', r.projectCode, 'projectCode', header);
  checkCorpHeader(f, r, ctx, header);
  if (requireField(f, 'teamSysNo', r.teamSysNo, 'teamSysNo', header)) {
    checkTeamRef(f, r.teamSysNo, r.teamName, ctx.acceptedTeams, 'worker');
  }
  if (!checkBatch(f, 'workerList', r.workerList, LIMITS.workersPerCall, 'workers', 'workers')) return f.list;
  r.workerList.forEach((w, i) => {
    const path = `workerList[${i}]`;
    const label = w.workerName?.trim() || workerLabel(w.idCardNumber ?? '', ctx.workerNames);
    const who = whoParam(label);
    const field: FieldContext = { subject: subject('worker', label), where: 'workers' };
    const rule = codeRule(ctx, field);
    requireField(f, `${path}.workerName`, w.workerName, 'workerName', field);
    checkPersonId(f, path, w, ctx, field);
    if (requireField(f, `${path}.workType`, w.workType, 'workType', field)) {
      checkCode(f, `${path}.workType`, w.workType, { ...rule, what: 'workType', table: 'work-type' });
    }
    if (requireField(f, `${path}.workRole`, w.workRole, 'workRole', field)) {
      checkCode(f, `${path}.workRole`, w.workRole, { ...rule, what: 'workRole', table: 'work-role' });
    }
    if (requireField(f, `${path}.isTeamLeader`, w.isTeamLeader, 'isTeamLeader', field)) {
      checkCode(f, `${path}.isTeamLeader`, w.isTeamLeader, {
        ...rule,
        what: 'isTeamLeader',
        table: { protocol: 'yes-no' },
      });
    }
    const optional = [
      ['hasBuyInsurance', w.hasBuyInsurance, { protocol: 'yes-no' }],
      ['hasBadMedicalHistory', w.hasBadMedicalHistory, { protocol: 'yes-no' }],
      ['politicsType', w.politicsType, 'politics-type'],
      ['cultureLevelType', w.cultureLevelType, 'culture-level'],
      ['maritalStatus', w.maritalStatus, 'marital-status'],
      ['payRollTopBankCode', w.payRollTopBankCode, 'bank-code'],
    ] as const;
    for (const [name, value, table] of optional) {
      if (!isBlank(value)) checkCode(f, `${path}.${name}`, value ?? '', { ...rule, what: name, table });
    }
    const maxKb = LIMITS.headImageBytes / 1024;
    if (isBlank(w.headImage)) {
      f.add('head-image-missing', `${path}.headImage`, { who, maxKb });
    } else {
      const v = judgeImage(w.headImage ?? '', LIMITS.headImageBytes);
      if (!v.ok && v.problem === 'not-jpg-png')
        f.add('head-image-not-jpg-png', `${path}.headImage`, { who, maxKb });
      if (!v.ok && v.problem === 'too-large')
        f.add('head-image-too-large', `${path}.headImage`, { who, kb: v.kb, maxKb });
    }
    const sides = [
      ['positiveIDCardImage', w.positiveIDCardImage, ID_CARD_SIDES.front],
      ['negativeIDCardImage', w.negativeIDCardImage, ID_CARD_SIDES.back],
    ] as const;
    for (const [name, image, side] of sides) {
      if (isBlank(image)) continue;
      const v = judgeImage(image ?? '', LIMITS.idCardImageBytes);
      const maxKbId = LIMITS.idCardImageBytes / 1024;
      if (!v.ok && v.problem === 'not-jpg-png')
        f.add('id-card-image-not-jpg-png', `${path}.${name}`, { who, side });
      if (!v.ok && v.problem === 'too-large')
        f.add('id-card-image-too-large', `${path}.${name}`, { who, side, kb: v.kb, maxKb: maxKbId });
    }
    const from = isBlank(w.startDate)
      ? undefined
      : checkDate(f, `${path}.startDate`, w.startDate ?? '', {
          ...field,
          what: 'idValidFrom',
          format: 'yyyy-MM-dd',
          notAfter: ctx.today,
        });
    // The end of validity may be a word (长期 on long-term cards): only a real date is compared.
    const to = w.expiryDate && isValidDay(w.expiryDate) ? w.expiryDate : undefined;
    checkDateOrder(
      f,
      `${path}.expiryDate`,
      { what: 'idValidFrom', value: from },
      { what: 'idValidTo', value: to },
      field,
    );
  });
  return f.list;
}

/** `WorkerContract.Add`: at most 5 contracts, for workers already accepted upstream. */
export function checkWorkerContractUpload(
  r: WorkerContractUpload,
  ctx: WorkerDependentContext,
): UploadProblem[] {
  assertToday(ctx.today);
  const f = new Findings();
  requireField(f, 'projectCode', r.projectCode, 'projectCode', {
    subject: subject('project'),
    where: 'contracts',
  });
  if (!checkBatch(f, 'contractList', r.contractList, LIMITS.contractsPerCall, 'contracts', 'contracts'))
    return f.list;
  r.contractList.forEach((c, i) => {
    const path = `contractList[${i}]`;
    const field: FieldContext = {
      subject: subject('worker', workerLabel(c.idCardNumber ?? '', ctx.workerNames)),
      where: 'contracts',
    };
    const rule = codeRule(ctx, field);
    requireField(f, `${path}.corpName`, c.corpName, 'corpName', field);
    if (requireField(f, `${path}.corpCode`, c.corpCode, 'corpCode', field)) {
      checkCorpCode(f, `${path}.corpCode`, c.corpCode, ctx.creditCodeOverrides, field);
    }
    if (checkPersonId(f, path, c, ctx, field))
      checkWorkerAccepted(f, `${path}.idCardNumber`, c.idCardNumber, ctx, 'contract');
    if (requireField(f, `${path}.contractPeriodType`, c.contractPeriodType, 'contractPeriodType', field)) {
      checkCode(f, `${path}.contractPeriodType`, c.contractPeriodType, {
        ...rule,
        what: 'contractPeriodType',
        table: { protocol: 'contract-period-type' },
      });
    }
    if (c.unit !== undefined) {
      checkCode(f, `${path}.unit`, c.unit, {
        ...rule,
        what: 'measureUnit',
        table: { protocol: 'measure-unit' },
      });
    }
    // A contract may be signed ahead of its start, so its dates are not held to today.
    const dates = { ...field, format: 'yyyy-MM-dd[ HH:mm:ss]' } as const;
    const start = requireField(f, `${path}.startDate`, c.startDate, 'contractStart', field)
      ? checkDate(f, `${path}.startDate`, c.startDate, { ...dates, what: 'contractStart' })
      : undefined;
    const end = isBlank(c.endDate)
      ? undefined
      : checkDate(f, `${path}.endDate`, c.endDate ?? '', { ...dates, what: 'contractEnd' });
    checkDateOrder(
      f,
      `${path}.endDate`,
      { what: 'contractStart', value: start },
      { what: 'contractEnd', value: end },
      field,
    );
    checkAttachments(
      f,
      `${path}.attachments`,
      c.attachments,
      { max: LIMITS.contractAttachments },
      'attachments',
      field,
    );
  });
  return f.list;
}

/** `ProjectTraining.Add`: attendees must be the project's accepted workers. */
export function checkTrainingUpload(r: TrainingUpload, ctx: WorkerDependentContext): UploadProblem[] {
  assertToday(ctx.today);
  const f = new Findings();
  const field: FieldContext = { subject: subject('training', r.trainingName), where: 'training' };
  requireField(f, 'projectCode', r.projectCode, 'projectCode', field);
  requireField(f, 'trainingName', r.trainingName, 'trainingName', field);
  if (requireField(f, 'trainingDate', r.trainingDate, 'trainingDate', field)) {
    checkDate(f, 'trainingDate', r.trainingDate, {
      ...field,
      what: 'trainingDate',
      format: 'yyyy-MM-dd[ HH:mm:ss]',
      notAfter: ctx.today,
    });
  }
  if (requireField(f, 'trainingTypeCode', r.trainingTypeCode, 'trainingTypeCode', field)) {
    checkCode(f, 'trainingTypeCode', r.trainingTypeCode, {
      ...codeRule(ctx, field),
      what: 'trainingTypeCode',
      table: 'training-type',
    });
  }
  if (!checkBatch(f, 'workers', r.workers, undefined, 'trainees', 'training')) return f.list;
  r.workers.forEach((w, i) => {
    const path = `workers[${i}]`;
    const person: FieldContext = {
      subject: subject('worker', workerLabel(w.idCardNumber ?? '', ctx.workerNames)),
      where: 'training',
    };
    if (checkPersonId(f, path, w, ctx, person))
      checkWorkerAccepted(f, `${path}.idCardNumber`, w.idCardNumber, ctx, 'training');
    if (w.isPass !== undefined) {
      checkCode(f, `${path}.isPass`, w.isPass, {
        ...codeRule(ctx, person),
        what: 'isPass',
        table: { protocol: 'yes-no' },
      });
    }
  });
  return f.list;
}

/**
 * `WorkerEntryExit.Add`: at most 50 records, none after today and none before the worker's last
 * entry or exit (the records of the same call count, in list order). The reference rejects an
 * entry/exit "earlier than" the last one, so the same day is allowed (an exit on the day of entry).
 */
export function checkEntryExitUpload(r: EntryExitUpload, ctx: EntryExitContext): UploadProblem[] {
  assertToday(ctx.today);
  const f = new Findings();
  const header: FieldContext = { subject: subject('project'), where: 'entryExit' };
  requireField(f, 'projectCode', r.projectCode, 'projectCode', header);
  checkCorpHeader(f, r, ctx, header);
  if (requireField(f, 'teamSysNo', r.teamSysNo, 'teamSysNo', header)) {
    checkTeamRef(f, r.teamSysNo, undefined, ctx.acceptedTeams, 'entryExit');
  }
  if (!checkBatch(f, 'workerList', r.workerList, LIMITS.entryExitsPerCall, 'entryExits', 'entryExit'))
    return f.list;
  const last = new Map(ctx.lastEntryExit);
  r.workerList.forEach((e, i) => {
    const path = `workerList[${i}]`;
    const label = workerLabel(e.idCardNumber ?? '', ctx.workerNames);
    const who = whoParam(label);
    const field: FieldContext = { subject: subject('worker', label), where: 'entryExit' };
    const hasId = checkPersonId(f, path, e, ctx, field);
    if (hasId) checkWorkerAccepted(f, `${path}.idCardNumber`, e.idCardNumber, ctx, 'entryExit');
    const typed = requireField(f, `${path}.type`, e.type, 'entryExitType', field);
    if (typed)
      checkCode(f, `${path}.type`, e.type, {
        ...codeRule(ctx, field),
        what: 'entryExitType',
        table: { protocol: 'entry-exit-type' },
      });
    if (!requireField(f, `${path}.date`, e.date, 'entryExitDate', field)) return;
    const day = checkDate(f, `${path}.date`, e.date, {
      ...field,
      what: 'entryExitDate',
      format: 'yyyy-MM-dd',
      notAfter: ctx.today,
    });
    if (!hasId || day === undefined) return;
    const key = workerKey(e.idCardNumber);
    const previous = last.get(key);
    if (previous !== undefined && day < previous) {
      const kind = String(e.type) === '0' ? ENTRY_EXIT_KINDS.exit : ENTRY_EXIT_KINDS.entry;
      f.add('entry-exit-before-last', `${path}.date`, { who, kind, date: day, last: previous });
    } else {
      last.set(key, day);
    }
  });
  return f.list;
}

/** `WorkerAttendance.Add`: at most 20 punches of accepted workers, none dated after today. */
export function checkAttendanceUpload(r: AttendanceUpload, ctx: TeamWorkerContext): UploadProblem[] {
  assertToday(ctx.today);
  const f = new Findings();
  const header: FieldContext = { subject: subject('project'), where: 'attendance' };
  requireField(f, 'projectCode', r.projectCode, 'projectCode', header);
  if (requireField(f, 'teamSysNo', r.teamSysNo, 'teamSysNo', header)) {
    checkTeamRef(f, r.teamSysNo, undefined, ctx.acceptedTeams, 'attendance');
  }
  if (!checkBatch(f, 'dataList', r.dataList, LIMITS.punchesPerCall, 'punches', 'attendance')) return f.list;
  r.dataList.forEach((a, i) => {
    const path = `dataList[${i}]`;
    const label = workerLabel(a.idCardNumber ?? '', ctx.workerNames);
    const who = whoParam(label);
    const field: FieldContext = { subject: subject('worker', label), where: 'attendance' };
    const rule = codeRule(ctx, field);
    if (checkPersonId(f, path, a, ctx, field))
      checkWorkerAccepted(f, `${path}.idCardNumber`, a.idCardNumber, ctx, 'attendance');
    if (requireField(f, `${path}.date`, a.date, 'attendanceTime', field)) {
      checkDate(f, `${path}.date`, a.date, {
        ...field,
        what: 'attendanceTime',
        format: 'yyyy-MM-dd HH:mm:ss',
        notAfter: ctx.today,
      });
    }
    if (requireField(f, `${path}.direction`, a.direction, 'direction', field)) {
      checkCode(f, `${path}.direction`, a.direction, {
        ...rule,
        what: 'direction',
        table: { protocol: 'direction' },
      });
    }
    if (!isBlank(a.attendType))
      checkCode(f, `${path}.attendType`, a.attendType ?? '', {
        ...rule,
        what: 'attendType',
        table: 'attend-type',
      });
    if (!isBlank(a.image)) {
      const v = judgeImage(a.image ?? '', LIMITS.attendanceImageBytes);
      const time = shown(a.date);
      const maxKb = LIMITS.attendanceImageBytes / 1024;
      if (!v.ok && v.problem === 'not-jpg-png')
        f.add('attendance-image-not-jpg-png', `${path}.image`, { who, time });
      if (!v.ok && v.problem === 'too-large')
        f.add('attendance-image-too-large', `${path}.image`, { who, time, kb: v.kb, maxKb });
    }
  });
  return f.list;
}

/** `Payroll.Add`: at most 20 lines of accepted workers; pay month and payment dates not after today. */
export function checkPayrollUpload(r: PayrollUpload, ctx: TeamWorkerContext): UploadProblem[] {
  assertToday(ctx.today);
  const f = new Findings();
  const header: FieldContext = { subject: subject('payroll'), where: 'payroll' };
  requireField(f, 'projectCode', r.projectCode, 'projectCode', header);
  checkCorpHeader(f, r, ctx, header);
  if (requireField(f, 'teamSysNo', r.teamSysNo, 'teamSysNo', header)) {
    checkTeamRef(f, r.teamSysNo, undefined, ctx.acceptedTeams, 'payroll');
  }
  if (requireField(f, 'payMonth', r.payMonth, 'payMonth', header)) {
    checkDate(f, 'payMonth', r.payMonth, {
      ...header,
      what: 'payMonth',
      format: 'yyyy-MM',
      notAfter: ctx.today,
    });
  }
  if (!checkBatch(f, 'detailList', r.detailList, LIMITS.payLinesPerCall, 'payLines', 'payroll'))
    return f.list;
  r.detailList.forEach((d, i) => {
    const path = `detailList[${i}]`;
    const field: FieldContext = {
      subject: subject('worker', workerLabel(d.idCardNumber ?? '', ctx.workerNames)),
      where: 'payroll',
    };
    const rule = codeRule(ctx, field);
    if (checkPersonId(f, path, d, ctx, field))
      checkWorkerAccepted(f, `${path}.idCardNumber`, d.idCardNumber, ctx, 'payroll');
    if (!isBlank(d.balanceDate)) {
      checkDate(f, `${path}.balanceDate`, d.balanceDate ?? '', {
        ...field,
        what: 'balanceDate',
        format: 'yyyy-MM-dd',
        notAfter: ctx.today,
      });
    }
    if (d.isBackPay !== undefined) {
      checkCode(f, `${path}.isBackPay`, d.isBackPay, {
        ...rule,
        what: 'isBackPay',
        table: { protocol: 'yes-no' },
      });
    }
    if (!isBlank(d.backPayMonth)) {
      checkDate(f, `${path}.backPayMonth`, d.backPayMonth ?? '', {
        ...field,
        what: 'backPayMonth',
        format: 'yyyy-MM',
        notAfter: ctx.today,
      });
    }
    if (!isBlank(d.payRollBankCode)) {
      checkCode(f, `${path}.payRollBankCode`, d.payRollBankCode ?? '', {
        ...rule,
        what: 'payRollBankCode',
        table: 'bank-code',
      });
    }
    if (!isBlank(d.payBankCode)) {
      checkCode(f, `${path}.payBankCode`, d.payBankCode ?? '', {
        ...rule,
        what: 'payBankCode',
        table: 'bank-code',
      });
    }
  });
  return f.list;
}
