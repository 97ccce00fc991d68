/**
 * zod's tree-shakable API (`zod/mini`) for every schema in src/, with English messages.
 *
 * The classic `zod` API cannot be tree-shaken: importing it puts ~200 KB into a bundle and costs
 * most of a cold start (~60 % of the Step function's module init). So the spec schema (Prepare,
 * Release, the git triggers, the CLI) and the handlers' input schemas all use this one (~30 KB in
 * the functions that parse whole specs); test/unit/packaging/cold-init.test.ts fails if a function
 * bundles the classic API again. Both are the same zod core: same checks, same messages, same
 * issues. zod/mini registers no locale, hence English here, before any parse.
 */
import { config, locales } from 'zod/mini';

// The packaged functions carry English alone (scripts/esbuild-plugins.js), as with the classic API.
config(locales.en());

export * from 'zod/mini';
