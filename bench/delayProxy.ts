/**
 * A small TCP proxy that plays a WAN link to a domain controller: every chunk the server sends is handed to the
 * client `delayMs` later, in the order it came (a pipeline, not a queue of sleeps: a burst of chunks all arrive
 * `delayMs` late, not `n × delayMs`). Client → server traffic passes at once. So each request/response round trip
 * costs `delayMs` more, the way distance does, while bandwidth stays the loopback's.
 *
 * It also counts what crossed it: connections, client writes (≈ requests: each LDAP operation is one write; TLS
 * handshakes add a few) and server chunks.
 *
 * TLS passes through untouched (LDAPS is end to end): listen on the DC's own address, another port, so the
 * certificate's IP still matches.
 */
import { connect, createServer, type Server, type Socket } from "node:net";

export interface DelayProxyOptions {
  listenHost: string;
  /** 0: a free port. */
  listenPort?: number;
  targetHost: string;
  targetPort: number;
  delayMs: number;
}

export interface ProxyStats {
  connections: number;
  clientWrites: number;
  clientBytes: number;
  serverChunks: number;
  serverBytes: number;
}

export interface DelayProxy {
  host: string;
  port: number;
  stats: ProxyStats;
  resetStats(): void;
  close(): Promise<void>;
}

export async function startDelayProxy(opts: DelayProxyOptions): Promise<DelayProxy> {
  const stats: ProxyStats = { connections: 0, clientWrites: 0, clientBytes: 0, serverChunks: 0, serverBytes: 0 };
  const sockets = new Set<Socket>();

  const server: Server = createServer((client) => {
    stats.connections++;
    const upstream = connect({ host: opts.targetHost, port: opts.targetPort });
    sockets.add(client);
    sockets.add(upstream);
    const queue: { due: number; chunk: Buffer }[] = [];
    let timer: NodeJS.Timeout | undefined;
    let upstreamEnded = false;

    const pump = () => {
      timer = undefined;
      const now = performance.now();
      while (queue.length && queue[0].due <= now + 0.5) {
        const { chunk } = queue.shift() as { chunk: Buffer };
        if (!client.destroyed && !client.write(chunk)) {
          upstream.pause();
          client.once("drain", () => upstream.resume());
        }
      }
      if (queue.length) timer = setTimeout(pump, Math.max(0, queue[0].due - performance.now()));
      else if (upstreamEnded) client.end();
    };

    upstream.on("data", (chunk: Buffer) => {
      stats.serverChunks++;
      stats.serverBytes += chunk.length;
      queue.push({ due: performance.now() + opts.delayMs, chunk });
      if (!timer) timer = setTimeout(pump, opts.delayMs);
    });
    upstream.on("end", () => {
      upstreamEnded = true;
      if (!queue.length && !timer) client.end();
    });
    client.on("data", (chunk: Buffer) => {
      stats.clientWrites++;
      stats.clientBytes += chunk.length;
      if (!upstream.write(chunk)) {
        client.pause();
        upstream.once("drain", () => client.resume());
      }
    });
    client.on("end", () => upstream.end());
    const close = () => {
      if (timer) clearTimeout(timer);
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on("error", close);
    upstream.on("error", close);
    client.on("close", close);
    upstream.on("close", () => {
      if (!queue.length) close();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.listenPort ?? 0, opts.listenHost, () => resolve());
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    host: opts.listenHost,
    port,
    stats,
    resetStats() {
      Object.assign(stats, { connections: 0, clientWrites: 0, clientBytes: 0, serverChunks: 0, serverBytes: 0 });
    },
    close() {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
