/** The bundler's virtual module (src/commands/page-server.ts): every file of shaders/ by path. */
declare module 'launchbench:shaders' {
  const shaders: Record<string, string>;
  export default shaders;
}
