// The image's health check (Dockerfile HEALTHCHECK, compose.yaml): exit 0 when the server's /healthz answers 200
// (it does when the database answers), 1 otherwise. Node's own fetch, since the image has no curl.
// A ROLE=worker instance serves no HTTP: there is nothing to ask, and its process is its health.
const { ROLE = 'all', PORT = '3000', HOST = '' } = process.env;
if (ROLE === 'worker') process.exit(0);
// A wildcard HOST listens on loopback too; a specific address is asked there.
const host = ['', '0.0.0.0', '::'].includes(HOST) ? '127.0.0.1' : HOST;
const url = `http://${host.includes(':') ? `[${host}]` : host}:${PORT}/healthz`;
try {
  const response = await fetch(url, { signal: AbortSignal.timeout(4000) });
  if (!response.ok) console.error(`${url}: ${response.status} ${await response.text()}`);
  process.exit(response.ok ? 0 : 1);
} catch (error) {
  console.error(`${url}: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
