/**
 * The HTTP side shared by the local stand-ins that are plain Node servers (the bus, the web
 * server): listen on the loopback interface, learn the bound port, and stop once.
 */
import { createServer, type RequestListener, type Server } from 'node:http';
import { LOCAL_HOST, type LocalPorts, portInUse } from './ports.ts';

export class HttpListener {
  private server: Server | undefined;
  private stopped: Promise<void> | undefined;
  /** The bound port once listening (the requested one may be 0, "any free port"); 0 before. */
  port = 0;

  constructor(private readonly requestedPort: number, private readonly part: keyof LocalPorts | 'fhir') {}

  get endpoint(): string {
    return `http://${LOCAL_HOST}:${this.port}`;
  }

  async listen(onRequest: RequestListener): Promise<void> {
    const server = createServer(onRequest);
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) => reject(error.code === 'EADDRINUSE' ? portInUse(this.requestedPort, this.part) : error));
      server.listen(this.requestedPort, LOCAL_HOST, () => resolve());
    });
    const address = server.address();
    this.port = typeof address === 'object' && address ? address.port : this.requestedPort;
  }

  /** Idempotent; also closes open (keep-alive) connections, which would otherwise hold the stop up. */
  stop(): Promise<void> {
    this.stopped ??= new Promise((resolve) => {
      if (!this.server) return resolve();
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    return this.stopped;
  }
}
