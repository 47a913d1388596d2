/**
 * @module @gangway/express — a gateway app as Express middleware (`toExpress`), and an Express app
 * as a gateway app (`fromExpress`).
 */

export { type ExpressLike, type FromExpressOptions, fromExpress } from "./from-express.js";
export { type ExpressHandler, type ExpressNext, type ToExpressOptions, toExpress } from "./to-express.js";
