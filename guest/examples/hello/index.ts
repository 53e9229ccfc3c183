// hello: prints its command line, as Solo5's tests/test_hello does.
import { cmdline, puts } from "../../as/index";

export function solo5_app_main(startInfo: usize): i32 {
  puts("Hello, World");
  puts("Command line is: '" + cmdline(startInfo) + "'");
  return 0;
}
