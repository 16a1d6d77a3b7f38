import { Controller, Inject, UseGuards } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import type { Metadata } from '@grpc/grpc-js';
import { callerOf, JsonLogger, LOGGER, RequireRoles, ResourceServerGuard } from '@realname/platform';
import { registryV1 } from '@realname/proto';
import { CREDENTIAL_RESOLVERS, READERS } from '../access/registry-roles';
import { answerGrpc } from '../grpc-answers';
import {
  Credential,
  EnrolmentStatus,
  EnrolmentView,
  InvalidRequest,
  WorkerQueries,
} from '../workers/worker-queries';

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

/**
 * Enrolments over realname.registry.v1.RegistryService: lists and credential resolution, in the
 * caller's scope. Handlers take the metadata, no parameter decorators (with one, Nest passes null
 * for the others).
 */
@Controller()
@UseGuards(ResourceServerGuard)
export class EnrolmentsGrpc {
  constructor(
    private readonly workers: WorkerQueries,
    @Inject(LOGGER) private readonly logger: JsonLogger,
  ) {}

  @GrpcMethod(registryV1.REGISTRY_SERVICE_NAME, 'listEnrolments')
  @RequireRoles(...READERS)
  async listEnrolments(
    req: registryV1.ListEnrolmentsRequest,
    metadata: Metadata,
  ): Promise<registryV1.ListEnrolmentsResponse> {
    const caller = callerOf(metadata);
    return answerGrpc(this.logger, 'ListEnrolments', async () => {
      let statusFilter: EnrolmentStatus | undefined;
      if (req.status) {
        statusFilter = STATUS_FILTERS[req.status];
        if (!statusFilter) throw new InvalidRequest('status', `unknown value ${req.status}`);
      }
      const page = await this.workers.listEnrolments(
        {
          projectId: req.projectId,
          teamId: req.teamId,
          status: statusFilter,
          pageSize: req.pageSize,
          pageToken: req.pageToken,
        },
        caller.scope,
      );
      return { enrolments: page.enrolments.map(toGrpcEnrolment), nextPageToken: page.nextPageToken };
    });
  }

  @GrpcMethod(registryV1.REGISTRY_SERVICE_NAME, 'resolveCredential')
  @RequireRoles(...CREDENTIAL_RESOLVERS)
  async resolveCredential(
    req: registryV1.ResolveCredentialRequest,
    metadata: Metadata,
  ): Promise<registryV1.ResolveCredentialResponse> {
    const caller = callerOf(metadata);
    return answerGrpc(this.logger, 'ResolveCredential', async () => {
      // proto-loader leaves unset oneof members undefined; the one that was sent may be an empty string.
      const credential: Credential | undefined =
        req.personId !== undefined
          ? { kind: 'personId', value: req.personId }
          : req.cardNumber !== undefined
            ? { kind: 'cardNumber', value: req.cardNumber }
            : req.idCardNumber !== undefined
              ? { kind: 'idCardNumber', value: req.idCardNumber }
              : undefined;
      const e = await this.workers.resolveCredential(req.projectId, credential, caller.scope);
      return e ? { found: true, enrolment: toGrpcEnrolment(e) } : { found: false };
    });
  }
}
