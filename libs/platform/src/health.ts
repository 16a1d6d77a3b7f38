import { Controller, Get, HttpCode, HttpException, Injectable } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';

export type ReadinessCheck = () => Promise<boolean | string>;

/** Components register what must be true before the service takes traffic. */
@Injectable()
export class Readiness {
  private readonly checks = new Map<string, ReadinessCheck>();
  private shuttingDown = false;

  register(name: string, check: ReadinessCheck): void {
    this.checks.set(name, check);
  }

  /** Once shutdown starts, readiness fails so the load balancer stops sending work. */
  markShuttingDown(): void {
    this.shuttingDown = true;
  }

  async evaluate(): Promise<{ ready: boolean; checks: Record<string, string> }> {
    const checks: Record<string, string> = {};
    let ready = !this.shuttingDown;
    if (this.shuttingDown) checks.shutdown = 'in progress';
    await Promise.all(
      [...this.checks].map(async ([name, check]) => {
        try {
          const r = await Promise.race([
            check(),
            new Promise<string>((resolve) => setTimeout(() => resolve('timed out'), 2000)),
          ]);
          checks[name] = r === true ? 'ok' : r === false ? 'failing' : r;
          if (r !== true) ready = false;
        } catch (err) {
          checks[name] = String(err);
          ready = false;
        }
      }),
    );
    return { ready, checks };
  }
}

@ApiExcludeController()
@Controller('health')
export class HealthController {
  constructor(private readonly readiness: Readiness) {}

  @Get('live')
  @HttpCode(200)
  live(): { status: string } {
    return { status: 'ok' };
  }

  @Get('ready')
  async ready(): Promise<{ status: string; checks: Record<string, string>; pid: number }> {
    const r = await this.readiness.evaluate();
    if (!r.ready) throw new HttpException({ status: 'not ready', checks: r.checks, pid: process.pid }, 503);
    // The pid lets a supervisor (or a test) tell its own process from another one on the same port.
    return { status: 'ready', checks: r.checks, pid: process.pid };
  }
}
