/**
 * How `clusnotify watch` prints an indication: one JSON object per line (`--json`) or one
 * readable line. Spec names come from the protocol's helpers; simple payloads are decoded
 * (a DWORD state becomes its state name).
 */
import {
  ClusterChangeGroupV2,
  ClusterChangeNetInterfaceV2,
  ClusterChangeNetworkV2,
  ClusterChangeNodeV2,
  ClusterChangeResourceV2,
  ClusterObjectType,
  clusterChangeSpecName,
  clusterGroupStateSpecName,
  clusterNetInterfaceStateSpecName,
  clusterNetworkStateSpecName,
  clusterNodeStateSpecName,
  clusterObjectTypeSpecName,
  clusterResourceStateSpecName,
  decodeDword,
  decodeUtf16z,
  toBase64,
  v2FlagSpecName,
} from '@clusnotify/protocol';
import type { Indication, IndicationV2 } from '@clusnotify/protocol';

/** State flags whose DWORD payload is a state, with the state's spec-name helper. */
const STATE_PAYLOADS: ReadonlyMap<number, readonly [number, (s: number) => string | undefined]> =
  new Map([
    [ClusterObjectType.NODE, [ClusterChangeNodeV2.STATE, clusterNodeStateSpecName]],
    [ClusterObjectType.GROUP, [ClusterChangeGroupV2.STATE, clusterGroupStateSpecName]],
    [ClusterObjectType.RESOURCE, [ClusterChangeResourceV2.STATE, clusterResourceStateSpecName]],
    [ClusterObjectType.NETWORK, [ClusterChangeNetworkV2.STATE, clusterNetworkStateSpecName]],
    [
      ClusterObjectType.NETWORK_INTERFACE,
      [ClusterChangeNetInterfaceV2.STATE, clusterNetInterfaceStateSpecName],
    ],
  ]);

/** A decoded payload: a state, a DWORD, a string, or the raw bytes in base64. */
export type DecodedPayload =
  | { readonly state: number; readonly stateName: string | undefined }
  | { readonly dword: number }
  | { readonly string: string }
  | { readonly base64: string };

/** Decodes a v2 payload where it is simple; undefined when it is empty. */
export function decodePayload(i: IndicationV2): DecodedPayload | undefined {
  const b = i.buffer;
  if (b.length === 0) return undefined;
  const { objectType, filterFlags } = i.filterAndType;
  const st = STATE_PAYLOADS.get(objectType);
  if (b.length === 4) {
    const n = decodeDword(b);
    return st !== undefined && st[0] === filterFlags
      ? { state: n, stateName: st[1](n) }
      : { dword: n };
  }
  try {
    return { string: decodeUtf16z(b) };
  } catch {
    return { base64: toBase64(b) };
  }
}

/** The JSON form of an indication (`watch --json`). */
export function indicationJson(i: Indication): Record<string, unknown> {
  if (i.version === 1) {
    return {
      revision: i.revision,
      notifyKey: i.notifyKey,
      filter: clusterChangeSpecName(i.filter) ?? i.filter,
      name: i.name,
      stateSequence: i.stateSequence,
      ...(i.lost === undefined ? {} : { lost: i.lost }),
    };
  }
  const { objectType, filterFlags } = i.filterAndType;
  const payload = decodePayload(i);
  return {
    revision: i.revision,
    notifyKey: i.notifyKey,
    objectType: clusterObjectTypeSpecName(objectType) ?? objectType,
    flag: v2FlagSpecName(objectType, filterFlags) ?? filterFlags,
    name: i.name,
    objectId: i.objectId,
    ...(i.parentId === '' ? {} : { parentId: i.parentId }),
    ...(i.type === '' ? {} : { type: i.type }),
    ...(payload === undefined ? {} : { payload }),
    ...(i.lost === undefined ? {} : { lost: i.lost }),
  };
}

function payloadText(p: DecodedPayload | undefined): string {
  if (p === undefined) return '';
  if ('state' in p) return p.stateName ?? String(p.state);
  if ('dword' in p) return String(p.dword);
  if ('string' in p) return JSON.stringify(p.string);
  return `<${p.base64}>`;
}

/** The readable line of an indication: time, revision, type, flag, name, payload. */
export function indicationLine(i: Indication, now: Date): string {
  const time = now.toISOString().slice(11, 23);
  const lost =
    i.lost === undefined
      ? ''
      : `  lost ${i.lost.count} (revisions ${i.lost.firstRevision}-${i.lost.lastRevision})`;
  if (i.version === 1) {
    const flag = (clusterChangeSpecName(i.filter) ?? String(i.filter)).replace(
      /^CLUSTER_CHANGE_/,
      '',
    );
    return `${time}  r${i.revision}  ${flag}  ${JSON.stringify(i.name)}${lost}`;
  }
  const { objectType, filterFlags } = i.filterAndType;
  const type = (clusterObjectTypeSpecName(objectType) ?? String(objectType)).replace(
    /^CLUSTER_OBJECT_TYPE_/,
    '',
  );
  const flag = (v2FlagSpecName(objectType, filterFlags) ?? String(filterFlags)).replace(
    /^CLUSTER_CHANGE_/,
    '',
  );
  const payload = payloadText(decodePayload(i));
  return `${time}  r${i.revision}  ${type}  ${flag}  ${JSON.stringify(i.name)}${payload === '' ? '' : `  ${payload}`}${lost}`;
}
