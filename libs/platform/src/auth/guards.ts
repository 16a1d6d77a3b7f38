import {
  CanActivate,
  createParamDecorator,
  CustomDecorator,
  DynamicModule,
  ExecutionContext,
  Global,
  HttpStatus,
  Inject,
  Injectable,
  Module,
  SetMetadata,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { RpcException } from '@nestjs/microservices';
import { Metadata, status } from '@grpc/grpc-js';
import type { Request, Response } from 'express';
import { Problem } from '../problem';
import { rememberVerifiedToken } from '../rate-limit';
import type { Caller, Permission, Role } from './caller';
import type { ResourceServerOptions } from './auth-config';
import { AuthUnavailable, TokenVerifier, Unauthenticated } from './token-verifier';

/** Provider token of the service's {@link TokenVerifier}. */
export const TOKEN_VERIFIER = Symbol('TOKEN_VERIFIER');

const ROLES_KEY = 'realname:auth:roles';
const PERMISSIONS_KEY = 'realname:auth:permissions';
const PUBLIC_KEY = 'realname:auth:public';

/** The route (or every route of the controller) needs one of these roles. */
export function RequireRoles(...roles: Role[]): CustomDecorator<string> {
  return SetMetadata(ROLES_KEY, roles);
}

/** The route needs every one of these permissions (on top of its roles), e.g. `reveal-identity`. */
export function RequirePermissions(...permissions: Permission[]): CustomDecorator<string> {
  return SetMetadata(PERMISSIONS_KEY, permissions);
}

/** The route needs no token, under a guarded controller (use sparingly: a public read is a leak). */
export function Public(): CustomDecorator<string> {
  return SetMetadata(PUBLIC_KEY, true);
}

/** The REST request's or gRPC call's authenticated caller, as the guard left it. */
const callers = new WeakMap<object, Caller>();

/** The caller of a gRPC call (its metadata) or an HTTP request, once the guard has let it through. */
export function callerOf(requestOrMetadata: object): Caller {
  const caller = callers.get(requestOrMetadata);
  if (!caller) {
    throw new Error('no authenticated caller: put ResourceServerGuard on this controller or route');
  }
  return caller;
}

/**
 * REST handler parameter: the {@link Caller}. On `@GrpcMethod` handlers use {@link callerOf}(metadata)
 * instead: a decorated parameter makes Nest pass `null` for the undecorated ones (the request).
 */
export const CurrentCaller = createParamDecorator((_data: unknown, ctx: ExecutionContext): Caller => {
  if (ctx.getType() === 'rpc') return callerOf(ctx.switchToRpc().getContext<Metadata>());
  return callerOf(ctx.switchToHttp().getRequest<Request>());
});

const REALM = 'realname';

function quoted(text: string): string {
  return text.replace(/["\\]/g, "'").replace(/[^\x20-\x7e]/g, '?');
}

/** What a caller lacks for a route, in plain words; undefined when nothing is missing. */
export function missingAccess(
  caller: Caller,
  roles: readonly Role[],
  permissions: readonly Permission[],
): string | undefined {
  if (roles.length > 0 && !roles.some((r) => caller.roles.includes(r))) {
    return (
      `this needs the role ${roles.length === 1 ? roles[0] : `one of: ${roles.join(', ')}`}; ` +
      `the token carries ${caller.roles.join(', ')}`
    );
  }
  const lacking = permissions.filter((p) => !caller.permissions.includes(p));
  if (lacking.length > 0)
    return `this needs the permission ${lacking.join(', ')}, which the token does not carry`;
  return undefined;
}

/** The caller with the role the route lets it act in (the first of the route's roles it holds). */
function withActingRole(caller: Caller, roles: readonly Role[]): Caller {
  return { ...caller, actingRole: roles.find((r) => caller.roles.includes(r)) ?? caller.roles[0] };
}

/**
 * OAuth 2.0 resource server guard for REST controllers and gRPC (`@GrpcMethod`) handlers alike:
 * validates the bearer token, checks the roles and permissions the route declares
 * ({@link RequireRoles}, {@link RequirePermissions}) and leaves the {@link Caller} for
 * {@link CurrentCaller} / {@link callerOf}.
 *
 * REST: 401 problem `unauthenticated` with `WWW-Authenticate: Bearer ...`, 403 problem `forbidden`
 * naming the missing role, 503 when the issuer cannot be reached. gRPC (`authorization: Bearer <jwt>`
 * metadata): UNAUTHENTICATED, PERMISSION_DENIED, UNAVAILABLE.
 */
@Injectable()
export class ResourceServerGuard implements CanActivate {
  constructor(
    @Inject(TOKEN_VERIFIER) private readonly verifier: TokenVerifier,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;
    const roles = this.reflector.getAllAndOverride<Role[]>(ROLES_KEY, targets) ?? [];
    const permissions = this.reflector.getAllAndOverride<Permission[]>(PERMISSIONS_KEY, targets) ?? [];
    return context.getType() === 'rpc'
      ? this.grpc(context, roles, permissions)
      : this.http(context, roles, permissions);
  }

  private async http(context: ExecutionContext, roles: Role[], permissions: Permission[]): Promise<boolean> {
    const http = context.switchToHttp();
    const req = http.getRequest<Request>();
    const res = http.getResponse<Response>();
    let caller: Caller;
    try {
      caller = await this.verifier.verifyAuthorization(req.headers.authorization);
    } catch (err) {
      if (err instanceof Unauthenticated) {
        res.setHeader(
          'WWW-Authenticate',
          err.oauthError
            ? `Bearer realm="${REALM}", error="${err.oauthError}", error_description="${quoted(err.reason)}"`
            : `Bearer realm="${REALM}"`,
        );
        throw Problem.unauthorized('unauthenticated', err.reason);
      }
      if (err instanceof AuthUnavailable) {
        throw new Problem(
          'service-unavailable',
          'Briefly unavailable',
          HttpStatus.SERVICE_UNAVAILABLE,
          'The access token cannot be checked now (the identity provider cannot be reached); nothing of this request was done. Send it again in a few seconds.',
        );
      }
      throw err;
    }
    const missing = missingAccess(caller, roles, permissions);
    if (missing) {
      res.setHeader(
        'WWW-Authenticate',
        `Bearer realm="${REALM}", error="insufficient_scope", error_description="${quoted(missing)}"`,
      );
      throw new Problem('forbidden', 'Forbidden', HttpStatus.FORBIDDEN, missing);
    }
    callers.set(req, withActingRole(caller, roles));
    // From now on this token's requests count against its subject's rate limit, not the address's.
    rememberVerifiedToken(req.headers.authorization, caller.subject);
    return true;
  }

  private async grpc(context: ExecutionContext, roles: Role[], permissions: Permission[]): Promise<boolean> {
    const metadata = context.switchToRpc().getContext<Metadata>();
    const values = metadata instanceof Metadata ? metadata.get('authorization') : [];
    if (values.length > 1) {
      throw new RpcException({
        code: status.UNAUTHENTICATED,
        message: 'send exactly one authorization metadata entry',
      });
    }
    const header = typeof values[0] === 'string' ? values[0] : undefined;
    let caller: Caller;
    try {
      caller = await this.verifier.verifyAuthorization(header);
    } catch (err) {
      if (err instanceof Unauthenticated) {
        throw new RpcException({
          code: status.UNAUTHENTICATED,
          message: err.reason.replace(
            '"Authorization: Bearer <token>"',
            'metadata "authorization: Bearer <token>"',
          ),
        });
      }
      if (err instanceof AuthUnavailable) {
        throw new RpcException({
          code: status.UNAVAILABLE,
          message:
            'the access token cannot be checked now (the identity provider cannot be reached); retry shortly',
        });
      }
      throw err;
    }
    const missing = missingAccess(caller, roles, permissions);
    if (missing) throw new RpcException({ code: status.PERMISSION_DENIED, message: missing });
    callers.set(metadata, withActingRole(caller, roles));
    return true;
  }
}

/**
 * Makes the service an OAuth 2.0 resource server: provides the {@link TokenVerifier} and
 * {@link ResourceServerGuard}. `ResourceServerModule.forRoot(resourceServerOptions(config))` in the
 * root module, then `@UseGuards(ResourceServerGuard)` on controllers (docs/access.md).
 */
@Global()
@Module({})
export class ResourceServerModule {
  static forRoot(options: ResourceServerOptions | TokenVerifier): DynamicModule {
    const verifier = options instanceof TokenVerifier ? options : new TokenVerifier(options);
    return {
      module: ResourceServerModule,
      providers: [{ provide: TOKEN_VERIFIER, useValue: verifier }, ResourceServerGuard],
      exports: [TOKEN_VERIFIER, ResourceServerGuard],
    };
  }
}
