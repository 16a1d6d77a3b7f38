import {
  createEvent,
  KeyPersonAppointed,
  KeyPersonMismatchResolved,
  ProjectSynced,
} from '@realname/contracts';
import type { Sql } from '@realname/eventstore';
import { ProjectsRepository } from './projects.repository';
import { RegistryProjectsHandler } from './registry-projects.handler';

const projectId = '330106202611210001';
const opts = { source: '/realname/worker-registry', subject: `project-${projectId}`, region: '330106' };
const tx = {} as Sql;
const person = { name: '张三', idHash: 'hash-1'.padEnd(32, '0'), maskedIdNumber: '3301**********0011' };
const appointed = (p: typeof person | null, time?: Date, appointedOn?: string) =>
  createEvent(
    KeyPersonAppointed,
    {
      projectId,
      participantId: 'GC',
      creditCode: 'GC',
      post: 'safety-officer',
      person: p,
      source: 'local',
      ...(appointedOn ? { appointedOn } : {}),
    },
    { ...opts, time },
  );

function setup() {
  const repo = {
    synced: jest.fn().mockResolvedValue(undefined),
    appointed: jest.fn().mockResolvedValue(undefined),
    vacated: jest.fn().mockResolvedValue(undefined),
  };
  return { repo, handler: new RegistryProjectsHandler(repo as unknown as ProjectsRepository) };
}

describe('RegistryProjectsHandler', () => {
  it('keeps the region and name of a synced project', async () => {
    const { repo, handler } = setup();
    const e = createEvent(
      ProjectSynced,
      {
        projectId,
        name: 'Riverside block 1',
        region: '330106',
        category: '01',
        status: '003',
        address: 'Xihu',
        generalContractor: { creditCode: 'GC', name: 'GC Co.' },
        constructionOwner: { creditCode: 'OWN', name: 'Owner Co.' },
        changeCursor: '1',
      },
      opts,
    );
    await handler.handle(tx, e);
    expect(repo.synced).toHaveBeenCalledWith(tx, { projectId, region: '330106', name: 'Riverside block 1' });
  });

  it('records the holder of a post from the event time, and removes them when the post is vacated', async () => {
    const { repo, handler } = setup();
    await handler.handle(tx, appointed(person, new Date('2026-11-21T01:00:00Z')));
    expect(repo.appointed).toHaveBeenCalledWith(
      tx,
      { projectId, participantId: 'GC', post: 'safety-officer', ...person },
      '2026-11-21T01:00:00.000Z',
    );
    await handler.handle(tx, appointed(null));
    expect(repo.vacated).toHaveBeenCalledWith(tx, { projectId, participantId: 'GC', post: 'safety-officer' });
  });

  it('records the holder from midnight in China of the day they took the post, when the event gives it', async () => {
    const { repo, handler } = setup();
    await handler.handle(tx, appointed(person, new Date('2026-12-03T01:00:00Z'), '2026-11-01'));
    expect(repo.appointed).toHaveBeenCalledWith(
      tx,
      { projectId, participantId: 'GC', post: 'safety-officer', ...person },
      '2026-11-01T00:00:00+08:00',
    );
  });

  it('passes over the other events of the topic', async () => {
    const { repo, handler } = setup();
    await handler.handle(
      tx,
      createEvent(
        KeyPersonMismatchResolved,
        { projectId, participantId: 'GC', post: 'project-manager' },
        opts,
      ),
    );
    expect([...repo.synced.mock.calls, ...repo.appointed.mock.calls, ...repo.vacated.mock.calls]).toEqual([]);
  });

  it('lets a database failure through, so the consumer retries the message', async () => {
    const { repo, handler } = setup();
    repo.appointed.mockRejectedValue(Object.assign(new Error('connection reset'), { code: 'ECONNRESET' }));
    await expect(handler.handle(tx, appointed(person))).rejects.toThrow('connection reset');
  });
});
