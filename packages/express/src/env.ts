import type { Request, Response } from "express";

// Declaration merging (rule 12): wherever @gangway/express is imported, the keys toExpress puts
// in `request.env` are typed. Only types are imported, so this file costs nothing at run time.
declare module "@gangway/core" {
  interface GatewayEnv {
    /** The Express request a `toExpress` middleware received; a mirror, not authoritative (rule 12). */
    "express.req"?: Request;
    /** The Express response of that request. */
    "express.res"?: Response;
  }
}
