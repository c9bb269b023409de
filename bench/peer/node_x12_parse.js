// Parses an 837 with node-x12's X12Parser and counts CLM segments: the
// peer figure bench/run.sh reports beside claimd's. Prints one JSON line.
'use strict';
const fs = require('fs');
const { X12Parser } = require('node-x12');

const file = process.argv[2];
const text = fs.readFileSync(file, 'utf8');
const t0 = process.hrtime.bigint();
const parser = new X12Parser(true);
const interchange = parser.parse(text);
let claims = 0;
const list = Array.isArray(interchange) ? interchange : [interchange];
for (const ic of list)
  for (const g of ic.functionalGroups)
    for (const t of g.transactions)
      for (const s of t.segments)
        if (s.tag === 'CLM') claims++;
const secs = Number(process.hrtime.bigint() - t0) / 1e9;
console.log(JSON.stringify({ kind: 'peer', parser: 'node-x12', claims, bytes: text.length,
  seconds: secs, claims_per_s: Math.round(claims / secs) }));
