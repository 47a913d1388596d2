/**
 * Fusion markers (rule 35). Registered symbols, so a product of one copy of `@gangway/core` is
 * recognised by another in the same process.
 */

/** Marks an app made by `fromFetch` with the Fetch handler it runs. */
export const kFetchHandler = Symbol.for("gangway.fetchHandler");
/** Marks a Fetch handler made by `toFetch` with the app it runs. */
export const kFetchApp = Symbol.for("gangway.app.fetch");
