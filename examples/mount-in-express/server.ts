import type { AddressInfo } from "node:net";
import { server as app } from "./app.ts";

const server = app.listen(Number(process.env.PORT ?? 3000), "127.0.0.1", () => {
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  console.log(`mount-in-express example listening on ${url}`);
  console.log(
    `  try: curl ${url}/gw/books   curl -H 'content-type: application/json' -d '{"title":"Sketch"}' ${url}/gw/books`,
  );
});

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  });
}
