import { Controller, Inject, UseGuards } from '@nestjs/common';
import { GrpcMethod, RpcException } from '@nestjs/microservices';
import { Metadata, status } from '@grpc/grpc-js';
import {
  callerOf,
  JsonLogger,
  LOGGER,
  RequirePermissions,
  RequireRoles,
  ResourceServerGuard,
} from '@realname/platform';
import { registryV1 } from '@realname/proto';
import { READERS, REVEALERS } from '../access/registry-roles';
import { answerGrpc } from '../grpc-answers';
import { IdentityReveals, RevealRefusal } from './identity-reveals';
import { InvalidRequest, NotFound, WorkerQueries } from './worker-queries';

const GENDERS: Record<string, registryV1.Gender> = {
  male: registryV1.Gender.GENDER_MALE,
  female: registryV1.Gender.GENDER_FEMALE,
};
const REFUSALS: Record<RevealRefusal['refused'], status> = {
  'invalid-argument': status.INVALID_ARGUMENT,
  'not-found': status.NOT_FOUND,
};

/**
 * Workers over realname.registry.v1.RegistryService, in the caller's scope. Personal numbers leave
 * masked, and the birth date, home address and issuing authority not at all, except from
 * RevealIdentity (the reveal-identity permission, a purpose, an audit row with who, role and scope).
 * Handlers take the metadata and no parameter decorators (with one, Nest passes null for the others).
 */
@Controller()
@UseGuards(ResourceServerGuard)
export class WorkersGrpc {
  constructor(
    private readonly workers: WorkerQueries,
    private readonly reveals: IdentityReveals,
    @Inject(LOGGER) private readonly logger: JsonLogger,
  ) {}

  @GrpcMethod(registryV1.REGISTRY_SERVICE_NAME, 'getWorker')
  @RequireRoles(...READERS)
  async getWorker(
    req: registryV1.GetWorkerRequest,
    metadata: Metadata,
  ): Promise<registryV1.GetWorkerResponse> {
    const caller = callerOf(metadata);
    return answerGrpc(this.logger, 'GetWorker', async () => {
      if (!req.workerId) throw new InvalidRequest('worker_id', 'is required');
      const w = await this.workers.getWorker(req.workerId, caller.scope);
      if (!w) throw new NotFound(`no worker "${req.workerId}" is registered`);
      return {
        worker: {
          workerId: w.workerId,
          maskedIdNumber: w.maskedIdNumber,
          name: w.name,
          gender: GENDERS[w.gender] ?? registryV1.Gender.GENDER_UNSPECIFIED,
          // Deprecated and always empty: only RevealIdentity shows them (see registry.proto).
          birthDate: '',
          nation: w.nation,
          address: '',
          issuingAuthority: '',
          maskedPhone: w.maskedPhone ?? '',
          education: w.education ?? '',
          politics: w.politics ?? '',
          hasHeadPhoto: w.hasHeadPhoto,
          blacklisted: w.blacklisted,
          ageYears: w.age,
        },
      };
    });
  }

  @GrpcMethod(registryV1.REGISTRY_SERVICE_NAME, 'revealIdentity')
  @RequireRoles(...REVEALERS)
  @RequirePermissions('reveal-identity')
  async revealIdentity(
    req: registryV1.RevealIdentityRequest,
    metadata: Metadata,
  ): Promise<registryV1.RevealIdentityResponse> {
    const caller = callerOf(metadata);
    return answerGrpc(this.logger, 'RevealIdentity', async () => {
      const r = await this.reveals.reveal({
        workerId: req.workerId,
        purpose: req.purpose,
        caller,
        via: 'grpc',
      });
      if ('refused' in r) throw new RpcException({ code: REFUSALS[r.refused], message: r.message });
      return {
        idCardNumber: r.idCardNumber,
        phone: r.phone ?? '',
        birthDate: r.birthDate,
        address: r.address,
        issuingAuthority: r.issuingAuthority,
        idValidFrom: r.idValidFrom ?? '',
        idValidTo: r.idValidTo ?? '',
      };
    });
  }
}
