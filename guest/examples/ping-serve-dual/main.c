/* ping-serve-dual: ping-serve (../ping-serve/main.c, linked here as ping-serve.c so that editing it rebuilds
 * this guest too) with two NICs, service0 and service1, each answering for its own address: `IP0 IP1 [COUNT]`,
 * default 10.0.0.2 and 10.0.0.3. */
#define NICS 2
#include "ping-serve.c"
