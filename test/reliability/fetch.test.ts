import { fetchPath } from "./paths.js";
import { runReliability } from "./suite.js";

runReliability(fetchPath, {
  known: {
    "request.signal still aborts when the client leaves after a garbage collection":
      "fromFetch builds its Request with `signal: request.signal`; undici's Request follows that signal " +
      "through a WeakRef, so once the Request is collected the app's signal never aborts (from-fetch.ts)",
  },
});
