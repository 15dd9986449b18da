// Which sysctls a container may set: only those namespaced by a namespace the
// container owns. runc refuses the others when the container is created
// (libcontainer/configs/validate sysctl); berth refuses them earlier with
// runc's words, which are what `docker run` prints.
import { invalidParameter } from '../../common/errors.js';

const IPC_SYSCTLS = new Set([
  'kernel.msgmax',
  'kernel.msgmnb',
  'kernel.msgmni',
  'kernel.sem',
  'kernel.shmall',
  'kernel.shmmax',
  'kernel.shmmni',
  'kernel.shm_rmid_forced',
]);

/** "net/ipv4/conf/eno2.100/rp_filter" -> "net.ipv4.conf.eno2/100.rp_filter" (sysctl.d(5) slash form). */
export function sysctlDotted(name: string): string {
  const first = name.search(/[./]/);
  if (first < 0 || name[first] === '.') return name;
  return name.replace(/[./]/g, (c) => (c === '.' ? '/' : '.'));
}

export interface SysctlNamespaces {
  /** The container has its own IPC namespace (new, or joined from another container). */
  ipc: boolean;
  /** The container's network namespace is not the host's. */
  privateNetwork: boolean;
  /** The container has its own UTS namespace. */
  uts: boolean;
}

export function validateSysctls(sysctls: Record<string, string>, ns: SysctlNamespaces): void {
  for (const raw of Object.keys(sysctls)) {
    const s = sysctlDotted(raw);
    if (IPC_SYSCTLS.has(s) || s.startsWith('fs.mqueue.')) {
      if (ns.ipc) continue;
      throw invalidParameter(`sysctl ${JSON.stringify(s)} is not allowed in the hosts ipc namespace`);
    }
    if (s.startsWith('net.')) {
      if (ns.privateNetwork) continue;
      throw invalidParameter(`sysctl ${JSON.stringify(s)} not allowed in host network namespace`);
    }
    if (ns.uts) {
      if (s === 'kernel.domainname') continue;
      if (s === 'kernel.hostname') {
        throw invalidParameter(`sysctl ${JSON.stringify(s)} is not allowed as it conflicts with the OCI "hostname" field`);
      }
    }
    throw invalidParameter(`sysctl ${JSON.stringify(s)} is not in a separate kernel namespace`);
  }
}
