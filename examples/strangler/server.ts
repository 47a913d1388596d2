import { serve } from "@gangway/core";
import { app } from "./app.ts";

const server = await serve(app, { port: Number(process.env.PORT ?? 3000) });
console.log(`strangler example listening on ${server.url}`);
console.log(`  new (Fastify):     curl ${server.url}/health   curl ${server.url}/users/ada`);
console.log(
  `  legacy (Express):  curl ${server.url}/reports/2024   curl -d '{"item":"tea"}' -H 'content-type: application/json' ${server.url}/orders`,
);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => void server.close().then(() => process.exit(0)));
}
