// Helpers for the registry's integration tests (compiled with the tests only).
import { randomBytes } from 'node:crypto';
import { Database, migrate } from '@realname/eventstore';
import { PersonalDataVault } from '@realname/personal-data';
import { Caller, DEFAULT_CLAIM_NAMES, TokenVerifier } from '@realname/platform';
import {
  IdentitySelector,
  testAudience,
  testInfrastructure,
  testIssuer,
  tokenFor,
  uniqueName,
} from '@realname/testing';
import { registryMigrations } from '../migrations';

/** A vault with a fresh random key and hash key. */
export function testVault(): PersonalDataVault {
  return new PersonalDataVault({
    keys: `k1:${randomBytes(32).toString('base64')}`,
    activeKeyId: 'k1',
    hashKey: randomBytes(32).toString('base64'),
  });
}

let verifier: TokenVerifier | undefined;

/**
 * The caller a real token of the local realm makes (`callerFor('hz-city')`), as the guard would hand it
 * to a controller: for tests that call handlers and repositories directly.
 */
export async function callerFor(who: IdentitySelector): Promise<Caller> {
  verifier ??= new TokenVerifier({
    issuer: testIssuer(),
    audience: testAudience(),
    claims: DEFAULT_CLAIM_NAMES,
    clockToleranceS: 30,
    algorithms: ['RS256', 'PS256', 'ES256'],
    httpTimeoutMs: 5_000,
  });
  const caller = await verifier.verify(await tokenFor(who));
  return { ...caller, actingRole: caller.roles[0] };
}

/**
 * The registry's schema, migrated, under a fresh name starting with `prefix`, holding project P1
 * (region 330106) with unit C1 and its team T1. `drop` removes the schema and closes the pool.
 */
export async function registryWithTeam(
  prefix: string,
): Promise<{ db: Database; schema: string; drop: () => Promise<void> }> {
  const schema = uniqueName(prefix);
  const db = await Database.connect({ url: (await testInfrastructure()).postgresUrl });
  await migrate(db, schema, registryMigrations);
  await db.execute(
    `INSERT INTO ${schema}.projects (project_id, name, region, category, status, address, general_contractor_code, construction_owner_code)
     VALUES ('P1', 'Tower', '330106', '01', '003', 'Hangzhou', 'GC', 'OW');
     INSERT INTO ${schema}.participants (project_id, credit_code, corp_name, unit_type) VALUES ('P1', 'C1', 'Labour Co.', '009');
     INSERT INTO ${schema}.teams (team_id, project_id, name, participant_id) VALUES ('T1', 'P1', 'Rebar', 'C1')`,
  );
  return {
    db,
    schema,
    drop: async () => {
      await db.execute(`DROP SCHEMA ${schema} CASCADE`);
      await db.close();
    },
  };
}
