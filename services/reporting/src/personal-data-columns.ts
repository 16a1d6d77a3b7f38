import type { EncryptedColumn } from '@realname/personal-data';

/**
 * Every column of reporting holding a value encrypted with the personal-data keyring (PII_KEYS), for
 * `ops keys status` and `ops keys rotate`; the contexts must match the repositories that write them.
 */
export const personalDataColumns: EncryptedColumn[] = [
  {
    service: 'reporting',
    defaultSchema: 'reporting',
    table: 'uplink_credentials',
    column: 'secret_encrypted',
    key: ['target', 'project_id'],
    context: (k) => `uplink:${k.target}:${k.project_id}:secret`,
  },
  {
    service: 'reporting',
    defaultSchema: 'reporting',
    table: 'uplink_credentials',
    column: 'corp_key_encrypted',
    key: ['target', 'project_id'],
    context: (k) => `uplink:${k.target}:${k.project_id}:corpKey`,
  },
  {
    service: 'reporting',
    defaultSchema: 'reporting',
    table: 'worker_identities',
    column: 'id_encrypted',
    key: ['worker_id'],
    context: (k) => `worker:${k.worker_id}:idCardNumber`,
  },
  {
    service: 'reporting',
    defaultSchema: 'reporting',
    table: 'worker_identities',
    column: 'head_image_encrypted',
    key: ['worker_id'],
    context: (k) => `worker:${k.worker_id}:headImage`,
  },
  {
    service: 'reporting',
    defaultSchema: 'reporting',
    table: 'worker_identities',
    column: 'validity_encrypted',
    key: ['worker_id'],
    context: (k) => `worker:${k.worker_id}:validity`,
  },
];
