import { serve } from "@gangway/core";
import { app } from "./app.ts";

const server = await serve(app, { port: Number(process.env.PORT ?? 3000) });
console.log(`express-as-gateway example listening on ${server.url}`);
console.log(`  try: curl ${server.url}/health   curl ${server.url}/users/ada   curl -N ${server.url}/countdown`);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => void server.close().then(() => process.exit(0)));
}
