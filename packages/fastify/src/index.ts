/**
 * @module @gangway/fastify — a gateway app as a Fastify plugin (`toFastify`), and a Fastify instance
 * as a gateway app (`fromFastify`); `toServerFactory` builds Fastify's server on a hosted Express app's
 * prototypes.
 */

export { type FromFastifyOptions, fromFastify } from "./from-fastify.js";
export { type GatewayServerFactory, toServerFactory } from "./server-factory.js";
export { type ToFastifyOptions, toFastify } from "./to-fastify.js";
