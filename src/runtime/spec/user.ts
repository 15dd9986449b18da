// `--user` and `--group-add` resolved against the container's own /etc/passwd
// and /etc/group, as dockerd does before starting it (moby getUser over runc's
// libcontainer/user GetExecUser and GetAdditionalGroups), with their messages.
//
// The rootfs is untrusted: its files are read through rootfs.ts.
import { invalidParameter } from '../../common/errors.js';
import { readRootfsFile } from './rootfs.js';

const MAX_ID = 2 ** 31 - 1;

export interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
  shell: string;
}

export interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

/** Go's strconv.Atoi, the way runc reads ids: undefined when not a base-10 int64. */
function atoi(s: string): number | undefined {
  if (!/^[+-]?\d+$/.test(s)) return undefined;
  const n = BigInt(s);
  if (n < -(2n ** 63n) || n > 2n ** 63n - 1n) return undefined;
  return Number(n);
}

/** Fields of a colon-separated line; runc ignores bad numbers (they read as 0). */
export function parsePasswd(text: string): PasswdEntry[] {
  const out: PasswdEntry[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    const f = line.split(':');
    out.push({ name: f[0] ?? '', uid: atoi(f[2] ?? '') ?? 0, gid: atoi(f[3] ?? '') ?? 0, home: f[5] ?? '', shell: f[6] ?? '' });
  }
  return out;
}

export function parseGroup(text: string): GroupEntry[] {
  const out: GroupEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    const f = line.split(':');
    out.push({ name: f[0] ?? '', gid: atoi(f[2] ?? '') ?? 0, members: f[3] ? f[3].split(',') : [] });
  }
  return out;
}

export interface ResolvedUser {
  uid: number;
  gid: number;
  /** The primary gid, the user's supplementary groups, then --group-add: dockerd's additionalGids. */
  additionalGids: number[];
  /** Home directory from passwd; "" when the user has no entry. */
  home: string;
}

const rangeError = (): Error => invalidParameter(`uids and gids must be in range 0-${MAX_ID}`);

/**
 * runc's GetExecUser: "user", "uid", "user:group", "uid:gid", "user:gid",
 * "uid:group" against passwd/group contents (undefined = file absent).
 */
export function execUser(
  userSpec: string,
  passwd: string | undefined,
  group: string | undefined,
): { uid: number; gid: number; sgids: number[]; home: string } {
  const fields = userSpec.split(':');
  const userArg = fields[0] ?? '';
  const groupArg = fields[1] ?? '';
  const uidArg = atoi(userArg);
  const gidArg = atoi(groupArg);
  const user = { uid: 0, gid: 0, sgids: [] as number[], home: '' };

  const users = (passwd === undefined ? [] : parsePasswd(passwd)).filter((u) => {
    if (userArg === '') return u.uid === user.uid;
    if (uidArg !== undefined) return u.uid === uidArg;
    return u.name === userArg;
  });
  let matchedName = '';
  if (users.length > 0) {
    const u = users[0]!;
    matchedName = u.name;
    user.uid = u.uid;
    user.gid = u.gid;
    user.home = u.home;
  } else if (userArg !== '') {
    if (uidArg === undefined) throw invalidParameter(`unable to find user ${userArg}: no matching entries in passwd file`);
    if (uidArg < 0 || uidArg > MAX_ID) throw rangeError();
    user.uid = uidArg;
  }

  if (groupArg !== '' || matchedName !== '') {
    const groups = (group === undefined ? [] : parseGroup(group)).filter((g) => {
      if (groupArg === '') return g.members.includes(matchedName);
      if (gidArg !== undefined) return g.gid === gidArg;
      return g.name === groupArg;
    });
    if (groupArg !== '') {
      if (groups.length > 0) user.gid = groups[0]!.gid;
      else {
        if (gidArg === undefined) throw invalidParameter(`unable to find group ${groupArg}: no matching entries in group file`);
        if (gidArg < 0 || gidArg > MAX_ID) throw rangeError();
        user.gid = gidArg;
      }
    } else if (groups.length > 0) {
      user.sgids = groups.map((g) => g.gid);
    }
  }
  return user;
}

/**
 * runc's GetAdditionalGroups for --group-add: names or gids; a gid already
 * taken by an earlier entry does not satisfy a later name (runc's quirk, kept:
 * `--group-add 50 --group-add staff` with staff=50 fails as dockerd fails).
 * Unlike runc (a Go map) the result keeps the request order.
 */
export function additionalGroups(requested: readonly string[], group: string | undefined): number[] {
  const groups = group === undefined ? [] : parseGroup(group).filter((g) => requested.some((r) => g.name === r || String(g.gid) === r));
  const taken = new Set<number>();
  const out: number[] = [];
  for (const ag of requested) {
    let found = false;
    for (const g of groups) {
      if ((g.name === ag || String(g.gid) === ag) && !taken.has(g.gid)) {
        taken.add(g.gid);
        out.push(g.gid);
        found = true;
        break;
      }
    }
    if (found) continue;
    const gid = atoi(ag);
    if (gid === undefined) throw invalidParameter(`Unable to find group ${ag}: no matching entries in group file`);
    if (gid < 0 || gid > MAX_ID) throw rangeError();
    if (!taken.has(gid)) {
      taken.add(gid);
      out.push(gid);
    }
  }
  return out;
}

/** Resolve Config.User and HostConfig.GroupAdd against the rootfs at `rootfs`. */
export async function resolveUser(rootfs: string, userSpec: string, groupAdd: readonly string[] = []): Promise<ResolvedUser> {
  const passwd = await readRootfsFile(rootfs, '/etc/passwd');
  const group = await readRootfsFile(rootfs, '/etc/group');
  const u = execUser(userSpec, passwd, group);
  const extra = groupAdd.length > 0 ? additionalGroups(groupAdd, group) : [];
  return { uid: u.uid, gid: u.gid, additionalGids: [u.gid, ...u.sgids, ...extra], home: u.home };
}
