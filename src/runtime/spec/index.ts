// Public surface of OCI runtime-spec generation (see generate.ts).
export * from './types.js';
export * from './host.js';
export * from './capabilities.js';
export * from './security.js';
export * from './seccomp.js';
export * from './devices.js';
export * from './mounts.js';
export * from './resources.js';
export * from './process.js';
export * from './sysctl.js';
export * from './user.js';
export * from './rootfs.js';
export * from './generate.js';
export { DEFAULT_SECCOMP_PROFILE } from './seccomp-default.js';
