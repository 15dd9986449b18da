// --sig-proxy: signals the CLI receives are sent on to the container
// (docker/cli cli/command/container/signals.go: POST /containers/{id}/kill
// with the signal's name), except the ones the runtime itself uses.
import type { ApiClient } from './client/api-client.js';

/** The signals Node lets a process catch and docker would forward (SIGCHLD, SIGPIPE and SIGURG are never forwarded). */
const FORWARDED_SIGNALS: readonly NodeJS.Signals[] = [
  'SIGHUP',
  'SIGINT',
  'SIGQUIT',
  'SIGTERM',
  'SIGUSR2',
  'SIGALRM',
  'SIGCONT',
  'SIGTSTP',
  'SIGTTIN',
  'SIGTTOU',
  'SIGVTALRM',
  'SIGPROF',
  'SIGXCPU',
  'SIGXFSZ',
  'SIGPWR',
  'SIGWINCH',
  'SIGTRAP',
];

/** The name docker's client sends for a signal (signal.SignalMap's key: "INT" for SIGINT). */
export function signalName(signal: NodeJS.Signals): string {
  return signal.startsWith('SIG') ? signal.slice(3) : signal;
}

/**
 * ForwardAllSignals: until the returned function is called, each signal the
 * CLI receives is sent to the container (errors are ignored, as docker only
 * logs them at debug level).
 */
export function forwardSignals(client: ApiClient, containerId: string, send?: (signal: string) => Promise<void>): () => void {
  const deliver = send ?? ((signal: string): Promise<void> => client.call('POST', `/containers/${containerId}/kill`, { query: { signal } }));
  const handlers = new Map<NodeJS.Signals, () => void>();
  for (const sig of FORWARDED_SIGNALS) {
    const handler = (): void => {
      deliver(signalName(sig)).catch(() => undefined);
    };
    try {
      process.on(sig, handler);
      handlers.set(sig, handler);
    } catch {
      // not catchable on this platform
    }
  }
  return () => {
    for (const [sig, handler] of handlers) process.off(sig, handler);
    handlers.clear();
  };
}
