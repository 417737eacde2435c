/** esbuild loads shaders/*.wgsl as text (loader: text). */
declare module '*.wgsl' {
  const source: string;
  export default source;
}
