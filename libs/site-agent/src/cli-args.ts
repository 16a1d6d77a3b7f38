import { readCommandLine } from '@realname/contracts';
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

const OPTIONS = {
  gateway: { type: 'string' },
  device: { type: 'string', multiple: true },
  'poll-interval': { type: 'string' },
  'claim-limit': { type: 'string' },
  kinds: { type: 'string' },
  'face-via': { type: 'string' },
  timeout: { type: 'string' },
  once: { type: 'boolean' },
} as const;

/** Reads the command line (`node:util` `parseArgs`); errors name the argument at fault. */
export function parseAgentArgs(
  argv: string[],
  env: Record<string, string | undefined> = {},
): ParsedAgentArgs {
  const line = readCommandLine(argv, OPTIONS);
  if (line.kind !== 'values') return line;
  const o = line.values;
  const fail = (message: string): ParsedAgentArgs => ({ kind: 'error', message });

  const gateway = o.gateway;
  if (gateway !== undefined && !/^https?:\/\/\S+$/.test(gateway))
    return fail('--gateway needs an http(s) URL');
  const specs = [...(o.device ?? [])];
  if (specs.some((v) => !v)) return fail('--device needs a SPEC');
  const pollS = o['poll-interval'] === undefined ? 5 : Number(o['poll-interval']);
  if (!Number.isFinite(pollS) || pollS < 0.1 || pollS > 3600)
    return fail('--poll-interval must be 0.1-3600 seconds');
  const claimLimit = o['claim-limit'] === undefined ? 10 : Number(o['claim-limit']);
  if (!Number.isInteger(claimLimit) || claimLimit < 1 || claimLimit > 50)
    return fail('--claim-limit must be 1-50');
  let kinds: AgentCommandKind[] | undefined;
  if (o.kinds !== undefined) {
    const list = o.kinds
      .split(',')
      .map((k) => k.trim())
      .filter(Boolean);
    const bad = list.filter((k) => !(AGENT_COMMAND_KINDS as readonly string[]).includes(k));
    if (list.length === 0 || bad.length > 0)
      return fail(
        `--kinds: unknown kind(s) ${bad.join(', ') || '(none given)'}; known: ${AGENT_COMMAND_KINDS.join(', ')}`,
      );
    kinds = list as AgentCommandKind[];
  }
  const faceVia = o['face-via'] ?? 'base64';
  if (faceVia !== 'base64' && faceVia !== 'url') return fail('--face-via must be base64 or url');
  const timeoutS = o.timeout === undefined ? 15 : Number(o.timeout);
  if (!Number.isFinite(timeoutS) || timeoutS < 1 || timeoutS > 600)
    return fail('--timeout must be 1-600 seconds');
  const once = o.once ?? false;

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
