// The Node reference for TLS: an echo server with `socket.pipe(socket)` over `tls`.
// usage: node bench/node_tls_echo.mjs PORT CERT KEY
import fs from "node:fs";
import tls from "node:tls";

const [port, cert, key] = process.argv.slice(2);
tls.createServer(
  { cert: fs.readFileSync(cert), key: fs.readFileSync(key) },
  (socket) => {
    socket.on("error", () => socket.destroy());
    socket.pipe(socket);
  },
).listen(Number(port), "127.0.0.1", () => console.log(`listening on 127.0.0.1:${port}`));
