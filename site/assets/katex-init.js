// Render the math arithmatex left as \( \) and \[ \] (generic mode), on every page load
// (document$ is Material's page observable). Only those delimiters: never "$", which
// also appears in code and prose. KaTeX 0.16.47 from npm, vendored in assets/katex/.
document$.subscribe(({ body }) => {
  renderMathInElement(body, {
    delimiters: [
      { left: "\\(", right: "\\)", display: false },
      { left: "\\[", right: "\\]", display: true },
    ],
    ignoredClasses: ["highlight"],
    throwOnError: false,
  })
})
