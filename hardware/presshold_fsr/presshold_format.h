/* Line formatting for the PressHold serial protocol, plain C so the host test can compile it.
 * Hand-rolled digit conversion: avoids pulling printf (~1.5 KB) onto the ATmega328P.
 * Also the patient button's debouncer, shared by both sketches the same way. */
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

/* The same line with the patient button's state, "...,button:<0|1>\r\n", into buf (>= 48
 * bytes; at most 40 are used, counting the terminating NUL). */
static inline int presshold_format_sample_button(char *buf, unsigned long t_us, long raw, int pressed) {
  static const char field[] = ",button:";
  char *p = buf + presshold_format_sample(buf, t_us, raw) - 2; /* over the "\r\n" */
  const char *s;
  for (s = field; *s; ++s) *p++ = *s;
  *p++ = pressed ? '1' : '0';
  *p++ = '\r';
  *p++ = '\n';
  *p = '\0';
  return (int)(p - buf);
}

/* Patient button debouncing: a new state counts once the contact has read the same for
 * PRESSHOLD_DEBOUNCE_US. A mechanical push button bounces for 1-5 ms when it closes or opens; a
 * brush of the cable or a burst of interference is shorter still. 20 ms is far below the time a
 * client keeps a button down on purpose (>= 100 ms), so no real press is lost. */
#define PRESSHOLD_DEBOUNCE_US 20000UL

struct presshold_button {
  unsigned char stable;   /* the debounced state: 1 = pressed */
  unsigned char last_raw; /* the contact as last read */
  unsigned long since_us; /* when the contact last changed */
};

/* Feed the contact as read now (1 = closed); returns the debounced state. Call it often (every
 * loop pass): a state is only confirmed when it is read again after the debounce time. */
static inline unsigned char presshold_button_update(struct presshold_button *b, unsigned char raw,
                                                    unsigned long now_us) {
  if (raw != b->last_raw) {
    b->last_raw = raw;
    b->since_us = now_us;
  } else if (raw != b->stable && now_us - b->since_us >= PRESSHOLD_DEBOUNCE_US) {
    b->stable = raw;
  }
  return b->stable;
}

#endif
