#!/usr/bin/env node
// The `gangway` command: a thin shim over the built main(). Everything testable lives in src/.
import { main } from "../dist/main.js";

process.exit(await main(process.argv.slice(2)));
