/**
 * The generator's fake people, enterprises and places come from the shared `@realname/fixtures`
 * library (valid ID and credit-code checks, invented names), drawn from one seeded stream.
 */
import {
  createRng,
  type EnterpriseKind,
  fakeEnterprise,
  fakeKeyPerson,
  fakeProject,
  type Rng,
} from '@realname/fixtures';
import type {
  EnterpriseRole,
  FakeEnterpriseOut,
  FakeKeyPersonOut,
  FakeProjectOut,
  FakeSource,
} from './fake-source';

const KINDS: Record<EnterpriseRole, EnterpriseKind> = {
  owner: 'owner',
  'general-contractor': 'contractor',
  supervision: 'supervisor',
  subcontractor: 'specialist',
  labour: 'labour',
};

/** A few draws before giving up on finding a value not used yet (collisions are very rare). */
const MAX_TRIES = 20;

export class FixturesSource implements FakeSource {
  private readonly rng: Rng;
  private readonly creditCodes = new Set<string>();
  private readonly idNumbers = new Set<string>();

  constructor(seed: number) {
    this.rng = createRng(`integrity-simulator|${seed}`);
  }

  random(): number {
    return this.rng.next();
  }

  private unique<T>(used: Set<string>, make: () => T, key: (t: T) => string): T {
    for (let i = 0; ; i++) {
      const t = make();
      if (!used.has(key(t)) || i >= MAX_TRIES) {
        used.add(key(t));
        return t;
      }
    }
  }

  keyPerson(options: {
    post: 'project-manager' | 'chief-supervising-engineer';
    asOf: string;
  }): FakeKeyPersonOut {
    const k = this.unique(
      this.idNumbers,
      () => fakeKeyPerson(this.rng, { role: options.post, asOf: options.asOf }),
      (p) => p.idCardNumber,
    );
    return {
      name: k.name,
      idCardNumber: k.idCardNumber,
      registrationCategory: k.registration.category,
      certificateNumber: k.registration.certificateNumber,
    };
  }

  enterprise(role: EnterpriseRole, options: { region?: string; asOf: string }): FakeEnterpriseOut {
    const e = this.unique(
      this.creditCodes,
      () => fakeEnterprise(this.rng, { kind: KINDS[role], region: options.region, asOf: options.asOf }),
      (x) => x.creditCode,
    );
    return {
      creditCode: e.creditCode,
      name: e.name,
      registrationType: e.registrationType,
      legalRepresentative: e.legalRepresentative,
      region: e.areaCode,
    };
  }

  project(options: {
    region: string;
    asOf: string;
    generalContractor: { name: string; creditCode: string };
    owner: { name: string; creditCode: string };
  }): FakeProjectOut {
    const p = fakeProject(this.rng, options);
    return {
      projectCode: p.projectCode,
      name: p.name,
      region: p.region,
      category: p.category,
      status: p.status,
      address: p.location.address,
      lng: p.location.lng,
      lat: p.location.lat,
      registeredOn: p.registeredOn,
      startDate: p.startDate,
      ...(p.completedOn ? { completedOn: p.completedOn } : {}),
    };
  }
}

export function createFakeSource(seed: number): FakeSource {
  return new FixturesSource(seed);
}
