/**
 * A streaming SHA-256 (FIPS 180-4) or HMAC-SHA256 (RFC 2104) computation held in one context slot of the crypto
 * core's memory, for inputs that arrive in pieces.
 */
import { EmonError } from '../../errors.js';
import { needBytes } from './params.js';

/** What a stream needs from the instance that owns its context slot. */
export interface StreamHost {
  feed(slot: number, update: (ctx: number, p: number, len: number) => void, data: Uint8Array): void;
  finish(slot: number, final: (ctx: number, out: number) => void): Uint8Array;
  release(slot: number): void;
}

/** A SHA-256 or HMAC-SHA256 computation in progress, holding one context slot of its WasmCrypto. */
export class HashStream {
  private slot: number;

  constructor(
    private readonly owner: StreamHost,
    slot: number,
    private readonly updateFn: (ctx: number, p: number, len: number) => void,
    private readonly finalFn: (ctx: number, out: number) => void,
  ) {
    this.slot = slot;
  }

  update(data: Uint8Array): this {
    if (this.slot < 0) throw new EmonError('E_CRYPTO_STATE', 'update() after digest() on a hash stream', { hint: 'start a new stream' });
    needBytes('data', data);
    this.owner.feed(this.slot, this.updateFn, data);
    return this;
  }

  digest(): Uint8Array {
    if (this.slot < 0) throw new EmonError('E_CRYPTO_STATE', 'digest() called twice on a hash stream', { hint: 'start a new stream' });
    const out = this.owner.finish(this.slot, this.finalFn);
    this.slot = -1;
    return out;
  }

  /** Gives the context back without producing a digest. */
  dispose(): void {
    if (this.slot >= 0) this.owner.release(this.slot);
    this.slot = -1;
  }
}
