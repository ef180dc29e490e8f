// esbuild plugin for the bundles (scripts/bundleCli.mjs, scripts/buildSea.mjs): cli/logger.ts
// loads pino-pretty lazily through createRequire, which a bundler cannot follow. In a bundle it
// uses the plain require instead, so pino-pretty is bundled too (a single-file executable has no
// node_modules to load it from).
import { readFileSync } from 'node:fs';

export const lazyRequire = {
  name: 'lazy-require',
  setup(b) {
    b.onLoad({ filter: /cli[\\/]logger\.ts$/ }, (args) => {
      const text = readFileSync(args.path, 'utf8');
      const line = 'const require = createRequire(import.meta.url);';
      if (!text.includes(line)) throw new Error(`${args.path} no longer has "${line}": update scripts/lazyRequirePlugin.mjs`);
      return { contents: text.replace(line, ''), loader: 'ts' };
    });
  },
};
