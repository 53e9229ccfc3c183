/**
 * The quote provider a guest calls, as an SGX application calls Intel's DCAP Quote Library
 * (sgx_qe_get_target_info, sgx_qe_get_quote in libsgx_dcap_ql, which runs in the untrusted application): import
 * module "emon_quote" serves `target_info(out) -> i32` (the quoting enclave's 64-byte TARGETINFO, for the
 * guest's enclave to EREPORT against) and `get_quote(report, out, cap, len_out) -> i32` (the quote v3 for a
 * 208-byte REPORT; AGAIN with the needed length in len_out when cap is short). A guest declares it in its
 * manifest with `"quote": "sgx"`; the quoting enclave, the PCE and the manufacturer's PCK chain (default
 * ~/.emon/manufacturer, EMON_CA_DIR) are then set up before the guest starts. Every pointer is checked against
 * the guest's memory; the guest sees Solo5 result codes, the reason goes to the monitor's log.
 */
import { EmonError, isEmonError } from '../errors.js';
import type { GuestHost, MonitorExtension } from '../monitor/extension.js';

const OK = 0, AGAIN = 1, EINVAL = 2, EUNSPEC = 3;
const REPORT_SIZE = 208;
const TARGETINFO_SIZE = 64;

function inside(mem: WebAssembly.Memory, p: number, n: number): boolean {
  return p >= 0 && n >= 0 && p + n <= mem.buffer.byteLength;
}

async function guestImports(host: GuestHost): Promise<Record<string, WebAssembly.ImportValue>> {
  const want = host.manifest['quote'];
  const refuse = (what: string) => (): number => host.abort(`${what}: the manifest does not declare "quote": "sgx"`);
  if (want === undefined) return { target_info: refuse('emon_quote.target_info'), get_quote: refuse('emon_quote.get_quote') };
  if (want !== 'sgx') {
    throw new EmonError('E_MANIFEST', `guest ${host.name}: manifest "quote" is ${JSON.stringify(want)}; the only quote provider is "sgx"`, { hint: 'write "quote": "sgx" in the manifest, or remove the key' });
  }
  const { defaultStateDir, loadPlatform } = await import('../hw/sgx/platform.js');
  const { Manufacturer, defaultCaDir } = await import('./sgx/manufacturer.js');
  const { QuoteGenerator } = await import('./sgx/quote-gen.js');
  const stateDir = typeof host.options['stateDir'] === 'string' ? host.options['stateDir'] : defaultStateDir();
  const gen = QuoteGenerator.open(loadPlatform(stateDir), await Manufacturer.open(defaultCaDir()));
  await gen.pckChain();
  const target = gen.targetInfo();
  return {
    target_info(out: number): number {
      out >>>= 0;
      const mem = host.memory();
      if (!inside(mem, out, TARGETINFO_SIZE)) return EINVAL;
      new Uint8Array(mem.buffer).set(target, out);
      return OK;
    },
    get_quote(report: number, out: number, cap: number, lenOut: number): number {
      report >>>= 0;
      out >>>= 0;
      cap >>>= 0;
      lenOut >>>= 0;
      const mem = host.memory();
      if (!inside(mem, report, REPORT_SIZE) || !inside(mem, out, cap) || !inside(mem, lenOut, 4)) return EINVAL;
      let quote: Uint8Array;
      try {
        quote = gen.quoteSync(new Uint8Array(mem.buffer).slice(report, report + REPORT_SIZE));
      } catch (e) {
        host.log(`emon_quote.get_quote: ${isEmonError(e) ? e.message : String(e)}`);
        return EUNSPEC;
      }
      const u8 = new Uint8Array(mem.buffer);
      new DataView(mem.buffer).setUint32(lenOut, quote.length, true);
      if (quote.length > cap) return AGAIN;
      u8.set(quote, out);
      return OK;
    },
  };
}

export const quoteExtension: MonitorExtension = {
  importModule: 'emon_quote',
  imports: guestImports,
};
