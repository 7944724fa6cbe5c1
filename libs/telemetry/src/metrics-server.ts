import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PrometheusExporter } from '@opentelemetry/exporter-prometheus';

/** Metrics are for the local Prometheus only; binding anything wider would publish them to the network. */
export const METRICS_HOST = '127.0.0.1';
const METRICS_PATH = '/metrics';

/**
 * Serves the Prometheus exporter on loopback. The exporter's own server binds every interface
 * and turns port 0 into 9464, so it is kept from starting and this one is used instead.
 */
export class LoopbackMetricsServer {
  private readonly server: Server;
  private boundPort: number | null = null;

  constructor(
    private readonly exporter: PrometheusExporter,
    private readonly requestedPort: number,
    private readonly warn: (message: string) => void,
  ) {
    this.server = createServer((request, response) => this.handle(request, response));
  }

  get port(): number | null {
    return this.boundPort;
  }

  /** Resolves with the bound port, or null when the port could not be bound (the process carries on without metrics). */
  listen(): Promise<number | null> {
    return new Promise((resolve) => {
      const onError = (error: NodeJS.ErrnoException): void => {
        this.server.off('listening', onListening);
        const reason =
          error.code === 'EADDRINUSE'
            ? 'is already in use'
            : `could not be bound (${error.code ?? error.message})`;
        this.warn(
          `metrics port ${METRICS_HOST}:${this.requestedPort} ${reason}; Prometheus metrics are disabled for this process`,
        );
        resolve(null);
      };
      const onListening = (): void => {
        this.server.off('error', onError);
        this.boundPort = (this.server.address() as AddressInfo).port;
        resolve(this.boundPort);
      };
      this.server.once('error', onError);
      this.server.once('listening', onListening);
      this.server.listen({ host: METRICS_HOST, port: this.requestedPort });
      // A scrape endpoint alone must not keep a finished process alive.
      this.server.unref();
    });
  }

  close(): Promise<void> {
    if (!this.server.listening) return Promise.resolve();
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    const path = (request.url ?? '').split('?', 1)[0];
    if (path !== METRICS_PATH) {
      response.statusCode = 404;
      response.end();
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.statusCode = 405;
      response.setHeader('allow', 'GET, HEAD');
      response.end();
      return;
    }
    this.exporter.getMetricsRequestHandler(request, response);
  }
}
