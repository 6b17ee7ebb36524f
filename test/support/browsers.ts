/** The machine's browsers for the browser tests (test/runtime-chromium.test.ts, runtime-firefox). */
import { findBrowser } from '../../src/commands/find-browser.ts';
import type { BrowserRuntime } from '../../src/gpu/runtime.ts';
import { IN_CI } from './gpu.ts';

/** The machine's `kind` of browser, or undefined (then the tests skip; in CI a missing one fails). */
export function installedBrowser(kind: BrowserRuntime): string | undefined {
  try {
    return findBrowser(kind, undefined);
  } catch (error) {
    if (IN_CI) throw error;
    return undefined;
  }
}
