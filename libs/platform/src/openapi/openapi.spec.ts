import 'reflect-metadata';
import type { Request, Response } from 'express';
import { z } from 'zod';
import { ApiAnswers, GUARDED_READ_ANSWERS } from './api-answers';
import { ApiParamsFrom, ApiQueryFrom } from './api-parameters';
import { documentedPaths, methodNotAllowed } from './method-not-allowed';
import { openApiSchemaOf } from './zod-json-schema';

// Where @nestjs/swagger keeps what the decorators declare (its DECORATORS constants).
const DECORATORS = { API_RESPONSE: 'swagger/apiResponse', API_PARAMETERS: 'swagger/apiParameters' };

const Page = z.object({
  items: z.array(z.object({ id: z.string(), reason: z.enum(['a', 'b']).nullable() })),
  total: z.number().int().min(0),
});

class Routes {
  @ApiParamsFrom(z.object({ projectId: z.string().regex(/^\d+$/) }), { projectId: ['1', '2'] })
  @ApiQueryFrom(
    z.object({
      day: z.string().date().describe('A day'),
      pageSize: z.coerce.number().int().min(1).max(1000).optional(),
    }),
    { day: '2026-11-20' },
  )
  @ApiAnswers({
    200: { schema: Page, example: { items: [], total: 0 } },
    400: true,
    404: 'No such project',
    ...GUARDED_READ_ANSWERS,
  })
  list(): void {}
}

type Responses = Record<
  string,
  {
    description: string;
    content: Record<string, { schema: Record<string, unknown>; example?: unknown }>;
    headers?: object;
  }
>;
type Parameters = {
  name: string;
  in: string;
  required: boolean;
  schema: Record<string, unknown>;
  example?: unknown;
  examples?: object;
  description?: string;
}[];

describe('openApiSchemaOf', () => {
  it('gives an inline OpenAPI 3.0 schema: nullable, enums, bounds, formats', () => {
    expect(openApiSchemaOf(Page)).toEqual({
      type: 'object',
      properties: {
        items: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              id: { type: 'string' },
              reason: { type: 'string', enum: ['a', 'b'], nullable: true },
            },
            required: ['id', 'reason'],
            additionalProperties: false,
          },
        },
        total: { type: 'integer', minimum: 0 },
      },
      required: ['items', 'total'],
      additionalProperties: false,
    });
    expect(openApiSchemaOf(z.string().date())).toEqual({ type: 'string', format: 'date' });
  });
});

describe('ApiAnswers', () => {
  const responses = Reflect.getMetadata(DECORATORS.API_RESPONSE, Routes.prototype.list) as Responses;

  it('declares every status, the success body from its zod schema with its example', () => {
    expect(Object.keys(responses).sort()).toEqual(['200', '400', '401', '403', '404', '429', '503']);
    expect(responses['200'].content['application/json']).toEqual({
      schema: openApiSchemaOf(Page),
      example: { items: [], total: 0 },
    });
  });

  it('declares errors as problem details, with their own description and headers', () => {
    const notFound = responses['404'];
    expect(notFound.description).toBe('No such project');
    const problem = notFound.content['application/problem+json'];
    expect(problem.schema.required).toEqual(['type', 'title', 'status', 'detail']);
    expect(problem.example).toMatchObject({ type: 'urn:realname:problem:not-found', status: 404 });
    expect(responses['401'].headers).toHaveProperty('WWW-Authenticate');
    expect(responses['429'].headers).toHaveProperty('Retry-After');
  });

  it('refuses a status it has no problem details for', () => {
    expect(() => ApiAnswers({ 418: true } as never)).toThrow(/status 418/);
  });
});

describe('ApiQueryFrom and ApiParamsFrom', () => {
  const parameters = Reflect.getMetadata(DECORATORS.API_PARAMETERS, Routes.prototype.list) as Parameters;
  const byName = (name: string) => parameters.find((p) => p.name === name)!;

  it('declares each query parameter with its real constraints; optional ones not required', () => {
    expect(byName('day')).toMatchObject({
      in: 'query',
      required: true,
      description: 'A day',
      example: '2026-11-20',
      schema: { type: 'string', format: 'date', example: '2026-11-20' },
    });
    // The schema of an optional parameter is the value's, not "absent or the value".
    expect(byName('pageSize')).toMatchObject({
      in: 'query',
      required: false,
      schema: { type: 'integer', minimum: 1, maximum: 1000 },
    });
  });

  it('declares path parameters, several examples as `examples`', () => {
    expect(byName('projectId')).toMatchObject({
      in: 'path',
      required: true,
      schema: { type: 'string', pattern: '^\\d+$' },
      examples: { 'example-1': { value: '1' }, 'example-2': { value: '2' } },
    });
  });
});

describe('methodNotAllowed', () => {
  const doc = {
    paths: {
      '/api/v1/projects/{projectId}/punches': { get: {} },
      '/api/v1/devices': { get: {}, post: {} },
      '/api/v1/devices/{deviceId}': { get: {} },
      '/api/v1/devices/registrations': { post: {} },
    },
  };

  it('reads the documented paths as patterns with their methods', () => {
    const [punches, devices] = documentedPaths(doc);
    expect(documentedPaths(doc)).toHaveLength(4);
    expect(punches.pattern.test('/api/v1/projects/330106/punches')).toBe(true);
    expect(punches.pattern.test('/api/v1/projects/330106/punches/x')).toBe(false);
    expect(punches.allow).toBe('GET, HEAD');
    expect(devices.allow).toBe('GET, POST, HEAD');
  });

  function call(method: string, path: string) {
    const sent: { allow?: string } = {};
    const headers: Record<string, string> = {};
    let passed = false;
    methodNotAllowed(
      () => doc,
      (_req, _res, allow) => (sent.allow = allow),
    )(
      { method, path } as Request,
      { setHeader: (k: string, v: string) => (headers[k] = v) } as unknown as Response,
      () => (passed = true),
    );
    return { passed, sent, headers };
  }

  it('answers 405 with Allow for a method the document does not list on a documented path', () => {
    const r = call('DELETE', '/api/v1/projects/1/punches');
    expect(r.passed).toBe(false);
    expect(r.headers.Allow).toBe('GET, HEAD');
    expect(r.sent.allow).toBe('GET, HEAD');
  });

  it('passes documented methods, HEAD, OPTIONS and paths the document does not know', () => {
    expect(call('GET', '/api/v1/projects/1/punches').passed).toBe(true);
    expect(call('HEAD', '/api/v1/projects/1/punches').passed).toBe(true);
    expect(call('OPTIONS', '/api/v1/projects/1/punches').passed).toBe(true);
    expect(call('POST', '/health/ready').passed).toBe(true);
  });

  it('lets a method through when any template the path matches lists it', () => {
    expect(call('POST', '/api/v1/devices/registrations').passed).toBe(true);
    expect(call('GET', '/api/v1/devices/registrations').passed).toBe(true);
    const r = call('DELETE', '/api/v1/devices/registrations');
    expect(r.passed).toBe(false);
    expect(r.headers.Allow).toBe('GET, HEAD, POST');
  });

  it('passes everything until the document is built', () => {
    let passed = false;
    methodNotAllowed(
      () => undefined,
      () => undefined,
    )({ method: 'DELETE', path: '/api/v1/devices' } as Request, {} as Response, () => (passed = true));
    expect(passed).toBe(true);
  });
});
