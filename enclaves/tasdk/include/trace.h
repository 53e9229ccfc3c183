/*
 * OP-TEE's trace macros (lib/libutils/ext/include/trace.h): EMSG, IMSG, DMSG, FMSG with printf-style formats
 * (%d %i %u %x %X %s %c %p %%, with l/z/ll length modifiers). Lines go to the monitor's log prefixed E/TA, I/TA,
 * D/TA (debug lines only with `emon run -v`).
 */
#ifndef TRACE_H
#define TRACE_H

#define TRACE_ERROR 1
#define TRACE_INFO  2
#define TRACE_DEBUG 3
#define TRACE_FLOW  4

void emon_trace_printf(int level, const char *func, int line, const char *fmt, ...);

#define EMSG(...) emon_trace_printf(TRACE_ERROR, __func__, __LINE__, __VA_ARGS__)
#define IMSG(...) emon_trace_printf(TRACE_INFO, __func__, __LINE__, __VA_ARGS__)
#define DMSG(...) emon_trace_printf(TRACE_DEBUG, __func__, __LINE__, __VA_ARGS__)
#define FMSG(...) emon_trace_printf(TRACE_FLOW, __func__, __LINE__, __VA_ARGS__)

#endif /* TRACE_H */
