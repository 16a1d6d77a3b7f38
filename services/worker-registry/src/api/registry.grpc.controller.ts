import { Controller, Inject } from '@nestjs/common';
import { Metadata, status } from '@grpc/grpc-js';
import { RpcException } from '@nestjs/microservices';
import { Database } from '@realname/eventstore';
import { JsonLogger, LOGGER, SERVICE_CONFIG } from '@realname/platform';
import { registryV1 } from '@realname/proto';
import type { RegistryConfig } from '../config';
import { ProjectLocalDetails } from '../projects/project-local-details';
import { ProjectQueries } from '../projects/project-queries';
import { IdentityReveals, RevealRefusal } from '../workers/identity-reveals';
import {
  Credential,
  EnrolmentStatus,
  EnrolmentView,
  InvalidRequest,
  NotFound,
  WorkerQueries,
} from '../workers/worker-queries';

const POSTS: Record<string, registryV1.KeyPost> = {
  'project-manager': registryV1.KeyPost.KEY_POST_PROJECT_MANAGER,
  'chief-supervising-engineer': registryV1.KeyPost.KEY_POST_CHIEF_SUPERVISING_ENGINEER,
};
const SOURCES: Record<string, registryV1.KeyPersonSource> = {
  integrity: registryV1.KeyPersonSource.KEY_PERSON_SOURCE_INTEGRITY_PLATFORM,
  local: registryV1.KeyPersonSource.KEY_PERSON_SOURCE_LOCAL,
};
const GENDERS: Record<string, registryV1.Gender> = {
  male: registryV1.Gender.GENDER_MALE,
  female: registryV1.Gender.GENDER_FEMALE,
};
const STATUSES: Record<EnrolmentStatus, registryV1.EnrolmentStatus> = {
  enrolled: registryV1.EnrolmentStatus.ENROLMENT_STATUS_ENROLLED,
  entered: registryV1.EnrolmentStatus.ENROLMENT_STATUS_ENTERED,
  exited: registryV1.EnrolmentStatus.ENROLMENT_STATUS_EXITED,
};
const STATUS_FILTERS: Partial<Record<registryV1.EnrolmentStatus, EnrolmentStatus>> = {
  [registryV1.EnrolmentStatus.ENROLMENT_STATUS_ENROLLED]: 'enrolled',
  [registryV1.EnrolmentStatus.ENROLMENT_STATUS_ENTERED]: 'entered',
  [registryV1.EnrolmentStatus.ENROLMENT_STATUS_EXITED]: 'exited',
};
const REFUSALS: Record<RevealRefusal['refused'], status> = {
  unauthenticated: status.UNAUTHENTICATED,
  'permission-denied': status.PERMISSION_DENIED,
  'invalid-argument': status.INVALID_ARGUMENT,
  'not-found': status.NOT_FOUND,
};

export function toGrpcEnrolment(e: EnrolmentView): registryV1.Enrolment {
  return {
    enrolmentId: e.enrolmentId,
    projectId: e.projectId,
    workerId: e.workerId,
    workerName: e.workerName,
    maskedIdNumber: e.maskedIdNumber,
    teamId: e.teamId,
    teamName: e.teamName,
    participantId: e.participantId,
    workType: e.workType,
    workRole: e.workRole,
    isTeamLeader: e.isTeamLeader,
    personId: e.personId,
    cardNumber: e.cardNumber ?? '',
    status: STATUSES[e.status] ?? registryV1.EnrolmentStatus.ENROLMENT_STATUS_UNSPECIFIED,
    enteredOn: e.enteredOn ?? '',
    exitedOn: e.exitedOn ?? '',
    contractSigned: e.contractSigned,
    safetyTrained: e.safetyTrained,
  };
}

type ProjectView = NonNullable<Awaited<ReturnType<ProjectQueries['getProject']>>>;

export function toGrpcProject(p: ProjectView): registryV1.Project {
  return {
    projectId: p.projectId ?? '',
    name: p.name ?? '',
    region: p.region ?? '',
    category: p.category ?? '',
    status: p.status ?? '',
    address: p.address ?? '',
    generalContractorCode: p.generalContractorCode ?? '',
    constructionOwnerCode: p.constructionOwnerCode ?? '',
    siteContactPhone: p.siteContactPhone ?? '',
    remark: p.remark ?? '',
  };
}

/**
 * realname.registry.v1.RegistryService over gRPC; the same answers as the REST API. Personal numbers
 * leave masked, except from RevealIdentity (caller token, purpose, audit row).
 */
@Controller()
@registryV1.RegistryServiceControllerMethods()
export class RegistryGrpcController implements registryV1.RegistryServiceController {
  private readonly localDetails: ProjectLocalDetails;

  constructor(
    private readonly projects: ProjectQueries,
    private readonly workers: WorkerQueries,
    private readonly reveals: IdentityReveals,
    @Inject(LOGGER) private readonly logger: JsonLogger,
    db: Database,
    @Inject(SERVICE_CONFIG) config: RegistryConfig,
  ) {
    this.localDetails = new ProjectLocalDetails(db, config.DATABASE_SCHEMA);
  }

  async getProject(req: registryV1.GetProjectRequest): Promise<registryV1.GetProjectResponse> {
    return this.grpc('GetProject', async () => {
      if (!req.projectId) throw new InvalidRequest('project_id', 'is required');
      const p = await this.projects.getProject(req.projectId);
      if (!p)
        throw new NotFound(`no project "${req.projectId}" is known; it arrives from the integrity platform`);
      return {
        project: toGrpcProject(p),
        participants: p.participants.map((u) => ({
          creditCode: u.creditCode ?? '',
          corpName: u.corpName ?? '',
          unitType: u.unitType ?? '',
          entryDate: u.entryDate ?? '',
          exitDate: u.exitDate ?? '',
        })),
        keyPersons: p.keyPersons.map((k) => ({
          creditCode: k.creditCode ?? '',
          post: POSTS[k.post ?? ''] ?? registryV1.KeyPost.KEY_POST_UNSPECIFIED,
          source: SOURCES[k.source ?? ''] ?? registryV1.KeyPersonSource.KEY_PERSON_SOURCE_UNSPECIFIED,
          name: k.name ?? '',
          maskedIdNumber: k.maskedIdNumber ?? '',
          registrationCategory: k.registrationCategory ?? '',
        })),
        keyPersonMismatches: p.keyPersonMismatches.map((m) => ({
          creditCode: String(m.creditCode),
          post: POSTS[String(m.post)] ?? registryV1.KeyPost.KEY_POST_UNSPECIFIED,
          reason: String(m.reason),
          detail: String(m.detail),
          since: m.since,
        })),
      };
    });
  }

  async getWorker(req: registryV1.GetWorkerRequest): Promise<registryV1.GetWorkerResponse> {
    return this.grpc('GetWorker', async () => {
      if (!req.workerId) throw new InvalidRequest('worker_id', 'is required');
      const w = await this.workers.getWorker(req.workerId);
      if (!w) throw new NotFound(`no worker "${req.workerId}" is registered`);
      return {
        worker: {
          workerId: w.workerId,
          maskedIdNumber: w.maskedIdNumber,
          name: w.name,
          gender: GENDERS[w.gender] ?? registryV1.Gender.GENDER_UNSPECIFIED,
          birthDate: w.birthDate,
          nation: w.nation,
          address: w.address,
          issuingAuthority: w.issuingAuthority,
          maskedPhone: w.maskedPhone ?? '',
          education: w.education ?? '',
          politics: w.politics ?? '',
          hasHeadPhoto: w.hasHeadPhoto,
          blacklisted: w.blacklisted,
        },
      };
    });
  }

  async listEnrolments(req: registryV1.ListEnrolmentsRequest): Promise<registryV1.ListEnrolmentsResponse> {
    return this.grpc('ListEnrolments', async () => {
      let statusFilter: EnrolmentStatus | undefined;
      if (req.status) {
        statusFilter = STATUS_FILTERS[req.status];
        if (!statusFilter) throw new InvalidRequest('status', `unknown value ${req.status}`);
      }
      const page = await this.workers.listEnrolments({
        projectId: req.projectId,
        teamId: req.teamId,
        status: statusFilter,
        pageSize: req.pageSize,
        pageToken: req.pageToken,
      });
      return { enrolments: page.enrolments.map(toGrpcEnrolment), nextPageToken: page.nextPageToken };
    });
  }

  async resolveCredential(
    req: registryV1.ResolveCredentialRequest,
  ): Promise<registryV1.ResolveCredentialResponse> {
    return this.grpc('ResolveCredential', async () => {
      // proto-loader leaves unset oneof members undefined; the one that was sent may be an empty string.
      const credential: Credential | undefined =
        req.personId !== undefined
          ? { kind: 'personId', value: req.personId }
          : req.cardNumber !== undefined
            ? { kind: 'cardNumber', value: req.cardNumber }
            : req.idCardNumber !== undefined
              ? { kind: 'idCardNumber', value: req.idCardNumber }
              : undefined;
      const e = await this.workers.resolveCredential(req.projectId, credential);
      return e ? { found: true, enrolment: toGrpcEnrolment(e) } : { found: false };
    });
  }

  async revealIdentity(
    req: registryV1.RevealIdentityRequest,
    metadata?: Metadata,
  ): Promise<registryV1.RevealIdentityResponse> {
    return this.grpc('RevealIdentity', async () => {
      const authorization = metadata?.get('authorization')[0];
      const r = await this.reveals.reveal({
        workerId: req.workerId,
        purpose: req.purpose,
        authorization: typeof authorization === 'string' ? authorization : undefined,
        via: 'grpc',
      });
      if ('refused' in r) throw new RpcException({ code: REFUSALS[r.refused], message: r.message });
      return { idCardNumber: r.idCardNumber, phone: r.phone ?? '' };
    });
  }

  async updateProject(req: registryV1.UpdateProjectRequest): Promise<registryV1.UpdateProjectResponse> {
    return this.grpc('UpdateProject', async () => {
      if (!req.projectId) throw new InvalidRequest('project_id', 'is required');
      const r = await this.localDetails.updateMasked(req.projectId, req.updateMask, {
        siteContactPhone: req.details?.siteContactPhone,
        remark: req.details?.remark,
      });
      switch (r.outcome) {
        case 'integrity-owned':
          throw new RpcException({ code: status.FAILED_PRECONDITION, message: r.message });
        case 'invalid':
          throw new RpcException({
            code: status.INVALID_ARGUMENT,
            message: r.errors.map((e) => `${e.field}: ${e.message}`).join('; '),
          });
        case 'not-found':
          throw new NotFound(
            `no project "${req.projectId}" is known; it arrives from the integrity platform`,
          );
        case 'updated': {
          const p = await this.projects.getProject(req.projectId);
          if (!p) throw new NotFound(`no project "${req.projectId}" is known`);
          return { project: toGrpcProject(p) };
        }
      }
    });
  }

  /**
   * Maps refusals to gRPC status codes with a plain message. Anything unexpected is logged (the error's
   * message and stack, never the request) and answered INTERNAL.
   */
  private async grpc<T>(method: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof RpcException) throw err;
      if (err instanceof InvalidRequest)
        throw new RpcException({ code: status.INVALID_ARGUMENT, message: err.message });
      if (err instanceof NotFound) throw new RpcException({ code: status.NOT_FOUND, message: err.message });
      this.logger.event('error', 'gRPC call failed', {
        method,
        error: err instanceof Error ? err.message : String(err),
        stack: err instanceof Error ? err.stack : undefined,
      });
      throw new RpcException({
        code: status.INTERNAL,
        message: 'the worker registry failed to answer; retry later',
      });
    }
  }
}
