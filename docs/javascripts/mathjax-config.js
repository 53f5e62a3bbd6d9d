// MathJax 3 configuration for pymdownx.arithmatex in generic mode: arithmatex wraps every
// formula in an element of class "arithmatex" with \( \) or \[ \] delimiters; typeset only those.
window.MathJax = {
  tex: {
    inlineMath: [["\\(", "\\)"]],
    displayMath: [["\\[", "\\]"]],
    processEscapes: true,
    processEnvironments: true,
  },
  options: {
    ignoreHtmlClass: ".*|",
    processHtmlClass: "arithmatex",
  },
  svg: { fontCache: "global" },
};
