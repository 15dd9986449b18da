// --security-opt as dockerd reads HostConfig.SecurityOpt (moby daemon
// parseSecurityOpt): no-new-privileges, seccomp=<profile JSON|unconfined|builtin>,
// apparmor=<profile>, label=<selinux option>, systempaths (consumed by the CLI).
import { invalidParameter } from '../../common/errors.js';

export interface SecurityOptions {
  noNewPrivileges: boolean;
  /** undefined: the daemon's default profile; "unconfined"; "builtin"; or a profile as JSON text. */
  seccompProfile?: string;
  apparmorProfile?: string;
  /** SELinux label options; ignored on hosts without SELinux, as dockerd ignores them. */
  labelOpts: string[];
}

/**
 * Parse HostConfig.SecurityOpt. `daemonNoNewPrivileges` is the daemon-wide
 * default (dockerd --no-new-privileges). Errors carry dockerd's wording.
 */
export function parseSecurityOpt(opts: readonly string[] | null | undefined, daemonNoNewPrivileges = false): SecurityOptions {
  const out: SecurityOptions = { noNewPrivileges: daemonNoNewPrivileges, labelOpts: [] };
  for (const opt of opts ?? []) {
    if (opt === 'no-new-privileges') {
      out.noNewPrivileges = true;
      continue;
    }
    if (opt === 'disable') {
      out.labelOpts.push('disable');
      continue;
    }
    let sep = -1;
    if (opt.includes('=')) sep = opt.indexOf('=');
    else if (opt.includes(':')) sep = opt.indexOf(':'); // deprecated separator, still accepted
    if (sep < 0) throw invalidParameter(`invalid --security-opt 1: ${JSON.stringify(opt)}`);
    const key = opt.slice(0, sep);
    const value = opt.slice(sep + 1);
    switch (key) {
      case 'label':
        out.labelOpts.push(value);
        break;
      case 'apparmor':
        out.apparmorProfile = value;
        break;
      case 'seccomp':
        out.seccompProfile = value;
        break;
      case 'no-new-privileges': {
        const b = parseGoBool(value);
        if (b === undefined) throw invalidParameter(`invalid --security-opt 2: ${JSON.stringify(opt)}`);
        out.noNewPrivileges = b;
        break;
      }
      default:
        throw invalidParameter(`invalid --security-opt 2: ${JSON.stringify(opt)}`);
    }
  }
  return out;
}

/** strconv.ParseBool: the spellings Go accepts. */
export function parseGoBool(value: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(value)) return false;
  return undefined;
}
