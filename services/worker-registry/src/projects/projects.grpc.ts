import { Controller, Inject, UseGuards } from '@nestjs/common';
import { GrpcMethod, RpcException } from '@nestjs/microservices';
import { status } from '@grpc/grpc-js';
import type { Metadata } from '@grpc/grpc-js';
import { callerOf, JsonLogger, LOGGER, RequireRoles, ResourceServerGuard } from '@realname/platform';
import type { KeyPost } from '@realname/contracts';
import { registryV1 } from '@realname/proto';
import { OutOfScope } from '../access/out-of-scope';
import { READERS, SITE_WRITERS } from '../access/registry-roles';
import { answerGrpc } from '../grpc-answers';
import { InvalidRequest, NotFound } from '../workers/worker-queries';
import { ProjectLocalDetails } from './project-local-details';
import { ProjectQueries } from './project-queries';

const POSTS: Record<KeyPost, registryV1.KeyPost> = {
  'project-manager': registryV1.KeyPost.KEY_POST_PROJECT_MANAGER,
  'chief-supervising-engineer': registryV1.KeyPost.KEY_POST_CHIEF_SUPERVISING_ENGINEER,
  'safety-officer': registryV1.KeyPost.KEY_POST_SAFETY_OFFICER,
  'technical-lead': registryV1.KeyPost.KEY_POST_TECHNICAL_LEAD,
};
const SOURCES: Record<string, registryV1.KeyPersonSource> = {
  integrity: registryV1.KeyPersonSource.KEY_PERSON_SOURCE_INTEGRITY_PLATFORM,
  local: registryV1.KeyPersonSource.KEY_PERSON_SOURCE_LOCAL,
};

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

/** Projects over realname.registry.v1.RegistryService; the same answers and access rules as the REST API. */
@Controller()
@UseGuards(ResourceServerGuard)
export class ProjectsGrpc {
  constructor(
    private readonly projects: ProjectQueries,
    private readonly localDetails: ProjectLocalDetails,
    @Inject(LOGGER) private readonly logger: JsonLogger,
  ) {}

  @GrpcMethod(registryV1.REGISTRY_SERVICE_NAME, 'getProject')
  @RequireRoles(...READERS)
  async getProject(
    req: registryV1.GetProjectRequest,
    metadata: Metadata,
  ): Promise<registryV1.GetProjectResponse> {
    // No parameter decorators on gRPC handlers: with one, Nest passes null for the others.
    const caller = callerOf(metadata);
    return answerGrpc(this.logger, 'GetProject', async () => {
      if (!req.projectId) throw new InvalidRequest('project_id', 'is required');
      const p = await this.projects.getProject(req.projectId, caller.scope);
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
          post: POSTS[k.post as KeyPost] ?? registryV1.KeyPost.KEY_POST_UNSPECIFIED,
          source: SOURCES[k.source ?? ''] ?? registryV1.KeyPersonSource.KEY_PERSON_SOURCE_UNSPECIFIED,
          name: k.name ?? '',
          maskedIdNumber: k.maskedIdNumber ?? '',
          registrationCategory: k.registrationCategory ?? '',
        })),
        keyPersonMismatches: p.keyPersonMismatches.map((m) => ({
          creditCode: String(m.creditCode),
          post: POSTS[m.post as KeyPost] ?? registryV1.KeyPost.KEY_POST_UNSPECIFIED,
          reason: String(m.reason),
          detail: String(m.detail),
          since: m.since,
        })),
      };
    });
  }

  @GrpcMethod(registryV1.REGISTRY_SERVICE_NAME, 'updateProject')
  @RequireRoles(...SITE_WRITERS)
  async updateProject(
    req: registryV1.UpdateProjectRequest,
    metadata: Metadata,
  ): Promise<registryV1.UpdateProjectResponse> {
    const caller = callerOf(metadata);
    return answerGrpc(this.logger, 'UpdateProject', async () => {
      if (!req.projectId) throw new InvalidRequest('project_id', 'is required');
      const r = await this.localDetails.updateMasked(
        req.projectId,
        req.updateMask,
        { siteContactPhone: req.details?.siteContactPhone, remark: req.details?.remark },
        caller.scope,
      );
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
        case 'out-of-scope':
          throw new OutOfScope(`project ${req.projectId}`, caller.scope);
        case 'updated': {
          const p = await this.projects.getProject(req.projectId, caller.scope);
          if (!p) throw new NotFound(`no project "${req.projectId}" is known`);
          return { project: toGrpcProject(p) };
        }
      }
    });
  }
}
