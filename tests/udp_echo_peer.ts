/** A UDP echo server in the test's own process: each datagram back to its sender, or not, as told. */

/** What the echo does with the `n`th datagram it receives (from 0). */
export type Fate = "echo" | "drop" | "twice" | "change";

/** A running echo. */
export interface UdpEchoPeer {
  readonly port: number;
  /** Datagrams received so far. */
  readonly received: number;
  /** Closes the socket; resolves once its receive loop ended. */
  stop(): Promise<void>;
}

/** Starts an echo on `host`, a free port, doing `fate(n)` with the `n`th datagram. */
export function udpEcho(fate: (n: number) => Fate = () => "echo", host = "127.0.0.1"): UdpEchoPeer {
  const socket = Deno.listenDatagram({ transport: "udp", hostname: host, port: 0 });
  let received = 0;
  const served = (async () => {
    for (;;) {
      let data: Uint8Array, from: Deno.Addr;
      try {
        [data, from] = await socket.receive();
      } catch {
        return; // closed
      }
      const what = fate(received++);
      if (what === "drop") continue;
      if (what === "change") data[data.length - 1] ^= 0xff;
      await socket.send(data, from).catch(() => {});
      if (what === "twice") await socket.send(data, from).catch(() => {});
    }
  })();
  return {
    port: (socket.addr as Deno.NetAddr).port,
    get received() {
      return received;
    },
    stop: () => {
      socket.close();
      return served;
    },
  };
}
