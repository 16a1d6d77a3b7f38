import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The HTTP server of a simulated device: the API the site agent (or a test) calls on the device. Each
 * request is handed to `onRequest` with its whole body; answering is up to it.
 */
export class DeviceApiServer {
  private server?: Server;

  /** `name` says whose server it is in errors, e.g. `UfaceDevice: the device API`. */
  constructor(
    private readonly name: string,
    private readonly onRequest: (req: IncomingMessage, body: Buffer, res: ServerResponse) => void,
  ) {}

  /** Starts listening (port 0: any free port). Resolves with the base URL; at once when listening already. */
  listen(port = 0, host = '127.0.0.1'): Promise<string> {
    if (this.server) return Promise.resolve(this.url);
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => this.onRequest(req, Buffer.concat(chunks), res));
    });
    this.server = server;
    return new Promise((resolve) => server.listen(port, host, () => resolve(this.url)));
  }

  /** `http://<address>:<port>` of the listening server. */
  get url(): string {
    const addr = this.server?.address() as AddressInfo | null | undefined;
    if (!addr) throw new Error(`${this.name} is not listening`);
    return `http://${addr.address}:${addr.port}`;
  }

  /** Stops listening and drops the connections still open (a device that goes away). */
  close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    return new Promise((resolve) => {
      if (!server) return resolve();
      server.closeAllConnections();
      server.close(() => resolve());
    });
  }
}
