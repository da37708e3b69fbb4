// Cross-checks our constants against the tables of the implementer reference
// (shared/spec/notification-ports.md). Skips when the reference is not checked out beside the repo.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  CMRP_INTERFACE_UUID,
  ClusterChange,
  ClusterChangeFamily,
  ClusterNetInterfaceState,
  ClusterNetworkState,
  ClusterNodeState,
  ClusterGroupState,
  ClusterNotificationsVersion,
  ClusterObjectType,
  ClusterResourceState,
  CmrpOpnum,
  HandleCloseV2,
  RECONNECT_TRIGGERS_V2_0,
  RECONNECT_TRIGGERS_V3_0,
  SharedVolumeState,
  V2_FAMILIES,
  netInterfaceStateFromSdk,
  netInterfaceStateToSdk,
  clusterChangeSpecName,
  clusterObjectTypeSpecName,
  v2FlagSpecName,
  win32StatusSpecName,
  clusterGroupStateSpecName,
  clusterNetInterfaceStateSpecName,
  clusterNetworkStateSpecName,
  clusterNodeStateSpecName,
  clusterResourceStateSpecName,
  netInterfaceStateSdkNumberingSpecName,
  sharedVolumeStateSpecName,
} from '@clusnotify/protocol';

const REFERENCE = join('shared', 'spec', 'notification-ports.md');

/** Walks up from this file's directory to the first one holding (or beside) the reference. */
function findReference(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, REFERENCE);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

const referencePath = findReference();
const markdown = referencePath === undefined ? undefined : readFileSync(referencePath, 'utf8');

/** The reference text, or `undefined` after marking the test skipped. */
function reference(t: TestContext): string | undefined {
  if (markdown === undefined) t.skip(`${REFERENCE} not found above ${import.meta.url}`);
  return markdown;
}

/** The body of the section whose heading line starts with `heading` (e.g. `'### 3.1 '`). */
function section(md: string, heading: string): string {
  const lines = md.split('\n');
  const start = lines.findIndex((line) => line.startsWith(heading));
  assert.notEqual(start, -1, `reference has no heading "${heading}"`);
  const level = heading.indexOf(' ');
  let end = start + 1;
  while (end < lines.length) {
    const hashes = /^(#+) /.exec(lines[end] ?? '')?.[1];
    if (hashes !== undefined && hashes.length <= level) break;
    end++;
  }
  return lines.slice(start + 1, end).join('\n');
}

/** The cells of every markdown table row in `text` (separator rows dropped, `\|` kept). */
function tableRows(text: string): string[][] {
  return text
    .split('\n')
    .filter((line) => line.startsWith('|'))
    .map((line) =>
      line
        .split(/(?<!\\)\|/)
        .slice(1, -1)
        .map((cell) => cell.trim()),
    )
    .filter((cells) => !cells.every((cell) => /^-+$/.test(cell)));
}

const HEX = /^0x[0-9A-Fa-f]+$/;

/** The leading identifier of a cell, dropping notes such as "— client only". */
function identifier(cell: string): string {
  const id = /^[A-Za-z][A-Za-z0-9_]*/.exec(cell)?.[0];
  assert.ok(id !== undefined, `no identifier in "${cell}"`);
  return id;
}

/** Rows whose first cell is a hex value, as [value, official name]. */
function valueNameRows(text: string): [number, string][] {
  return tableRows(text)
    .filter(([value]) => value !== undefined && HEX.test(value))
    .map(([value, name]) => [Number(value), identifier(name ?? '')]);
}

function objectTypeNamed(name: string): ClusterObjectType {
  assert.ok(Object.hasOwn(ClusterObjectType, name), `unknown object type ${name}`);
  return ClusterObjectType[name as keyof typeof ClusterObjectType];
}

const sortNumbers = (values: Iterable<number>): number[] => [...values].sort((a, b) => a - b);

test('every CLUSTER_CHANGE row of reference §3.1 matches ClusterChange', (t) => {
  const md = reference(t);
  if (md === undefined) return;
  const text = section(md, '### 3.1 ');
  const rows = valueNameRows(text);
  assert.equal(rows.length, 32);
  for (const [value, name] of rows) {
    assert.equal(clusterChangeSpecName(value), name, `0x${value.toString(16)}`);
  }
  const all = /`CLUSTER_CHANGE_ALL`[^*]*\*\*(0x[0-9A-F]+)\*\*/.exec(text)?.[1];
  assert.ok(all !== undefined, 'CLUSTER_CHANGE_ALL not found');
  assert.equal(ClusterChange.ALL, Number(all));
});

test('every derived family mask of reference §3.1 matches ClusterChangeFamily', (t) => {
  const md = reference(t);
  if (md === undefined) return;
  const labels: Record<string, keyof typeof ClusterChangeFamily> = {
    node: 'NODE',
    registry: 'REGISTRY',
    resource: 'RESOURCE',
    group: 'GROUP',
    'resource type': 'RESOURCE_TYPE',
    network: 'NETWORK',
    'net interface': 'NET_INTERFACE',
    'client-only bits': 'CLIENT_ONLY',
  };
  const rows = tableRows(section(md, '### 3.1 ')).filter(
    ([label, mask]) => label !== undefined && !HEX.test(label) && /^0x/.test(mask ?? ''),
  );
  assert.equal(rows.length, Object.keys(labels).length);
  for (const [label = '', mask = ''] of rows) {
    const key = labels[label.replace(/ \(.*$/, '')];
    assert.ok(key !== undefined, `unexpected family row "${label}"`);
    assert.equal(ClusterChangeFamily[key], Number(/^0x[0-9A-F]+/.exec(mask)?.[0]), label);
    const modifier = /\+(0x[0-9A-F]+) modifier/.exec(mask)?.[1];
    if (modifier !== undefined) {
      assert.equal(ClusterChangeFamily.REGISTRY_SUBTREE, Number(modifier));
    }
  }
});

test('every CLUSTER_OBJECT_TYPE row of reference §3.2 matches ClusterObjectType', (t) => {
  const md = reference(t);
  if (md === undefined) return;
  const rows = valueNameRows(section(md, '### 3.2 '));
  assert.deepEqual(
    rows.map(([value]) => value),
    sortNumbers(Object.values(ClusterObjectType)),
  );
  for (const [value, name] of rows) {
    assert.equal(clusterObjectTypeSpecName(value), name, `0x${value.toString(16)}`);
  }
});

test('every version-2 enumeration row of reference §3.3 matches V2_FAMILIES', (t) => {
  const md = reference(t);
  if (md === undefined) return;
  const text = section(md, '### 3.3 ');
  const header =
    /^\*\*(CLUSTER_CHANGE_[A-Z0-9_]+) \(§[\d.]+\)\*\* — object type ([A-Z_]+) \((0x[0-9A-F]+)\)/;
  const seen = new Map<number, string[]>();
  let current: number | undefined;
  for (const line of text.split('\n')) {
    const match = header.exec(line);
    if (match !== null) {
      const [, , typeName = '', typeValue] = match;
      current = objectTypeNamed(typeName);
      assert.equal(current, Number(typeValue), typeName);
      seen.set(current, []);
      continue;
    }
    const [value, name] = valueNameRows(line)[0] ?? [];
    if (value === undefined || name === undefined) continue;
    assert.ok(current !== undefined, `row ${name} precedes any enumeration header`);
    const family = V2_FAMILIES[current as ClusterObjectType];
    assert.ok(family !== undefined, `no V2 family for object type ${current}`);
    if (/_ALL(_V2)?$/.test(name)) {
      assert.equal(family.all, value, name);
    } else {
      assert.equal(v2FlagSpecName(current, value), name, `0x${value.toString(16)}`);
      seen.get(current)?.push(name);
    }
  }
  assert.deepEqual(sortNumbers(seen.keys()), sortNumbers(Object.keys(V2_FAMILIES).map(Number)));
  for (const [objectType, names] of seen) {
    const ours = Object.values(V2_FAMILIES[objectType as ClusterObjectType]?.specNames ?? {});
    assert.deepEqual(names.sort(), ours.sort(), `object type ${objectType}`);
  }
  for (const [key, version] of Object.entries(ClusterNotificationsVersion)) {
    const match = new RegExp(`CLUSTER_NOTIFICATIONS_${key} = (0x[0-9A-F]+)`).exec(text)?.[1];
    assert.equal(Number(match), version, `CLUSTER_NOTIFICATIONS_${key}`);
  }
});

test('every client-generated identifier of reference §3.4 matches HandleCloseV2', (t) => {
  const md = reference(t);
  if (md === undefined) return;
  const text = section(md, '### 3.4 ');
  const rows = tableRows(text).filter(([, value]) => HEX.test(value ?? ''));
  assert.equal(rows.length, 10);
  const handleClose: Record<number, number> = {};
  for (const [name = '', value = '', typeName = ''] of rows) {
    const objectType = objectTypeNamed(typeName);
    assert.equal(v2FlagSpecName(objectType, Number(value)), name);
    if (name.includes('HANDLE_CLOSE')) handleClose[objectType] = Number(value);
  }
  assert.deepEqual(handleClose, HandleCloseV2);
  const v1 = [...text.matchAll(/(CLUSTER_CHANGE_[A-Z_]+)\s*\((0x[0-9A-F]+)\)/g)];
  assert.equal(v1.length, 3);
  for (const [, name, value] of v1) {
    assert.equal(clusterChangeSpecName(Number(value)), name);
  }
});

test('every object-state row of reference §9.1–§9.4 matches the state enumerations', (t) => {
  const md = reference(t);
  if (md === undefined) return;
  const tables: [string, Readonly<Record<string, number>>, (v: number) => string | undefined][] = [
    ['### 9.1 ', ClusterNodeState, clusterNodeStateSpecName],
    ['### 9.2 ', ClusterGroupState, clusterGroupStateSpecName],
    ['### 9.3 ', ClusterResourceState, clusterResourceStateSpecName],
    ['### 9.4 ', ClusterNetworkState, clusterNetworkStateSpecName],
  ];
  for (const [heading, enumeration, specName] of tables) {
    const rows = valueNameRows(section(md, heading));
    assert.deepEqual(
      rows.map(([value]) => value),
      sortNumbers(Object.values(enumeration)),
      heading,
    );
    for (const [value, name] of rows) {
      assert.equal(specName(value), name, `${heading}0x${value.toString(16)}`);
    }
  }
});

test('both net-interface numberings of reference §9.5 match and convert', (t) => {
  const md = reference(t);
  if (md === undefined) return;
  const rows = tableRows(section(md, '### 9.5 ')).filter(([name]) =>
    (name ?? '').startsWith('ClusterNetInterface'),
  );
  assert.equal(rows.length, Object.keys(ClusterNetInterfaceState).length);
  for (const [name = '', cmrpCell = '', sdkCell = ''] of rows) {
    const wire = Number(cmrpCell);
    const sdk = Number(sdkCell) >>> 0; // the SDK column writes the unknown state as -1
    assert.equal(clusterNetInterfaceStateSpecName(wire), name);
    assert.equal(netInterfaceStateSdkNumberingSpecName(sdk), name);
    assert.equal(netInterfaceStateToSdk(wire), sdk, name);
    assert.equal(netInterfaceStateFromSdk(sdk), wire, name);
  }
});

test('every VolumeState row of reference §4.5 matches SharedVolumeState', (t) => {
  const md = reference(t);
  if (md === undefined) return;
  const rows = valueNameRows(section(md, '### 4.5 ')).filter(([, name]) =>
    name.startsWith('SharedVolumeState'),
  );
  assert.deepEqual(
    rows.map(([value]) => value),
    sortNumbers(Object.values(SharedVolumeState)),
  );
  for (const [value, name] of rows) {
    assert.equal(sharedVolumeStateSpecName(value), name);
  }
});

test('every error code row of reference §10 matches Win32Status', (t) => {
  const md = reference(t);
  if (md === undefined) return;
  const rows = tableRows(section(md, '## 10. ')).filter(([hex]) => HEX.test(hex ?? ''));
  assert.equal(rows.length, 15);
  for (const [hex = '', dec = '', name = ''] of rows) {
    assert.equal(Number(hex), Number(dec), name);
    assert.equal(win32StatusSpecName(Number(hex)), name);
  }
});

test('the reconnect trigger lists of reference §7.3 match RECONNECT_TRIGGERS_*', (t) => {
  const md = reference(t);
  if (md === undefined) return;
  const text = section(md, '### 7.3 ').replace(/\s+/g, ' ');
  const v2 = /protocol v2\.0: ([\d, ]+)\./.exec(text)?.[1];
  assert.ok(v2 !== undefined, 'protocol v2.0 trigger list not found');
  assert.deepEqual(sortNumbers(v2.split(',').map(Number)), sortNumbers(RECONNECT_TRIGGERS_V2_0));
  const v3Text = /Protocol v3\.0: (.*?)\. \(/.exec(text)?.[1];
  assert.ok(v3Text !== undefined, 'protocol v3.0 trigger list not found');
  const v3 = [...v3Text.matchAll(/(\d+) ([A-Z_]+) \((0x[0-9A-F]+)\)/g)];
  for (const [, dec, name, hex] of v3) {
    assert.equal(Number(dec), Number(hex), name);
    assert.equal(win32StatusSpecName(Number(hex)), name);
  }
  assert.deepEqual(
    sortNumbers(v3.map(([, dec]) => Number(dec))),
    sortNumbers(RECONNECT_TRIGGERS_V3_0),
  );
});

test('the method/opnum map of reference §1.1 matches CmrpOpnum', (t) => {
  const md = reference(t);
  if (md === undefined) return;
  const rows = tableRows(section(md, '### 1.1 ')).filter(([method]) =>
    (method ?? '').startsWith('Api'),
  );
  const opnums: Record<string, number> = {};
  for (const [method = '', opnum = ''] of rows) {
    const [dec, hex] = opnum.split(' / ');
    assert.equal(Number(dec), Number(hex), method);
    opnums[method] = Number(dec);
  }
  assert.deepEqual(opnums, { ...CmrpOpnum });
  const uuid = /RPC interface UUID `([0-9a-f-]+)`/.exec(section(md, '## 1. '))?.[1];
  assert.equal(uuid, CMRP_INTERFACE_UUID);
});
