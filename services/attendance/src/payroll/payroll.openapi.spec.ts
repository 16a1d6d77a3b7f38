import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { TOKEN_VERIFIER } from '@realname/platform';
import { SheetsController } from '../sheets/sheets.rest';
import { TeamSheets } from '../sheets/team-sheets';
import { PayrollService } from './payroll.handler';
import { PayrollController } from './payroll.rest';

type Operation = {
  operationId: string;
  parameters?: { name: string; in: string }[];
  requestBody?: { content: Record<string, { schema: { properties?: Record<string, unknown> } }> };
  responses: Record<string, { content?: Record<string, unknown> }>;
};

/** The sheet and payroll routes as the service's OpenAPI document states them (from the zod contracts). */
describe('the OpenAPI document of sheets and payroll', () => {
  let paths: Record<string, Record<string, Operation>>;

  beforeAll(async () => {
    @Module({
      controllers: [SheetsController, PayrollController],
      providers: [
        { provide: TeamSheets, useValue: {} },
        { provide: PayrollService, useValue: {} },
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
        'GET /api/v1/projects/{projectId}/teams/{teamId}/sheets/{month} teamMonthSheet',
        'PUT /api/v1/projects/{projectId}/teams/{teamId}/wage-terms putTeamWageTerms',
        'GET /api/v1/projects/{projectId}/teams/{teamId}/wage-terms getTeamWageTerms',
        'PUT /api/v1/projects/{projectId}/teams/{teamId}/workers/{workerId}/wage-terms putWorkerWageTerms',
        'PUT /api/v1/projects/{projectId}/teams/{teamId}/workers/{workerId}/piecework/{month} putPiecework',
        'GET /api/v1/projects/{projectId}/teams/{teamId}/payroll/{month} teamPayrollSheet',
        'POST /api/v1/projects/{projectId}/payroll-records importPayrollRecords',
        'POST /api/v1/projects/{projectId}/payroll-records/file importPayrollFile',
        'GET /api/v1/projects/{projectId}/payroll-findings listPayrollFindings',
      ].sort(),
    );
  });

  it('states the parameters, the JSON body and the file body from the contracts', () => {
    const sheet = paths['/api/v1/projects/{projectId}/teams/{teamId}/sheets/{month}'].get;
    expect(sheet.parameters!.map((p) => `${p.in}:${p.name}`).sort()).toEqual(
      ['path:month', 'path:projectId', 'path:teamId', 'query:format'].sort(),
    );
    expect(Object.keys(sheet.responses['200'].content!)).toEqual([
      'application/json',
      'text/csv',
      'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    ]);
    const payroll = paths['/api/v1/projects/{projectId}/teams/{teamId}/payroll/{month}'].get;
    expect(Object.keys(payroll.responses['200'].content!)).toContain('text/csv');
    expect(Object.keys(payroll.responses).sort()).toEqual(['200', '400', '401', '403', '404', '429', '503']);
    const records = paths['/api/v1/projects/{projectId}/payroll-records'].post;
    expect(records.requestBody!.content['application/json'].schema.properties).toHaveProperty('records');
    expect(Object.keys(records.responses).sort()).toEqual([
      '200',
      '400',
      '401',
      '403',
      '404',
      '413',
      '429',
      '503',
    ]);
    const file = paths['/api/v1/projects/{projectId}/payroll-records/file'].post;
    expect(Object.keys(file.requestBody!.content)).toEqual(
      expect.arrayContaining(['multipart/form-data', 'text/csv']),
    );
  });
});
