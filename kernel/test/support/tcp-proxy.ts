import { createConnection, createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A TCP proxy on 127.0.0.1 in front of a server (PostgreSQL, Redis), which a
 * test can black-hole and restore — an outage where packets are dropped, not
 * refused (issue #14).
 */
export interface TcpProxy {
  readonly port: number;
  /** Connections currently open through the proxy. */
  readonly connections: number;
  /**
   * Stops forwarding: new connections are accepted but never reach the server,
   * and bytes on open ones are held, in both directions. Nothing is closed or
   * refused, so a client sees only silence — as when the network drops packets.
   */
  blackhole(): void;
  /** Forwards again: held bytes go on (as TCP retransmission would deliver them) and held connections reach the server. */
  restore(): void;
  close(): Promise<void>;
}

interface Pair {
  client: Socket;
  server: Socket | undefined;
  /** Bytes from the client (toServer) and from the server (toClient) held while black-holed. */
  toServer: Buffer[];
  toClient: Buffer[];
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  let holding = false;
  const pairs = new Set<Pair>();

  const connectUpstream = (pair: Pair) => {
    const server = createConnection(target.port, target.host);
    pair.server = server;
    server.on('data', (chunk) => (holding ? pair.toClient.push(chunk) : pair.client.write(chunk)));
    server.on('error', () => pair.client.destroy());
    server.on('close', () => pair.client.destroy());
    flush(pair);
  };

  const flush = (pair: Pair) => {
    for (const chunk of pair.toServer.splice(0)) pair.server!.write(chunk);
    for (const chunk of pair.toClient.splice(0)) pair.client.write(chunk);
  };

  const proxy: Server = createServer((client) => {
    const pair: Pair = { client, server: undefined, toServer: [], toClient: [] };
    pairs.add(pair);
    client.on('data', (chunk) => (holding || !pair.server ? pair.toServer.push(chunk) : pair.server.write(chunk)));
    client.on('error', () => pair.server?.destroy());
    client.on('close', () => {
      pair.server?.destroy();
      pairs.delete(pair);
    });
    if (!holding) connectUpstream(pair);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));

  return {
    port: (proxy.address() as AddressInfo).port,
    get connections() {
      return pairs.size;
    },
    blackhole() {
      holding = true;
    },
    restore() {
      holding = false;
      for (const pair of pairs) {
        if (pair.server) flush(pair);
        else connectUpstream(pair);
      }
    },
    async close() {
      for (const pair of pairs) {
        pair.client.destroy();
        pair.server?.destroy();
      }
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
    },
  };
}
