/**
 * nginx as the reference TLS terminator: one worker on core 0, the AP's certificate and key, a shared
 * session cache and tickets (nginx's usual production setting), TLS 1.2 and 1.3, no access log, and a
 * static file to serve.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { freePort, type Processes, type Service } from './procs';

export const NGINX = process.env.BENCH_NGINX ?? '/usr/sbin/nginx';

export interface NginxOptions {
  dir: string;
  cert: string;
  key: string;
  /** files to serve: name -> content */
  files: Record<string, string>;
}

function waitForPort(port: number, ms: number): Promise<void> {
  const end = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve();
      });
      s.once('error', () => {
        s.destroy();
        if (Date.now() > end) reject(new Error(`nginx: nothing listens on ${port} after ${ms} ms`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

export async function startNginx(procs: Processes, o: NginxOptions): Promise<Service & { port: number }> {
  const port = await freePort();
  const www = join(o.dir, 'www');
  const temp = join(o.dir, 'nginx-temp');
  mkdirSync(www, { recursive: true });
  mkdirSync(temp, { recursive: true });
  for (const [name, content] of Object.entries(o.files))
    writeFileSync(join(www, name), content, { mode: 0o644 });
  // Started as root, nginx runs its worker as "nobody", which must reach the files it serves (mkdtemp makes
  // the directory 0700); the key stays readable only by its owner, nginx's master reads it before it forks.
  chmodSync(o.dir, 0o711);
  chmodSync(www, 0o755);
  const conf = join(o.dir, 'nginx.conf');
  writeFileSync(
    conf,
    `# the reference terminator of the AP benchmark (bench/ap.bench.ts)
worker_processes 1;
pid ${join(o.dir, 'nginx.pid')};
error_log ${join(o.dir, 'nginx-error.log')} error;
events { worker_connections 4096; }
http {
  access_log off;
  # temp paths of the Debian build point to /var/lib/nginx; keep everything in the bench's directory
  client_body_temp_path ${temp}/body;
  proxy_temp_path ${temp}/proxy;
  fastcgi_temp_path ${temp}/fastcgi;
  uwsgi_temp_path ${temp}/uwsgi;
  scgi_temp_path ${temp}/scgi;
  ssl_protocols TLSv1.2 TLSv1.3;
  ssl_session_cache shared:SSL:10m;
  ssl_session_timeout 5m;
  ssl_session_tickets on;
  # like the AP, which never closes a busy keep-alive connection (nginx's default is 1000 requests)
  keepalive_requests 1000000;
  keepalive_timeout 75s;
  types { application/xcap-el+xml xml; }
  server {
    listen 127.0.0.1:${port} ssl;
    server_name xcap.home1.net;
    ssl_certificate ${o.cert};
    ssl_certificate_key ${o.key};
    root ${www};
    location / { }
  }
}
`,
  );
  const svc = await procs.start(
    'nginx',
    [NGINX, '-e', join(o.dir, 'nginx-error.log'), '-c', conf, '-p', o.dir, '-g', 'daemon off;'],
    {
      core: 0,
      waitReady: () => waitForPort(port, 10_000),
    },
  );
  svc.ready = { endpoints: { https: `127.0.0.1:${port}` } };
  return Object.assign(svc, { port });
}

/** e.g. "nginx/1.22.1" (nginx -v writes it to stderr) */
export function nginxVersion(): string {
  const r = spawnSync(NGINX, ['-v'], { encoding: 'utf8' });
  return /nginx\/\S+/.exec(`${r.stdout}${r.stderr}`)?.[0] ?? 'nginx (version unknown)';
}
