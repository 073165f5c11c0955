import { createServer, request as httpRequest, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A slow provider: a proxy in front of the simulator holding each answer back, by method, before passing it on. */
export interface SlowProxy {
  url: string;
  close(): Promise<void>;
}

export async function startSlowProxy(target: string, delayMs: (method: string) => number): Promise<SlowProxy> {
  const to = new URL(target);
  const server = createServer((req, res) => {
    const upstream = httpRequest(
      { host: to.hostname, port: to.port, method: req.method, path: req.url, headers: { ...req.headers, host: to.host } },
      (answer: IncomingMessage) => {
        // The provider has acted (a task is made); only its answer is late, as with a slow network or a busy provider.
        setTimeout(() => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        }, delayMs(req.method ?? 'GET'));
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
