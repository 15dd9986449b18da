// WWW-Authenticate challenges (RFC 7235), as a registry sends them on 401:
//   Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"
//   Basic realm="basic-realm"
// Schemes and parameter names are case-insensitive: both are lowercased, as
// docker/distribution's challenge package does.

export interface Challenge {
  /** Lowercased: `bearer`, `basic`. */
  scheme: string;
  /** Lowercased names; values unquoted. */
  parameters: Record<string, string>;
}

const tokenChar = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;

/** Parse one WWW-Authenticate header value; it may hold several challenges. */
export function parseChallengeHeader(header: string): Challenge[] {
  const challenges: Challenge[] = [];
  let i = 0;
  const n = header.length;
  const skipSpace = () => {
    while (i < n && (header[i] === ' ' || header[i] === '\t')) i++;
  };
  const readToken = (): string => {
    const start = i;
    while (i < n && tokenChar.test(header[i]!)) i++;
    return header.slice(start, i);
  };
  const readQuoted = (): string => {
    // at the opening quote
    i++;
    let out = '';
    while (i < n && header[i] !== '"') {
      if (header[i] === '\\' && i + 1 < n) i++;
      out += header[i];
      i++;
    }
    i++; // closing quote
    return out;
  };

  let current: Challenge | undefined;
  while (i < n) {
    skipSpace();
    if (header[i] === ',') {
      i++;
      continue;
    }
    const token = readToken();
    if (token === '') {
      i++; // junk character: skip it
      continue;
    }
    skipSpace();
    if (header[i] === '=' && current) {
      // A parameter of the current challenge (token68 values are not used by registries).
      i++;
      skipSpace();
      const value = header[i] === '"' ? readQuoted() : readToken();
      current.parameters[token.toLowerCase()] = value;
      continue;
    }
    if (header[i] === '=' && !current) {
      // Parameters before any scheme: not a challenge; skip the pair.
      i++;
      skipSpace();
      if (header[i] === '"') readQuoted();
      else readToken();
      continue;
    }
    current = { scheme: token.toLowerCase(), parameters: {} };
    challenges.push(current);
  }
  return challenges;
}

/** All challenges of a response's WWW-Authenticate header(s). */
export function parseChallenges(header: string | string[] | undefined): Challenge[] {
  if (header === undefined) return [];
  const values = Array.isArray(header) ? header : [header];
  return values.flatMap((v) => parseChallengeHeader(v));
}
