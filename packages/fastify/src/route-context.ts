import type { FastifyRequest } from "fastify";

/** The parts of Fastify's per-route context this package reads. */
export interface RouteContext {
  onSend: unknown[] | null;
  preSerialization: unknown[] | null;
  onResponse: unknown[] | null;
  errorHandler?: {
    func?: ((this: unknown, error: Error, request: unknown, reply: unknown) => unknown) & { name?: string };
  };
}

let kContext: symbol | null | undefined;

/**
 * Fastify's context of the route a request matched — its hooks and its error handler, which
 * Fastify does not expose — found by its symbol's description; `undefined` if a Fastify version
 * keeps it elsewhere, and callers then take the cautious path.
 *
 * @example
 * ```ts
 * const sendHooks = routeContext(request)?.onSend ?? ["unknown"];
 * ```
 */
export function routeContext(request: FastifyRequest): RouteContext | undefined {
  kContext ??= Object.getOwnPropertySymbols(request).find((symbol) => symbol.description === "fastify.context") ?? null;
  if (kContext === null) return undefined;
  const context = (request as unknown as Record<symbol, unknown>)[kContext];
  return typeof context === "object" && context !== null && "onSend" in context ? (context as RouteContext) : undefined;
}
