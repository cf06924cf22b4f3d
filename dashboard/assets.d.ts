/** esbuild emits imported style sheets as the bundle's one CSS file. */
declare module '*.css';
