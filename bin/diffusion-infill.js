#!/usr/bin/env node
// The CLI is bundled by esbuild into dist/; `npm install` builds it (the `prepare` script).
require('../dist/cli.js');
