/* Line formatting for the PressHold serial protocol, plain C so the host test can compile it.
 * Hand-rolled digit conversion: avoids pulling printf (~1.5 KB) onto the ATmega328P. */
#ifndef PRESSHOLD_FORMAT_H
#define PRESSHOLD_FORMAT_H

/* Writes decimal digits of v at p, returns the position after the last digit. */
static char *presshold_put_ulong(char *p, unsigned long v) {
  char tmp[10];
  int n = 0;
  do {
    tmp[n++] = (char)('0' + (v % 10UL));
    v /= 10UL;
  } while (v != 0UL);
  while (n > 0) *p++ = tmp[--n];
  return p;
}

/* "t_us:<micros>,raw:<counts>\r\n" into buf (>= 40 bytes); returns the length. */
static int presshold_format_sample(char *buf, unsigned long t_us, long raw) {
  static const char head[] = "t_us:";
  static const char mid[] = ",raw:";
  char *p = buf;
  const char *s;
  for (s = head; *s; ++s) *p++ = *s;
  p = presshold_put_ulong(p, t_us);
  for (s = mid; *s; ++s) *p++ = *s;
  if (raw < 0) {
    *p++ = '-';
    p = presshold_put_ulong(p, (unsigned long)(-(raw + 1)) + 1UL);
  } else {
    p = presshold_put_ulong(p, (unsigned long)raw);
  }
  *p++ = '\r';
  *p++ = '\n';
  *p = '\0';
  return (int)(p - buf);
}

#endif
