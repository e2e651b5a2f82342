// Reads a YAML file of one or more documents (a rendered kustomization, docker-compose config) into
// plain objects; a syntax error names the file, line and column. displayName() names a file in messages.
'use strict';
const fs = require('fs');
const path = require('path');
const YAML = require('yaml');

function readYamlStream(file) {
  const docs = YAML.parseAllDocuments(fs.readFileSync(file, 'utf8'), {prettyErrors: true});
  const objects = [];
  for (const doc of docs) {
    if (doc.errors.length > 0) {
      throw new Error(`${file}: ${doc.errors.map((e) => e.message).join('; ')}`);
    }
    const value = doc.toJS({maxAliasCount: -1});
    if (value !== null && value !== undefined) objects.push(value);
  }
  return objects;
}

// A file of the tree by its path from the current folder, a temporary one by its own name.
function displayName(file) {
  const relative = path.relative(process.cwd(), file);
  return relative && !relative.startsWith('..') ? relative : path.basename(file);
}

module.exports = {readYamlStream, displayName};
