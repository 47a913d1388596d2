import type { ParameterizedContext } from "koa";

declare module "@gangway/core" {
  interface GatewayEnv {
    /**
     * The live Koa context of the host request, set by `toKoa`. Not authoritative once middleware
     * derived a new request (rule 12): read the request's own fields first.
     */
    "koa.ctx"?: ParameterizedContext;
  }
}
