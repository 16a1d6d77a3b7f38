import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { TOKEN_VERIFIER } from '@realname/platform';
import { DeadlineBoardQueries } from './deadline-board';
import { DeadlineBoardController } from './deadline-board.rest';

type Schema = { properties?: Record<string, Schema>; items?: Schema; pattern?: string; enum?: string[] };
type Operation = {
  operationId: string;
  parameters?: { name: string; in: string; required: boolean; schema: Schema }[];
  responses: Record<string, { content?: Record<string, { schema: Schema }> }>;
};

/** The deadline board as reporting's OpenAPI document states it (from the zod contracts), for the API fuzzing stage. */
describe('the OpenAPI document of the deadline board', () => {
  let paths: Record<string, Record<string, Operation>>;

  beforeAll(async () => {
    @Module({
      controllers: [DeadlineBoardController],
      providers: [
        { provide: DeadlineBoardQueries, useValue: {} },
        { provide: TOKEN_VERIFIER, useValue: {} },
      ],
    })
    class Routes {}
    const app = await NestFactory.create(Routes, { logger: false });
    await app.init();
    paths = SwaggerModule.createDocument(app, new DocumentBuilder().build()).paths as typeof paths;
    await app.close();
  });

  it('has the board with its operation id, parameters and answers', () => {
    const board = paths['/api/v1/reporting/deadlines/regions/{region}/days/{day}'].get;
    expect(board.operationId).toBe('regionDeadlineBoard');
    expect(board.parameters!.map((p) => `${p.in}:${p.name}:${p.required}`).sort()).toEqual([
      'path:day:true',
      'path:region:true',
    ]);
    expect(board.parameters!.find((p) => p.name === 'region')!.schema.pattern).toBe('^\\d{6}$');
    expect(Object.keys(board.responses).sort()).toEqual(['200', '400', '401', '403', '404', '429', '503']);
    const row = board.responses['200'].content!['application/json'].schema.properties!.projects.items!;
    expect(Object.keys(row.properties!).sort()).toEqual(
      [
        'accepted',
        'deadline',
        'expected',
        'minutesLeft',
        'pending',
        'projectId',
        'projectName',
        'reason',
        'region',
        'rejected',
        'state',
        'target',
      ].sort(),
    );
    expect(row.properties!.state.enum).toEqual(['on-track', 'at-risk', 'missed', 'met']);
  });
});
