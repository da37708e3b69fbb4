/** Printing objects: `list` as an aligned table, `show` as one field per line. */
import { CLI_KINDS, stateName, str } from './cluster-view.js';
import type { CliKind, ClusterView, ObjectFields } from './cluster-view.js';

/** Rows as a table with a header; columns are padded to their widest cell. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]): string =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** The `list` table of a kind. */
export function listTable(view: ClusterView, kind: CliKind): string {
  const objects = view.list(kind);
  switch (kind) {
    case 'node':
      return table(
        ['NAME', 'STATE', 'ID'],
        objects.map((o) => [str(o, 'name'), stateName(kind, o), str(o, 'id')]),
      );
    case 'group':
      return table(
        ['NAME', 'OWNER', 'STATE'],
        objects.map((o) => [
          str(o, 'name'),
          view.nameOf('node', o.ownerNodeId),
          stateName(kind, o),
        ]),
      );
    case 'resource':
      return table(
        ['NAME', 'GROUP', 'TYPE', 'STATE'],
        objects.map((o) => [
          str(o, 'name'),
          view.nameOf('group', o.groupId),
          str(o, 'typeName'),
          stateName(kind, o),
        ]),
      );
    case 'network':
      return table(
        ['NAME', 'STATE'],
        objects.map((o) => [str(o, 'name'), stateName(kind, o)]),
      );
    case 'netinterface':
      return table(
        ['NAME', 'NODE', 'NETWORK', 'STATE'],
        objects.map((o) => [
          str(o, 'name'),
          view.nameOf('node', o.nodeId),
          view.nameOf('network', o.networkId),
          stateName(kind, o),
        ]),
      );
    case 'restype':
      return table(
        ['NAME', 'DLL'],
        objects.map((o) => [str(o, 'name'), str(o, 'dllName')]),
      );
  }
}

function text(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** References to other objects that `show` names besides their id. */
const REFERENCES: Readonly<Record<string, CliKind>> = {
  ownerNodeId: 'node',
  groupId: 'group',
  nodeId: 'node',
  networkId: 'network',
};

/** The `show` text of one object: every field, states and references named. */
export function showText(view: ClusterView, kind: CliKind, o: ObjectFields): string {
  const fields = Object.entries(o);
  const width = Math.max(...fields.map(([k]) => k.length));
  return fields
    .map(([k, v]) => {
      let s = text(v);
      if (k === 'state' && CLI_KINDS[kind].stateName !== undefined) s += ` (${stateName(kind, o)})`;
      const ref = REFERENCES[k];
      if (ref !== undefined) s += ` (${view.nameOf(ref, v)})`;
      return `${k.padEnd(width)}  ${s}`;
    })
    .join('\n');
}
