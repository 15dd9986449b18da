// Go's path.Clean for '/'-separated paths: docker cleans container paths,
// .dockerignore patterns and COPY sources with it, and berth must print and
// compare the same strings (node's path.posix.normalize keeps a trailing slash).

/** Go's path.Clean: the shortest equivalent path ('.' for empty; no trailing slash; '..' kept only where it cannot be resolved). */
export function cleanPath(p: string): string {
  if (p === '') return '.';
  const rooted = p.startsWith('/');
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!rooted) out.push('..');
      continue;
    }
    out.push(part);
  }
  const joined = out.join('/');
  if (rooted) return `/${joined}`;
  return joined === '' ? '.' : joined;
}
