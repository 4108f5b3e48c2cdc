// Starts one AWS-compatible server nobody here wrote on 127.0.0.1, on a port
// the kernel picks, and prints "port=N" on stdout once it listens; runs until
// killed. Used by the tests/integrations end-to-end test, the live
// conformance runner and the crash harness (one process per server).
//   node serve.js MODULES_DIR dynalite
//   node serve.js MODULES_DIR s3rver DATA_DIR [BUCKET...]
// MODULES_DIR is the node_modules scripts/install-aws-servers.sh made.
// dynalite keeps its tables in memory; s3rver keeps objects under DATA_DIR
// and refuses any access key but its account's (S3RVER, secret S3RVER);
// neither verifies SigV4 signatures (tests/integrations/aws_servers.py's
// SignatureChecker does). Single-threaded (Node's event loop).
'use strict'
const path = require('path')

const [modules, kind, dataDir, ...buckets] = process.argv.slice(2)
if (!modules || !kind) {
  console.error('usage: node serve.js MODULES_DIR dynalite|s3rver [DATA_DIR BUCKET...]')
  process.exit(2)
}
const load = name => require(path.join(path.resolve(modules), name))

function announce(port) {
  process.stdout.write(`port=${port}\n`)
}

if (kind === 'dynalite') {
  const dynalite = load('dynalite')
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 })
  server.listen(0, '127.0.0.1', () => announce(server.address().port))
} else if (kind === 's3rver') {
  if (!dataDir) {
    console.error('s3rver needs DATA_DIR')
    process.exit(2)
  }
  const S3rver = load('s3rver')
  const server = new S3rver({
    address: '127.0.0.1', port: 0, silent: true, directory: dataDir,
    configureBuckets: buckets.map(name => ({ name })),
  })
  server.run().then(({ port }) => announce(port), err => {
    console.error(`s3rver: ${err.message}`)
    process.exit(1)
  })
} else {
  console.error(`unknown server ${kind}`)
  process.exit(2)
}
