/**
 * @module @gangway/core — the gateway interface for Node.js: its types, response helpers, body
 * readers, the Node server, and the test client. Zero runtime dependencies.
 */

// Types
export type {
  GatewayApp,
  GatewayEnv,
  GatewayRequest,
  GatewayResponse,
  IncomingHeaders,
  LifecycleHooks,
  Middleware,
  OutgoingHeaders,
  RequestBody,
  ResponseBody,
} from "./types.js";

// Errors
export { errorCatalogue, GatewayError, type GatewayErrorCode, type GatewayErrorOptions } from "./errors.js";

// Responses
export { empty, html, isPass, json, pass, type ResponseInit, redirect, text } from "./response.js";
export { type BodyReader, discardBody, openBody } from "./body-reader.js";
export { checkResponse, isBodiless } from "./check-response.js";
export { HOP_BY_HOP_HEADERS } from "./hop-by-hop.js";
export { isThenable } from "./thenable.js";

// Request bodies
export { isBodyUsed, OnceBody, toRequestBody, unwrapBody } from "./request-body.js";
export { DEFAULT_BODY_LIMIT, type ReadOptions, readBytes, readForm, readJson, readText } from "./read-body.js";
export { consumedBody, encodeParsedBody, fromParsedBody, fromRecoveredBytes, type ParsedBody } from "./host-body.js";

// Node server
export {
  errorResponse,
  type GatewayNodeListener,
  kGatewayApp,
  kNodeListener,
  type NodeListenerOptions,
  toNodeListener,
} from "./node/to-node-listener.js";
export { type RunningServer, type ServeOptions, serve } from "./node/serve.js";
export type { NodePrototypes } from "./node/node-prototypes.js";
export { toServerOptions } from "./node/server-options.js";
export { ClientWatch, hasClientLeft, watchClient } from "./node/client-watch.js";
export {
  announceClose,
  DRAIN_BYTES,
  DRAIN_MS,
  discardUnread,
  discardUnreadAfter,
  endConnection,
  leavesLargeBodyUnread,
} from "./node/drain.js";
export { toHeadError } from "./node/head-error.js";
export { closeConnection, declaredLength, sendResponse, sendWhole, toNodeHeaders } from "./node/send-response.js";
export { hasBody, splitTarget, toGatewayRequest } from "./node/to-gateway-request.js";
export { fromReadable, toReadableIterator } from "./node/readable-iterator.js";
export { takeReadable, whenReadable } from "./node/take-readable.js";

// Testing
export { type InjectOptions, type InjectResponse, inject } from "./inject.js";

// Composition — compose, mount, cascade
export { type CascadeOptions, cascade } from "./cascade.js";
export { compose } from "./compose.js";
export { type MountOptions, mount } from "./mount.js";
export { defineLazySignal, deriveRequest, isAborted, onAbort, type SignalSource } from "./request-signal.js";

// Validation — validate
export {
  checkFinished,
  type LintCode,
  LintError,
  type LintIssue,
  type LintLevel,
  type LintRule,
  type LintSeverity,
  lintRules,
  type ValidateOptions,
  validate,
} from "./validate/index.js";

// Fetch interop — fromFetch, toFetch
export { type FetchHandler, type FromFetchOptions, fromFetch } from "./fetch/from-fetch.js";
export { type GatewayFetchHandler, type ToFetchOptions, toFetch } from "./fetch/to-fetch.js";

// Socketless Node — fromNodeListener
export {
  type FromNodeListenerOptions,
  type FusedNodeListener,
  fromNodeListener,
  getGatewayRequest,
  type NodeListener,
} from "./node/from-node-listener.js";
