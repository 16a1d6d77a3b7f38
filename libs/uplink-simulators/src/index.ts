/**
 * @realname/uplink-simulators — the platforms above ours, as real HTTP servers, for tests, the demo,
 * the fault suite and `npm run bench:upload`:
 * - `national.ts`: the national platform (`open.api`: signature, AES field encryption, batch limits,
 *   dependency order, `requestSerialCode` results after a delay, "already exists", rate limits, faults);
 * - `zhejiang.ts`: the Zhejiang provincial platform (data standard V2.0, the 24:00 attendance deadline);
 * - `province-b.ts`: a province of another style (login session, upper-case MD5 in a ±6-minute window).
 * A tool: runtime code never imports it (the lint rules forbid it).
 */
export * from './national';
export * from './national-admin';
export * from './zhejiang';
export * from './province-b';
