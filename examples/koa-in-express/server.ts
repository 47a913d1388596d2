import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { app } from "./app.ts";

const server = createServer(app);
server.listen(Number(process.env.PORT ?? 3000), "127.0.0.1", () => {
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  console.log(`koa-in-express example listening on ${url}`);
  console.log(`  try: curl ${url}/reports   curl ${url}/reports/q1   curl ${url}/reports/legacy`);
});

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    server.close(() => process.exit(0));
    server.closeIdleConnections();
  });
}
