/* See port_drive.h. */
#include "port_drive.h"

#include <simavr/avr_ioport.h>

static struct {
  unsigned mask, value;
} ports[8]; /* ports 'A'..'H' */

void port_drive(avr_t *avr, char port, int bit, int driven, int level) {
  int i = (port - 'A') & 7;
  unsigned m = 1u << bit;
  if (driven) ports[i].mask |= m;
  else ports[i].mask &= ~m;
  if (driven && level) ports[i].value |= m;
  else ports[i].value &= ~m;
  avr_ioport_external_t ext = {.name = (unsigned long)port, .mask = ports[i].mask,
                               .value = ports[i].value};
  avr_ioctl(avr, AVR_IOCTL_IOPORT_SET_EXTERNAL(port), &ext);
}
