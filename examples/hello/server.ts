import { serve } from "@gangway/core";
import { app } from "./app.ts";

const server = await serve(app, { port: Number(process.env.PORT ?? 3000) });
console.log(`hello example listening on ${server.url}`);
console.log(`  try: curl ${server.url}/   curl ${server.url}/clock   curl -d '{"name":"Ada"}' ${server.url}/greet`);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => void server.close().then(() => process.exit(0)));
}
