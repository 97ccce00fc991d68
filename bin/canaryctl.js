#!/usr/bin/env node
// canaryctl: runs the TypeScript sources through tsx, so no build step is needed after `npm ci`.
'use strict';
// Errors must be one line on stderr: the SDK's Node 20 end-of-support notice would precede every one.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
require('tsx/cjs');
const { main } = require('../src/cli/main.ts');

main(process.argv.slice(2), {
  out: process.stdout,
  err: process.stderr,
  isTTY: Boolean(process.stdout.isTTY),
  env: process.env,
}).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`canaryctl: ${error && error.message ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
