// Sealing demo (`npm start`): a unikernel keeps a secret on an untrusted block device without ever being able to
// read it itself at rest. The first run asks the sealer enclave to seal a new secret (MRSIGNER policy, so a
// newer version of the enclave could still read it) and stores the blob; each later run unseals it, shows it,
// bumps a run counter inside the secret and seals it again. Edit the disk image and the unseal is refused; a
// device that is neither blank nor holds a well-formed blob is left alone.
import { BlockDevice, puts, wallClock } from "../../as/index";
import { sealer_open, seal_data, unseal_data } from "./generated/sealer_u";

const MAGIC: u32 = 0x44534d45; // "EMSD": a sealed blob follows
const POLICY_MRSIGNER: u32 = 2;
const AREA: i32 = 4096;
const RET: usize = memory.data(8, 8);

/** OCALL from the enclave: a log line. */
export function ocall_log(msg: usize): void {
  let n: usize = 0;
  while (load<u8>(msg + n) != 0) n++;
  puts("  enclave says: " + String.UTF8.decodeUnsafe(msg, n));
}

function sealAndStore(h: i32, disk: BlockDevice, secret: string): bool {
  const data = Uint8Array.wrap(String.UTF8.encode(secret));
  const aad = Uint8Array.wrap(String.UTF8.encode("emon-demo/v1"));
  const area = new Uint8Array(AREA);
  const rc = seal_data(h, RET, POLICY_MRSIGNER, aad.dataStart, aad.length, data.dataStart, data.length, area.dataStart + 8, AREA - 8);
  const n = load<i32>(RET);
  if (rc != 0 || n < 0) {
    puts("seal failed: status " + rc.toString() + ", result " + n.toString());
    return false;
  }
  store<u32>(area.dataStart, MAGIC);
  store<u32>(area.dataStart + 4, <u32>n);
  return disk.write(0, area) == 0;
}

export function solo5_app_main(_startInfo: usize): i32 {
  const disk = BlockDevice.acquire("storage");
  if (disk === null) {
    puts("no block device \"storage\"");
    return 1;
  }
  if (disk.capacity < <u64>AREA) {
    puts("the storage device needs at least 4 KiB");
    return 1;
  }
  const h = sealer_open("sealer");
  if (h < 0) {
    puts("cannot open the sealer enclave: status " + (-h).toString());
    return 1;
  }
  const area = new Uint8Array(AREA);
  if (disk.read(0, area) != 0) {
    puts("cannot read the storage device");
    return 1;
  }
  const len = load<u32>(area.dataStart + 4);
  if (load<u32>(area.dataStart) != MAGIC) {
    // Only a blank device is ours to start on: anything else may be someone's data, or a blob whose header was
    // damaged, and overwriting it would lose that secret for good.
    for (let i = 0; i < AREA; i++) {
      if (area[i] != 0) {
        puts("the storage device holds data that is not a sealed blob; refusing to overwrite it");
        return 2;
      }
    }
    const secret = "the treasure is under the third palm (sealed at " + (wallClock() / 1000000000).toString() + "); run 1";
    if (!sealAndStore(h, disk, secret)) return 1;
    puts("sealed a new secret to the block device; run again to unseal it");
    return 0;
  }
  if (len > <u32>(AREA - 8)) {
    puts("the sealed blob's header is damaged (length " + len.toString() + "); refusing to overwrite it");
    return 2;
  }
  const out = new Uint8Array(AREA);
  const rc = unseal_data(h, RET, area.dataStart + 8, len, out.dataStart, AREA);
  const n = load<i32>(RET);
  if (rc != 0 || n < 0) {
    puts("unseal refused (status " + rc.toString() + ", result " + n.toString() + "): the blob was altered, or sealed elsewhere");
    return 2;
  }
  const secret = String.UTF8.decodeUnsafe(out.dataStart, <usize>n);
  puts("unsealed: " + secret);
  const at = secret.lastIndexOf("; run ");
  const run = at < 0 ? 1 : I32.parseInt(secret.substring(at + 6)) + 1;
  if (!sealAndStore(h, disk, (at < 0 ? secret : secret.substring(0, at)) + "; run " + run.toString())) return 1;
  puts("sealed it again (run " + run.toString() + ")");
  return 0;
}
