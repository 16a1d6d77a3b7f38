import { z } from 'zod';
import { currentResidentIdMask, defineEvent, KeyPost } from '@realname/contracts';

/** Registry events that stay inside the registry (no topic): the facts behind the published ones. */
const KeyPersonData = z.object({
  name: z.string(),
  idHash: z.string(),
  // Stored events of the earlier mask (first 6 characters) read in the current one.
  maskedIdNumber: z.string().transform(currentResidentIdMask),
  registrationCategory: z.string().optional(),
});

export const ParticipantUpdated = defineEvent({
  type: 'realname.registry.ParticipantUpdated',
  version: 1,
  schema: z.object({
    projectId: z.string(),
    participantId: z.string(),
    creditCode: z.string(),
    corpName: z.string(),
    unitType: z.string(),
    entryDate: z.string().optional(),
    exitDate: z.string().optional(),
  }),
});

export const KeyPersonRegistered = defineEvent({
  type: 'realname.registry.KeyPersonRegistered',
  version: 1,
  schema: z.object({
    projectId: z.string(),
    participantId: z.string(),
    post: KeyPost,
    person: KeyPersonData.nullable(),
    // The day of the sync that brought the person, YYYY-MM-DD; absent in events written before it was kept.
    syncedOn: z.string().optional(),
  }),
});

export const KeyPersonAssigned = defineEvent({
  type: 'realname.registry.KeyPersonAssigned',
  version: 1,
  schema: z.object({
    projectId: z.string(),
    participantId: z.string(),
    post: KeyPost,
    person: KeyPersonData,
    // The day the person took the post, YYYY-MM-DD; absent in events written before it was asked for.
    appointedOn: z.string().optional(),
  }),
});
