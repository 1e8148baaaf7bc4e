// The Node.js reference: net's echo server, one socket piped to itself.
// Not part of sockdemo. Usage: node bench/node_echo.mjs [PORT]
import net from "node:net";

const port = Number(process.argv[2] ?? 7003);
net
  .createServer((socket) => {
    socket.setNoDelay(true);
    socket.on("error", () => socket.destroy());
    socket.pipe(socket);
  })
  .listen({ port, host: "127.0.0.1", backlog: 4096 }, () => console.log(`listening on ${port}`));
