// s3rver on 127.0.0.1 for the tests and the benchmark: a port of its own
// (printed on the first line of stdout), the buckets given, data in DIR.
// It stops by itself when its stdin closes, so a test killed before its
// trap runs leaves no server behind.
// Usage: node s3rver.js DIR BUCKET...   (NODE_OPTIONS=--openssl-legacy-provider)
'use strict';
const S3rver = require('s3rver');
const [dir, ...buckets] = process.argv.slice(2);
const server = new S3rver({
  address: '127.0.0.1',
  port: 0,
  silent: true,
  directory: dir,
  configureBuckets: buckets.map((name) => ({ name })),
});
server.run().then((addr) => {
  process.stdout.write(`${addr.port}\n`);
}, (err) => {
  process.stderr.write(`s3rver: ${err.message}\n`);
  process.exit(1);
});
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
