/**
 * docs/events.md from the code (docs/decisions.md D16, reference §13 item 1): which change
 * records each command can produce (hand-written data, checked by the model tests), and what
 * {@link changeEvents} makes of each record — its version-1 CLUSTER_CHANGE bits (§2.2.2.7) and
 * its version-2 object type, flag and NOTIFICATION_DATA_RPC fields (§3.1.4.2.138 table).
 */
import {
  clusterChangeSpecName,
  clusterObjectTypeSpecName,
  decodeDword,
  decodeMultiSz,
  decodePropertyList,
  decodeUtf16z,
  v2FlagSpecName,
} from '@clusnotify/protocol';
import type { ChangeEventV1, ChangeEventV2 } from '../change-event.js';
import type { Change, ChangeType } from './change.js';
import type { CommandType } from './command.js';
import { changeEvents } from './events.js';

/**
 * The change records each command type can produce, in the order they first appear (a
 * command that changes nothing produces none). The model tests check that `apply` never
 * produces a record outside this list.
 */
export const COMMAND_CHANGES: Readonly<Record<CommandType, readonly ChangeType[]>> = {
  'cluster.rename': ['cluster-renamed'],
  'cluster.set-properties': ['cluster-properties'],
  'quorum.set': ['quorum-state'],
  'node.create': ['node-added'],
  'node.delete': [
    'netif-deleted',
    'network-state',
    'group-preferred-owners',
    'resource-possible-owners',
    'node-deleted',
  ],
  'node.rename': ['node-properties'],
  'node.pause': ['node-state'],
  'node.resume': ['node-state'],
  'node.down': [
    'node-state',
    'netif-state',
    'network-state',
    'resource-state',
    'group-state',
    'quorum-state',
    'group-owner',
  ],
  'node.up': ['node-state', 'netif-state', 'network-state'],
  'node.set-properties': ['node-properties'],
  'group.create': ['group-added'],
  'group.delete': ['group-deleted'],
  'group.rename': ['group-properties'],
  'group.online': ['resource-state', 'group-state', 'quorum-state'],
  'group.offline': ['resource-state', 'group-state', 'quorum-state'],
  'group.move': ['resource-state', 'group-state', 'quorum-state', 'group-owner'],
  'group.set-preferred-owners': ['group-preferred-owners'],
  'group.set-properties': ['group-properties'],
  'resource.create': [
    'resource-added',
    'resource-dependencies',
    'resource-dependents',
    'group-state',
  ],
  'resource.delete': ['resource-deleted', 'resource-dependents', 'group-state'],
  'resource.rename': ['resource-properties'],
  'resource.online': ['resource-state', 'group-state', 'quorum-state'],
  'resource.offline': ['resource-state', 'group-state', 'quorum-state'],
  'resource.fail': ['resource-state', 'group-state', 'quorum-state', 'group-owner'],
  'resource.move': ['resource-state', 'group-state', 'quorum-state', 'resource-group'],
  'resource.set-dependencies': ['resource-dependencies', 'resource-dependents'],
  'resource.set-possible-owners': ['resource-possible-owners'],
  'resource.set-properties': ['resource-properties'],
  'restype.create': ['restype-added'],
  'restype.rename': ['restype-properties'],
  'restype.delete': ['restype-deleted'],
  'restype.set-properties': ['restype-properties'],
  'network.create': ['network-added'],
  'network.delete': ['network-deleted'],
  'network.rename': ['network-properties'],
  'network.set-state': ['network-state'],
  'network.set-properties': ['network-properties'],
  'netif.create': ['netif-added', 'network-state'],
  'netif.rename': ['netif-properties'],
  'netif.delete': ['netif-deleted', 'network-state'],
  'netif.set-state': ['netif-state', 'network-state'],
  'netif.set-properties': ['netif-properties'],
  'key.create': ['key-created'],
  'key.delete': ['key-deleted'],
  'key.set-security': ['key-security'],
  'value.set': ['value-set'],
  'value.delete': ['value-deleted'],
};

/**
 * One sample per change record. Every string field holds its own name and every number is
 * distinct within a record, so that the table can say which record field lands in which
 * indication field.
 */
const SAMPLES: Readonly<Record<ChangeType, Change>> = {
  'cluster-renamed': { type: 'cluster-renamed', name: 'name', previousName: 'previousName' },
  'cluster-properties': {
    type: 'cluster-properties',
    clusterName: 'clusterName',
    scope: 'common',
    changed: { Description: 'text', Count: 3 },
    removed: ['removed'],
  },
  'quorum-state': {
    type: 'quorum-state',
    clusterName: 'clusterName',
    resourceId: 'resourceId',
    name: 'name',
    state: 2,
  },
  'node-added': { type: 'node-added', id: 'id', name: 'name', state: 3, stateSequence: 7 },
  'node-deleted': { type: 'node-deleted', id: 'id', name: 'name', state: 1, stateSequence: 7 },
  'node-state': {
    type: 'node-state',
    id: 'id',
    name: 'name',
    from: 1,
    to: 2,
    stateSequence: 7,
  },
  'node-properties': {
    type: 'node-properties',
    id: 'id',
    name: 'name',
    scope: 'common',
    changed: { Description: 'text' },
    removed: [],
    stateSequence: 7,
  },
  'group-added': {
    type: 'group-added',
    id: 'id',
    name: 'name',
    ownerNodeId: 'ownerNodeId',
    ownerNodeName: 'ownerNodeName',
    groupType: 0x270f,
    stateSequence: 7,
  },
  'group-deleted': {
    type: 'group-deleted',
    id: 'id',
    name: 'name',
    ownerNodeId: 'ownerNodeId',
    ownerNodeName: 'ownerNodeName',
    stateSequence: 7,
  },
  'group-state': {
    type: 'group-state',
    id: 'id',
    name: 'name',
    ownerNodeId: 'ownerNodeId',
    from: 1,
    to: 4,
    stateSequence: 7,
  },
  'group-owner': {
    type: 'group-owner',
    id: 'id',
    name: 'name',
    from: 'from',
    fromName: 'fromName',
    to: 'to',
    toName: 'toName',
    stateSequence: 7,
  },
  'group-preferred-owners': {
    type: 'group-preferred-owners',
    id: 'id',
    name: 'name',
    ownerNodeId: 'ownerNodeId',
    owners: ['owners[0]', 'owners[1]'],
    stateSequence: 7,
  },
  'group-properties': {
    type: 'group-properties',
    id: 'id',
    name: 'name',
    ownerNodeId: 'ownerNodeId',
    scope: 'common',
    changed: { Description: 'text' },
    removed: [],
    stateSequence: 7,
  },
  'resource-added': {
    type: 'resource-added',
    id: 'id',
    name: 'name',
    typeName: 'typeName',
    groupId: 'groupId',
    groupName: 'groupName',
    ownerNodeId: 'ownerNodeId',
    groupStateSequence: 5,
    stateSequence: 7,
  },
  'resource-deleted': {
    type: 'resource-deleted',
    id: 'id',
    name: 'name',
    typeName: 'typeName',
    groupId: 'groupId',
    groupName: 'groupName',
    ownerNodeId: 'ownerNodeId',
    groupStateSequence: 5,
    stateSequence: 7,
  },
  'resource-state': {
    type: 'resource-state',
    id: 'id',
    name: 'name',
    typeName: 'typeName',
    groupId: 'groupId',
    from: 3,
    to: 0x81,
    stateSequence: 7,
  },
  'resource-group': {
    type: 'resource-group',
    id: 'id',
    name: 'name',
    typeName: 'typeName',
    fromGroupId: 'fromGroupId',
    fromGroupName: 'fromGroupName',
    fromOwnerNodeId: 'fromOwnerNodeId',
    toGroupId: 'toGroupId',
    toGroupName: 'toGroupName',
    toOwnerNodeId: 'toOwnerNodeId',
    fromGroupStateSequence: 4,
    toGroupStateSequence: 5,
    stateSequence: 7,
  },
  'resource-properties': {
    type: 'resource-properties',
    id: 'id',
    name: 'name',
    typeName: 'typeName',
    groupId: 'groupId',
    scope: 'common',
    changed: { RestartThreshold: 2 },
    removed: [],
    stateSequence: 7,
  },
  'resource-dependencies': {
    type: 'resource-dependencies',
    id: 'id',
    name: 'name',
    typeName: 'typeName',
    groupId: 'groupId',
    dependencies: ['dependencies[0]', 'dependencies[1]'],
    expression: 'expression',
    stateSequence: 7,
  },
  'resource-dependents': {
    type: 'resource-dependents',
    id: 'id',
    name: 'name',
    typeName: 'typeName',
    groupId: 'groupId',
    dependents: ['dependents[0]', 'dependents[1]'],
    stateSequence: 7,
  },
  'resource-possible-owners': {
    type: 'resource-possible-owners',
    id: 'id',
    name: 'name',
    typeName: 'typeName',
    groupId: 'groupId',
    owners: ['owners[0]', 'owners[1]'],
    stateSequence: 7,
  },
  'restype-added': { type: 'restype-added', name: 'name' },
  'restype-deleted': { type: 'restype-deleted', name: 'name' },
  'restype-properties': {
    type: 'restype-properties',
    name: 'name',
    scope: 'common',
    changed: { Description: 'text' },
    removed: [],
  },
  'network-added': { type: 'network-added', id: 'id', name: 'name', stateSequence: 7 },
  'network-deleted': { type: 'network-deleted', id: 'id', name: 'name', stateSequence: 7 },
  'network-state': {
    type: 'network-state',
    id: 'id',
    name: 'name',
    from: 3,
    to: 2,
    stateSequence: 7,
  },
  'network-properties': {
    type: 'network-properties',
    id: 'id',
    name: 'name',
    scope: 'common',
    changed: { Description: 'text' },
    removed: [],
    stateSequence: 7,
  },
  'netif-added': {
    type: 'netif-added',
    id: 'id',
    name: 'name',
    nodeId: 'nodeId',
    nodeName: 'nodeName',
    networkId: 'networkId',
    stateSequence: 7,
  },
  'netif-deleted': {
    type: 'netif-deleted',
    id: 'id',
    name: 'name',
    nodeId: 'nodeId',
    stateSequence: 7,
  },
  'netif-state': {
    type: 'netif-state',
    id: 'id',
    name: 'name',
    nodeId: 'nodeId',
    from: 3,
    to: 2,
    stateSequence: 7,
  },
  'netif-properties': {
    type: 'netif-properties',
    id: 'id',
    name: 'name',
    nodeId: 'nodeId',
    scope: 'common',
    changed: { Description: 'text' },
    removed: [],
    stateSequence: 7,
  },
  'key-created': { type: 'key-created', path: 'path' },
  'key-deleted': { type: 'key-deleted', path: 'path' },
  'value-set': { type: 'value-set', path: 'path', name: 'name' },
  'value-deleted': { type: 'value-deleted', path: 'path', name: 'name' },
  'key-security': { type: 'key-security', path: 'path' },
};

/** `field` (in backticks) of `sample` that holds `value`, else the value itself; '' is "—". */
function fieldOf(sample: Change, value: unknown): string {
  if (value === '') return '—';
  const want = JSON.stringify(value);
  for (const [k, v] of Object.entries(sample)) {
    if (k !== 'type' && JSON.stringify(v) === want) return `\`${k}\``;
  }
  return typeof value === 'number' ? String(value) : `\`${want}\``;
}

/** The payload's encoding and the record field it carries. */
function describeBuffer(sample: Change, buffer: Uint8Array): string {
  if (buffer.length === 0) return '(empty)';
  if (buffer.length === 4) return `DWORD ${fieldOf(sample, decodeDword(buffer))}`;
  const decoders: [string, (b: Uint8Array) => unknown][] = [
    ['PROPERTY_LIST of', decodePropertyList],
    ['UTF-16 string', decodeUtf16z],
    ['MULTI_SZ of', decodeMultiSz],
  ];
  for (const [what, decode] of decoders) {
    try {
      return `${what} ${fieldOf(sample, decode(buffer))}`;
    } catch {
      // not this encoding; try the next
    }
  }
  return `${buffer.length} bytes`;
}

function describeV1(sample: Change, e: ChangeEventV1): string {
  const bit = `\`${clusterChangeSpecName(e.change) ?? e.change.toString(16)}\``;
  if (e.keyPath !== '')
    return `${bit}: name ${fieldOf(sample, e.keyPath)} relative to the watched key`;
  return `${bit}: object ${fieldOf(sample, e.objectId)}, name ${fieldOf(sample, e.name)}, seq ${fieldOf(sample, e.stateSequence)}`;
}

function describeV2(sample: Change, e: ChangeEventV2): string {
  const type = clusterObjectTypeSpecName(e.objectType) ?? String(e.objectType);
  const flag = v2FlagSpecName(e.objectType, e.flag) ?? e.flag.toString(16);
  const fields: string[] = [];
  if (e.keyPath === '') fields.push(`target ${fieldOf(sample, e.targetId)}`);
  if (e.objectId !== '') fields.push(`ObjectId ${fieldOf(sample, e.objectId)}`);
  if (e.parentId !== '') fields.push(`ParentId ${fieldOf(sample, e.parentId)}`);
  if (e.keyPath !== '')
    fields.push(`Name ${fieldOf(sample, e.keyPath)} relative to the watched key`);
  else if (e.name !== '') fields.push(`Name ${fieldOf(sample, e.name)}`);
  if (e.type !== '') fields.push(`Type ${fieldOf(sample, e.type)}`);
  fields.push(`buffer ${describeBuffer(sample, e.buffer)}`);
  return `\`${type}\` \`${flag}\`: ${fields.join(', ')}`;
}

function describeRecord(sample: Change): { v1: string; v2: string } {
  const events = changeEvents(sample, 1);
  const v1: string[] = [];
  const v2: string[] = [];
  for (const e of events) {
    if (e.version === 1) v1.push(describeV1(sample, e));
    else v2.push(describeV2(sample, e));
  }
  return { v1: v1.join('<br>') || '—', v2: v2.join('<br>') || '—' };
}

/**
 * The Markdown page `docs/events.md` (written by `npm run docs:events`; a test keeps it
 * current): commands → change records, then change records → version-1 and version-2
 * indications, rendered by running {@link changeEvents} on one sample of every record.
 */
export function renderEventsTable(): string {
  const lines = [
    '# Change events',
    '',
    'Generated from `packages/core/src/model/events-table.ts` by `npm run docs:events`; do not edit',
    'by hand.',
    '',
    'A command applied to the cluster model (`apply`, `packages/core/src/model/apply.ts`) produces',
    'change records; every node turns each record into version-1 and version-2 change events',
    '(`changeEvents`, `packages/core/src/model/events.ts`), and the notification engine queues one',
    'indication per matching filter. Decisions D15–D19 in `docs/decisions.md` explain the choices',
    'the reference leaves open (§13 items 1, 4, 12, 13).',
    '',
    '## Commands and the change records they can produce',
    '',
    'A command that changes nothing (renaming to the current name, bringing an online resource',
    'online, …) produces no record.',
    '',
    '| command | change records |',
    '| --- | --- |',
  ];
  for (const [command, changes] of Object.entries(COMMAND_CHANGES)) {
    lines.push(`| \`${command}\` | ${changes.map((c) => `\`${c}\``).join(', ')} |`);
  }
  lines.push(
    '',
    '## Change records and their indications',
    '',
    'In the version-1 column, *object* is the id per-object filters match (`—`: reachable only',
    'through cluster-wide filters), *name* the reported name and *seq* the state sequence',
    '(`dwStateSequence`). In the version-2 column, *target* is the id a targeted filter must',
    'name; ObjectId, ParentId, Name and Type are the NOTIFICATION_DATA_RPC strings (left out:',
    'empty); DWORD payloads are little-endian, strings UTF-16LE with a terminating NUL, lists',
    'MULTI_SZ, property payloads PROPERTY_LIST (D17). Each cell names the record field that',
    'supplies the value. Records with a property `scope` raise the *_PRIVATE_PROPERTY_V2 flag',
    'instead when the scope is `private` (second line).',
    '',
    '| change record | version 1 | version 2 |',
    '| --- | --- | --- |',
  );
  for (const sample of Object.values(SAMPLES)) {
    const common = describeRecord(sample);
    let v2 = common.v2;
    if ('scope' in sample)
      v2 += `<br>*private:* ${describeRecord({ ...sample, scope: 'private' }).v2}`;
    lines.push(`| \`${sample.type}\` | ${common.v1} | ${v2} |`);
  }
  lines.push('');
  return lines.join('\n');
}
