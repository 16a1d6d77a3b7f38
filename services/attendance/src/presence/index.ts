import type { Provider } from '@nestjs/common';
import { Database } from '@realname/eventstore';
import { PresenceQueries } from './presence-queries';
import { PresenceRepository } from './presence.repository';

export { PresenceQueries, RegionNotFound } from './presence-queries';
export { PresenceRepository } from './presence.repository';
export { PresenceController } from './presence.rest';
export { PresenceGrpcController } from './presence.grpc';

/** The presence reads over the service's database and schema, for the attendance module. */
export function presenceProvider(schema: string): Provider {
  return {
    provide: PresenceQueries,
    useFactory: (db: Database) => new PresenceQueries(new PresenceRepository(db, schema)),
    inject: [Database],
  };
}
