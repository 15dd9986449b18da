// Registry error bodies read as docker/distribution's client reads them
// (HandleErrorResponse, errcode) and worded as dockerd words them
// (translatePullError); transport failures as Go's net/http.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { errorFromResponse, translatePullError, describeTransportError, TransportError, RegistryError } from '../../../src/registry/errors.js';
import { parseChallengeHeader } from '../../../src/registry/challenge.js';
import { parseNormalizedNamed } from '../../../src/image/reference.js';

const body = (errors: object[]) => JSON.stringify({ errors });

test('errcode bodies: "<code text>: <message>", kind from the code', () => {
  const table: [number, string, string, string][] = [
    [404, body([{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown', detail: { Tag: 'nope' } }]), 'manifest unknown: manifest unknown', 'not-found'],
    [404, body([{ code: 'NAME_UNKNOWN', message: 'repository name not known to registry', detail: { name: 'x' } }]), 'name unknown: repository name not known to registry', 'not-found'],
    [401, body([{ code: 'UNAUTHORIZED', message: 'authentication required', detail: [{ Type: 'repository' }] }]), 'unauthorized: authentication required', 'unauthorized'],
    [403, body([{ code: 'DENIED', message: 'requested access to the resource is denied' , detail: null}]), 'denied', 'forbidden'],
    [400, body([{ code: 'MANIFEST_INVALID', message: 'manifest invalid', detail: 'x' }]), 'manifest invalid: manifest invalid', 'invalid-parameter'],
    [400, body([{ code: 'DIGEST_INVALID', message: 'provided digest did not match uploaded content', detail: 'x' }]), 'digest invalid: provided digest did not match uploaded content', 'invalid-parameter'],
    [429, body([{ code: 'TOOMANYREQUESTS', message: 'You have reached your pull rate limit.' }]), 'toomanyrequests: You have reached your pull rate limit.', 'system'],
    // codes distribution does not know become "unknown"
    [400, body([{ code: 'SOMETHING_NEW', message: 'brand new' }]), 'unknown: brand new', 'system'],
  ];
  for (const [status, text, message, kind] of table) {
    const err = errorFromResponse(status, text);
    assert.equal(err.message, message, text);
    assert.equal(err.kind, kind, text);
  }
});

test('an error without detail and with the default message prints as the bare code (errcode.ErrorCode)', () => {
  assert.equal(errorFromResponse(404, body([{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown' }])).message, 'manifest unknown');
  assert.equal(errorFromResponse(404, body([{ code: 'BLOB_UNKNOWN' }])).message, 'blob unknown');
});

test('several errors: "errors:\\n..." list', () => {
  const err = errorFromResponse(
    400,
    body([
      { code: 'MANIFEST_BLOB_UNKNOWN', message: 'blob unknown to registry', detail: 'sha256:aa' },
      { code: 'MANIFEST_BLOB_UNKNOWN', message: 'blob unknown to registry', detail: 'sha256:bb' },
    ]),
  );
  assert.equal(err.message, 'errors:\nmanifest blob unknown: blob unknown to registry\nmanifest blob unknown: blob unknown to registry\n');
});

test('bodies that are not errcode bodies', () => {
  assert.equal(errorFromResponse(404, '').message, 'error parsing HTTP 404 response body: unexpected end of JSON input: ""');
  assert.equal(errorFromResponse(403, '<html>no</html>').message, `error parsing HTTP 403 response body: invalid character '<' looking for beginning of value: "<html>no</html>"`);
  assert.equal(errorFromResponse(404, '{"errors":[]}').message, 'error parsing HTTP 404 response body: no error details found in HTTP response body: "{\\"errors\\":[]}"');
  // a 401 without an errcode body is "unauthorized"
  const e401 = errorFromResponse(401, 'go away');
  assert.equal(e401.message, 'unauthorized: authentication required');
  assert.equal(e401.kind, 'unauthorized');
  assert.equal(e401.fromErrcodeList, false);
  // Docker Hub's token server: {"details": "..."}
  const hub = errorFromResponse(401, '{"details":"incorrect username or password"}');
  assert.equal(hub.message, 'unauthorized: incorrect username or password');
  assert.equal(hub.fromErrcodeList, false);
  // 5xx are not parsed
  assert.equal(errorFromResponse(502, 'bad gateway').message, 'received unexpected HTTP status: 502 Bad Gateway');
  assert.equal(errorFromResponse(500, '').message, 'received unexpected HTTP status: 500 Internal Server Error');
});

test('bearer challenge errors come first (RFC 6750)', () => {
  const challenges = parseChallengeHeader('Bearer realm="http://t/token",service="s",scope="repository:a:pull",error="insufficient_scope"');
  const err = errorFromResponse(401, body([{ code: 'UNAUTHORIZED', message: 'authentication required', detail: [] }]), challenges);
  assert.equal(err.message, 'errors:\ndenied: requested access to the resource is denied\nunauthorized: authentication required\n');
  assert.equal(err.code, 'DENIED');
  const invalid = errorFromResponse(401, '', parseChallengeHeader('Bearer realm="x",error="invalid_token",error_description="token expired"'));
  assert.equal(invalid.message, 'errors:\nunauthorized: token expired\nerror parsing HTTP 401 response body: unexpected end of JSON input: ""\n');
});

test("translatePullError: dockerd's pull messages and statuses", () => {
  const ref = parseNormalizedNamed('localhost:5000/x:latest');
  const manifest = translatePullError(errorFromResponse(404, body([{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown', detail: { Tag: 'latest' } }])), ref);
  assert.equal(manifest.message, 'manifest for localhost:5000/x:latest not found: manifest unknown: manifest unknown');
  assert.equal(manifest.kind, 'not-found');

  const name = translatePullError(errorFromResponse(404, body([{ code: 'NAME_UNKNOWN', message: 'repository name not known to registry', detail: {} }])), ref);
  assert.equal(name.message, 'repository localhost:5000/x not found: name unknown: repository name not known to registry');
  assert.equal(name.kind, 'not-found');

  const hub = parseNormalizedNamed('busybox');
  const denied = translatePullError(
    errorFromResponse(401, body([{ code: 'UNAUTHORIZED', message: 'authentication required', detail: [] }]), parseChallengeHeader('Bearer realm="r",error="insufficient_scope"')),
    hub,
  );
  assert.equal(denied.message, "pull access denied for busybox, repository does not exist or may require 'docker login': denied: requested access to the resource is denied");
  assert.equal(denied.kind, 'not-found');

  // An unauthorized pull is a 500 in dockerd (a 401 would make the docker CLI prompt for a login).
  const unauthorized = translatePullError(errorFromResponse(401, body([{ code: 'UNAUTHORIZED', message: 'authentication required', detail: [] }])), ref);
  assert.equal(unauthorized.message, 'unauthorized: authentication required');
  assert.equal(unauthorized.kind, 'system');

  // The bare code form is not translated (errcode.ErrorCode, not errcode.Error).
  const bare = translatePullError(errorFromResponse(404, body([{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown' }])), ref);
  assert.equal(bare.message, 'manifest unknown');
  assert.equal(bare.kind, 'system');

  const transport = translatePullError(new TransportError('GET', new URL('http://localhost:5000/v2/'), Object.assign(new Error('x'), { code: 'ECONNREFUSED', address: '127.0.0.1', port: 5000 })), ref);
  assert.equal(transport.message, 'Get "http://localhost:5000/v2/": dial tcp 127.0.0.1:5000: connect: connection refused');
  assert.equal(transport.kind, 'system');
});

test('transport errors worded as Go', () => {
  const url = new URL('https://localhost:5000/v2/');
  const e = (props: object) => Object.assign(new Error('node message'), props);
  assert.equal(describeTransportError(e({ code: 'ECONNREFUSED', address: '::1', port: 5000 }), url), 'dial tcp [::1]:5000: connect: connection refused');
  assert.equal(describeTransportError(e({ code: 'ENOTFOUND', hostname: 'nope.invalid' }), url), 'dial tcp: lookup nope.invalid: no such host');
  assert.equal(describeTransportError(e({ code: 'ERR_SSL_WRONG_VERSION_NUMBER' }), url), 'http: server gave HTTP response to HTTPS client');
  assert.equal(
    describeTransportError(e({ code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }), url),
    'tls: failed to verify certificate: x509: certificate signed by unknown authority',
  );
  // undici wraps the socket error
  assert.equal(
    describeTransportError(Object.assign(new TypeError('fetch failed'), { cause: e({ code: 'ECONNREFUSED', address: '127.0.0.1', port: 1 }) }), url),
    'dial tcp 127.0.0.1:1: connect: connection refused',
  );
  const te = new TransportError('HEAD', new URL('http://127.0.0.1:1/v2/a/manifests/latest'), e({ code: 'ECONNREFUSED', address: '127.0.0.1', port: 1 }));
  assert.equal(te.message, 'Head "http://127.0.0.1:1/v2/a/manifests/latest": dial tcp 127.0.0.1:1: connect: connection refused');
  assert.ok(!(te instanceof RegistryError));
});
