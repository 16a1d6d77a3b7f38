import type { TestInfrastructure } from '@realname/testing';

/** A service under the fuzzer, started on the local stack with a little data in it. */
export interface StartedTarget {
  /** Base URL of its HTTP server: the document is at `${url}/api/v1/openapi.json`. */
  url: string;
  /** Stops the service and removes what it was given (schema, database). */
  stop(): Promise<void>;
}

export interface FuzzTarget {
  /** The service's name, as in `services/<name>`. */
  service: string;
  /**
   * Two identities of different scopes (`tokenFor` selectors): the fuzzer runs once with each, so
   * answers inside and outside a scope are both checked against the document.
   */
  identities: [string, string];
  /** Starts the service (built, as a process) against the stack and puts data in it; `run` is unique. */
  start(infra: TestInfrastructure, run: string): Promise<StartedTarget>;
}
