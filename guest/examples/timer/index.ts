// timer: sleeps with solo5_yield and checks the monotonic clock advanced at least as far, then prints the
// wall clock, as Solo5's test_time does.
import { monotonic, puts, sleep, wallClock } from "../../as/index";

const TICK_NS: u64 = 100_000_000;

export function solo5_app_main(startInfo: usize): i32 {
  const t0 = monotonic();
  for (let i = 1; i <= 3; i++) {
    const before = monotonic();
    sleep(TICK_NS);
    const slept = monotonic() - before;
    if (slept < TICK_NS) {
      puts("timer: woke after " + slept.toString() + " ns, before the deadline");
      return 1;
    }
    puts("timer: tick " + i.toString() + " after " + ((monotonic() - t0) / 1_000_000).toString() + " ms");
  }
  const wall = wallClock();
  puts("timer: wall clock " + (wall / 1_000_000_000).toString() + " s since the epoch");
  puts("SUCCESS");
  return 0;
}
