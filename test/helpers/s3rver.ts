import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** The slice of s3rver 3.7 (untyped CommonJS) that the tests use; `httpServer` is set by run(). */
interface S3rverInstance {
  run(): Promise<AddressInfo>;
  httpServer?: Server;
}
type S3rverConstructor = new (options: {
  address: string;
  port: number;
  directory: string;
  silent: boolean;
  configureBuckets: { name: string }[];
}) => S3rverInstance;

const require = createRequire(import.meta.url);
const S3rver: S3rverConstructor = require('s3rver');

export interface RunningS3rver {
  endpoint: string;
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** The store goes away at once: the port refuses connections, and requests in flight are cut. */
  stop(): Promise<void>;
  /** The store comes back at the same address with the same objects. */
  start(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts s3rver on 127.0.0.1 at a random port with one bucket, `test`, in a fresh temporary folder; it can be stopped
 * and started again, as object storage that goes away and returns. Use with `forcePathStyle: true`; s3rver accepts
 * the credentials `S3RVER`/`S3RVER`.
 */
export async function startS3rver(): Promise<RunningS3rver> {
  const directory = await fs.mkdtemp(path.join(os.tmpdir(), 's3rver-'));
  const bucket = 'test';
  let port = 0;
  let running: S3rverInstance | undefined;
  const start = async () => {
    const server = new S3rver({ address: '127.0.0.1', port, directory, silent: true, configureBuckets: [{ name: bucket }] });
    port = (await server.run()).port;
    running = server;
  };
  const stop = async () => {
    const server = running?.httpServer;
    running = undefined;
    if (!server) return;
    const closed = new Promise((resolve) => server.close(resolve));
    server.closeAllConnections();
    await closed;
  };
  await start();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    bucket,
    region: 'us-east-1',
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
    stop,
    start,
    async close() {
      await stop();
      await fs.rm(directory, { recursive: true, force: true });
    },
  };
}
