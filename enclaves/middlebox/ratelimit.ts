// A token-bucket rate limiter (the policer of RFC 2697's single-rate model, one bucket): `rate` frames per
// second on average, bursts of up to `burst` frames; a frame that finds the bucket empty is dropped.

let rate: f64 = 0; // frames per second; 0 = no limit
let burst: f64 = 0;
let tokens: f64 = 0;
let last: u64 = 0;
let started = false;

export function rl_configure(pps: u32, burstFrames: u32): void {
  rate = <f64>pps;
  burst = <f64>(burstFrames == 0 ? pps : burstFrames);
  tokens = burst;
  started = false;
}

/** Takes one token at time `nowNs`; false when the frame exceeds the rate. */
export function rl_take(nowNs: u64): bool {
  if (rate == 0) return true;
  if (!started) {
    started = true;
    last = nowNs;
  } else if (nowNs > last) {
    // The host supplies the time (SGX has no trusted clock): a lying host can change the rate it gets, never
    // reach the firewall or the matcher. Time never runs backwards here.
    tokens = Math.min(burst, tokens + (<f64>(nowNs - last) * rate) / 1e9);
    last = nowNs;
  }
  if (tokens < 1) return false;
  tokens -= 1;
  return true;
}
