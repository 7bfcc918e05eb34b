#!/usr/bin/env bash
# Vendor YASGUI, the SPARQL query UI of /sparql, from the npm registry (never a CDN at run time).
#
#   tools/vendor.sh            re-vendor the pinned version
#   tools/vendor.sh 4.7.0      update to another version (then run the browser test)
#
# Copies only what the page loads (build/yasgui.min.js, build/yasgui.min.css) into
# src/intimacy_graph/web/static/vendor/yasgui/, with the licence, the licence texts of the
# npm dependencies bundled into it, and a VERSION file naming the package, the version, the
# tarball, its registry integrity hash and the sha256 of every copied file
# (tests/test_web_sparql_page.py checks those hashes).  Needs node and npm.
set -euo pipefail

PACKAGE="@zazuko/yasgui"
VERSION="${1:-4.6.2}"
FILES=(yasgui.min.js yasgui.min.css)

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DEST="$ROOT/src/intimacy_graph/web/static/vendor/yasgui"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"

echo "vendor: fetching $PACKAGE@$VERSION from the npm registry"
# npm pack checks the tarball against the integrity hash in the registry's metadata.
npm pack --silent --json "$PACKAGE@$VERSION" > pack.json
read -r TARBALL INTEGRITY < <(node -e '
  const [p] = require("./pack.json");
  console.log(p.filename, p.integrity);')
EXPECTED="$(npm view "$PACKAGE@$VERSION" dist.integrity)"
TARBALL_URL="$(npm view "$PACKAGE@$VERSION" dist.tarball)"
if [ "$INTEGRITY" != "$EXPECTED" ]; then
  echo "vendor: integrity mismatch: packed $INTEGRITY, registry says $EXPECTED" >&2
  exit 1
fi
tar -xzf "$TARBALL"
LICENSE_ID="$(node -p 'require("./package/package.json").license')"
if [ "$LICENSE_ID" != "MIT" ]; then
  echo "vendor: $PACKAGE@$VERSION is licensed '$LICENSE_ID', not MIT: review before vendoring" >&2
  exit 1
fi

# The licence texts of the npm dependencies the bundle is built from (yasgui.min.js is a
# self-contained UMD bundle: CodeMirror, DataTables, jQuery, DOMPurify, ... are inside it).
mkdir deps
(
  cd deps
  echo '{"private": true}' > package.json
  npm install --silent --no-audit --no-fund --ignore-scripts --omit=dev --no-package-lock \
    "$PACKAGE@$VERSION" >/dev/null
)
node - "$PACKAGE" "$VERSION" > THIRD-PARTY-LICENSES.txt <<'JS'
const fs = require("fs");
const path = require("path");
const [pkg, version] = process.argv.slice(2);
const root = path.join("deps", "node_modules");
const dirs = [];
for (const name of fs.readdirSync(root).sort()) {
  if (name.startsWith(".")) continue;
  if (name.startsWith("@")) {
    if (name === "@types") continue; // type declarations, not in the bundle
    for (const sub of fs.readdirSync(path.join(root, name)).sort()) dirs.push(path.join(name, sub));
  } else {
    dirs.push(name);
  }
}
const out = [
  `Licences of the npm packages that ${pkg}@${version} depends on (production dependencies,`,
  "as npm resolved them when tools/vendor.sh ran). yasgui.min.js bundles these packages;",
  "the versions inside the bundle are the ones its authors built with and may differ slightly.",
  "",
];
for (const dir of dirs) {
  const meta = JSON.parse(fs.readFileSync(path.join(root, dir, "package.json"), "utf8"));
  const files = fs.readdirSync(path.join(root, dir))
    .filter((f) => /^(licen[cs]e|copying|notice)/i.test(f)).sort();
  out.push("=".repeat(78));
  out.push(`${meta.name}@${meta.version} (${meta.license || "see below"})`);
  out.push("=".repeat(78));
  if (!files.length) out.push(`No licence file in the package; package.json says: ${meta.license}.`);
  for (const f of files) out.push(fs.readFileSync(path.join(root, dir, f), "utf8").trim(), "");
  out.push("");
}
process.stdout.write(out.join("\n"));
JS

rm -rf "$DEST"
mkdir -p "$DEST"
for f in "${FILES[@]}"; do
  cp "package/build/$f" "$DEST/$f"
done
cp THIRD-PARTY-LICENSES.txt "$DEST/"
# The npm package ships no LICENSE file; its package.json declares MIT (checked above).
cat > "$DEST/LICENSE" <<TXT
$PACKAGE $VERSION is distributed under the MIT License, as its package.json declares
(the npm package ships no licence file of its own). Upstream: https://github.com/rdfjs/Yasgui
(a maintained fork of https://github.com/TriplyDB/Yasgui).

MIT License

Copyright (c) Triply B.V. and the Yasgui contributors (Zazuko GmbH and others)

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.

The bundled third-party packages keep their own licences: see THIRD-PARTY-LICENSES.txt.
TXT
{
  echo "package: $PACKAGE"
  echo "version: $VERSION"
  echo "tarball: $TARBALL_URL"
  echo "integrity: $INTEGRITY"
  echo "vendored-by: tools/vendor.sh"
  echo "files (sha256):"
  (cd "$DEST" && sha256sum "${FILES[@]}")
} > "$DEST/VERSION"

echo "vendor: $PACKAGE@$VERSION -> ${DEST#"$ROOT"/}"
du -ch "$DEST"/* | sed 's/^/vendor:   /'
