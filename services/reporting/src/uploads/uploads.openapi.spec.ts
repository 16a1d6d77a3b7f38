import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { TOKEN_VERIFIER } from '@realname/platform';
import { PutCredentialsHandler } from './put-credentials.handler';
import { ResubmitRecordHandler } from './resubmit-record.handler';
import { UploadQueries } from './upload-queries';
import { UploadsController } from './uploads.rest';

type Schema = {
  properties?: Record<string, Schema>;
  anyOf?: Schema[];
  required?: string[];
  pattern?: string;
};
type Operation = {
  operationId: string;
  parameters?: { name: string; in: string; required: boolean; schema: Schema }[];
  requestBody?: { content: Record<string, { schema: Schema }> };
  responses: Record<string, { content?: Record<string, { schema: Schema }> }>;
};

/** The upload routes as reporting's OpenAPI document states them (from the zod contracts). */
describe('the OpenAPI document of the upload APIs', () => {
  let paths: Record<string, Record<string, Operation>>;

  beforeAll(async () => {
    @Module({
      controllers: [UploadsController],
      providers: [
        { provide: UploadQueries, useValue: {} },
        { provide: ResubmitRecordHandler, useValue: {} },
        { provide: PutCredentialsHandler, useValue: {} },
        { provide: TOKEN_VERIFIER, useValue: {} },
      ],
    })
    class Routes {}
    const app = await NestFactory.create(Routes, { logger: false });
    await app.init();
    paths = SwaggerModule.createDocument(app, new DocumentBuilder().build()).paths as typeof paths;
    await app.close();
  });

  it('has every route with its operation id', () => {
    const ops = Object.entries(paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, op]) => `${method.toUpperCase()} ${path} ${op.operationId}`),
    );
    expect(ops.sort()).toEqual(
      [
        'GET /api/v1/reporting/projects/{projectId}/days/{day}/uploads projectDayUploads',
        'GET /api/v1/reporting/records/{recordId} uploadRecord',
        'GET /api/v1/reporting/projects/{projectId}/rejections listRejections',
        'POST /api/v1/reporting/records/{recordId}/resubmissions resubmitRecord',
        'PUT /api/v1/reporting/projects/{projectId}/uplinks/{target}/credentials putUplinkCredentials',
      ].sort(),
    );
  });

  it('states parameters, answers and their schemas from the contracts', () => {
    const day = paths['/api/v1/reporting/projects/{projectId}/days/{day}/uploads'].get;
    expect(day.parameters!.map((p) => `${p.in}:${p.name}:${p.required}`).sort()).toEqual([
      'path:day:true',
      'path:projectId:true',
      'query:target:false',
    ]);
    expect(Object.keys(day.responses).sort()).toEqual(['200', '400', '401', '403', '404', '429', '503']);
    const records = day.responses['200'].content!['application/json'].schema.properties!.targets;
    expect(JSON.stringify(records)).toContain('waitingFor');

    const rejections = paths['/api/v1/reporting/projects/{projectId}/rejections'].get;
    expect(rejections.parameters!.map((p) => `${p.in}:${p.name}`).sort()).toEqual([
      'path:projectId',
      'query:kind',
      'query:pageSize',
      'query:pageToken',
      'query:target',
    ]);

    const resubmit = paths['/api/v1/reporting/records/{recordId}/resubmissions'].post;
    expect(Object.keys(resubmit.responses).sort()).toEqual([
      '200',
      '400',
      '401',
      '403',
      '404',
      '409',
      '429',
      '503',
    ]);
    expect(resubmit.parameters!.find((p) => p.name === 'recordId')!.schema.pattern).toBe('^[1-9]\\d{0,17}$');
  });

  it('takes credentials in either shape and never answers a secret', () => {
    const put = paths['/api/v1/reporting/projects/{projectId}/uplinks/{target}/credentials'].put;
    const body = put.requestBody!.content['application/json'].schema;
    expect(body.anyOf!.map((s) => s.required!.sort())).toEqual([
      ['appid', 'secret'],
      ['appKey', 'secret'],
    ]);
    const answer = put.responses['200'].content!['application/json'].schema;
    expect(Object.keys(answer.properties!).sort()).toEqual([
      'appid',
      'hasCorpKey',
      'projectId',
      'target',
      'updatedAt',
      'version',
    ]);
    expect(Object.keys(put.responses).sort()).toEqual([
      '200',
      '400',
      '401',
      '403',
      '404',
      '413',
      '429',
      '503',
    ]);
  });
});
