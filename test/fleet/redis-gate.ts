// A TCP gate in front of a real redis-server for one replica: its subscriber connection always goes
// through, its command connection can be held back (accepted, not forwarded) until released. It orders
// a reconnect deterministically: "this replica hears the fleet's messages before it can write".
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

export interface RedisGate {
  readonly url: string;
  /** Holds every new command connection (subscriber connections still pass). */
  hold(): void;
  /** Lets held and new command connections through. */
  release(): void;
  close(): Promise<void>;
}

export async function startRedisGate(redisPort: number): Promise<RedisGate> {
  let held = false;
  const waiting: (() => void)[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => client.destroy());
    client.once('data', (first: Buffer) => {
      client.pause();
      // ioredis names its connection first (CLIENT SETNAME): the backend's subscriber is "shadowgate-sub:…".
      const subscriber = first.includes('shadowgate-sub:');
      const go = () => {
        if (client.destroyed) return;
        const upstream = connect(redisPort, '127.0.0.1');
        sockets.add(upstream);
        upstream.on('close', () => {
          sockets.delete(upstream);
          client.destroy();
        });
        upstream.on('error', () => upstream.destroy());
        client.on('close', () => upstream.destroy());
        upstream.write(first);
        client.pipe(upstream).pipe(client);
        client.resume();
      };
      if (!held || subscriber) go();
      else waiting.push(go);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `redis://127.0.0.1:${port}`,
    hold: () => {
      held = true;
    },
    release: () => {
      held = false;
      for (const go of waiting.splice(0)) go();
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
