// ESLint flat config: typescript-eslint's recommended rules (syntax only, no type information,
// so `npm run lint` stays fast and needs no build). Formatting is Prettier's job (.prettierrc.json).
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: ['dist/', 'build/', 'node_modules/', 'coverage/', 'bench/results/'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'module',
      globals: { ...globals.node },
    },
    rules: {
      // Parsers of network input and the fuzz targets match control characters on purpose:
      // names and strings that contain them are refused (control/messageCodec.ts).
      'no-control-regex': 'off',
      // A leading underscore marks a binding kept only to drop it, e.g. `const { a: _a, ...rest } = m`
      // to copy a message without one field; rest siblings likewise.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
    },
  },
);
