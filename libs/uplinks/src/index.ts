/**
 * @realname/uplinks — uploads to the national platform and to provincial platforms.
 *
 * What it holds:
 * - `uplink.ts`: the adapter interface every target implements (`UplinkAdapter`, `UplinkProfile`): the
 *   record kinds in dependency order (enterprise → project → participating unit → team → worker →
 *   contract → training → entry → attendance → payroll → exit), batch limits per kind, how the target
 *   signs and encrypts, whether it answers synchronously or with a ticket to poll, and the three
 *   failure classes: retriable (network, timeout, 5xx, rate limit, busy), rejected (the platform's code
 *   and message, blaming the record or the credentials) and already-exists (reconcile, adopt the keys).
 * - `planning.ts`: pure helpers: order records by dependencies, split ready from waiting records (with
 *   what they wait for), cut calls within the batch limits.
 * - `national/`: the national platform adapter (`NationalPlatformUplink`) per
 *   NATIONAL-PLATFORM-API.md: SHA-256 form signature, AES-256-CBC field encryption, methods and their
 *   limits, `requestSerialCode` polling, error codes, reconciliation by query; per-project
 *   `NationalCredentials` whose secret is never printed or serialised.
 * - `deadline.ts`: `TargetProfile` (a profile with the daily attendance deadline) and the deadline's
 *   instant for a day; `code-tables.ts`: code tables as versioned data.
 * - `zhejiang/`: the Zhejiang V2.0 provincial adapter (`ZhejiangV2Uplink`), the national transport
 *   composed with the provincial profile, and `mapping.ts`, the one module of provincial differences
 *   (`toZhejiangV2`, the V2.0 data, the 24:00 Asia/Shanghai deadline).
 * - `province-b/`: a representative second style ("Province B", no named province's API): login
 *   session with an expiring token, upper-case MD5 signature in a ±6-minute window, synchronous answers.
 * - The simulators of these platforms live in the tool library `@realname/uplink-simulators`, with the
 *   tests that drive each adapter against its simulator.
 *
 * Nothing here keeps state between calls: the upload ledger, retries and deadlines belong to the
 * reporting service that drives these adapters.
 */
export * from './uplink';
export * from './planning';
export * from './national/signature';
export * from './national/field-cipher';
export * from './national/credentials';
export * from './national/classify';
export * from './national/methods';
export * from './national/national-uplink';
export * from './deadline';
export * from './code-tables';
export * from './zhejiang/mapping';
export * from './zhejiang/zhejiang-uplink';
export * from './province-b/signature';
export * from './province-b/credentials';
export * from './province-b/protocol';
export * from './province-b/province-b-uplink';
export * from './province-b/mapping';
