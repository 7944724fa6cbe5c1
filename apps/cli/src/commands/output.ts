/** Progress and diagnostics go to stderr; stdout carries only what a script would want to read. */
export const say = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

export const print = (line: string): void => {
  process.stdout.write(`${line}\n`);
};
