/**
 * The primitives the generator needs from a source of fake data: a seeded random stream, people with
 * valid resident IDs, enterprises with valid credit codes, projects with names and places. All made up.
 */

export interface FakeKeyPersonOut {
  name: string;
  /** 18 characters, valid under GB 11643. */
  idCardNumber: string;
  /** The category the post requires: 一级建造师 / 二级建造师 for PMs, 注册监理工程师 for chief engineers. */
  registrationCategory: string;
  certificateNumber: string;
}

export type EnterpriseRole = 'owner' | 'general-contractor' | 'supervision' | 'subcontractor' | 'labour';

export interface FakeEnterpriseOut {
  /** 18 characters, valid under GB 32100. */
  creditCode: string;
  name: string;
  /** Enterprise registration type, e.g. `150`. */
  registrationType: string;
  legalRepresentative: string;
  region: string;
}

export interface EnterpriseRef {
  name: string;
  creditCode: string;
}

export interface FakeProjectOut {
  projectCode: string;
  name: string;
  region: string;
  /** Project category `01`-`12` or `99`. */
  category: string;
  /** Project status `001`-`005`. */
  status: string;
  address: string;
  lng: number;
  lat: number;
  /** Day the project was registered on the platform (`YYYY-MM-DD`). */
  registeredOn: string;
  startDate: string;
  /** Only for completed projects (status 004), not after `asOf`. */
  completedOn?: string;
}

export interface FakeSource {
  /** Uniform in [0, 1). */
  random(): number;
  /** A registered project manager or chief supervising engineer of working age on `asOf`. */
  keyPerson(options: {
    post: 'project-manager' | 'chief-supervising-engineer';
    asOf: string;
  }): FakeKeyPersonOut;
  /** A new enterprise registered in the region (anywhere when none). */
  enterprise(role: EnterpriseRole, options: { region?: string; asOf: string }): FakeEnterpriseOut;
  /** A project in the region whose dates fit `asOf` (registered, and started unless 001/002, by then). */
  project(options: {
    region: string;
    asOf: string;
    generalContractor: EnterpriseRef;
    owner: EnterpriseRef;
  }): FakeProjectOut;
}
