// NGINX for the bench, when the binary is installed: a static-answer upstream (the cheapest possible
// model server) and the two NGINX peers, proxy_pass and `mirror` to two targets. The bench writes each
// config into its own temporary prefix; every instance runs one worker (one proxy process, like ours).
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startProcess, waitAnswering, type Proc } from './procs.js';

const CANDIDATES = ['/usr/sbin/nginx', '/usr/bin/nginx', '/usr/local/sbin/nginx', '/usr/local/nginx/sbin/nginx'];

/** The nginx binary, or undefined when it is not installed (its cases are then skipped). */
export function findNginx(): string | undefined {
  return CANDIDATES.find((p) => existsSync(p));
}

function frame(prefix: string, http: string): string {
  const tmp = (name: string) => `${name}_temp_path ${join(prefix, name)};`;
  return `daemon off;
master_process on;
worker_processes 1;
pid ${join(prefix, 'nginx.pid')};
error_log ${join(prefix, 'error.log')} error;
events { worker_connections 4096; multi_accept on; }
http {
  access_log off;
  ${['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(tmp).join('\n  ')}
  keepalive_requests 1000000;
  keepalive_timeout 60s;
  client_body_buffer_size 64k;
${http}
}
`;
}

const upstreamBlock = (name: string, url: string) =>
  `  upstream ${name} { server ${new URL(url).host}; keepalive 64; keepalive_requests 1000000; }`;

const PROXY_SETTINGS = `proxy_http_version 1.1; proxy_set_header Connection "";`;

/** nginx.conf text for one bench role. */
export function nginxConfig(prefix: string, port: number, role:
  | { kind: 'static'; answer: string }
  | { kind: 'proxy'; incumbent: string }
  | { kind: 'mirror'; incumbent: string; candidate: string }): string {
  const listen = `listen 127.0.0.1:${port} reuseport;`;
  switch (role.kind) {
    case 'static':
      // The answer holds no single quote, so it fits an nginx single-quoted string as is.
      return frame(prefix, `  server { ${listen}
    location / { default_type application/json; return 200 '${role.answer}'; } }`);
    case 'proxy':
      return frame(prefix, `${upstreamBlock('incumbent', role.incumbent)}
  server { ${listen}
    location / { ${PROXY_SETTINGS} proxy_pass http://incumbent; } }`);
    case 'mirror':
      return frame(prefix, `${upstreamBlock('incumbent', role.incumbent)}
${upstreamBlock('candidate', role.candidate)}
  server { ${listen}
    location / { mirror /_m_incumbent; mirror /_m_candidate; mirror_request_body on;
      ${PROXY_SETTINGS} proxy_pass http://incumbent; }
    location = /_m_incumbent { internal; ${PROXY_SETTINGS} proxy_pass http://incumbent$request_uri; }
    location = /_m_candidate { internal; ${PROXY_SETTINGS} proxy_pass http://candidate$request_uri; } }`);
  }
}

/** Write the config under dir/name and start nginx on it; resolves once it answers. */
export async function startNginx(binary: string, dir: string, name: string, port: number, role: Parameters<typeof nginxConfig>[2]): Promise<Proc> {
  if (role.kind === 'static' && role.answer.includes("'")) throw new Error('static answer must not contain a single quote');
  const prefix = join(dir, name);
  mkdirSync(prefix, { recursive: true });
  const conf = join(prefix, 'nginx.conf');
  writeFileSync(conf, nginxConfig(prefix, port, role));
  const proc = startProcess(binary, ['-p', prefix, '-c', conf]);
  // A static upstream answers any path; a proxy needs its upstream, which is already up.
  await waitAnswering(`http://127.0.0.1:${port}/`, proc);
  return proc;
}
