// Shared by the registry's end-to-end tests (not part of the build: see tsconfig.json).
import { randomBytes } from 'node:crypto';
import { testIssuer, tokenFor, type IdentitySelector, type TestInfrastructure } from '@realname/testing';

/** The environment of a registry process under test: its own schema, topic prefix, ports and keys. */
export function registryTestEnv(
  o: {
    run: string;
    port: number;
    grpcUrl: string;
    infra: TestInfrastructure;
    integrity: { url: string; apiKey: string };
  },
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    REGISTRY_HTTP_PORT: String(o.port),
    REGISTRY_GRPC_URL: o.grpcUrl,
    DATABASE_URL: o.infra.postgresUrl,
    DATABASE_SCHEMA: `reg_${o.run}`,
    KAFKA_BROKERS: o.infra.kafkaBrokers.join(','),
    KAFKA_TOPIC_PREFIX: `${o.run}.`,
    INTEGRITY_URL: o.integrity.url,
    INTEGRITY_API_KEY: o.integrity.apiKey,
    INTEGRITY_SYNC_INTERVAL_S: '0',
    PII_KEYS: `k1:${randomBytes(32).toString('base64')}`,
    PII_ACTIVE_KEY_ID: 'k1',
    PII_HASH_KEY: randomBytes(32).toString('base64'),
    // Tokens from the local realm (deploy/local/keycloak): the registry is an OAuth 2.0 resource server.
    OIDC_ISSUER_URL: testIssuer(),
    OIDC_AUDIENCE: 'realname-api',
    ...extra,
  };
}

/** The REST API of a registry under test, called as a test identity (`as`), or without a token (`null`). */
export function registryApi(base: () => string) {
  return async function api(
    as: IdentitySelector | null,
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; type: string; cacheControl: string; json: Record<string, unknown> }> {
    const res = await fetch(base() + path, {
      method,
      headers: {
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(as !== null ? { authorization: `Bearer ${await tokenFor(as)}` } : {}),
      },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    let json: Record<string, unknown> = {};
    try {
      json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      json = { text };
    }
    return {
      status: res.status,
      type: res.headers.get('content-type') ?? '',
      cacheControl: res.headers.get('cache-control') ?? '',
      json,
    };
  };
}

/** The token's subject (`sub`), as the registry records a caller. */
export async function subjectOf(as: IdentitySelector): Promise<string> {
  const payload = (await tokenFor(as)).split('.')[1];
  return (JSON.parse(Buffer.from(payload, 'base64url').toString()) as { sub: string }).sub;
}

/** What an ordinary read must never show of a person: their ID number, and what would rebuild it. */
export interface PersonalSecrets {
  idCardNumber: string;
  /** The home address as on the ID card; absent for people registered without one (key persons). */
  address?: string;
  /** The issuing authority names the county the mask hides. */
  issuingAuthority?: string;
}

/** An ID mask that shows more than the first 4 characters (e.g. the earlier `330106********1234`). */
const MASK_SHOWING_THE_COUNTY = /\d{5,}\*{6,}/;

/**
 * Walks any JSON value (REST body, gRPC message, log line) and names every place that shows a person's
 * ID number, their birth date in a common form (YYYY-MM-DD, YYYYMMDD, YYYY/MM/DD, YYYY.MM.DD,
 * YYYY年M月D日), their 6-digit area + birth-date run (project codes have the same shape, so only the
 * people's own runs are looked for), an ID mask that shows the county, their home address
 * or the issuing authority of their card. Strings, numbers and keys are all looked at, at any depth.
 */
export function personalDataLeaks(value: unknown, people: PersonalSecrets[], path = '$'): string[] {
  if (value === null || value === undefined || typeof value === 'boolean') return [];
  if (Array.isArray(value)) return value.flatMap((v, i) => personalDataLeaks(v, people, `${path}[${i}]`));
  if (typeof value === 'object')
    return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => [
      ...leaksIn(k, people, `${path} (key ${k})`),
      ...personalDataLeaks(v, people, `${path}.${k}`),
    ]);
  return leaksIn(String(value), people, path);
}

function leaksIn(text: string, people: PersonalSecrets[], path: string): string[] {
  const found: string[] = [];
  const upper = text.toUpperCase();
  if (MASK_SHOWING_THE_COUNTY.test(text))
    found.push(`${path}: an ID mask showing more than 4 leading digits`);
  for (const p of people) {
    const id = p.idCardNumber.toUpperCase();
    const [y, m, d] = [id.slice(6, 10), id.slice(10, 12), id.slice(12, 14)];
    if (upper.includes(id)) found.push(`${path}: the full ID number`);
    const dates = [
      `${y}-${m}-${d}`,
      `${y}${m}${d}`,
      `${y}/${m}/${d}`,
      `${y}.${m}.${d}`,
      `${y}年${Number(m)}月${Number(d)}日`,
      `${y}年${m}月${d}日`,
    ];
    for (const form of dates) if (text.includes(form)) found.push(`${path}: the birth date as ${form}`);
    if (upper.includes(id.slice(0, 14))) found.push(`${path}: the area + birth-date run of the ID number`);
    if (p.address && text.includes(p.address)) found.push(`${path}: the home address`);
    if (p.issuingAuthority && text.includes(p.issuingAuthority)) found.push(`${path}: the issuing authority`);
  }
  return found;
}
