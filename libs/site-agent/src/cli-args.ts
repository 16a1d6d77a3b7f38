import type { AgentDeviceConfig } from './agent';
import { AGENT_COMMAND_KINDS, AgentCommandKind } from './protocol';

export const USAGE = `Usage: realname-site-agent --gateway URL --device SPEC [--device SPEC ...] [options]

Runs on a site's network: claims the commands of Hikvision ISAPI and Uface devices from the gateway,
executes them against the devices, reports the results and uploads records fetched for backfills.

  --gateway URL            the device gateway, e.g. http://gateway.example:8081
  --device SPEC            id:token:family:deviceBaseUrl:user:password
                             family: hikvision-isapi | uface
                             deviceBaseUrl: http(s)://host[:port][/path] on the site network
                             user: the ISAPI user (empty for uface); password: everything after
                             the user's colon (it may contain colons)
                           e.g. gate-1:Tk...:hikvision-isapi:http://192.168.1.64:admin:Secret12
                                gate-2:Tk...:uface:http://192.168.1.70:8090::devicepass
                           Devices can also come from REALNAME_AGENT_DEVICES (SPECs separated by
                           whitespace), which keeps passwords out of the process list.
  --poll-interval SECONDS  wait between claims when nothing is due (default 5)
  --claim-limit N          commands claimed at once, 1-50 (default 10)
  --kinds LIST             only these command kinds, comma-separated, for every device
                           (person.upsert,person.delete,records.query,records.verify); e.g.
                           records.query for Uface terminals that pull their own person tasks
  --face-via base64|url    Uface: send faces as base64 (default) or let the device fetch a URL
  --timeout SECONDS        per request to a device or the gateway (default 15)
  --once                   one pass (report, claim, execute until nothing is due), then exit
  --help                   this text
`;

export interface AgentCliArgs {
  gateway: string;
  devices: AgentDeviceConfig[];
  pollIntervalMs: number;
  claimLimit: number;
  kinds?: AgentCommandKind[];
  faceVia: 'base64' | 'url';
  timeoutMs: number;
  once: boolean;
}

export type ParsedAgentArgs =
  { kind: 'run'; args: AgentCliArgs } | { kind: 'help' } | { kind: 'error'; message: string };

const FAMILIES = ['hikvision-isapi', 'uface'] as const;

/** Parses one device SPEC (`id:token:family:url:user:password`). */
export function parseDeviceSpec(spec: string): AgentDeviceConfig | { error: string } {
  const m = /^([^:]+):([^:]+):([^:]+):(.*)$/.exec(spec);
  if (!m)
    return { error: `device "${redactSpec(spec)}": expected id:token:family:deviceBaseUrl:user:password` };
  const [, deviceId, token, family, rest] = m;
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(deviceId)) return { error: `device "${deviceId}": not a device id` };
  if (!/^[A-Za-z0-9_-]{16,128}$/.test(token))
    return { error: `device ${deviceId}: the token is 16-128 letters, digits, _ or -` };
  if (!(FAMILIES as readonly string[]).includes(family))
    return { error: `device ${deviceId}: family must be ${FAMILIES.join(' or ')}, not "${family}"` };
  const url = /^(https?:\/\/[^/:\s]+(?::\d{1,5})?(?:\/[^:\s]*)?):(.*)$/.exec(rest);
  if (!url)
    return {
      error: `device ${deviceId}: the device URL must be http(s)://host[:port][/path] followed by :user:password`,
    };
  const [, baseUrl, credentials] = url;
  const colon = credentials.indexOf(':');
  if (colon < 0) return { error: `device ${deviceId}: expected :user:password after the device URL` };
  const user = credentials.slice(0, colon);
  const password = credentials.slice(colon + 1);
  if (!password) return { error: `device ${deviceId}: the password is empty` };
  if (family === 'hikvision-isapi' && !user) return { error: `device ${deviceId}: the ISAPI user is empty` };
  return {
    deviceId,
    token,
    family: family as AgentDeviceConfig['family'],
    baseUrl,
    ...(user ? { user } : {}),
    password,
  };
}

function redactSpec(spec: string): string {
  return spec.split(':').slice(0, 3).join(':') + (spec.split(':').length > 3 ? ':…' : '');
}

export function parseAgentArgs(
  argv: string[],
  env: Record<string, string | undefined> = {},
): ParsedAgentArgs {
  let gateway: string | undefined;
  const specs: string[] = [];
  let pollS = 5;
  let claimLimit = 10;
  let kinds: AgentCommandKind[] | undefined;
  let faceVia: 'base64' | 'url' = 'base64';
  let timeoutS = 15;
  let once = false;

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const eq = arg.indexOf('=');
    const name = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    const inline = arg.startsWith('--') && eq > 0 ? arg.slice(eq + 1) : undefined;
    const value = (): string | undefined => inline ?? argv[++i];
    switch (name) {
      case '--help':
      case '-h':
        return { kind: 'help' };
      case '--once':
        once = true;
        break;
      case '--gateway': {
        const v = value();
        if (!v || !/^https?:\/\/\S+$/.test(v))
          return { kind: 'error', message: '--gateway needs an http(s) URL' };
        gateway = v;
        break;
      }
      case '--device': {
        const v = value();
        if (!v) return { kind: 'error', message: '--device needs a SPEC' };
        specs.push(v);
        break;
      }
      case '--poll-interval': {
        const n = Number(value());
        if (!Number.isFinite(n) || n < 0.1 || n > 3600)
          return { kind: 'error', message: '--poll-interval must be 0.1-3600 seconds' };
        pollS = n;
        break;
      }
      case '--claim-limit': {
        const n = Number(value());
        if (!Number.isInteger(n) || n < 1 || n > 50)
          return { kind: 'error', message: '--claim-limit must be 1-50' };
        claimLimit = n;
        break;
      }
      case '--kinds': {
        const list = (value() ?? '')
          .split(',')
          .map((k) => k.trim())
          .filter(Boolean);
        const bad = list.filter((k) => !(AGENT_COMMAND_KINDS as readonly string[]).includes(k));
        if (list.length === 0 || bad.length > 0)
          return {
            kind: 'error',
            message: `--kinds: unknown kind(s) ${bad.join(', ') || '(none given)'}; known: ${AGENT_COMMAND_KINDS.join(', ')}`,
          };
        kinds = list as AgentCommandKind[];
        break;
      }
      case '--face-via': {
        const v = value();
        if (v !== 'base64' && v !== 'url')
          return { kind: 'error', message: '--face-via must be base64 or url' };
        faceVia = v;
        break;
      }
      case '--timeout': {
        const n = Number(value());
        if (!Number.isFinite(n) || n < 1 || n > 600)
          return { kind: 'error', message: '--timeout must be 1-600 seconds' };
        timeoutS = n;
        break;
      }
      default:
        return {
          kind: 'error',
          message: `unknown argument ${arg.startsWith('--') ? name : `"${arg.slice(0, 40)}"`}`,
        };
    }
  }
  if (env.REALNAME_AGENT_DEVICES) specs.push(...env.REALNAME_AGENT_DEVICES.split(/\s+/).filter(Boolean));
  if (!gateway) return { kind: 'error', message: '--gateway is required' };
  if (specs.length === 0) return { kind: 'error', message: 'at least one --device is required' };
  const devices: AgentDeviceConfig[] = [];
  for (const spec of specs) {
    const d = parseDeviceSpec(spec);
    if ('error' in d) return { kind: 'error', message: d.error };
    if (devices.some((x) => x.deviceId === d.deviceId))
      return { kind: 'error', message: `device ${d.deviceId} is given twice` };
    devices.push({ ...d, ...(kinds ? { kinds } : {}), ...(d.family === 'uface' ? { faceVia } : {}) });
  }
  return {
    kind: 'run',
    args: {
      gateway,
      devices,
      pollIntervalMs: Math.round(pollS * 1000),
      claimLimit,
      ...(kinds ? { kinds } : {}),
      faceVia,
      timeoutMs: Math.round(timeoutS * 1000),
      once,
    },
  };
}
