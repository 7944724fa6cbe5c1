#!/usr/bin/env node
// The `steward` npm bin: checks the Node version before loading code that needs a newer one.
const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 19)) {
  process.stderr.write(
    `steward: Node.js 20.19 or newer is required; this is ${process.versions.node}.\n` +
      '  Debian/Ubuntu: curl -fsSL https://deb.nodesource.com/setup_22.x | sudo -E bash - && sudo apt-get install -y nodejs\n' +
      '  macOS:         brew install node@22\n',
  );
  process.exit(1);
}
await import('../dist/main.js');
