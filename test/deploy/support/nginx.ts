import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { run, waitFor, type Running } from './processes.js';

const DEBIAN_NGINX_CONF = '/etc/nginx/nginx.conf';
export const NGINX = '/usr/sbin/nginx';

/** `text` with `from` replaced by `to`, exactly once: a line the test relies on that changed fails loudly. */
function replaceOnce(text: string, from: string, to: string): string {
  const at = text.indexOf(from);
  if (at < 0 || text.indexOf(from, at + from.length) >= 0) throw new Error(`expected exactly one "${from}" in the nginx configuration`);
  return text.slice(0, at) + to + text.slice(at + from.length);
}

export interface SitePorts {
  upstreamPort: number;
  httpPort: number;
  httpsPort: number;
  certificate: string;
  key: string;
}

/**
 * deploy/nginx/simplevideo.conf as the test runs it: the upstream's port, loopback listen ports and the test's
 * certificate substituted (IPv6 listens dropped); everything else as written.
 */
export function siteForTest(site: string, ports: SitePorts): string {
  let text = replaceOnce(site, 'server 127.0.0.1:3000;', `server 127.0.0.1:${ports.upstreamPort};`);
  text = replaceOnce(text, 'listen 80;', `listen 127.0.0.1:${ports.httpPort};`);
  text = replaceOnce(text, 'listen [::]:80;', '');
  text = replaceOnce(text, 'listen 443 ssl http2;', `listen 127.0.0.1:${ports.httpsPort} ssl http2;`);
  text = replaceOnce(text, 'listen [::]:443 ssl http2;', '');
  text = replaceOnce(text, '/etc/letsencrypt/live/video.example.com/fullchain.pem', ports.certificate);
  return replaceOnce(text, '/etc/letsencrypt/live/video.example.com/privkey.pem', ports.key);
}

/**
 * Debian's own /etc/nginx/nginx.conf with the site included in place of sites-enabled/, and what a process that is
 * not the system's needs: its own pid, logs and temporary folders, one worker, in the foreground.
 */
export function mainConfigForTest(debian: string, dir: string, siteFile: string): string {
  let text = replaceOnce(debian, 'user www-data;', process.getuid?.() === 0 ? 'user root;' : '');
  text = replaceOnce(text, 'worker_processes auto;', 'daemon off;\nworker_processes 1;');
  text = replaceOnce(text, 'pid /run/nginx.pid;', `pid ${dir}/nginx.pid;`);
  text = replaceOnce(text, 'error_log /var/log/nginx/error.log;', `error_log ${dir}/error.log;`);
  text = replaceOnce(text, 'access_log /var/log/nginx/access.log;', `access_log ${dir}/access.log;`);
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((name) => `${name}_temp_path ${dir}/${name};`).join('\n\t');
  return replaceOnce(text, 'include /etc/nginx/sites-enabled/*;', `${temp}\n\tinclude ${siteFile};`);
}

export interface RunningNginx extends Running {
  dir: string;
  accessLog(): Promise<string>;
}

/** Debian's nginx in the foreground with the repository's site in front of `upstreamPort`; ready when it listens. */
export async function startNginx(name: string, dir: string, ports: SitePorts, repoRoot: string): Promise<RunningNginx> {
  await mkdir(dir, { recursive: true });
  const site = siteForTest(await readFile(path.join(repoRoot, 'deploy/nginx/simplevideo.conf'), 'utf8'), ports);
  const siteFile = path.join(dir, 'simplevideo.conf');
  const mainFile = path.join(dir, 'nginx.conf');
  await writeFile(siteFile, site);
  await writeFile(mainFile, mainConfigForTest(await readFile(DEBIAN_NGINX_CONF, 'utf8'), dir, siteFile));
  // -e: the error log before the configuration is read (the default, /var/log/nginx, may not be writable).
  await promisify(execFile)(NGINX, ['-t', '-q', '-e', `${dir}/error.log`, '-p', dir, '-c', mainFile]).catch(async (error: unknown) => {
    throw new Error(`nginx -t refused the configuration: ${String(error)}\n${await readFile(`${dir}/error.log`, 'utf8').catch(() => '')}`);
  });
  const nginx = run(name, NGINX, ['-e', `${dir}/error.log`, '-p', dir, '-c', mainFile], { cwd: dir, env: { PATH: process.env.PATH ?? '' } });
  const listening = (port: number) =>
    new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.end();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
  await waitFor(`${name} to listen`, [nginx], async () => (await listening(ports.httpsPort)) && (await listening(ports.httpPort)), 20_000);
  return { ...nginx, dir, accessLog: () => readFile(`${dir}/access.log`, 'utf8') };
}

/** A self-signed certificate for localhost and 127.0.0.1, made with openssl. */
export async function makeCertificate(dir: string): Promise<{ certificate: string; key: string }> {
  await mkdir(dir, { recursive: true });
  const certificate = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  await promisify(execFile)('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', key, '-out', certificate,
  ]);
  return { certificate, key };
}
