import type { CommandName } from "./args.js";

const APP_RULES = `  APP is path/to/module#export (.ts .mts .js .mjs .cjs; the extension may be left out).
  Without #export: the default export, then "app". Without APP: $GANGWAY_APP, then "app"
  in gangway.config.{ts,js,mjs,json}, then "gangway.app" in package.json.
  The export is a gateway app, an Express, Koa or Fastify app, or a Fetch handler { fetch }.`;

const USAGE: Record<CommandName | "main", string> = {
  main: `gangway — serve a gateway, Express, Koa, Fastify or Fetch app named by module path

Usage:
  gangway init [DIR]        write a starter app, config, test and package.json
  gangway dev [APP]         serve for development: reload on change, request log, validate()
  gangway serve [APP]       serve for production: workers, graceful shutdown

${APP_RULES}

Options:
  -h, --help                this help; gangway COMMAND --help for a command's
  -v, --version             print the version

Exit codes: 0 done, 1 failed while running, 2 bad usage or an app that cannot be loaded.`,

  init: `gangway init [DIR] — write a starter project into DIR (default: here)

Writes src/app.ts, gangway.config.ts, tsconfig.json, test/app.test.ts and package.json.
DIR must be new or empty of those files: nothing is ever overwritten.

Options:
  -h, --help                this help`,

  dev: `gangway dev [APP] — serve APP for development on http://127.0.0.1:3000

Reloads when a source file under this directory changes (the port stays open), logs
every request, wraps the app in validate() and answers errors with a stack page.

${APP_RULES}

Options:
  -p, --port PORT           port to listen on (default 3000; 0 picks a free one)
      --host HOST           address to listen on (default 127.0.0.1)
      --watch PATH          also reload when PATH changes (repeatable)
      --factory             call the export with no arguments and serve what it returns
      --verbose             show the stack of an error that stopped the app loading
  -h, --help                this help`,

  serve: `gangway serve [APP] — serve APP for production on http://127.0.0.1:8000

${APP_RULES}

Options:
  -p, --port PORT           port (default $PORT, else 8000; 0 picks a free one)
      --host HOST           address (default 127.0.0.1; 0.0.0.0 when $PORT is set)
  -w, --workers N|auto      worker processes (default $WEB_CONCURRENCY, else 1); auto:
                            one per CPU. Dead workers are replaced.
      --grace SECONDS       on SIGTERM/SIGINT, time in-flight requests get (default 30)
      --log                 write one access log line per request
      --factory             call the export with no arguments and serve what it returns
      --verbose             show the stack of an error that stopped the app loading
  -h, --help                this help`,
};

/**
 * The help text of `gangway` or one of its commands, ending in a newline.
 *
 * @example
 * ```ts
 * process.stdout.write(usage("serve"));
 * ```
 */
export function usage(topic?: CommandName): string {
  return `${USAGE[topic ?? "main"]}\n`;
}
