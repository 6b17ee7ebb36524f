/** `node:os` in a browser page: a page does not know its machine (the command line records it). */
export const hostname = (): string => '';

export default {
  cpus: (): { model: string; speed: number }[] => [],
  platform: (): string => 'browser',
  release: (): string => '',
  arch: (): string => '',
  hostname,
};
