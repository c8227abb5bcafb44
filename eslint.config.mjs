// ESLint for the planners' web UI: plain ES modules run by the browser, no build step.
// The vendored libraries (GraphiQL, React) are linted by their authors, not here.
import js from '@eslint/js';
import globals from 'globals';

export default [
  { ignores: ['graphql_api/static/vendor/**', '.venv/**', '.kho/**', 'node_modules/**'] },
  js.configs.recommended,
  {
    files: ['graphql_api/static/**/*.js'],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'module',
      globals: globals.browser,
    },
    rules: {
      // `const { lang, ...rest } = values` is how the pages drop a key from a selection.
      'no-unused-vars': ['error', { ignoreRestSiblings: true }],
    },
  },
];
