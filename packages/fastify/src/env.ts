import type { FastifyReply, FastifyRequest } from "fastify";

// Declaration merging (rule 12): wherever @gangway/fastify is imported, the keys toFastify puts
// in `request.env` are typed. Only types are imported, so this file costs nothing at run time.
declare module "@gangway/core" {
  interface GatewayEnv {
    /** The Fastify request a `toFastify` plugin received; a mirror, not authoritative (rule 12). */
    "fastify.request"?: FastifyRequest;
    /** The Fastify reply of that request. */
    "fastify.reply"?: FastifyReply;
  }
}
