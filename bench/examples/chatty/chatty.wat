;; A deliberately chatty unikernel, the example for `emon trace summary` (README, "Benchmarks and tracing").
;; It does three things a real application should not, each of which one summary rule catches:
;;   1. writes the console 2,000 times, 16 bytes at a time            -> chatty hypercall: buffer the output
;;   2. calls the sealer's unseal_data 1,500 times on a bad blob; each  -> chatty OCALL: ocall_log runs 1,500
;;      call logs through the ocall_log OCALL, whose body does nothing     times with a near-empty body
;;   3. seals 32 KiB per seal_data ECALL, copied [in] and [out]        -> large copy: consider user_check
;; Run:  emon run --trace=chatty.json --enclave:sealer=build/enclaves/sealer.wasm build/guests/chatty.wasm
;;       emon trace summary chatty.json
(module
  (import "solo5" "console_write" (func $console_write (param i32 i32)))
  (import "emon" "enclave_open" (func $enclave_open (param i32 i32 i32 i32 i32) (result i32)))
  (import "emon" "ecall" (func $ecall (param i32 i32 i32) (result i32)))
  (memory (export "memory") 5)
  (data (i32.const 16) "sealer")
  (data (i32.const 32) "chatty: tick...\n")
  (data (i32.const 48) "chatty: done\n")

  ;; Layout: handle at 64; unseal frame at 0x100; seal frame at 0x200; bad blob at 0x1000 (64 bytes);
  ;; unseal output at 0x2000; OCALL scratch 0x10000-0x1ffff; seal input at 0x20000 (32 KiB); blob at 0x30000.
  (global $UNSEAL i32 (i32.const 1))
  (global $SEAL i32 (i32.const 0))

  ;; OCALL handler of sealer.edl's `void ocall_log([in, string] const char* msg)`: deliberately does nothing.
  (func (export "ocall_log") (param $msg i32))

  (func $slot (param $frame i32) (param $i i32) (param $v i32)
    (i64.store (i32.add (local.get $frame) (i32.shl (local.get $i) (i32.const 3))) (i64.extend_i32_u (local.get $v))))

  (func (export "solo5_app_main") (param $start i32) (result i32)
    (local $i i32)
    (local $h i32)
    ;; 1. chatty console
    (local.set $i (i32.const 2000))
    (block $done (loop $next
      (br_if $done (i32.eqz (local.get $i)))
      (call $console_write (i32.const 32) (i32.const 16))
      (local.set $i (i32.sub (local.get $i) (i32.const 1)))
      (br $next)))
    (if (call $enclave_open (i32.const 16) (i32.const 6) (i32.const 0x10000) (i32.const 0x10000) (i32.const 64))
      (then (return (i32.const 1))))
    (local.set $h (i32.load (i32.const 64)))
    ;; 2. unseal_data(blob=0x1000, len=64, data=0x2000, cap=64): the blob is not sealed, so each call fails and logs.
    (call $slot (i32.const 0x100) (i32.const 1) (i32.const 0x1000))
    (call $slot (i32.const 0x100) (i32.const 2) (i32.const 64))
    (call $slot (i32.const 0x100) (i32.const 3) (i32.const 0x2000))
    (call $slot (i32.const 0x100) (i32.const 4) (i32.const 64))
    (local.set $i (i32.const 1500))
    (block $done (loop $next
      (br_if $done (i32.eqz (local.get $i)))
      (if (call $ecall (local.get $h) (global.get $UNSEAL) (i32.const 0x100)) (then (return (i32.const 2))))
      (local.set $i (i32.sub (local.get $i) (i32.const 1)))
      (br $next)))
    ;; 3. seal_data(policy=1, aad=0x3000, 0, data=0x20000, 32768, blob=0x30000, cap=33024): 32 KiB in, 32 KiB+ out.
    (call $slot (i32.const 0x200) (i32.const 1) (i32.const 1))
    (call $slot (i32.const 0x200) (i32.const 2) (i32.const 0x3000))
    (call $slot (i32.const 0x200) (i32.const 3) (i32.const 0))
    (call $slot (i32.const 0x200) (i32.const 4) (i32.const 0x20000))
    (call $slot (i32.const 0x200) (i32.const 5) (i32.const 32768))
    (call $slot (i32.const 0x200) (i32.const 6) (i32.const 0x30000))
    (call $slot (i32.const 0x200) (i32.const 7) (i32.const 33024))
    (local.set $i (i32.const 20))
    (block $done (loop $next
      (br_if $done (i32.eqz (local.get $i)))
      (if (call $ecall (local.get $h) (global.get $SEAL) (i32.const 0x200)) (then (return (i32.const 3))))
      (local.set $i (i32.sub (local.get $i) (i32.const 1)))
      (br $next)))
    (call $console_write (i32.const 48) (i32.const 13))
    (i32.const 0)))
