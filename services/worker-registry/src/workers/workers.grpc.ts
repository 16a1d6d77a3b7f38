import { Controller, Inject } from '@nestjs/common';
import { GrpcMethod, RpcException } from '@nestjs/microservices';
import { Metadata, status } from '@grpc/grpc-js';
import { JsonLogger, LOGGER } from '@realname/platform';
import { registryV1 } from '@realname/proto';
import { answerGrpc } from '../grpc-answers';
import { IdentityReveals, RevealRefusal } from './identity-reveals';
import { InvalidRequest, NotFound, WorkerQueries } from './worker-queries';

const GENDERS: Record<string, registryV1.Gender> = {
  male: registryV1.Gender.GENDER_MALE,
  female: registryV1.Gender.GENDER_FEMALE,
};
const REFUSALS: Record<RevealRefusal['refused'], status> = {
  unauthenticated: status.UNAUTHENTICATED,
  'permission-denied': status.PERMISSION_DENIED,
  'invalid-argument': status.INVALID_ARGUMENT,
  'not-found': status.NOT_FOUND,
};

/**
 * Workers over realname.registry.v1.RegistryService. Personal numbers leave masked, and the birth date,
 * home address and issuing authority not at all, except from RevealIdentity (caller token, purpose,
 * audit row).
 */
@Controller()
export class WorkersGrpc {
  constructor(
    private readonly workers: WorkerQueries,
    private readonly reveals: IdentityReveals,
    @Inject(LOGGER) private readonly logger: JsonLogger,
  ) {}

  @GrpcMethod(registryV1.REGISTRY_SERVICE_NAME, 'getWorker')
  async getWorker(req: registryV1.GetWorkerRequest): Promise<registryV1.GetWorkerResponse> {
    return answerGrpc(this.logger, 'GetWorker', async () => {
      if (!req.workerId) throw new InvalidRequest('worker_id', 'is required');
      const w = await this.workers.getWorker(req.workerId);
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
  async revealIdentity(
    req: registryV1.RevealIdentityRequest,
    metadata?: Metadata,
  ): Promise<registryV1.RevealIdentityResponse> {
    return answerGrpc(this.logger, 'RevealIdentity', async () => {
      const authorization = metadata?.get('authorization')[0];
      const r = await this.reveals.reveal({
        workerId: req.workerId,
        purpose: req.purpose,
        authorization: typeof authorization === 'string' ? authorization : undefined,
        via: 'grpc',
      });
      if ('refused' in r) throw new RpcException({ code: REFUSALS[r.refused], message: r.message });
      return {
        idCardNumber: r.idCardNumber,
        phone: r.phone ?? '',
        birthDate: r.birthDate,
        address: r.address,
        issuingAuthority: r.issuingAuthority,
      };
    });
  }
}
