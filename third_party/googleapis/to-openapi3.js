// Reads an OpenAPI 2.0 (Swagger) document on stdin and writes the OpenAPI
// 3.0 document swagger2openapi (pinned in package-lock.json) converts it
// to. Run by internal/tools/protoc-gen-openapi during `go tool buf generate`.
'use strict';
const converter = require('swagger2openapi');

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (c) => { input += c; });
process.stdin.on('end', async () => {
  try {
    const { openapi } = await converter.convertObj(JSON.parse(input), { patch: true, warnOnly: false, direct: false });
    process.stdout.write(JSON.stringify(openapi, null, 2) + '\n');
  } catch (err) {
    process.stderr.write('swagger2openapi: ' + (err && err.message ? err.message : String(err)) + '\n');
    process.exit(1);
  }
});
