/** `node:v8` in a browser page: flags are the browser's command line's (src/commands/find-browser.ts). */
export default { setFlagsFromString: (_flags: string): void => undefined };
