/**
 * zod's tree-shakable API (`zod/mini`) for the handlers' input schemas, with English messages.
 *
 * The classic `zod` API cannot be tree-shaken: importing it puts ~200 KB into a bundle and costs
 * most of a cold start (~60 % of the Step function's module init). Only the spec schema needs it
 * (Prepare, the triggers, the CLI); every other function receives state Prepare already validated
 * and checks a few fields with this one (~20 KB). Both are the same zod core: same checks, same
 * messages, same issues. zod/mini registers no locale, hence English here, before any parse.
 */
import { config, locales } from 'zod/mini';

// The packaged functions carry English alone (scripts/esbuild-plugins.js), as with the classic API.
config(locales.en());

export * from 'zod/mini';
