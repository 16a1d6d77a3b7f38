import { z } from 'zod';
import { codeTables, MOBILE_PHONE_PATTERN } from '@realname/domain-rules';

/*
 * The request bodies of the registry's REST API: the handlers parse them with these schemas and the
 * OpenAPI document states them (ApiBodyFrom), so a body valid by the document is one the handler reads.
 * What JSON Schema cannot say (check digits of ID, credit-code and bank-card numbers, a head photo's
 * image type) is said in the descriptions and checked by the handlers (400 naming the field).
 */

type CodeTable = Parameters<typeof codeTables.list>[0];

/** A code of a national table (deprecated codes included: old records must still resolve). */
function code(table: CodeTable, example: string) {
  const codes = codeTables.list(table).map((e) => e.code);
  const what = `a code of the national ${table} table, e.g. ${example}`;
  return z
    .enum(codes as [string, ...string[]], { errorMap: () => ({ message: `must be ${what}` }) })
    .describe(what[0].toUpperCase() + what.slice(1));
}

/** A calendar day (RFC 3339 full-date). */
export const Day = z.string().date().describe('A day, YYYY-MM-DD');

/**
 * Text of `min`-`max` characters (Unicode code points, as JSON Schema counts them), any but the NUL
 * character (PostgreSQL text cannot hold it). The length is in the pattern: zod's own bounds count
 * UTF-16 code units, which would refuse some texts the document allows.
 */
const line = (min: number, max?: number) =>
  z
    .string()
    .regex(
      new RegExp(`^[^\\u0000]{${min},${max ?? ''}}$`, 'u'),
      max === undefined
        ? `must be at least ${min} characters, without NUL`
        : `must be ${min}-${max} characters, without NUL`,
    );

export const ResidentIdNumber = z
  .string()
  .regex(/^\s*\d{17}[\dXx]\s*$/, 'must be an 18-character resident ID number')
  .describe(
    'The 18-character resident ID number (GB 11643): a real area code and birth date, and a correct check character; a number that fails them is refused (400)',
  );

export const EnterpriseBody = z
  .object({
    creditCode: z
      .string()
      .regex(/^\s*[0-9A-HJ-NPQRTUWXYa-hj-npqrtuwxy]{18}\s*$/, 'must be an 18-character credit code')
      .describe(
        'The unified social credit code (GB 32100) with a correct check character (else 400), in your region',
      ),
    name: line(1, 200),
    registrationType: line(0).optional(),
    legalRepresentative: line(0, 50).optional(),
    region: z
      .string()
      .regex(/^\d{6}$/, 'must be a six-digit division code')
      .optional(),
    overrideReason: line(5, 500)
      .optional()
      .describe('Only for a known pilot code the check character refuses: why it is admitted (audited)'),
  })
  .strict();

export const NewWorkerBody = z
  .object({
    idCardNumber: ResidentIdNumber,
    name: line(1, 50),
    nation: line(1, 10),
    address: line(1, 200),
    issuingAuthority: line(1, 100),
    idValidFrom: Day.optional(),
    idValidTo: line(0, 20).optional(),
    phone: z
      .string()
      .regex(MOBILE_PHONE_PATTERN, 'must be a mainland mobile number such as 13812345678')
      .optional(),
    education: line(0).optional(),
    politics: line(0).optional(),
    headPhoto: z
      .string()
      .regex(/^(\/9j\/|iVBORw0KGgo)[A-Za-z0-9+/]*={0,2}$/, 'must be a JPEG or PNG image, Base64-encoded')
      .max(69_000)
      .optional()
      .describe('A JPEG or PNG image, Base64-encoded, at most 50 KB'),
  })
  .strict();

export const BlacklistBody = z
  .object({
    reason: z
      .string()
      .regex(/^\s*[^\u0000\s][^\u0000]{0,499}\s*$/u, 'must be 1-500 characters, not blank')
      .transform((r) => r.trim()),
  })
  .strict();

export const RevealBody = z.object({
  purpose: z
    .string()
    .regex(
      /^\s*[^\u0000-\u001f\u007f\s][^\u0000-\u001f\u007f]{0,199}\s*$/u,
      'must be 1-200 characters of one line, not blank',
    )
    .describe('Why the numbers are needed, e.g. national-platform-upload: 1-200 characters, one line'),
});

export const ProjectPatchBody = z
  .object({
    siteContactPhone: z.string().nullable().optional(),
    remark: z.string().nullable().optional(),
  })
  .strict();

export const KeyPersonBody = z.object({ name: line(1, 50), idCardNumber: ResidentIdNumber }).strict();

export const TeamBody = z.object({ name: line(1, 100), participantId: line(1) }).strict();

export const EnrolBody = z
  .object({
    workerId: line(1),
    teamId: line(1),
    workType: code('work-type', '020'),
    workRole: z.enum(['10', '20']),
    isTeamLeader: z.boolean().default(false),
    cardNumber: line(1, 32).optional(),
    /** The worker's own bank card the wages of this project are paid to. */
    wageCard: z
      .object({
        number: z
          .string()
          .regex(/^\s*(\d\s*){16,19}$/, 'must be a bank card number of 16-19 digits')
          .describe('16-19 digits with a correct Luhn check digit (else 400)'),
        bankCode: code('bank-code', '102'),
      })
      .strict()
      .optional(),
  })
  .strict();

export const ContractBody = z
  .object({
    periodType: z.enum(['0', '1']),
    startDate: Day,
    endDate: Day.optional(),
    contractId: line(1).optional(),
  })
  .strict();

export const TrainingBody = z
  .object({
    typeCode: code('training-type', '003001'),
    date: Day,
    passed: z.boolean(),
    score: z.number().min(0).max(100).optional(),
  })
  .strict();

export const TrainingSessionBody = z
  .object({
    name: line(1, 200),
    typeCode: code('training-type', '003001'),
    date: Day,
    durationHours: z.number().positive().max(200).optional(),
    trainer: line(0, 100).optional(),
    attendees: z
      .array(
        z
          .object({
            enrolmentId: line(1),
            passed: z.boolean(),
            score: z.number().min(0).max(100).optional(),
          })
          .strict(),
      )
      .min(1, 'must list at least one attendee'),
  })
  .strict();

export const CertificateBody = z.object({ workType: line(1), number: line(1), expiresOn: Day }).strict();

export const DateBody = z.object({ date: Day }).strict();

export const CardBody = z.object({ cardNumber: line(1, 32).nullable() }).strict();

/**
 * An example of each body for the document (fake people and codes from @realname/fixtures, with valid
 * check characters): complete and valid, so that tools building requests from examples send whole ones.
 */
export const BODY_EXAMPLES = {
  EnterpriseBody: {
    creditCode: '91330106MA0EWB6530',
    name: '杭州某某劳务有限公司',
    registrationType: '150',
    legalRepresentative: '张三',
    region: '330106',
  },
  NewWorkerBody: {
    idCardNumber: '341221199104064512',
    name: '金轩宇',
    nation: '汉',
    address: '安徽省阜阳市临泉县仓房镇桃园村8组88号',
    issuingAuthority: '临泉县公安局',
    phone: '15015529359',
  },
  BlacklistBody: { reason: 'Forged safety training certificate' },
  KeyPersonBody: { name: '黎庆', idCardNumber: '330110197904014154' },
  TeamBody: { name: 'Rebar team', participantId: '91330106MA2H4K7N15' },
  EnrolBody: {
    workerId: '0190a8c4-8f6e-7cc1-a1b2-3c4d5e6f7a8b',
    teamId: '0190a8c4-8f6e-7cc1-a1b2-3c4d5e6f7a8c',
    workType: '020',
    workRole: '20',
    isTeamLeader: false,
  },
  ContractBody: { periodType: '1', startDate: '2026-11-01' },
  TrainingBody: { typeCode: '003001', date: '2026-11-02', passed: true, score: 92 },
  TrainingSessionBody: {
    name: 'Safety education on entry',
    typeCode: '003001',
    date: '2026-11-02',
    durationHours: 2,
    trainer: '王工',
    attendees: [{ enrolmentId: '0190a8c4-8f6e-7cc1-a1b2-3c4d5e6f7a8d', passed: true, score: 92 }],
  },
  CertificateBody: { workType: '020', number: 'T330106202600001', expiresOn: '2028-01-01' },
  DateBody: { date: '2026-11-03' },
  CardBody: { cardNumber: 'CARD-000123' },
} as const;
