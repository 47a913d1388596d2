/**
 * @module @gangway/fastify — a gateway app as a Fastify plugin (`toFastify`), and a Fastify instance
 * as a gateway app (`fromFastify`).
 */

export { type FromFastifyOptions, fromFastify } from "./from-fastify.js";
export { type ToFastifyOptions, toFastify } from "./to-fastify.js";
