import { serve } from "@gangway/core";
import { app } from "./app.ts";

const server = await serve(app, { port: Number(process.env.PORT ?? 3000) });
console.log(`wrap-koa example listening on ${server.url}`);
console.log(`  try: curl ${server.url}/notes   curl ${server.url}/health`);
console.log(`       curl -H 'content-type: application/json' -d '{"text":"hi"}' ${server.url}/notes`);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => void server.close().then(() => process.exit(0)));
}
