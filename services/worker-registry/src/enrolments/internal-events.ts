import { z } from 'zod';
import { defineEvent } from '@realname/contracts';

/** Enrolment facts that stay inside the registry. */
export const ContractSigned = defineEvent({
  type: 'realname.registry.ContractSigned',
  version: 1,
  schema: z.object({
    enrolmentId: z.string(),
    contractId: z.string(),
    periodType: z.enum(['0', '1']),
    startDate: z.string(),
    endDate: z.string().optional(),
  }),
});
export const TrainingRecorded = defineEvent({
  type: 'realname.registry.TrainingRecorded',
  version: 1,
  schema: z.object({
    enrolmentId: z.string(),
    trainingId: z.string(),
    typeCode: z.string(),
    date: z.string(),
    passed: z.boolean(),
    score: z.number().optional(),
  }),
});
export const CertificateAdded = defineEvent({
  type: 'realname.registry.CertificateAdded',
  version: 1,
  schema: z.object({
    enrolmentId: z.string(),
    workType: z.string(),
    number: z.string(),
    expiresOn: z.string(),
  }),
});
