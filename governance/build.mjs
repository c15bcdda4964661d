#!/usr/bin/env node
// Reproducible build of Atelier's governance contracts.
//
//   node build.mjs              compile and write artifacts/<ContractName>.json
//   node build.mjs --out DIR    write the artifacts to DIR instead
//   node build.mjs --verbose    show dependencies' compiler warnings in full
//   node build.mjs --check      compile in memory; exit 1 naming every artifact that differs
//                               from the committed one (with --out DIR: compare against DIR)
//
// Reproducibility: the compiler (solc-js) and OpenZeppelin Contracts are pinned in
// package.json / package-lock.json; source unit names are fixed relative paths
// (`contracts/Reputation.sol`, `@openzeppelin/contracts/...`), never absolute ones, and
// contract sources are read with LF line endings, so the metadata hash appended to the
// bytecode — and therefore every artifact byte — is the same on any machine and checkout path.

import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import solc from "solc";

const ROOT = dirname(fileURLToPath(import.meta.url));
const CONTRACTS_DIR = join(ROOT, "contracts");
const NODE_MODULES = join(ROOT, "node_modules");
const DEFAULT_OUT = join(ROOT, "artifacts");

/** Deployable contracts: artifact name -> source unit name. */
const DEPLOYABLES = [
  ["Reputation", "contracts/Reputation.sol"],
  ["StudioGovernor", "contracts/StudioGovernor.sol"],
  ["TimelockController", "@openzeppelin/contracts/governance/TimelockController.sol"],
  ["StudioRegistry", "contracts/StudioRegistry.sol"],
  ["ProvenanceRegistry", "contracts/ProvenanceRegistry.sol"],
  ["RevenueSplits", "contracts/RevenueSplits.sol"],
  ["StudioReleases", "contracts/StudioReleases.sol"],
  // OpenZeppelin 4.9's (pinned as @openzeppelin/contracts-v4): RevenueSplits deploys it; its
  // artifact gives Python the ABI to read dues and claim.
  ["PaymentSplitter", "@openzeppelin/contracts-v4/finance/PaymentSplitter.sol"],
  // An ERC-20 whose whole supply goes to one account: ERC-20 income on dev chains and tests.
  ["ERC20PresetFixedSupply", "@openzeppelin/contracts-v4/token/ERC20/presets/ERC20PresetFixedSupply.sol"],
  ["ReferenceToken", "contracts/reference/ReferenceToken.sol"],
  ["ReferenceGovernor", "contracts/reference/ReferenceGovernor.sol"],
];

/** Compiler settings recorded in every artifact (and in the bytecode's metadata). */
const OPTIMIZER = { enabled: true, runs: 200 };
const EVM_VERSION = "prague"; // py-evm, the embedded chain, stops at Prague.

/** Dependency warnings we know about and accept, with the reason shown next to them. */
const EXPECTED_WARNINGS = [
  {
    file: "@openzeppelin/contracts/token/ERC20/ERC20.sol",
    message: "Unreachable code.",
    why: "Reputation's _approve and _spendAllowance always revert (non-transferable)",
  },
];

const MAX_RUNTIME_SIZE = 24_576; // EIP-170
const MAX_INITCODE_SIZE = 49_152; // EIP-3860

function fail(message) {
  console.error(`build: ${message}`);
  process.exit(2);
}

function parseArgs(argv) {
  const args = { out: null, check: false, verbose: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--check") args.check = true;
    else if (arg === "--verbose") args.verbose = true;
    else if (arg === "--out") {
      if (i + 1 >= argv.length) fail("--out needs a directory");
      args.out = resolve(argv[++i]);
    } else if (arg.startsWith("--out=")) args.out = resolve(arg.slice("--out=".length));
    else if (arg === "-h" || arg === "--help") {
      console.log("usage: node build.mjs [--out DIR] [--check] [--verbose]");
      process.exit(0);
    } else fail(`unknown argument ${JSON.stringify(arg)} (usage: node build.mjs [--out DIR] [--check] [--verbose])`);
  }
  return args;
}

const readSource = (file) => readFileSync(file, "utf8").replace(/\r\n?/g, "\n");

/** Every .sol file under contracts/, keyed by its stable source unit name, in sorted order. */
function collectSources(dir = CONTRACTS_DIR, sources = {}) {
  const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const entry of entries) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) collectSources(full, sources);
    else if (entry.isFile() && entry.name.endsWith(".sol")) {
      const unit = relative(ROOT, full).split(sep).join("/");
      sources[unit] = { content: readSource(full) };
    }
  }
  return sources;
}

/** solc import callback: resolve package imports (`@openzeppelin/...`) from node_modules. */
function findImport(unit) {
  if (unit.split("/").some((part) => part === ".." || part === ".") || unit.startsWith("/")) {
    return { error: `import ${unit}: only normalized package paths are resolved` };
  }
  if (!unit.startsWith("@openzeppelin/")) {
    return { error: `import ${unit}: not found (only @openzeppelin/* packages are resolved)` };
  }
  const file = join(NODE_MODULES, ...unit.split("/"));
  if (!existsSync(file)) return { error: `import ${unit}: ${file} does not exist (run npm ci)` };
  const contents = readFileSync(file, "utf8");
  importedSources.set(unit, contents);
  return { contents };
}

/** Sources delivered through the import callback, for locating dependency warnings. */
const importedSources = new Map();

function checkCompilerVersion() {
  const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
  const pinned = pkg.dependencies?.solc;
  const actual = solc.version();
  if (!pinned || !actual.startsWith(`${pinned}+`)) {
    fail(`solc ${actual} is installed but package.json pins ${pinned}; run npm ci`);
  }
  return actual;
}

function compile(verbose) {
  const sources = collectSources();
  // Every contract under contracts/ is selected (for its ABI at least) so that all of them are
  // type-checked, not only the deployables' dependency graph.
  const outputSelection = {};
  for (const unit of Object.keys(sources)) outputSelection[unit] = { "*": ["abi"] };
  for (const [name, unit] of DEPLOYABLES) {
    outputSelection[unit] ??= {};
    outputSelection[unit][name] = [
      "abi",
      "evm.bytecode.object",
      "evm.bytecode.linkReferences",
      "evm.deployedBytecode.object",
    ];
  }
  // Deployables that live in packages are compiled by listing them as sources by name.
  for (const [, unit] of DEPLOYABLES) {
    if (!sources[unit]) {
      const found = findImport(unit);
      if (found.error) fail(found.error);
      sources[unit] = { content: found.contents };
    }
  }
  const input = {
    language: "Solidity",
    sources,
    settings: { optimizer: OPTIMIZER, evmVersion: EVM_VERSION, outputSelection },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImport }));

  let errors = 0;
  for (const diag of output.errors ?? []) {
    const text = (diag.formattedMessage ?? `${diag.type}: ${diag.message}`).trimEnd();
    const file = diag.sourceLocation?.file ?? "";
    if (diag.severity === "error") {
      errors++;
      console.error(text + "\n");
    } else if (file.startsWith("@") && !verbose) {
      // A pinned dependency's warnings cannot be fixed here: one line each (--verbose: full).
      const line = sourceLine(sources, file, diag.sourceLocation.start);
      const why = EXPECTED_WARNINGS.find((w) => w.file === file && w.message === diag.message)?.why;
      console.warn(
        `${diag.severity} in dependency ${file}${line ? `:${line}` : ""}: ${diag.message}` +
          (why ? ` (expected: ${why})` : ""),
      );
    } else {
      console.warn(text + "\n");
    }
  }
  if (errors) {
    console.error(`build: compilation failed with ${errors} error(s)`);
    process.exit(1);
  }
  return output;
}

/** 1-based line number of a byte offset in a source the compiler saw (imports included). */
function sourceLine(sources, file, start) {
  const content = sources[file]?.content ?? importedSources.get(file);
  if (content === undefined || start === undefined || start < 0) return null;
  return Buffer.from(content, "utf8").subarray(0, start).toString("utf8").split("\n").length;
}

/** Recursively sort object keys so artifact JSON never depends on emitter key order. */
function sortKeys(value) {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, sortKeys(value[key])]),
    );
  }
  return value;
}

function makeArtifacts(output, version) {
  const artifacts = [];
  let tooBig = false;
  for (const [name, unit] of DEPLOYABLES) {
    const contract = output.contracts?.[unit]?.[name];
    if (!contract) fail(`${unit}:${name} missing from compiler output`);
    if (Object.keys(contract.evm.bytecode.linkReferences ?? {}).length) {
      fail(`${name} needs library linking, which this build does not support`);
    }
    const bytecode = contract.evm.bytecode.object;
    const deployed = contract.evm.deployedBytecode.object;
    if (!bytecode || !deployed) fail(`${name} has no bytecode (is it abstract?)`);
    const artifact = {
      contractName: name,
      sourceName: unit,
      abi: sortKeys(contract.abi),
      bytecode: `0x${bytecode}`,
      deployedBytecode: `0x${deployed}`,
      compiler: {
        version,
        settings: { optimizer: { enabled: OPTIMIZER.enabled, runs: OPTIMIZER.runs }, evmVersion: EVM_VERSION },
      },
    };
    const runtimeSize = deployed.length / 2;
    const initSize = bytecode.length / 2;
    if (runtimeSize > MAX_RUNTIME_SIZE || initSize > MAX_INITCODE_SIZE) tooBig = true;
    artifacts.push({ name, file: `${name}.json`, text: JSON.stringify(artifact, null, 2) + "\n", runtimeSize, initSize });
  }
  return { artifacts, tooBig };
}

function printSizes(artifacts) {
  const width = Math.max(...artifacts.map((a) => a.name.length));
  console.log(`${"contract".padEnd(width)}  runtime bytes (limit ${MAX_RUNTIME_SIZE})  initcode bytes`);
  for (const a of artifacts) {
    const flag = a.runtimeSize > MAX_RUNTIME_SIZE ? "  TOO LARGE" : "";
    const margin = `${((a.runtimeSize / MAX_RUNTIME_SIZE) * 100).toFixed(1)}%`;
    console.log(
      `${a.name.padEnd(width)}  ${String(a.runtimeSize).padStart(6)} (${margin.padStart(5)})${flag}` +
        `${" ".repeat(14)}${String(a.initSize).padStart(6)}`,
    );
  }
}

function main() {
  const args = parseArgs(process.argv.slice(2));
  const version = checkCompilerVersion();
  const started = Date.now();
  const output = compile(args.verbose);
  const { artifacts, tooBig } = makeArtifacts(output, version);
  const outDir = args.out ?? DEFAULT_OUT;

  if (args.check) {
    const differing = [];
    for (const a of artifacts) {
      const path = join(outDir, a.file);
      const current = existsSync(path) ? readFileSync(path, "utf8") : null;
      if (current === null) differing.push(`${a.file} (missing)`);
      else if (current !== a.text) differing.push(a.file);
    }
    printSizes(artifacts);
    if (differing.length) {
      console.error(`build --check: artifacts out of date in ${outDir}:`);
      for (const d of differing) console.error(`  ${d}`);
      console.error("rebuild with: npm run build");
      process.exit(1);
    }
    console.log(`build --check: all ${artifacts.length} artifacts in ${outDir} match (solc ${version})`);
    return;
  }

  if (tooBig) {
    printSizes(artifacts);
    console.error("build: a contract exceeds the EIP-170/EIP-3860 size limit; artifacts not written");
    process.exit(1);
  }
  mkdirSync(outDir, { recursive: true });
  for (const a of artifacts) writeFileSync(join(outDir, a.file), a.text);
  console.log(`compiled with solc ${version} in ${((Date.now() - started) / 1000).toFixed(1)} s; wrote ${artifacts.length} artifacts to ${outDir}`);
  printSizes(artifacts);
}

main();
