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

module.exports = [zodEnglishOnly];
