import type { EncryptedColumn } from '@realname/personal-data';

/**
 * Every column of the registry holding a value encrypted with the personal-data keyring (PII_KEYS),
 * with the associated data each was encrypted with. Read by the operator commands `ops keys status` and
 * `ops keys rotate` (loaded by path from dist/, like projections.ts); keep it in step with the
 * repositories that write these columns (a value whose context differs here does not decrypt, and the
 * rotation reports it as failed rather than change it).
 */
export const personalDataColumns: EncryptedColumn[] = [
  {
    service: 'worker-registry',
    defaultSchema: 'registry',
    table: 'workers',
    column: 'id_encrypted',
    key: ['worker_id'],
    context: (k) => `worker:${k.worker_id}:idCardNumber`,
    lookupHash: { column: 'id_hash', kind: 'id-card' },
  },
  {
    service: 'worker-registry',
    defaultSchema: 'registry',
    table: 'workers',
    column: 'phone_encrypted',
    key: ['worker_id'],
    context: (k) => `worker:${k.worker_id}:phone`,
  },
  {
    service: 'worker-registry',
    defaultSchema: 'registry',
    table: 'enrolments',
    column: 'wage_card_encrypted',
    key: ['enrolment_id'],
    context: (k) => `enrolment:${k.enrolment_id}:wageCard`,
    lookupHash: { column: 'wage_card_hash', kind: 'bank-card' },
  },
  {
    service: 'worker-registry',
    defaultSchema: 'registry',
    table: 'key_persons',
    column: 'id_encrypted',
    key: ['project_id', 'credit_code', 'post', 'source'],
    // 'local' rows are written by ProjectCommands.assignKeyPerson, 'integrity' rows by IntegritySync.
    context: (k) => `key-person:${k.project_id}:${k.credit_code}:${k.post}:${k.source}`,
    lookupHash: { column: 'id_hash', kind: 'id-card' },
  },
];
