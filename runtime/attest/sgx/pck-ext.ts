/**
 * The SGX extension of a PCK certificate (OID 1.2.840.113741.1.13.1; Intel, "Intel SGX PCK Certificate and
 * Certificate Revocation List Profile Specification", §1.3.5): PPID, TCB (sixteen CPUSVN components, PCESVN and
 * CPUSVN), PCE-ID, FMSPC and SGX type, each a SEQUENCE { OID, value }. Encoded and decoded with asn1js.
 */
import * as asn1js from 'asn1js';

export const SGX_EXTENSION_OID = '1.2.840.113741.1.13.1';
const OID = SGX_EXTENSION_OID;

export interface PckExtension {
  readonly ppid: Uint8Array;
  /** The sixteen TCB components (in practice the CPUSVN bytes). */
  readonly tcbComponents: readonly number[];
  readonly pceSvn: number;
  readonly cpuSvn: Uint8Array;
  readonly pceId: Uint8Array;
  readonly fmspc: Uint8Array;
}

const pair = (oid: string, value: asn1js.BaseBlock): asn1js.Sequence => new asn1js.Sequence({ value: [new asn1js.ObjectIdentifier({ value: oid }), value] });
const octets = (b: Uint8Array): asn1js.OctetString => new asn1js.OctetString({ valueHex: new Uint8Array(b).buffer });

export function encodePckExtension(e: PckExtension): Uint8Array {
  const tcb = [
    ...e.tcbComponents.map((svn, i) => pair(`${OID}.2.${i + 1}`, new asn1js.Integer({ value: svn }))),
    pair(`${OID}.2.17`, new asn1js.Integer({ value: e.pceSvn })),
    pair(`${OID}.2.18`, octets(e.cpuSvn)),
  ];
  const seq = new asn1js.Sequence({
    value: [
      pair(`${OID}.1`, octets(e.ppid)),
      pair(`${OID}.2`, new asn1js.Sequence({ value: tcb })),
      pair(`${OID}.3`, octets(e.pceId)),
      pair(`${OID}.4`, octets(e.fmspc)),
      pair(`${OID}.5`, new asn1js.Enumerated({ value: 0 })),
    ],
  });
  return new Uint8Array(seq.toBER());
}

/** Decodes the extension's DER value; null when it is not a well-formed SGX extension. */
export function decodePckExtension(der: Uint8Array): PckExtension | null {
  const parsed = asn1js.fromBER(new Uint8Array(der).buffer);
  if (parsed.offset === -1 || !(parsed.result instanceof asn1js.Sequence)) return null;
  const fields = new Map<string, asn1js.BaseBlock>();
  const walk = (seq: asn1js.Sequence): void => {
    for (const item of seq.valueBlock.value) {
      if (!(item instanceof asn1js.Sequence) || item.valueBlock.value.length !== 2) continue;
      const [oid, value] = item.valueBlock.value as [asn1js.BaseBlock, asn1js.BaseBlock];
      if (!(oid instanceof asn1js.ObjectIdentifier)) continue;
      const id = oid.valueBlock.toString();
      fields.set(id, value);
      if (value instanceof asn1js.Sequence) walk(value);
    }
  };
  walk(parsed.result);
  const bytes = (id: string, n: number): Uint8Array | null => {
    const v = fields.get(`${OID}.${id}`);
    if (!(v instanceof asn1js.OctetString)) return null;
    const b = new Uint8Array(v.valueBlock.valueHexView);
    return b.length === n ? b : null;
  };
  const int = (id: string): number | null => {
    const v = fields.get(`${OID}.${id}`);
    if (!(v instanceof asn1js.Integer)) return null;
    const n = v.valueBlock.valueDec;
    return Number.isInteger(n) && n >= 0 && n <= 0xffff ? n : null;
  };
  const comps: number[] = [];
  for (let i = 1; i <= 16; i++) {
    const c = int(`2.${i}`);
    if (c === null || c > 255) return null;
    comps.push(c);
  }
  const ppid = bytes('1', 16), pceSvn = int('2.17'), cpuSvn = bytes('2.18', 16), pceId = bytes('3', 2), fmspc = bytes('4', 6);
  if (!ppid || pceSvn === null || !cpuSvn || !pceId || !fmspc) return null;
  return { ppid, tcbComponents: comps, pceSvn, cpuSvn, pceId, fmspc };
}
