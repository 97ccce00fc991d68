// esbuild plugins for serverless-esbuild (custom.esbuild.plugins).
const path = require('node:path');

// zod 4 re-exports ~50 locales through `z.locales`, which esbuild cannot tree-shake; the handlers
// only use English messages, so the locale index is replaced by English alone (-250 KB per bundle).
const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(build) {
    build.onResolve({ filter: /\/locales\/index\.(c?js)$/ }, (args) => {
      if (!args.importer.includes(`${path.sep}zod${path.sep}`)) return undefined;
      return { path: path.join(path.dirname(args.importer), '..', 'locales', 'index.js'), namespace: 'zod-en' };
    });
    build.onLoad({ filter: /.*/, namespace: 'zod-en' }, (args) => ({
      contents: `export { default as en } from ${JSON.stringify(path.join(path.dirname(args.path), 'en.js'))};`,
      loader: 'js',
      resolveDir: path.dirname(args.path),
    }));
  },
};

// aws-lite (the functions' DynamoDB client, src/shared/document-table-lite.ts) vendors an XML
// parser and AWS-JSON marshalling (43 KB minified) that it requires lazily, only for XML services
// and for its own `awsjson` encoding. The table speaks JSON and marshals with
// @aws-sdk/util-dynamodb, so neither runs: each is replaced by a module that fails loudly if
// something ever does reach it. test/unit/packaging/lite-table-bundle.test.ts runs the bundled
// table against a DynamoDB engine.
const awsLiteVendorUnused = {
  name: 'aws-lite-vendor-unused',
  setup(build) {
    build.onResolve({ filter: /^\.\.\/_vendor\/(xml|aws)$/ }, (args) => {
      if (!args.importer.includes(`${path.sep}@aws-lite${path.sep}client${path.sep}`)) return undefined;
      return { path: args.path, namespace: 'aws-lite-unused' };
    });
    build.onLoad({ filter: /.*/, namespace: 'aws-lite-unused' }, (args) => ({
      contents:
        `module.exports = new Proxy({}, { get(_, name) { throw new Error(` +
        `${JSON.stringify(`aws-lite ${args.path} is not bundled (scripts/esbuild-plugins.js): `)} + String(name) + ' was used'); } });`,
      loader: 'js',
    }));
  },
};

module.exports = [zodEnglishOnly, awsLiteVendorUnused];
