// Reads a JSON list of LaTeX fragments on stdin; renders each with KaTeX (displayMode,
// throwOnError) and prints a JSON list of {index, error} for the fragments that fail.
const katex = require("katex");
let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => { input += chunk; });
process.stdin.on("end", () => {
  const fragments = JSON.parse(input);
  const failures = [];
  fragments.forEach((tex, index) => {
    try {
      katex.renderToString(tex, { throwOnError: true, displayMode: true });
    } catch (err) {
      failures.push({ index, error: String(err.message || err) });
    }
  });
  process.stdout.write(JSON.stringify(failures));
});
