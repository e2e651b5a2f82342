// Validates every object of Kubernetes YAML streams against the Kubernetes OpenAPI schema, in two
// passes over the models of npm kubernetes-models:
//  - the schema's JSON-schema validators (types, required fields, formats), through validate();
//  - the models' TypeScript interfaces, through the TypeScript compiler, for what those validators
//    let pass: a field the API does not know (a typo such as `readinesProbe`), which the API server
//    would reject or ignore.
//   node validate_k8s.js FILE...
// Prints one line per file: "PASS <file>: N objects valid" or "FAIL <file>" followed by one line per
// mistake, "<Kind>/<name>: <path> <message>". Exits 1 on any mistake.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const ts = require('typescript');
const {readYamlStream, displayName} = require('./yaml_stream');

// The module of an apiVersion: kubernetes-models/<group>/<version> (core: kubernetes-models/v1).
function modelFor(apiVersion, kind) {
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') return null;
  try {
    return require(`kubernetes-models/${apiVersion}`)[kind] || null;
  } catch (e) {
    return null;
  }
}

const idOf = (object) => `${object.kind}/${object.metadata && object.metadata.name}`;

function schemaMistakes(object) {
  const Model = modelFor(object.apiVersion, object.kind);
  if (!Model) return [`unknown apiVersion/kind ${object.apiVersion}/${object.kind}`];
  try {
    new Model(object).validate();
    return [];
  } catch (e) {
    if (!Array.isArray(e.errors)) return [e.message];
    return e.errors.map((err) => `${err.instancePath || '/'} ${err.message}`);
  }
}

// Finds the fields of each object that its model's TypeScript interface does not have, at any depth:
// every object is written as a literal of its interface, and each of its nested literals is compared
// with the type the compiler expects there (maps such as labels accept any key).
// Returns Map<file, Map<object index, [message]>>.
function unknownFields(streams) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fulcrum-k8s-types-'));
  try {
    const sources = new Map();  // .ts file -> {file, objects}
    streams.forEach(({file, objects}, n) => {
      const out = [];
      objects.forEach((object, i) => {
        if (!modelFor(object.apiVersion, object.kind)) return;  // reported by the schema pass
        out.push(`import type {I${object.kind} as T${i}} from 'kubernetes-models/${object.apiVersion}/${object.kind}';`,
                 `export const o${i}: T${i} = ${JSON.stringify(object)};`);
      });
      const tsFile = path.join(dir, `stream${n}.ts`);
      fs.writeFileSync(tsFile, out.join('\n'));
      sources.set(tsFile, file);
    });
    const program = ts.createProgram([...sources.keys()], {
      strict: true, noEmit: true, skipLibCheck: true, types: [],
      module: ts.ModuleKind.CommonJS, moduleResolution: ts.ModuleResolutionKind.Node10, target: ts.ScriptTarget.ES2020,
      baseUrl: __dirname, paths: {'*': [path.join(__dirname, 'node_modules', '*')]},
    });
    const checker = program.getTypeChecker();

    // The property names an object literal may have where `type` is expected; null: any name.
    const allowedNames = (type) => {
      const names = new Set();
      for (const t of type.isUnion() ? type.types : [type]) {
        if (!(t.flags & ts.TypeFlags.Object)) continue;
        if (checker.getIndexInfosOfType(t).length > 0) return null;
        for (const p of checker.getPropertiesOfType(t)) names.add(p.name);
      }
      return names.size > 0 ? names : null;
    };
    const walk = (node, pointer, found) => {
      if (ts.isObjectLiteralExpression(node)) {
        const type = checker.getContextualType(node);
        const names = type && allowedNames(type);
        for (const property of node.properties) {
          const name = property.name.text;
          if (names && !names.has(name)) {
            found.push(`${pointer}/${name} is a field the API does not know (not in ${checker.typeToString(checker.getNonNullableType(type))})`);
          } else {
            walk(property.initializer, `${pointer}/${name}`, found);
          }
        }
      } else if (ts.isArrayLiteralExpression(node)) {
        node.elements.forEach((element, i) => walk(element, `${pointer}/${i}`, found));
      }
    };

    const result = new Map();
    for (const [tsFile, file] of sources) {
      const perObject = new Map();
      for (const statement of program.getSourceFile(tsFile).statements) {
        if (!ts.isVariableStatement(statement)) continue;
        const declaration = statement.declarationList.declarations[0];
        const found = [];
        walk(declaration.initializer, '', found);
        perObject.set(Number(declaration.name.text.slice(1)), found);
      }
      result.set(file, perObject);
    }
    return result;
  } finally {
    fs.rmSync(dir, {recursive: true, force: true});
  }
}

const streams = [];
let failed = false;
for (const file of process.argv.slice(2)) {
  try {
    streams.push({file, objects: readYamlStream(file)});
  } catch (e) {
    console.log(`FAIL ${displayName(file)}: ${e.message}`);
    failed = true;
  }
}
const fieldMistakes = unknownFields(streams);
for (const {file, objects} of streams) {
  const lines = [];
  objects.forEach((object, i) => {
    const unknown = (fieldMistakes.get(file) || new Map()).get(i) || [];
    for (const mistake of [...schemaMistakes(object), ...unknown]) lines.push(`${idOf(object)}: ${mistake}`);
  });
  if (objects.length === 0) lines.push('no objects');
  if (lines.length > 0) {
    failed = true;
    console.log(`FAIL ${displayName(file)}: ${lines.length} schema mistake(s)`);
    for (const line of lines) console.log(`    ${line}`);
  } else {
    console.log(`PASS ${displayName(file)}: ${objects.length} objects valid`);
  }
}
process.exit(failed ? 1 : 0);
