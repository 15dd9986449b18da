// Image references: docker's grammar and normalisation, as defined by
// github.com/distribution/reference (reference.go, regexp.go, normalize.go)
// and digests as validated by github.com/opencontainers/go-digest v1.0.0,
// the version dockerd vendors. Error messages are docker's, word for word:
// scripts grep them.
//
//   reference        := name [ ":" tag ] [ "@" digest ]
//   name             := [domain '/'] remote-name
//   domain           := host [':' port-number]
//   tag              := /[\w][\w.-]{0,127}/
//   digest           := algorithm ":" hex
import { invalidParameter, type EngineError } from '../common/errors.js';

export const DEFAULT_DOMAIN = 'docker.io';
/** The Docker Hub's legacy "index" domain; normalised to docker.io. */
export const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';
export const OFFICIAL_REPO_PREFIX = 'library/';
export const DEFAULT_TAG = 'latest';
export const REPOSITORY_NAME_TOTAL_LENGTH_MAX = 255;

/** docker's error strings (distribution/reference and go-digest). */
export const referenceErrors = {
  invalidFormat: 'invalid reference format',
  invalidTagFormat: 'invalid tag format',
  invalidDigestFormat: 'invalid digest format',
  nameContainsUppercase: 'repository name must be lowercase',
  nameEmpty: 'repository name must have at least one component',
  nameTooLong: `repository name must not be more than ${REPOSITORY_NAME_TOTAL_LENGTH_MAX} characters`,
  nameNotCanonical: 'repository name must be canonical',
  digestInvalidFormat: 'invalid checksum digest format',
  digestInvalidLength: 'invalid checksum digest length',
  digestUnsupported: 'unsupported digest algorithm',
} as const;

// --- regular expressions (regexp.go) -------------------------------------
// JS and Go's RE2 agree on these patterns: no backreferences or lookaround,
// and leftmost-first alternation gives the same submatches.
const alphanumeric = '[a-z0-9]+';
const separator = '(?:[._]|__|[-]+)';
const domainNameComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const optionalPort = '(?::[0-9]+)?';
const tagPat = '[\\w][\\w.-]{0,127}';
const digestPat = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9A-Fa-f]{32,}';
const identifierPat = '([a-f0-9]{64})';
const ipv6address = '\\[(?:[a-fA-F0-9:]+)\\]';
const domainName = `${domainNameComponent}(?:\\.${domainNameComponent})*`;
const host = `(?:${domainName}|${ipv6address})`;
const domainAndPort = host + optionalPort;
const pathComponent = `${alphanumeric}(?:${separator}${alphanumeric})*`;
const remoteName = `${pathComponent}(?:/${pathComponent})*`;
const namePat = `(?:${domainAndPort}/)?${remoteName}`;

const referenceRegexp = new RegExp(`^(${namePat})(?::(${tagPat}))?(?:@(${digestPat}))?$`);
const anchoredNameRegexp = new RegExp(`^(?:(${domainAndPort})/)?(${remoteName})$`);
const anchoredTagRegexp = new RegExp(`^${tagPat}$`);
const anchoredDigestRegexp = new RegExp(`^${digestPat}$`);
const anchoredIdentifierRegexp = new RegExp(`^${identifierPat}$`);
/** go-digest's DigestRegexpAnchored, for algorithms it does not know. */
const goDigestAnchored = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

/** Hex lengths of the algorithms dockerd links in (go-digest's Available()). */
const digestHexLength: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 };

// --- types ---------------------------------------------------------------

/** A reference that is only a digest: `sha256:...` or a 64-hex image ID. */
export class DigestReference {
  readonly kind = 'digest' as const;
  constructor(readonly digest: string) {}
  toString(): string {
    return this.digest;
  }
}

/**
 * A reference with a name: domain (may be empty for non-normalised
 * references), path, and optionally a tag and a digest.
 */
export class NamedReference {
  readonly kind = 'named' as const;
  constructor(
    readonly domain: string,
    readonly path: string,
    readonly tag?: string,
    readonly digest?: string,
  ) {}

  /** The repository name: `docker.io/library/busybox`. */
  get name(): string {
    return this.domain === '' ? this.path : `${this.domain}/${this.path}`;
  }

  toString(): string {
    let s = this.name;
    if (this.tag !== undefined) s += `:${this.tag}`;
    if (this.digest !== undefined) s += `@${this.digest}`;
    return s;
  }

  /** Same reference with `docker.io/` and `library/` dropped, as the docker UI shows it. */
  familiar(): NamedReference {
    let domain = this.domain;
    let path = this.path;
    if (domain === DEFAULT_DOMAIN) {
      domain = '';
      // Only one level below library/ is an official image (normalize.go's TODO).
      if (path.startsWith(OFFICIAL_REPO_PREFIX)) {
        const remainder = path.slice(OFFICIAL_REPO_PREFIX.length);
        if (!remainder.includes('/')) path = remainder;
      }
    }
    return new NamedReference(domain, path, this.tag, this.digest);
  }

  /** True when the reference has neither a tag nor a digest. */
  get isNameOnly(): boolean {
    return this.tag === undefined && this.digest === undefined;
  }
}

export type Reference = NamedReference | DigestReference;

function referenceError(message: string): EngineError {
  return invalidParameter(message);
}

// --- digests (go-digest v1.0.0) -------------------------------------------

/** go-digest's Digest.Validate: throws docker's message when `s` is not a usable digest. */
export function validateDigest(s: string): void {
  const i = s.indexOf(':');
  if (i <= 0 || i + 1 === s.length) throw referenceError(referenceErrors.digestInvalidFormat);
  const algorithm = s.slice(0, i);
  const encoded = s.slice(i + 1);
  const length = digestHexLength[algorithm];
  if (length === undefined) {
    if (!goDigestAnchored.test(s)) throw referenceError(referenceErrors.digestInvalidFormat);
    throw referenceError(referenceErrors.digestUnsupported);
  }
  if (encoded.length !== length) throw referenceError(referenceErrors.digestInvalidLength);
  if (!/^[a-f0-9]+$/.test(encoded)) throw referenceError(referenceErrors.digestInvalidFormat);
}

/** True when `s` is a valid digest of an algorithm docker supports. */
export function isValidDigest(s: string): boolean {
  try {
    validateDigest(s);
    return true;
  } catch {
    return false;
  }
}

/** True for a 64-hex string, which docker reads as an image ID, never as a name. */
export function isImageIdentifier(s: string): boolean {
  return anchoredIdentifierRegexp.test(s);
}

// --- parsing ---------------------------------------------------------------

/**
 * distribution/reference's Parse: the raw grammar, no normalisation
 * (`busybox` has an empty domain). Throws docker's messages.
 */
export function parse(s: string): Reference {
  if (s === '') throw referenceError(referenceErrors.nameEmpty);
  const matches = referenceRegexp.exec(s);
  if (!matches) {
    const lower = s.toLowerCase();
    if (lower !== s && referenceRegexp.test(lower)) throw referenceError(referenceErrors.nameContainsUppercase);
    throw referenceError(referenceErrors.invalidFormat);
  }
  const nameMatch = anchoredNameRegexp.exec(matches[1]!);
  let domain = '';
  let path = matches[1]!;
  if (nameMatch) {
    domain = nameMatch[1] ?? '';
    path = nameMatch[2]!;
  }
  if (path.length > REPOSITORY_NAME_TOTAL_LENGTH_MAX) throw referenceError(referenceErrors.nameTooLong);
  const tag = matches[2];
  const digest = matches[3];
  if (digest !== undefined) validateDigest(digest);
  return new NamedReference(domain, path, tag, digest);
}

/**
 * Splits a familiar name into domain and remote name (normalize.go's
 * splitDockerDomain): a first component is a domain when it contains `.` or
 * `:`, is `localhost`, or has uppercase letters; `index.docker.io` becomes
 * `docker.io`; single-component Docker Hub names get `library/`.
 */
export function splitDockerDomain(name: string): { domain: string; remoteName: string } {
  const slash = name.indexOf('/');
  if (slash < 0) return { domain: DEFAULT_DOMAIN, remoteName: OFFICIAL_REPO_PREFIX + name };
  const maybeDomain = name.slice(0, slash);
  const maybeRemote = name.slice(slash + 1);
  let domain: string;
  let remoteName: string;
  if (maybeDomain === 'localhost') {
    domain = maybeDomain;
    remoteName = maybeRemote;
  } else if (maybeDomain === LEGACY_DEFAULT_DOMAIN) {
    domain = DEFAULT_DOMAIN;
    remoteName = maybeRemote;
  } else if (/[.:]/.test(maybeDomain) || maybeDomain.toLowerCase() !== maybeDomain) {
    domain = maybeDomain;
    remoteName = maybeRemote;
  } else {
    domain = DEFAULT_DOMAIN;
    remoteName = name;
  }
  if (domain === DEFAULT_DOMAIN && !remoteName.includes('/')) remoteName = OFFICIAL_REPO_PREFIX + remoteName;
  return { domain, remoteName };
}

/**
 * ParseNormalizedNamed: a name as the docker UI accepts it, normalised to
 * its full form (`busybox` → `docker.io/library/busybox`). No default tag.
 */
export function parseNormalizedNamed(s: string): NamedReference {
  if (anchoredIdentifierRegexp.test(s)) {
    throw referenceError(`invalid repository name (${s}), cannot specify 64-byte hexadecimal strings`);
  }
  const { domain, remoteName: remainder } = splitDockerDomain(s);
  const tagSep = remainder.indexOf(':');
  const remote = tagSep > -1 ? remainder.slice(0, tagSep) : remainder;
  if (remote.toLowerCase() !== remote) {
    throw referenceError(`invalid reference format: repository name (${remote}) must be lowercase`);
  }
  const ref = parse(`${domain}/${remainder}`);
  if (ref.kind !== 'named') throw referenceError(`reference ${ref.toString()} has no name`);
  return ref;
}

/**
 * ParseDockerRef: normalised, with `latest` added to a bare name; a
 * reference with both tag and digest keeps only the digest.
 */
export function parseDockerRef(s: string): NamedReference {
  const named = parseNormalizedNamed(s);
  if (named.tag !== undefined && named.digest !== undefined) {
    return new NamedReference(named.domain, named.path, undefined, named.digest);
  }
  return tagNameOnly(named);
}

/**
 * ParseAnyReference: a 64-hex string is an image ID (`sha256:<hex>`), a
 * valid digest is a digest, anything else a normalised name.
 */
export function parseAnyReference(s: string): Reference {
  if (anchoredIdentifierRegexp.test(s)) return new DigestReference(`sha256:${s}`);
  if (isValidDigest(s)) return new DigestReference(s);
  return parseNormalizedNamed(s);
}

/** ParseNamed: like parseNormalizedNamed, but the input must already be in canonical form. */
export function parseNamed(s: string): NamedReference {
  const named = parseNormalizedNamed(s);
  if (named.toString() !== s) throw referenceError(referenceErrors.nameNotCanonical);
  return named;
}

/** WithName: a name without tag or digest, not normalised. */
export function withName(name: string): NamedReference {
  const match = anchoredNameRegexp.exec(name);
  if (!match) throw referenceError(referenceErrors.invalidFormat);
  if (match[2]!.length > REPOSITORY_NAME_TOTAL_LENGTH_MAX) throw referenceError(referenceErrors.nameTooLong);
  return new NamedReference(match[1] ?? '', match[2]!);
}

/** WithTag: the name with `tag`, keeping a digest it already has. */
export function withTag(named: NamedReference, tag: string): NamedReference {
  if (!anchoredTagRegexp.test(tag)) throw referenceError(referenceErrors.invalidTagFormat);
  return new NamedReference(named.domain, named.path, tag, named.digest);
}

/** WithDigest: the name with `digest`, keeping a tag it already has. */
export function withDigest(named: NamedReference, digest: string): NamedReference {
  if (!anchoredDigestRegexp.test(digest)) throw referenceError(referenceErrors.invalidDigestFormat);
  return new NamedReference(named.domain, named.path, named.tag, digest);
}

/** TrimNamed: the name alone. */
export function trimNamed(named: NamedReference): NamedReference {
  return new NamedReference(named.domain, named.path);
}

/** TagNameOnly: adds `latest` when the reference has neither tag nor digest. */
export function tagNameOnly(named: NamedReference): NamedReference {
  return named.isNameOnly ? new NamedReference(named.domain, named.path, DEFAULT_TAG) : named;
}

/** FamiliarName: `docker.io/library/busybox` → `busybox`, `docker.io/a/b` → `a/b`. */
export function familiarName(named: NamedReference): string {
  return named.familiar().name;
}

/** FamiliarString: the familiar name with tag and digest; a digest reference as is. */
export function familiarString(ref: Reference): string {
  return ref.kind === 'named' ? ref.familiar().toString() : ref.toString();
}

/** True when `tag` is a valid tag (`[\w][\w.-]{0,127}`). */
export function isValidTag(tag: string): boolean {
  return anchoredTagRegexp.test(tag);
}
