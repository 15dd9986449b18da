// Linux capabilities as dockerd handles them: the default set every container
// gets, --cap-add/--cap-drop normalisation (moby oci/caps), --privileged, and
// how the sets land in the OCI process (moby oci.SetCapabilities).
import { invalidParameter } from '../../common/errors.js';
import type { OciCapabilities } from './types.js';

/** Capability names by number (linux/capability.h), as the kernel numbers them. */
export const CAPABILITY_NAMES: readonly string[] = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_DAC_READ_SEARCH',
  'CAP_FOWNER',
  'CAP_FSETID',
  'CAP_KILL',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETPCAP',
  'CAP_LINUX_IMMUTABLE',
  'CAP_NET_BIND_SERVICE',
  'CAP_NET_BROADCAST',
  'CAP_NET_ADMIN',
  'CAP_NET_RAW',
  'CAP_IPC_LOCK',
  'CAP_IPC_OWNER',
  'CAP_SYS_MODULE',
  'CAP_SYS_RAWIO',
  'CAP_SYS_CHROOT',
  'CAP_SYS_PTRACE',
  'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN',
  'CAP_SYS_BOOT',
  'CAP_SYS_NICE',
  'CAP_SYS_RESOURCE',
  'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG',
  'CAP_MKNOD',
  'CAP_LEASE',
  'CAP_AUDIT_WRITE',
  'CAP_AUDIT_CONTROL',
  'CAP_SETFCAP',
  'CAP_MAC_OVERRIDE',
  'CAP_MAC_ADMIN',
  'CAP_SYSLOG',
  'CAP_WAKE_ALARM',
  'CAP_BLOCK_SUSPEND',
  'CAP_AUDIT_READ',
  'CAP_PERFMON',
  'CAP_BPF',
  'CAP_CHECKPOINT_RESTORE',
];

/** dockerd's default capability set, in dockerd's order (moby oci/caps/defaults.go). */
export const DEFAULT_CAPABILITIES: readonly string[] = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FSETID',
  'CAP_FOWNER',
  'CAP_MKNOD',
  'CAP_NET_RAW',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETFCAP',
  'CAP_SETPCAP',
  'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT',
  'CAP_KILL',
  'CAP_AUDIT_WRITE',
];

/**
 * Names of the capabilities set in a /proc/<pid>/status mask (CapEff, CapBnd...),
 * in number order, limited to those we can name and to cap_last_cap.
 */
export function capabilitiesFromMask(hexMask: string, capLastCap = CAPABILITY_NAMES.length - 1): string[] {
  const mask = BigInt(`0x${hexMask.trim() || '0'}`);
  const out: string[] = [];
  for (let n = 0; n < CAPABILITY_NAMES.length && n <= capLastCap; n++) {
    if ((mask >> BigInt(n)) & 1n) out.push(CAPABILITY_NAMES[n]!);
  }
  return out;
}

/** The bit mask (as /proc shows it, 16 hex digits) of a list of capability names. */
export function capabilityMask(names: readonly string[]): string {
  let mask = 0n;
  for (const name of names) {
    const n = CAPABILITY_NAMES.indexOf(name);
    if (n >= 0) mask |= 1n << BigInt(n);
  }
  return mask.toString(16).padStart(16, '0');
}

const ALL = 'ALL';

/**
 * Upper-case, add CAP_ and check each name, keeping the magic "ALL" (moby
 * caps.NormalizeLegacyCapabilities). `available` is what this host can grant:
 * a known capability missing from it is refused as dockerd refuses it.
 */
export function normalizeCapabilities(names: readonly string[] | null | undefined, available: readonly string[]): string[] {
  const out: string[] = [];
  for (const raw of names ?? []) {
    let name = raw.toUpperCase();
    if (name === ALL) {
      out.push(name);
      continue;
    }
    if (!name.startsWith('CAP_')) name = `CAP_${name}`;
    if (!CAPABILITY_NAMES.includes(name)) throw invalidParameter(`unknown capability: ${JSON.stringify(name)}`);
    if (!available.includes(name)) {
      throw invalidParameter(
        `capability not supported by your kernel or not available in the current environment: ${JSON.stringify(name)}`,
      );
    }
    out.push(name);
  }
  return out;
}

/**
 * The container's capability list from the defaults and --cap-add/--cap-drop
 * (moby caps.TweakCapabilities): privileged gets everything the host has; an
 * added ALL wins over a dropped ALL; otherwise drops apply to the defaults and
 * adds are appended (duplicates kept, as dockerd keeps them).
 */
export function tweakCapabilities(
  adds: readonly string[] | null | undefined,
  drops: readonly string[] | null | undefined,
  privileged: boolean,
  available: readonly string[],
  basics: readonly string[] = DEFAULT_CAPABILITIES,
): string[] {
  if (privileged) return [...available];
  if (!adds?.length && !drops?.length) return [...basics];
  const capDrop = normalizeCapabilities(drops, available);
  const capAdd = normalizeCapabilities(adds, available);
  if (capAdd.includes(ALL)) return available.filter((c) => !capDrop.includes(c));
  if (capDrop.includes(ALL)) return capAdd;
  return [...basics.filter((c) => !capDrop.includes(c)), ...capAdd];
}

/**
 * The OCI capability sets for a process (moby oci.SetCapabilities): root gets
 * the list as bounding, effective and permitted; any other uid only the
 * bounding set, as execve would leave it. Inheritable and ambient stay empty
 * (CVE-2022-24769).
 */
export function processCapabilities(caps: readonly string[], uid: number): OciCapabilities {
  if (uid === 0) return { bounding: [...caps], effective: [...caps], permitted: [...caps] };
  return { bounding: [...caps] };
}
