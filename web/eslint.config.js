// ESLint flat config for the page's script: the recommended rules plus a few that keep it
// plain and safe. Run by scripts/lint-web (and by CTest, label "browser").
import js from "@eslint/js";

const browser = Object.fromEntries(
  [
    "AbortController", "Headers", "URLSearchParams", "clearTimeout", "console", "crypto", "document",
    "fetch", "localStorage", "location", "sessionStorage", "setTimeout", "window",
  ].map((name) => [name, "readonly"]),
);

export default [
  { ignores: ["node_modules/"] },
  js.configs.recommended,
  {
    files: ["**/*.js"],
    languageOptions: { ecmaVersion: 2022, sourceType: "module", globals: browser },
    rules: {
      // Server data reaches the page as text only (SPEC §5).
      "no-restricted-properties": [
        "error",
        { property: "innerHTML", message: "use textContent: server data is never HTML" },
        { property: "outerHTML", message: "use textContent: server data is never HTML" },
        { property: "insertAdjacentHTML", message: "use textContent: server data is never HTML" },
        { object: "document", property: "write", message: "build elements instead" },
      ],
      "no-eval": "error",
      "no-implied-eval": "error",
      "no-new-func": "error",
      "eqeqeq": "error",
      "no-var": "error",
      "prefer-const": "error",
      "no-unused-vars": ["error", { args: "after-used" }],
      "curly": "error",
    },
  },
];
