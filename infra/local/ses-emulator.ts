/**
 * The SES emulator (npm `aws-ses-v2-local`) in this process: the SES v2 API the mailer calls, the
 * mail viewer at `/`, and every sent message as JSON at `/store`.
 */
import { assertPortFree, LOCAL_HOST } from './ports.ts';

export interface SesEmulator {
  endpoint: string;
  port: number;
  stop(): Promise<void>;
}

type ServerFactory = (typeof import('aws-ses-v2-local'))['default'];

/**
 * The package is CommonJS with an `exports.default`: tsx's loader hands that function over as the
 * ESM default, plain Node (and so vitest) hands over `module.exports`, whose `default` it is.
 */
async function loadServerFactory(): Promise<ServerFactory> {
  const module = (await import('aws-ses-v2-local')) as unknown as { default: ServerFactory | { default: ServerFactory } };
  return typeof module.default === 'function' ? module.default : module.default.default;
}

export async function startSesEmulator(options: { port: number }): Promise<SesEmulator> {
  // The emulator's listen promise only settles on success (a taken port would leave it pending
  // and raise an unhandled 'error'), so check the port first.
  if (options.port !== 0) await assertPortFree(options.port, 'ses');
  const startServer = await loadServerFactory();
  const server = await startServer({ host: LOCAL_HOST, port: options.port });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const endpoint = `http://${LOCAL_HOST}:${port}`;
  // Mail lives in a module-level store: a stack started again in the same process must not show
  // the previous run's messages.
  await fetch(`${endpoint}/clear-store`, { method: 'POST' });
  let stopped: Promise<void> | undefined;
  return {
    endpoint,
    port,
    stop() {
      stopped ??= new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return stopped;
    },
  };
}
