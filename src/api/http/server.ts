// Listeners for the API: unix sockets (mode 0660, group `berth` when it
// exists) and TCP, with TLS when configured. Keeps track of connections so a
// shutdown can close them.
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { promises as fs, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../../common/log.js';
import type { Router } from './router.js';

export interface TlsOptions {
  verify: boolean;
  ca?: string;
  cert?: string;
  key?: string;
}

export interface ListenSpec {
  /** unix:///path or tcp://host:port or fd:// (not supported). */
  address: string;
  tls?: TlsOptions;
  socketGroup?: string;
}

export class ApiServer {
  private readonly servers: Array<http.Server | https.Server> = [];
  private readonly sockets = new Set<net.Socket>();
  constructor(
    private readonly router: Router,
    private readonly logger: Logger,
  ) {}

  async listen(spec: ListenSpec): Promise<void> {
    const server = spec.tls ? this.createTlsServer(spec.tls) : http.createServer();
    server.keepAliveTimeout = 5 * 60_000;
    server.headersTimeout = 60_000;
    // Long-running streams (attach, logs -f, events, pull) must not time out.
    server.requestTimeout = 0;
    server.on('request', (req, res) => this.router.handleRequest(req, res));
    server.on('upgrade', (req, socket, head) => this.router.handleUpgrade(req, socket, head));
    server.on('connection', (s: net.Socket) => {
      this.sockets.add(s);
      s.once('close', () => this.sockets.delete(s));
    });
    server.on('clientError', (_err, socket) => {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    });
    const addr = spec.address;
    if (addr.startsWith('unix://')) {
      const file = addr.slice('unix://'.length);
      await fs.mkdir(path.dirname(file), { recursive: true });
      await fs.rm(file, { force: true });
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(file, () => { server.off('error', reject); resolve(); });
      });
      await fs.chmod(file, 0o660);
      const gid = spec.socketGroup ? lookupGroupId(spec.socketGroup) : undefined;
      if (gid !== undefined) await fs.chown(file, 0, gid);
    } else if (addr.startsWith('tcp://')) {
      const u = new URL(addr.replace(/^tcp:/, 'http:'));
      const port = u.port ? Number(u.port) : spec.tls ? 2376 : 2375;
      const host = u.hostname.replace(/^\[|\]$/g, '') || '0.0.0.0';
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => { server.off('error', reject); resolve(); });
      });
    } else {
      throw new Error(`unsupported host address: ${addr}`);
    }
    this.logger.info('API listen on ' + addr);
    this.servers.push(server);
  }

  private createTlsServer(tls: TlsOptions): https.Server {
    return https.createServer({
      cert: tls.cert ? readFileSync(tls.cert) : undefined,
      key: tls.key ? readFileSync(tls.key) : undefined,
      ca: tls.ca ? readFileSync(tls.ca) : undefined,
      requestCert: tls.verify,
      rejectUnauthorized: tls.verify,
      minVersion: 'TLSv1.2',
    });
  }

  /**
   * Stop listening; requests in flight get `graceMs` to finish, then every
   * connection is cut: long streams (events -f, logs -f, attach) never end by
   * themselves and must not keep the daemon from stopping.
   */
  async close(graceMs = 2000): Promise<void> {
    const closed = Promise.all(
      this.servers.map((s) => new Promise<void>((resolve) => {
        s.close(() => resolve());
      })),
    );
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([closed, new Promise<void>((resolve) => { timer = setTimeout(resolve, graceMs); })]);
    clearTimeout(timer);
    for (const s of this.servers) s.closeAllConnections();
    for (const s of this.sockets) s.destroy();
    await closed;
  }

  /** Stop accepting new connections but let in-flight ones finish. */
  closeIdle(): void {
    for (const s of this.servers) s.closeIdleConnections();
  }
}

function lookupGroupId(name: string): number | undefined {
  try {
    for (const line of readFileSync('/etc/group', 'utf8').split('\n')) {
      const parts = line.split(':');
      if (parts[0] === name && parts[2]) return Number(parts[2]);
    }
  } catch {
    // no /etc/group: leave the socket root-owned
  }
  return undefined;
}
