/**
 * What every secure storage design offers and what it needs (the three designs of emon's storage use case,
 * after the OP-TEE REE FS and SGX Protected FS split between trusted logic and untrusted backing): a store
 * of fixed-size blocks that trusted code keeps confidential, authentic and fresh, on a backing the untrusted
 * monitor owns. Designs are siblings implementing `BlockStore`; the backing is `Backing`, which tests replace
 * with an adversary. Every detected attack is a `StorageViolation` naming its kind.
 */
import { EmonError } from '../errors.js';

/** The untrusted bytes a store lives on (a file the monitor owns). Anything it returns may be hostile. */
export interface Backing {
  /** For messages: where the bytes are (a path). */
  readonly where: string;
  size(): number;
  /** Reads up to out.length bytes at offset; returns how many it read (fewer at the end). */
  read(offset: number, out: Uint8Array): number;
  write(offset: number, data: Uint8Array): void;
  /** Makes every write so far durable (fdatasync). */
  sync(): void;
  /** Grows the backing to `bytes` (never shrinks). */
  grow(bytes: number): void;
  close(): void;
}

export type Design = 'sealed' | 'epc';

export interface BlockStore {
  readonly design: Design;
  readonly blockSize: number;
  readonly blocks: number;
  /** Reads block `block` into `out` (blockSize bytes); throws StorageViolation rather than return wrong data. */
  read(block: number, out: Uint8Array): void;
  /** Writes `data` (blockSize bytes) as block `block`; durable when it returns if the store commits per write. */
  write(block: number, data: Uint8Array): void;
  /** Writes consecutive blocks from `first` (data is a whole number of blocks) as one commit. */
  writeRun(first: number, data: Uint8Array): void;
  /** Commits every write so far: durable and rollback-protected when it returns. */
  flush(): void;
  /** Flushes and releases the backing. */
  close(): void;
}

/**
 * The attacks a store tells apart: `altered` (a block's bytes changed: bit flips, an older copy of the block,
 * a dropped write), `moved` (a block holds another block's contents: swap or move), `metadata` (the hash tree
 * does not match the sealed root), `superblock` (no authentic superblock), `rollback` (the newest authentic
 * state is older than the hardware counter: the image or its superblock was restored or replayed, or a commit
 * was dropped), `truncated` (the backing is shorter than the layout), `counter` (the platform counter is
 * behind the store: the platform state was restored).
 */
export type ViolationKind = 'altered' | 'moved' | 'metadata' | 'superblock' | 'rollback' | 'truncated' | 'counter';

export class StorageViolation extends EmonError {
  readonly kind: ViolationKind;
  constructor(kind: ViolationKind, message: string, hint?: string) {
    super(kind === 'rollback' || kind === 'counter' ? 'E_STORAGE_ROLLBACK' : 'E_STORAGE_INTEGRITY', message, {
      hint: hint ?? 'the image was altered outside emon; restore it from a trusted backup',
    });
    this.kind = kind;
  }
}
